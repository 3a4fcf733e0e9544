"""Hand-written durable-rules peer: the same rules, matched by durable-rules directly.

    .venv/bin/python benchmarks/peer_durable.py CASE RULES [--batch N] [--prefilter type|alpha] [-v]

prints `{item_id: "triggered" | "not_triggered"}` as JSON.

Tuned as ENGINE-NOTES describes ("Loading and throughput at 100,000 facts"):
- yaml_rs (`parse_datetime=False`), dates turned into day numbers by hand, windows into
  numeric bounds; facts dated after `as_of` are left out, as the product does;
- one host, one ruleset registered once (as a dict), one session;
- only facts of the types some pattern matches go to the engine (`attack`, `group`),
  each with its case `id` as the engine's fact id; list attributes are always lists;
- default (`--batch 1`): one `assert_fact` per fact (a fact no rule matches raises
  MessageNotHandledException, which is ignored). `--batch N`: `assert_facts` in batches
  of N, with a no-op catch-all rule per type (`cap: 1000`) so that no fact of a batch is
  unhandled (that would abort the whole batch); `--prefilter alpha --batch 100` is
  ENGINE-NOTES' variant (only facts passing some pattern's literal tests, tested in
  Python, go in; no catch-all). Measured on the 100k case (2 busy cores): batch 1 3.5 s
  and 330 MB, batches of 100 with the catch-all 10-12 s and 1 GB, the alpha pre-filter
  with batches of 100 3.7 s (of it 1.5 s of Python pre-filtering). Hence the default;
- single-pattern rules (matches and counts) have `cap: 1000`: one Python callback gets
  up to 1,000 matches. A count keeps the distinct ids it received; once every fact is
  in, its threshold is checked;
- a join is one rule of two patterns, the second reading the first's attribute
  (`{"name": {"atk": "actor"}}`);
- scenarios are rules gated by a `$go` marker fact, asserted after the indicator facts
  (`{"type": "$ind", "item": ID}`) of every derived indicator: negation
  (`"n0$not": ...`) and counts thus only ever see complete inputs (strata, as the
  product does it; ENGINE-NOTES measured durable-rules' own `none` firing too early).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_ruleset as br  # noqa: E402

warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"durable(\..*)?$")

RULESET = "bench"
CAP = 1000


def load_yaml(path: str):
    import yaml_rs

    return yaml_rs.loads(Path(path).read_text(encoding="utf-8"), parse_datetime=False)


def test_expr(key: str, op: str, v, listy: bool) -> dict:
    for x in v if op == "in" else [v]:
        if isinstance(x, bool) or not isinstance(x, (str, int, float)):
            raise br.Unsupported(f"value {x!r}")
    if listy:
        if op in ("eq", "contains"):
            return {"$iany": {key: {"$i": v}}}
        if op == "in":
            return {"$or": [{"$iany": {key: {"$i": x}}} for x in v]}
        raise br.Unsupported(f"{op} on a list key")
    if op in ("eq", "contains"):
        return {key: v}
    if op == "in":
        return {"$or": [{key: x} for x in v]}
    if op == "gte":
        return {"$gte": {key: v}}
    raise br.Unsupported(op)


def pattern_expr(p: br.Pattern, listy: dict) -> dict:
    terms = [{"type": p.type}]
    terms += [test_expr(k, op, v, k in listy.get(p.type, ())) for k, op, v in p.tests]
    if p.window is not None:
        terms += [{"$gte": {"day": p.window[0]}}, {"$lte": {"day": p.window[1]}}]
    for key, alias, attr in p.refs:
        terms.append({key: {alias: attr}})
    return {"$and": terms}


class Peer:
    def __init__(self, items: list, listy: dict, types: set, catch_all: int):
        self.items = items
        self.derived: set = set()
        self.counted: dict = {it.id: set() for it in items if it.form == "count"}
        self.errors: list = []
        rules = {}
        for n, it in enumerate(items):
            name = f"r{n}"
            if it.form == "match":
                rules[name] = {"all": [{"m": pattern_expr(it.patterns[0], listy)}], "cap": CAP, "run": self._derive(it.id)}
            elif it.form == "count":
                rules[name] = {"all": [{"m": pattern_expr(it.patterns[0], listy)}], "cap": CAP, "run": self._count(it.id)}
            elif it.form == "join":
                atk, grp = it.patterns
                rules[name] = {"all": [{atk.alias: pattern_expr(atk, listy)}, {"g": pattern_expr(grp, listy)}], "run": self._derive(it.id)}
            else:
                pats = [{"go": {"type": "$go"}}]
                pats += [{f"i{k}": {"$and": [{"type": "$ind"}, {"item": r}]}} for k, r in enumerate(it.refs)]
                pats += [{f"n{k}$not": {"$and": [{"type": "$ind"}, {"item": x}]}} for k, x in enumerate(it.negs)]
                pats += [{f"p{k}": pattern_expr(p, listy)} for k, p in enumerate(it.patterns)]
                rules[name] = {"all": pats, "run": self._derive(it.id)}
        if catch_all:
            for t in sorted(types):
                rules[f"any-{t}"] = {"all": [{"m": {"type": t}}], "pri": 100, "run": lambda c: None}
                if catch_all > 1:
                    rules[f"any-{t}"]["cap"] = catch_all
        from durable import engine

        self.host = engine.Host()
        self.host.register_rulesets({RULESET: rules})

    def _derive(self, iid):
        def run(c):
            self.derived.add(iid)

        return run

    def _count(self, iid):
        ids = self.counted[iid]

        def run(c):
            try:
                frames = c.m if isinstance(c.m, list) else [c.m]
                ids.update(f["id"] for f in frames)
            except BaseException as exc:
                self.errors.append(exc)

        return run

    def assert_one(self, fact: dict) -> None:
        try:
            self.host.assert_fact(RULESET, fact)
        except Exception as exc:
            if type(exc).__name__ != "MessageNotHandledException":
                raise
        if self.errors:
            raise self.errors[0]

    def assert_many(self, facts: list) -> None:
        self.host.assert_facts(RULESET, facts)
        if self.errors:
            raise self.errors[0]

    def finish(self) -> dict:
        for it in self.items:
            if it.form == "count" and len(self.counted[it.id]) >= it.at_least:
                self.derived.add(it.id)
        for iid in sorted(self.derived):
            self.assert_one({"sid": "1", "id": f"$ind:{iid}", "type": "$ind", "item": iid})
        self.assert_one({"sid": "1", "id": "$go", "type": "$go"})
        return {it.id: "triggered" if it.id in self.derived else "not_triggered" for it in self.items}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="durable-rules peer of `scenarios run` for the benchmark rulesets")
    ap.add_argument("case")
    ap.add_argument("rules")
    ap.add_argument("--batch", type=int, default=1, help="facts per assert_facts call (1: one assert_fact each)")
    ap.add_argument("--prefilter", choices=["type", "alpha"], default="type", help="send facts of the matched types (default), or only facts that pass some pattern's literal tests (then no catch-all rule is needed)")
    ap.add_argument("-v", "--verbose", action="store_true", help="phase times on stderr")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    case = load_yaml(args.case)
    raw_rules = load_yaml(args.rules)
    t_load = time.perf_counter()
    as_of = br.day_number(case["as_of"])
    items = br.parse_ruleset(raw_rules, as_of)
    types = {p.type for it in items for p in it.patterns}
    keys: dict = {t: set() for t in types}
    for it in items:
        for p in it.patterns:
            keys[p.type].update(k for k, _op, _v in p.tests)
            for key, alias, attr in p.refs:
                keys[p.type].add(key)
                keys[next(x for x in it.patterns if x.alias == alias).type].add(attr)
    facts = []
    listy: dict = {t: set() for t in types}
    for f in case["facts"]:
        t = f.get("type")
        if t not in types:
            continue
        d = f.get("date")
        day = br.day_number(d) if d is not None else None
        if day is not None and day > as_of:
            continue
        fact = {"sid": "1", "id": f["id"], "type": t}
        if day is not None:
            fact["day"] = day
        for k in keys[t]:
            v = f.get(k)
            if v is None:
                continue
            if isinstance(v, list):
                listy[t].add(k)
            fact[k] = v
        facts.append(fact)
    for fact in facts:  # a key that is a list somewhere is a list everywhere
        for k in listy[fact["type"]]:
            if k in fact and not isinstance(fact[k], list):
                fact[k] = [fact[k]]
    if args.prefilter == "alpha":
        patterns = [p for it in items for p in it.patterns]
        facts = [f for f in facts if any(br.alpha_ok(p, f) for p in patterns)]
    peer = Peer(items, listy, types, catch_all=CAP if args.batch > 1 and args.prefilter == "type" else 0)
    t_build = time.perf_counter()
    if args.batch > 1:
        for i in range(0, len(facts), args.batch):
            peer.assert_many(facts[i : i + args.batch])
    else:
        for fact in facts:
            peer.assert_one(fact)
    t_assert = time.perf_counter()
    out = peer.finish()
    t_end = time.perf_counter()
    print(json.dumps(out, sort_keys=True))
    sys.stdout.flush()
    if args.verbose:
        print(
            f"durable[batch {args.batch}]: load {t_load - t0:.2f}s, build {t_build - t_load:.2f}s, "
            f"assert {len(facts)} facts {t_assert - t_build:.2f}s, strata {t_end - t_assert:.2f}s",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
