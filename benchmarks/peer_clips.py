"""Hand-written CLIPS peer: the same rules as the product, matched by CLIPS 6.4 (clipspy).

    .venv/bin/python benchmarks/peer_clips.py CASE RULES [--loader pyyaml|yaml_rs] [-v]

prints `{item_id: "triggered" | "not_triggered"}` as JSON.

How it is written (what a capable engineer would do with CLIPS):
- The case and the ruleset are read with PyYAML's C loader (`CSafeLoader`) or with
  yaml_rs (`parse_datetime=False`; dates are parsed by hand into day numbers).
- Facts of the types the rules match become template facts (`attack`, `group`), asserted
  through clipspy's template API (measured the fastest way in). A key that holds a list
  in some fact is a multislot. Facts dated after `as_of` are left out, as the product does.
- Each indicator and scenario becomes CLIPS rules (the text is printed with `--show`):
  * a single match: one `defrule` whose pattern carries every test (literals,
    `"A"|"B"` for `in`, `member$` on multislots, predicates for `gte` and windows);
  * a join: one `defrule` with two patterns sharing a variable (`?atk__actor`);
  * a count: a `defrule` that adds one to a `defglobal` per matching fact (one
    activation per fact, so distinct facts), and a checking rule that fires once
    the `(stage counted)` fact exists;
  * a scenario: a `defrule` on `(stage scenarios)`, `(derived (item ...))` patterns for
    the indicators, `(not (derived (item ...)))` for negation, and its own patterns.
- Strata by salience: every matching rule fires at salience 0; a salience -100 rule then
  asserts `(stage counted)` (counts are complete), and a salience -200 rule asserts
  `(stage scenarios)` (every indicator is derived). One `(run)`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_ruleset as br  # noqa: E402


def load_yaml(path: str, loader: str):
    text = Path(path).read_text(encoding="utf-8")
    if loader == "pyyaml":
        import yaml

        return yaml.load(text, Loader=yaml.CSafeLoader)
    import yaml_rs

    return yaml_rs.loads(text, parse_datetime=False)


def q(v) -> str:
    """A CLIPS literal for a rule value (strings are CLIPS STRINGs, like clipspy's str)."""
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        raise br.Unsupported(f"value {v!r}")
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(v)


class Translator:
    def __init__(self, multislots: dict):
        self.multislots = multislots  # type -> set of list-valued keys

    def slot(self, ptype: str, key: str, tests: list, bind: str | None) -> str:
        multi = key in self.multislots.get(ptype, set())
        var = bind or f"?{key.replace('-', '_')}"
        if multi:
            if bind:
                raise br.Unsupported("a join on a list key")
            preds = []
            for _k, op, v in tests:
                if op in ("eq", "contains"):
                    preds.append(f"(member$ {q(v)} $?{key})")
                elif op == "in":
                    preds.append("(or " + " ".join(f"(member$ {q(x)} $?{key})" for x in v) + ")")
                else:
                    raise br.Unsupported(f"{op} on a list key")
            return f"({key} $?{key}&" + "&".join(f":{p}" for p in preds) + ")"
        parts = []
        for _k, op, v in tests:
            if op in ("eq", "contains"):
                parts.append(q(v))
            elif op == "in":
                parts.append("|".join(q(x) for x in v))
            elif op == "gte":
                parts.append(f":(and (numberp {var}) (>= {var} {q(v)}))")
        if len(parts) == 1 and not bind and not parts[0].startswith(":"):
            return f"({key} {parts[0]})"  # a plain literal constraint
        if not parts:
            return f"({key} {var})"
        return f"({key} {var}&" + "&".join(parts) + ")"

    def pattern(self, p: br.Pattern, binds: dict, refs_of: dict) -> str:
        """binds: keys of this pattern that later patterns read (key -> variable);
        refs_of: keys of this pattern that must equal an earlier binding."""
        by_key: dict = {}
        for t in p.tests:
            by_key.setdefault(t[0], []).append(t)
        slots = []
        for key in sorted(set(by_key) | set(binds) | set(refs_of)):
            bind = binds.get(key) or refs_of.get(key)
            slots.append(self.slot(p.type, key, by_key.get(key, []), bind))
        if p.window is not None:
            lo, hi = p.window
            slots.append(f"(day ?day&:(integerp ?day)&:(>= ?day {lo})&:(<= ?day {hi}))")
        return f"({p.type} " + " ".join(slots) + ")"

    def item(self, it: br.Item) -> str:
        name = f"r-{it.id}"
        derive = f'(assert (derived (item {q(it.id)})))'
        if it.form == "match":
            return f"(defrule {name} {self.pattern(it.patterns[0], {}, {})} => {derive})"
        if it.form == "count":
            g = f"?*n-{it.id}*"
            return (
                f"(defglobal {g} = 0)\n"
                f"(defrule {name}-count {self.pattern(it.patterns[0], {}, {})} => (bind {g} (+ {g} 1)))\n"
                f"(defrule {name} (stage (name counted)) (test (>= {g} {it.at_least})) => {derive})"
            )
        if it.form == "join":
            atk, grp = it.patterns
            binds, refs = {}, {}
            for key, alias, attr in grp.refs:
                var = f"?{alias}__{attr}"
                binds[attr] = var
                refs[key] = var
            return f"(defrule {name} {self.pattern(atk, binds, {})} {self.pattern(grp, {}, refs)} => {derive})"
        conds = ["(stage (name scenarios))"]
        conds += [f"(derived (item {q(r)}))" for r in it.refs]
        conds += [f"(not (derived (item {q(n)})))" for n in it.negs]
        conds += [self.pattern(p, {}, {}) for p in it.patterns]
        return f"(defrule {name} " + " ".join(conds) + f" => {derive})"


PRELUDE = """
(deftemplate derived (slot item))
(deftemplate stage (slot name))
(defrule stage-counted (declare (salience -100)) => (assert (stage (name counted))))
(defrule stage-scenarios (declare (salience -200)) (stage (name counted)) => (assert (stage (name scenarios))))
(deffunction derived-items () (bind ?r (create$)) (do-for-all-facts ((?d derived)) TRUE (bind ?r (create$ ?r ?d:item))) ?r)
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="CLIPS peer of `scenarios run` for the benchmark rulesets")
    ap.add_argument("case")
    ap.add_argument("rules")
    ap.add_argument("--loader", choices=["pyyaml", "yaml_rs"], default="yaml_rs")
    ap.add_argument("--show", action="store_true", help="print the CLIPS program and exit")
    ap.add_argument("-v", "--verbose", action="store_true", help="phase times on stderr")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    import clips

    case = load_yaml(args.case, args.loader)
    raw_rules = load_yaml(args.rules, args.loader)
    t_load = time.perf_counter()
    as_of = br.day_number(case["as_of"])
    items = br.parse_ruleset(raw_rules, as_of)
    types = {p.type for it in items for p in it.patterns}
    keys: dict = {t: set() for t in types}
    for it in items:
        for p in it.patterns:
            keys[p.type].update(k for k, _op, _v in p.tests)
            keys[p.type].update(k for k, _a, _b in p.refs)
    for it in items:  # attributes read through a binding ($atk.actor)
        for p in it.patterns:
            for _k, alias, attr in p.refs:
                src = next(x for x in it.patterns if x.alias == alias)
                keys[src.type].add(attr)
    facts = []
    multislots: dict = {t: set() for t in types}
    for f in case["facts"]:
        t = f.get("type")
        if t not in types:
            continue
        d = f.get("date")
        day = br.day_number(d) if d is not None else None
        if day is not None and day > as_of:
            continue  # not yet known on as_of
        facts.append((t, day, f))
        for k in keys[t]:
            if isinstance(f.get(k), list):
                multislots[t].add(k)

    tr = Translator(multislots)
    program = [PRELUDE]
    for t in sorted(types):
        slots = ["(slot id)", "(slot day)"]
        for k in sorted(keys[t] - {"id", "day"}):
            slots.append(f"(multislot {k})" if k in multislots[t] else f"(slot {k})")
        program.append(f"(deftemplate {t} " + " ".join(slots) + ")")
    program += [tr.item(it) for it in items]
    if args.show:
        print("\n".join(program))
        return 0
    env = clips.Environment()
    for construct in "\n".join(program).split("\n"):
        if construct.strip():
            env.build(construct)
    env.reset()
    t_build = time.perf_counter()
    templates = {t: env.find_template(t) for t in types}
    for t, day, f in facts:
        slots = {"id": f["id"]}
        if day is not None:
            slots["day"] = day
        for k in keys[t]:
            v = f.get(k)
            if v is None:
                continue
            if k in multislots[t]:
                slots[k] = v if isinstance(v, list) else [v]
            else:
                slots[k] = v
        templates[t].assert_fact(**slots)
    t_assert = time.perf_counter()
    env.run()
    t_run = time.perf_counter()
    derived = set(env.eval("(derived-items)"))
    out = {it.id: "triggered" if it.id in derived else "not_triggered" for it in items}
    print(json.dumps(out, sort_keys=True))
    if args.verbose:
        print(
            f"clips[{args.loader}]: load {t_load - t0:.2f}s, build {t_build - t_load:.2f}s, "
            f"assert {len(facts)} facts {t_assert - t_build:.2f}s, run {t_run - t_assert:.2f}s",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
