"""The subset of the SPEC ruleset format that the benchmark uses, read into a small
intermediate form that both hand-written peers translate into their engine's rules.

Only the forms `generate.py` writes are accepted; anything else is an error (the peers
must not silently mean something different from the product):

- a pattern: `{match: TYPE, where: {KEY: VALUE}, within: Nd | Nw, as: NAME}`, where VALUE
  is a scalar (equality), `{eq: x}`, `{in: [..]}`, `{contains: x}`, `{gte: n}`, or (in
  a join) `$NAME.KEY`; on a list attribute a test holds when one element passes;
- an indicator: one pattern, `{count: PATTERN, at_least: K}`, or
  `{all: [PATTERN as atk, PATTERN with $atk.KEY]}` (a join);
- a scenario: `{all: [...]}` of `{indicator: ID}`, `{not: {indicator: ID}}` and patterns.

`evaluate` is a plain-Python reference used by the generator to write `expected-*.json`
(for diagnosis: the benchmark's agreement check is between the product and the peers).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

OPS = ("eq", "in", "contains", "gte")


@dataclass
class Pattern:
    type: str
    tests: list  # (key, op, value)
    window: tuple | None = None  # (lo_day, hi_day), both included
    alias: str | None = None
    refs: list = field(default_factory=list)  # (key, alias, attr): fact[key] == alias.attr


@dataclass
class Item:
    id: str
    layer: str  # indicator | scenario
    form: str  # match | count | join | all
    patterns: list
    at_least: int = 0
    refs: list = field(default_factory=list)  # indicator ids that must be derived
    negs: list = field(default_factory=list)  # indicator ids that must not be derived


class Unsupported(ValueError):
    pass


def day_number(value) -> int:
    """A YAML date (datetime.date from PyYAML, 'YYYY-MM-DD' from yaml_rs) as a day number."""
    if isinstance(value, datetime.date):
        return value.toordinal()
    return datetime.date.fromisoformat(value).toordinal()


def window_days(text: str) -> int:
    n, unit = int(text[:-1]), text[-1]
    if unit == "d":
        return n
    if unit == "w":
        return 7 * n
    raise Unsupported(f"window {text!r}: the benchmark uses days and weeks only")


def parse_match(cond: dict, expected_type: str | None, as_of: int) -> Pattern:
    extra = set(cond) - {"match", "where", "within", "as"}
    if extra:
        raise Unsupported(f"pattern keys {sorted(extra)}")
    if expected_type and cond["match"] != expected_type:
        raise Unsupported(f"pattern type {cond['match']!r}")
    tests, refs = [], []
    for key, value in (cond.get("where") or {}).items():
        if isinstance(value, str) and value.startswith("$"):
            alias, attr = value[1:].split(".", 1)
            refs.append((key, alias, attr))
        elif isinstance(value, dict):
            for op, operand in value.items():
                if op not in OPS:
                    raise Unsupported(f"operator {op!r}")
                if op == "in":
                    operand = list(operand)
                tests.append((key, op, operand))
        elif isinstance(value, (str, int)) and not isinstance(value, bool):
            tests.append((key, "eq", value))
        else:
            raise Unsupported(f"where value {value!r}")
    window = None
    if "within" in cond:
        window = (as_of - window_days(str(cond["within"])), as_of)
    return Pattern(cond["match"], tests, window, cond.get("as"), refs)


def parse_item(raw: dict, layer: str, as_of: int) -> Item:
    when = raw["when"]
    iid = raw["id"]
    if layer == "indicator":
        if "match" in when:
            return Item(iid, layer, "match", [parse_match(when, "attack", as_of)])
        if "count" in when:
            if set(when) != {"count", "at_least"}:
                raise Unsupported(f"{iid}: count keys {sorted(when)}")
            return Item(iid, layer, "count", [parse_match(when["count"], "attack", as_of)], at_least=int(when["at_least"]))
        if "all" in when and len(when["all"]) == 2:
            atk = parse_match(when["all"][0], "attack", as_of)
            grp = parse_match(when["all"][1], "group", as_of)
            if atk.alias is None or atk.refs or [r[1] for r in grp.refs] != [atk.alias]:
                raise Unsupported(f"{iid}: join shape")
            return Item(iid, layer, "join", [atk, grp])
        raise Unsupported(f"{iid}: indicator form {sorted(when)}")
    if set(when) != {"all"}:
        raise Unsupported(f"{iid}: scenario form {sorted(when)}")
    item = Item(iid, layer, "all", [])
    for cond in when["all"]:
        if set(cond) == {"indicator"}:
            item.refs.append(cond["indicator"])
        elif set(cond) == {"not"} and set(cond["not"]) == {"indicator"}:
            item.negs.append(cond["not"]["indicator"])
        elif "match" in cond:
            p = parse_match(cond, "attack", as_of)
            if p.alias or p.refs:
                raise Unsupported(f"{iid}: bound pattern in a scenario")
            item.patterns.append(p)
        else:
            raise Unsupported(f"{iid}: scenario condition {cond!r}")
    return item


def parse_ruleset(raw: dict, as_of: int) -> list[Item]:
    """The items of a generated ruleset (as loaded from YAML), indicators first."""
    items = [parse_item(r, "indicator", as_of) for r in raw.get("indicators") or []]
    ind_ids = {i.id for i in items}
    for r in raw.get("scenarios") or []:
        item = parse_item(r, "scenario", as_of)
        unknown = set(item.refs + item.negs) - ind_ids
        if unknown:
            raise Unsupported(f"{item.id}: scenarios may refer to indicators only ({sorted(unknown)})")
        items.append(item)
    return items


# --- plain-Python reference -----------------------------------------------------


def _values(v):
    return v if isinstance(v, list) else [v]


def test_ok(value, op, operand) -> bool:
    if value is None:
        return False
    vals = _values(value)
    if op in ("eq", "contains"):
        return any(type(x) is type(operand) and x == operand for x in vals)
    if op == "in":
        return any(x in operand for x in vals)
    if op == "gte":
        return any(isinstance(x, int) and not isinstance(x, bool) and x >= operand for x in vals)
    raise Unsupported(op)


def alpha_ok(p: Pattern, fact: dict) -> bool:
    """Type, window and literal tests (no references) of a pattern on a fact with `day`."""
    if fact.get("type") != p.type:
        return False
    if p.window is not None:
        d = fact.get("day")
        if d is None or not (p.window[0] <= d <= p.window[1]):
            return False
    return all(test_ok(fact.get(k), op, v) for k, op, v in p.tests)


def evaluate(items: list[Item], facts: list[dict]) -> dict:
    """{item id: triggered | not_triggered} for facts already restricted to the run."""
    by_type: dict = {}
    for f in facts:
        by_type.setdefault(f["type"], []).append(f)
    derived = {}
    for it in items:
        if it.form == "match":
            ok = any(alpha_ok(it.patterns[0], f) for f in by_type.get("attack", []))
        elif it.form == "count":
            ok = sum(alpha_ok(it.patterns[0], f) for f in by_type.get("attack", [])) >= it.at_least
        elif it.form == "join":
            atk_p, grp_p = it.patterns
            groups = [g for g in by_type.get("group", []) if alpha_ok(grp_p, g)]
            keys = set()
            for g in groups:
                for key, _alias, _attr in grp_p.refs:
                    keys.update(_values(g.get(key)))
            attr = grp_p.refs[0][2]
            ok = any(alpha_ok(atk_p, f) and any(x in keys for x in _values(f.get(attr))) for f in by_type.get("attack", []))
        else:
            ok = all(derived.get(r) for r in it.refs) and not any(derived.get(n) for n in it.negs)
            ok = ok and all(any(alpha_ok(p, f) for f in by_type.get(p.type, [])) for p in it.patterns)
        derived[it.id] = ok
    return {k: "triggered" if v else "not_triggered" for k, v in derived.items()}
