"""Generate a benchmark case (ACLED-like attacks and groups) and a ruleset of R rules.

    .venv/bin/python benchmarks/generate.py --facts 10000 --rules 10 --seed 1 -o benchmarks/out

writes `case-10k-s1.yaml`, `rules-10k-r10-s1.yaml` and `expected-10k-r10-s1.json` (the
statuses computed in plain Python by `bench_ruleset.evaluate`, for diagnosis only).

Everything is deterministic given (facts, rules, seed). The rule forms are the subset of
SPEC.md that the hand-written peers (`peer_clips.py`, `peer_durable.py`) implement the
same way as the product (see `bench_ruleset.py` for the exact list):

- indicators: one `match: attack` with `where` (eq, in, contains, gte) and `within`;
  `count` of such a match with `at_least`; a join of an attack (`as: atk`) with the
  `group` whose `name` is `$atk.actor`;
- scenarios: `all` of `indicator:` references, `not: {indicator: ...}` and an optional
  single `match`.

Several parameters are chosen from the data so that the status hangs on one fact or
on an exact count (a `gte` at the largest value present, or one above it; `at_least` at
the exact count, or one above it): a lost or extra firing changes a status.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_ruleset  # noqa: E402

AS_OF = datetime.date(2020, 12, 31)
N_GROUPS = 300
NAMED = ["HTS", "TIP", "HaD", "KSB", "JaI"]
GROUPS = NAMED + [f"g{i:03}" for i in range(N_GROUPS - len(NAMED))]
NOT_GROUPS = ["SAA", "RU", "unknown"]  # attack actors with no group fact: joins miss them
KINDS = ["jihadist", "jihadist", "rebel", "militia", "state"]
TARGETS = ["TAF", "RU", "SAA", "CIV", "SDF", "SNA"]
WINDOWS = ["7d", "30d", "90d", "365d", "12w", "52w"]
OTHER_TYPES = ["statement", "protest"]  # facts no rule matches


def parse_size(text: str) -> int:
    text = text.strip().lower()
    mult = 1
    if text.endswith("k"):
        mult, text = 1_000, text[:-1]
    elif text.endswith("m"):
        mult, text = 1_000_000, text[:-1]
    return int(float(text) * mult)


def size_label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


# --- facts --------------------------------------------------------------------


def make_facts(n: int, seed: int) -> list[dict]:
    """n facts: about 300 groups, the rest attacks (and a few facts no rule matches)."""
    rng = random.Random(f"facts-{n}-{seed}")
    facts: list[dict] = []
    for i, name in enumerate(GROUPS):
        facts.append({"id": f"grp-{name}", "type": "group", "name": name, "kind": KINDS[i % len(KINDS)] if i >= len(NAMED) else "jihadist"})
    start = AS_OF - datetime.timedelta(days=730)
    actors = GROUPS + NOT_GROUPS
    weights = [20] * len(NAMED) + [1] * (len(GROUPS) - len(NAMED)) + [15, 10, 5]
    n_attacks = max(n - len(facts), 0)
    for i in range(n_attacks):
        day = start + datetime.timedelta(days=rng.randrange(0, 761))  # up to 30 days after as_of
        if rng.random() < 0.02:
            facts.append({"id": f"x{i}", "type": rng.choice(OTHER_TYPES), "date": day, "actor": rng.choice(actors), "text": "no rule matches this"})
            continue
        k = rng.choice((1, 1, 1, 2, 2, 3))
        targets = rng.sample(TARGETS, k)
        fact = {
            "id": f"a{i}",
            "type": "attack",
            "date": day,
            "actor": rng.choices(actors, weights)[0],
            "target": targets[0] if k == 1 and rng.random() < 0.9 else targets,
            "fatalities": min(int(rng.expovariate(0.25)), 60),
        }
        edge = rng.random()
        if edge < 0.01:
            del fact["date"]  # undated: never in a window, still matches without one
        elif edge < 0.02:
            del fact["fatalities"]  # a test of a missing key fails
        facts.append(fact)
    return facts


def _scalar(v) -> str:
    if isinstance(v, datetime.date):
        return v.isoformat()
    return str(v)


def case_yaml(facts: list[dict], case_id: str) -> str:
    lines = [
        f"case: {case_id}",
        f"title: Synthetic ACLED-like case of {len(facts)} facts",
        f"as_of: {AS_OF.isoformat()}",
        "facts:",
    ]
    for f in facts:
        parts = []
        for k, v in f.items():
            if isinstance(v, list):
                parts.append(f"{k}: [{', '.join(_scalar(x) for x in v)}]")
            elif k == "text":
                parts.append(f"{k}: '{v}'")
            else:
                parts.append(f"{k}: {_scalar(v)}")
        lines.append("  - {" + ", ".join(parts) + "}")
    return "\n".join(lines) + "\n"


# --- rules --------------------------------------------------------------------


def _in_run(facts):
    """The facts the run sees (not dated after as_of), as the evaluator wants them."""
    out = []
    for f in facts:
        if f.get("date") is not None and f["date"] > AS_OF:
            continue
        g = dict(f)
        if "date" in g:
            g["day"] = g.pop("date").toordinal()
        out.append(g)
    return out


class RuleMaker:
    def __init__(self, facts, seed: int, n_rules: int):
        self.rng = random.Random(f"rules-{n_rules}-{seed}")
        self.facts = _in_run(facts)
        self.as_of = AS_OF.toordinal()
        self.attacks = [f for f in self.facts if f["type"] == "attack"]
        self.groups = {f["name"]: f for f in self.facts if f["type"] == "group"}

    def _where(self, keys):
        rng = self.rng
        where = {}
        for key in keys:
            if key == "actor":
                r = rng.random()
                one = rng.choice(NAMED + NOT_GROUPS[:2] + GROUPS[5:15])
                if r < 0.3:
                    where["actor"] = one
                elif r < 0.4:
                    where["actor"] = {"eq": one}
                elif r < 0.5:
                    where["actor"] = {"contains": one}  # on a scalar: equality
                else:
                    where["actor"] = {"in": rng.sample(NAMED + NOT_GROUPS[:2], rng.randint(2, 4))}
            elif key == "target":
                r = rng.random()
                if r < 0.4:
                    where["target"] = rng.choice(TARGETS)
                elif r < 0.8:
                    where["target"] = {"contains": rng.choice(TARGETS)}
                else:
                    where["target"] = {"in": rng.sample(TARGETS, 2)}
            elif key == "fatalities":
                where["fatalities"] = {"gte": rng.choice((1, 5, 10, 20, 30))}
        return where

    def _matches(self, cond):
        pat = bench_ruleset.parse_match(cond, "attack", self.as_of)
        return [f for f in self.attacks if bench_ruleset.alpha_ok(pat, f)]

    def _tighten(self, cond, matches_of):
        """Put `fatalities: {gte: max}` (triggered by the top facts only) or max + 1."""
        values = [f["fatalities"] for f in matches_of(cond) if "fatalities" in f]
        if not values:
            return cond
        top = max(values)
        cond["where"]["fatalities"] = {"gte": top + self.rng.choice((0, 1))}
        return cond

    def single(self):
        rng = self.rng
        keys = rng.sample(["actor", "target", "fatalities"], rng.randint(1, 3))
        cond = {"match": "attack", "where": self._where(keys)}
        if rng.random() < 0.8:
            cond["within"] = rng.choice(WINDOWS)
        if rng.random() < 0.5:
            cond = self._tighten(cond, self._matches)
        return cond

    def count(self):
        rng = self.rng
        keys = rng.sample(["actor", "target", "fatalities"], rng.randint(1, 2))
        inner = {"match": "attack", "where": self._where(keys), "within": rng.choice(WINDOWS)}
        n = len(self._matches(inner))
        at_least = rng.choice((n, n + 1, max(n // 2, 1), 2 * n + 1))
        return {"count": inner, "at_least": max(at_least, 1)}

    def join(self):
        rng = self.rng
        atk = {"match": "attack", "as": "atk", "where": {"target": rng.choice(TARGETS)}}
        if rng.random() < 0.5:
            atk["within"] = rng.choice(WINDOWS)
        kind = rng.choice(["jihadist", "jihadist", "rebel", "militia", "state"])
        grp = {"match": "group", "where": {"name": "$atk.actor", "kind": kind}}
        if rng.random() < 0.5:
            def joined(c):
                return [f for f in self._matches(c) if f["actor"] in self.groups and self.groups[f["actor"]]["kind"] == kind]

            atk["where"]["fatalities"] = {"gte": 0}
            atk = self._tighten(atk, joined)
        return {"all": [atk, grp]}

    def make(self, n_rules: int) -> dict:
        rng = self.rng
        n_scen = max(1, round(n_rules * 0.3)) if n_rules >= 3 else 0
        n_ind = n_rules - n_scen
        indicators = []
        forms = [self.single, self.count, self.join]
        for i in range(n_ind):
            form = forms[i % 3]
            item = {"id": f"ind-{i:03}", "title": f"Indicator {i} ({form.__name__})", "when": form()}
            if form is self.join:
                item["derive"] = {"actor": "$atk.actor"}
            indicators.append(item)
        ids = [i["id"] for i in indicators]
        scenarios = []
        for j in range(n_scen):
            conds = [{"indicator": x} for x in rng.sample(ids, min(len(ids), rng.randint(1, 2)))]
            rest = [x for x in ids if {"indicator": x} not in conds]
            if rest and (j % 2 == 0 or rng.random() < 0.5):
                conds.append({"not": {"indicator": rng.choice(rest)}})
            if j % 3 == 2:
                conds.append(self.single())
            rng.shuffle(conds)
            scenarios.append({"id": f"scen-{j:03}", "title": f"Scenario {j}", "when": {"all": conds}, "implications": ["synthetic"]})
        return {"ruleset": f"bench-r{n_rules}", "title": f"Benchmark ruleset of {n_rules} rules", "indicators": indicators, "scenarios": scenarios}


def ruleset_yaml(rules: dict) -> str:
    import yaml

    return yaml.safe_dump(rules, sort_keys=False, default_flow_style=None, width=200, allow_unicode=True)


def generate(n_facts: int, n_rules: int, seed: int, out: Path, force: bool = False) -> tuple[Path, Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    label = size_label(n_facts)
    case_path = out / f"case-{label}-s{seed}.yaml"
    rules_path = out / f"rules-{label}-r{n_rules}-s{seed}.yaml"
    expected_path = out / f"expected-{label}-r{n_rules}-s{seed}.json"
    if not force and case_path.exists() and rules_path.exists() and expected_path.exists():
        return case_path, rules_path, expected_path
    facts = make_facts(n_facts, seed)
    rules = RuleMaker(facts, seed, n_rules).make(n_rules)
    ir = bench_ruleset.parse_ruleset(rules, AS_OF.toordinal())
    expected = bench_ruleset.evaluate(ir, _in_run(facts))
    case_path.write_text(case_yaml(facts, f"bench-{label}-s{seed}"))
    rules_path.write_text(ruleset_yaml(rules))
    expected_path.write_text(json.dumps(expected, indent=1, sort_keys=True) + "\n")
    return case_path, rules_path, expected_path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--facts", default="10k", help="number of facts, e.g. 1000, 10k, 1m")
    ap.add_argument("--rules", type=int, default=10, help="number of indicators and scenarios")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-o", "--out", default=str(Path(__file__).resolve().parent / "out"))
    ap.add_argument("--force", action="store_true", help="regenerate even if the files exist")
    args = ap.parse_args(argv)
    for p in generate(parse_size(args.facts), args.rules, args.seed, Path(args.out), args.force):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
