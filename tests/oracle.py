"""Independent reference evaluator ("oracle") for `scenarios`, written from SPEC.md alone.

It exists for differential tests: a brute-force model that is slow but obviously
faithful to SPEC.md sections 2, 3, 3.1 and 6 (the timeline). It reads plain data as a YAML 1.2 parser
gives it (dict / list / str / int / float / bool / None; `datetime.date` is accepted
too) and never looks at the engine under src/.

How it decides, in the order SPEC.md says it:

- **Facts in the run**: a fact is left out when it is in `drop`, when its `reported`
  day (else its `date`) is after `as_of`, or when it says `present: false`. Only facts
  in the run add worlds. Windows test `date`; `where` sees `reported` only as written.
- **Worlds**: every `one_of` key of a fact in the run is contested (`present` included).
  Contested keys are sorted by (fact id, key), code point order, and the worlds are their
  Cartesian product in that order, each key's alternatives in the order written, exactly
  as nested loops: the *first* key (smallest fact id, then smallest key) varies
  *slowest*, the last one fastest (`itertools.product`). World 0 takes the first
  alternative of every key. Reordering facts or keys therefore changes nothing.
- **Evaluation in one world**: items are grouped in strata (a `not` / `count` reference
  must point to a strictly lower stratum; a cycle through one is a `ValueError`); each
  stratum is iterated to a fixpoint, re-deriving every item from scratch until no new
  derivation appears. A `when` holds for an assignment of facts to the names it binds
  (visibly) when every part of it is satisfied; the derivation of that assignment is
  its `derive` attributes. Names are enumerated over every fact of the world (pruned
  to facts of the binder's `match` type, which the binder itself would require).
- **`of`**: each listed condition is judged on its own, like a branch of `any`; the
  number that hold is tested against the bounds. An `of` with `at_most` is a negative
  edge for stratification, like `not`.
- **Near misses**: see `_top_level_holds` (a top-level `all`) and `_near_miss_parts`
  (a top-level `of` with `at_least`).
- **Likelihood**: with `p`, every world weighs the product of its choices' normalised
  `p`, in exact fractions; an item's probability is the sum over the worlds where it
  holds, rounded to 6 places; see `_weights` and `likelihood_word`.
- **Critical facts**: re-runs without each fact, see `critical_facts`.
- **Timeline**: a full run as of every day from the start to the end, see `timeline`.

Choices where SPEC.md leaves room (all documented again where they are made):

- Dates: a string of the exact form YYYY-MM-DD becomes a date in attribute values,
  alternatives, `date`, `text`, derive literals, `from` / `until` and `where` operands;
  not in `id`, `type` or `source` (identifiers), and not in a `matches` pattern (a
  pattern is a regular expression, not a value).
- A `$name.KEY` operand whose KEY the bound fact lacks makes that test fail, whatever
  the operator (like a missing key on the tested side).
- A literal list operand of an operator other than `in` / `not_in` is read like a list
  `$name.KEY`: the test holds for at least one element (`ne`: for every one).
- A scalar operand of `in` / `not_in` is read as a one-element list.
- `where` on an `indicator:` / `scenario:` reference sees the derived attributes only.
- `one_of` is only supported on attributes and on `present` (else `ValueError`);
  `present` takes its place among its fact's keys in the world order.
- `missing` comes from the world with the most top-level conditions holding among the
  worlds where some but not all hold (the first in enumeration order): a world where
  each condition holds on its own yet the `all` does not (two users of `$x` wanting
  different facts) is not "some but not all", so it neither makes nor describes a
  near miss.
- A match may read the name it binds itself (`{match: a, as: x, where: {k: $x.j}}`).
- An empty `all` holds, an empty `any` does not. Unknown keys in a condition are a
  `ValueError`; a `count` must wrap a `match`.

Choices for the newer forms (each repeated, marked "Decision", where it is made):

- `of` bounds are YAML integers (not booleans, not 2.0), never negative; `at_most` may
  exceed the number of conditions; an empty `of` is allowed (only `at_least: 0` fits it).
- An `of` near miss is described by the world with the most conditions holding among
  the worlds where at least one but fewer than `at_least` hold; a world where more than
  `at_most` hold neither makes nor describes one. `missing` lists the indices of the
  conditions that do not hold there, `held` how many hold, `needed` is `at_least`.
- `left_out` counts every fact of the case not yet known on the run's day, those with
  `present: false` too, but not those dropped by a what-if.
- `p` is read as the decimal written (0.1 is 1/10); a key's `p` may be 0.001 away from
  1, that included; rounding to 6 places takes a tie up (0.0000005 -> 0.000001).
- With `p`, every item has a probability (1 or 0 when not contested) and the word is
  None when the rounded probability is 0 or 1, a contested item included.
- Timeline: the default start is the earliest `date` / `reported` of any fact of the
  case, but never after the end (then it is the end); an explicit start after the end
  is an error. `every` is `Nd`, `Nw` or `Nm`; monthly steps count from the start
  (start + k months, clamped). A fact's "own tests" for `known` / `aged_out` are its
  pattern's type and `where` tests on the fact alone (not the window, not a test against
  another pattern's fact), in some choice of its own alternatives where it is present.
  A fact ages out only if it was known the day before.
"""
from __future__ import annotations

import calendar
import datetime
import itertools
import math
import re
from fractions import Fraction

__all__ = ["evaluate", "critical_facts", "likelihood_word", "step_days", "timeline"]

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_REF = re.compile(r"\$([^.\s]+)\.(.+)")
_WINDOW = re.compile(r"([0-9]+)([dwmy])")
_OPERATORS = {"eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains", "matches", "exists"}
_FORMS = {
    "match": {"match", "where", "within", "from", "until", "as"},
    "indicator": {"indicator", "where"},
    "scenario": {"scenario", "where"},
    "all": {"all"},
    "any": {"any"},
    "not": {"not"},
    "count": {"count", "at_least", "at_most"},
    "of": {"of", "at_least", "at_most"},
}
# Keys kept as identifiers, never turned into dates.
_IDENTIFIERS = ("id", "type", "source")


# ---------------------------------------------------------------- values


def _value(raw):
    """The value a YAML scalar or list means: date-form strings become dates.

    Raises ValueError for a date-form string that names no real day.
    """
    if isinstance(raw, list):
        return [_value(x) for x in raw]
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, str) and _DATE.fullmatch(raw):
        try:
            return datetime.date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"{raw!r} names no real day") from None
    return raw


def _date(raw) -> datetime.date:
    value = _value(raw)
    if not isinstance(value, datetime.date):
        raise ValueError(f"{raw!r} is not a date")
    return value


def _kind(value) -> str:
    """Kinds for strict equality: bool is not a number, a date is not a string."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime.date):
        return "date"
    return "other"


def _equal(a, b) -> bool:
    return _kind(a) == _kind(b) != "other" and a == b


def _ordered(op: str, a, b) -> bool:
    """gt/gte/lt/lte: only between two numbers, two strings or two dates."""
    if _kind(a) != _kind(b) or _kind(a) not in ("number", "string", "date"):
        return False
    return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]


def _canonical(value):
    """A hashable key for a derived value that keeps kinds apart (True vs 1)."""
    if isinstance(value, list):
        return ("list", tuple(_canonical(x) for x in value))
    return (type(value).__name__, value)


# ---------------------------------------------------------------- facts and worlds


class Fact:
    """A fact as one world sees it: `fields` are what `where` and `$name.KEY` read
    (attributes plus id, date, reported, source, credibility, text, as written: a
    missing or null key is simply absent, `reported` never defaults to `date`)."""

    def __init__(self, fact_id: str, fact_type: str, fields: dict):
        self.id = fact_id
        self.type = fact_type
        self.fields = fields

    def __repr__(self) -> str:
        return f"Fact({self.id!r})"


def _is_contested(raw) -> bool:
    return isinstance(raw, dict) and "one_of" in raw


def _alternative_value(alternative):
    """`{value: X, source:, credibility:}` or a bare value; source and credibility of an
    alternative are grade metadata, not the fact's `source` key."""
    if isinstance(alternative, dict):
        if "value" not in alternative:
            raise ValueError(f"alternative without value: {alternative!r}")
        return alternative["value"]
    return alternative


def _known_day(raw: dict) -> datetime.date | None:
    """The day a fact becomes known: its `reported` day, else its `date`; None for a fact
    with neither (always known). ValueError for a bad date or `reported` before `date`."""
    date = _date(raw["date"]) if raw.get("date") is not None else None
    reported = _date(raw["reported"]) if raw.get("reported") is not None else None
    if date is not None and reported is not None and reported < date:
        raise ValueError(f"{raw['id']}: reported {reported} is earlier than its date {date}")
    return reported if reported is not None else date


def _checked_facts(case: dict) -> list[dict]:
    """The raw facts of the case, every one checked: unique ids, real days, `reported`
    not before `date` (whether or not the fact is in a given run)."""
    seen = set()
    for raw in case.get("facts") or []:
        if raw["id"] in seen:
            raise ValueError(f"duplicate fact id {raw['id']!r}")
        seen.add(raw["id"])
        _known_day(raw)
    return list(case.get("facts") or [])


def _not_yet_known(raw: dict, as_of: datetime.date) -> bool:
    known = _known_day(raw)
    return known is not None and known > as_of


def _facts_in_run(case: dict, as_of: datetime.date, drop: frozenset) -> list[dict]:
    """The raw facts of the case that take part in the run as of `as_of`, in case order:
    known by then (reported, else dated, on or before it, or neither), not dropped,
    not `present: false`."""
    return [
        raw
        for raw in _checked_facts(case)
        if raw["id"] not in drop and not _not_yet_known(raw, as_of) and raw.get("present", True) is not False
    ]


def _left_out(case: dict, as_of: datetime.date, drop: frozenset) -> int:
    """How many facts the run leaves out as not yet known (SPEC 3: "the report says how
    many were left out").

    Decision: every fact of the case whose reported-else-date is after the run's day
    counts, `present: false` ones too (it is the case file's knowledge that is dated);
    facts dropped by a what-if do not count (they are removed, not unknown).
    """
    return sum(1 for raw in _checked_facts(case) if raw["id"] not in drop and _not_yet_known(raw, as_of))


def _contested_keys(facts: list[dict]) -> list[tuple[str, str, list]]:
    """(fact id, key, alternative values) for every `one_of`, sorted by fact id then key."""
    keys = []
    for raw in facts:
        for key, value in raw.items():
            if not _is_contested(value):
                continue
            if key in ("id", "type", "date", "reported", "source", "credibility", "text"):
                raise ValueError(f"oracle: one_of on reserved key {key!r} is not supported")
            alternatives = [_alternative_value(a) for a in value["one_of"]]
            if not alternatives:
                raise ValueError(f"empty one_of on {raw['id']}.{key}")
            keys.append((raw["id"], key, alternatives))
    return sorted(keys, key=lambda k: (k[0], k[1]))


# ---------------------------------------------------------------- likelihood


def _exact(number) -> Fraction:
    """A number as the exact decimal it is written as: a float is read through its
    shortest repr (0.1 is 1/10, not the binary fraction nearest to it)."""
    if isinstance(number, float):
        return Fraction(repr(number))
    return Fraction(number)


def _round6(q: Fraction) -> Fraction:
    """q rounded to 6 decimal places.

    Decision: a tie (exactly half a millionth) rounds up, as on paper, not to even.
    """
    return Fraction(math.floor(q * 1_000_000 + Fraction(1, 2)), 1_000_000)


def _weights(case: dict) -> dict[tuple[str, str], list[Fraction]] | None:
    """The normalised `p` of every alternative of every contested key of the case, by
    (fact id, key), in the order written; None when no alternative gives `p`.

    Every fact counts, whether or not it is in a run (dropped, after as_of, present:
    false), and `present` too. ValueError naming the key when, once some alternative
    gives `p`, one does not, one is not a number in [0, 1], or a key's `p` do not sum to
    1 within 0.001.
    """
    keys = [
        (raw["id"], key, value["one_of"])
        for raw in case.get("facts") or []
        for key, value in raw.items()
        if _is_contested(value)
    ]
    if not any(isinstance(a, dict) and "p" in a for _, _, alternatives in keys for a in alternatives):
        return None
    weights = {}
    for fact_id, key, alternatives in keys:
        ps = []
        for alternative in alternatives:
            p = alternative.get("p") if isinstance(alternative, dict) else None
            if type(p) not in (int, float) or not 0 <= p <= 1:  # a bool is no number
                raise ValueError(f"{fact_id}.{key}: every alternative needs p in [0, 1] once the case gives p")
            ps.append(_exact(p))
        total = sum(ps)
        if abs(total - 1) > Fraction(1, 1000):  # decision: exactly 0.001 away is still within
            raise ValueError(f"{fact_id}.{key}: p sum to {float(total)}, not 1")
        weights[(fact_id, key)] = [p / total for p in ps]
    return weights


def likelihood_word(q) -> str | None:
    """The ICD 203 word for probability q (a number, read as written), after rounding it
    to 6 decimal places; None for 0 and 1, whose status says it."""
    q = _round6(_exact(q))
    if q in (0, 1):
        return None
    if q < Fraction("0.05"):
        return "almost no chance"
    if q < Fraction("0.20"):
        return "very unlikely"
    if q < Fraction("0.45"):
        return "unlikely"
    if q <= Fraction("0.55"):
        return "roughly even chance"
    if q <= Fraction("0.80"):
        return "likely"
    if q <= Fraction("0.95"):
        return "very likely"
    return "almost certain"


def _world_facts(facts: list[dict], chosen: dict) -> list[Fact]:
    """The facts of one world: contested keys take the chosen alternative."""
    world = []
    for raw in facts:
        values = {key: chosen.get((raw["id"], key), value) for key, value in raw.items()}
        if values.get("present", True) is False:
            continue
        fields = {}
        for key, value in values.items():
            if key in ("type", "present") or value is None:
                continue  # `type` is what match tests; `present` is not an attribute
            fields[key] = value if key in _IDENTIFIERS else _value(value)
        world.append(Fact(raw["id"], raw["type"], fields))
    return world


# ---------------------------------------------------------------- rulesets: static view


def _form(cond) -> str:
    """Which condition form `cond` is; ValueError when it is none or several."""
    if not isinstance(cond, dict):
        raise ValueError(f"a condition must be a mapping: {cond!r}")
    forms = [f for f in _FORMS if f in cond]
    if len(forms) != 1:
        raise ValueError(f"a condition needs exactly one of {sorted(_FORMS)}: {cond!r}")
    extra = set(cond) - _FORMS[forms[0]]
    if extra:
        raise ValueError(f"unknown keys {sorted(extra)} in {cond!r}")
    return forms[0]


def _ref(raw):
    """(name, key) when `raw` is a `$name.KEY` reference, else None."""
    if isinstance(raw, str):
        found = _REF.fullmatch(raw)
        if found:
            return found.group(1), found.group(2)
    return None


def _types(cond: dict) -> tuple:
    """The fact types a `match` accepts: its bare type, or every type of its list.

    Raises ValueError for an empty list (a list of one is the bare type).
    """
    raw = cond["match"]
    types = raw if isinstance(raw, list) else [raw]
    if not types:
        raise ValueError("match takes a type or a non-empty list of types")
    if any(isinstance(t, (list, dict)) for t in types):
        raise ValueError(f"a type must be a scalar: {raw!r}")
    return tuple(types)


def _binds(cond) -> dict[str, list[tuple]]:
    """Names bound by `cond` and visible outside it -> the type lists of the matches
    binding them (a fact bound to the name must have a type in every one of them).

    `as` binds; `all` passes its parts' names on; `any`, `not`, `count`, `of` hide theirs.
    """
    form = _form(cond)
    if form == "match":
        return {cond["as"]: [_types(cond)]} if "as" in cond else {}
    if form == "all":
        names: dict[str, list[tuple]] = {}
        for part in cond["all"]:
            for name, types in _binds(part).items():
                names.setdefault(name, []).extend(types)
        return names
    return {}


def _where_refs(where) -> set[str]:
    names = set()
    for spec in (where or {}).values():
        operands = spec.values() if isinstance(spec, dict) else [spec]
        names |= {_ref(o)[0] for o in operands if _ref(o)}
    return names


def _uses(cond) -> set[str]:
    """Names `cond` reads with `$name.KEY` that it does not bind in a hidden scope."""
    form = _form(cond)
    if form in ("match", "indicator", "scenario"):
        return _where_refs(cond.get("where"))
    if form == "all":
        return set().union(*[_uses(part) for part in cond["all"]])
    if form in ("any", "of"):  # each part is its own scope, like a branch of any
        return set().union(*[_uses(part) - set(_binds(part)) for part in cond[form]])
    inner = cond[form]  # not, count
    return _uses(inner) - set(_binds(inner))


def _references(cond, negative: bool = False):
    """(kind, id, negative) for every indicator/scenario reference; negative under not,
    count and an `of` with `at_most` (SPEC 3.1: such an `of` is stratified like `not`)."""
    form = _form(cond)
    if form in ("indicator", "scenario"):
        yield form, cond[form], negative
    elif form in ("all", "any"):
        for part in cond[form]:
            yield from _references(part, negative)
    elif form == "of":
        for part in cond["of"]:
            yield from _references(part, negative or "at_most" in cond)
    elif form in ("not", "count"):
        yield from _references(cond[form], True)


def _check_where(where) -> None:
    if where is None:
        return
    if not isinstance(where, dict):
        raise ValueError(f"where must be a mapping: {where!r}")
    for key, spec in where.items():
        if isinstance(spec, list):
            raise ValueError(f"a bare list as the where value of {key!r}: say in: or contains:")
        if not isinstance(spec, dict):
            _value(spec)
            continue
        if not spec:
            raise ValueError(f"no operator for {key!r}")
        for op, operand in spec.items():
            if op not in _OPERATORS:
                raise ValueError(f"unknown operator {op!r}")
            if op == "exists" and not isinstance(operand, bool):
                raise ValueError("exists takes true or false")
            if op == "matches" and not _ref(operand):
                if not isinstance(operand, str) or len(operand) > 256:
                    raise ValueError(f"bad pattern {operand!r}")
                re.compile(operand)
            elif op != "matches":
                _value(operand)


def _check_of_bounds(cond: dict) -> None:
    """SPEC 3.1 `of`: one or both bounds, whole numbers, 0 <= at_least <= n, at_least <= at_most."""
    if "at_least" not in cond and "at_most" not in cond:
        raise ValueError("of needs at_least or at_most")
    for bound in ("at_least", "at_most"):
        # Decision: a whole number is a YAML integer (not a boolean, not 2.0), and is
        # never negative; at_most may exceed the number of conditions (it then always holds).
        if bound in cond and (type(cond[bound]) is not int or cond[bound] < 0):
            raise ValueError(f"of: {bound} must be a whole number: {cond[bound]!r}")
    if cond.get("at_least", 0) > len(cond["of"]):
        raise ValueError(f"of: at_least {cond['at_least']} is more than its {len(cond['of'])} conditions")
    if "at_least" in cond and "at_most" in cond and cond["at_least"] > cond["at_most"]:
        raise ValueError("of: at_least is more than at_most")


def _check(cond) -> None:
    """Raise ValueError for a malformed condition (forms, operators, windows, counts, bounds)."""
    form = _form(cond)
    if form in ("all", "any", "of"):
        if not isinstance(cond[form], list):
            raise ValueError(f"{form} takes a list")
        for part in cond[form]:
            _check(part)
        if form == "of":
            _check_of_bounds(cond)
    elif form == "not":
        _check(cond["not"])
    elif form == "count":
        if _form(cond["count"]) != "match":
            raise ValueError("count takes a match")
        if "at_least" not in cond and "at_most" not in cond:
            raise ValueError("count needs at_least or at_most")
        if cond.get("at_least", 0) > cond.get("at_most", cond.get("at_least", 0)):
            raise ValueError("count: at_least is above at_most, so it can never hold")
        _check(cond["count"])
    else:
        _check_where(cond.get("where"))
    if form == "match":
        _types(cond)
        if "within" in cond and not _WINDOW.fullmatch(str(cond["within"])):
            raise ValueError(f"bad window {cond['within']!r}")
        for bound in ("from", "until"):
            if bound in cond:
                _date(cond[bound])


class Item:
    """An indicator or a scenario of a ruleset."""

    def __init__(self, kind: str, raw: dict):
        self.kind = kind
        self.id = raw["id"]
        self.when = raw["when"]
        self.derive = raw.get("derive") or {}


def _items(rulesets: list[dict]) -> dict[str, Item]:
    """Every item of every ruleset by id, checked; ValueError on a problem."""
    items: dict[str, Item] = {}
    for ruleset in rulesets:
        for kind, key in (("indicator", "indicators"), ("scenario", "scenarios")):
            for raw in ruleset.get(key) or []:
                if raw["id"] in items:
                    raise ValueError(f"duplicate id {raw['id']!r}")
                items[raw["id"]] = Item(kind, raw)
    for item in items.values():
        _check(item.when)
        bound = set(_binds(item.when))
        unbound = _uses(item.when) - bound
        unbound |= {_ref(v)[0] for v in item.derive.values() if _ref(v)} - bound
        if unbound:
            raise ValueError(f"{item.id}: ${sorted(unbound)[0]} is not bound there")
        for value in item.derive.values():
            if not _ref(value):
                _value(value)
        for kind, target, _ in _references(item.when):
            if target not in items or items[target].kind != kind:
                raise ValueError(f"{item.id}: no {kind} {target!r}")
    return items


def _strata(items: dict[str, Item]) -> list[list[Item]]:
    """Items grouped by stratum, lowest first. ValueError naming a cycle through not/count."""
    edges = {i: sorted({(t, neg) for _, t, neg in _references(item.when)}) for i, item in items.items()}

    def path(start: str, goal: str, seen: set) -> list[str] | None:
        if start == goal:
            return [goal]
        seen.add(start)
        for target, _ in edges[start]:
            if target not in seen:
                rest = path(target, goal, seen)
                if rest:
                    return [start] + rest
        return None

    for source in sorted(edges):
        for target, negative in edges[source]:
            if negative:
                back = path(target, source, set())
                if back:
                    raise ValueError("cycle through not/count: " + " -> ".join([source] + back))
    # Longest path where an edge through not/count weighs 1; no such cycle, so it is finite.
    level = {i: 0 for i in items}
    for _ in range(len(items)):
        for source in items:
            for target, negative in edges[source]:
                level[source] = max(level[source], level[target] + negative)
    return [[items[i] for i in sorted(items) if level[i] == n] for n in sorted(set(level.values()))]


# ---------------------------------------------------------------- evaluation in one world


class World:
    """One world of a run: its facts, the day of the run, and the derivations so far
    (item id -> {canonical key: derived attributes})."""

    def __init__(self, facts: list[Fact], as_of: datetime.date, items: dict[str, Item]):
        self.facts = facts
        self.as_of = as_of
        self.derivations: dict[str, dict] = {i: {} for i in items}


def _window_start(as_of: datetime.date, within: str) -> datetime.date:
    """as_of minus the span; months and years are calendar ones, day clamped to month end."""
    number, unit = _WINDOW.fullmatch(str(within)).groups()
    n = int(number)
    if unit == "d":
        return as_of - datetime.timedelta(days=n)
    if unit == "w":
        return as_of - datetime.timedelta(weeks=n)
    return _add_months(as_of, -(n if unit == "m" else 12 * n))


def _add_months(day: datetime.date, months: int) -> datetime.date:
    """day moved by calendar months (back when negative), the day clamped to the month's end."""
    year, month0 = divmod(day.year * 12 + (day.month - 1) + months, 12)
    return datetime.date(year, month0 + 1, min(day.day, calendar.monthrange(year, month0 + 1)[1]))


def _in_window(cond: dict, fact: Fact, as_of: datetime.date) -> bool:
    """within / from / until, both ends included; a fact with no date never passes."""
    if not any(key in cond for key in ("within", "from", "until")):
        return True
    date = fact.fields.get("date")
    if not isinstance(date, datetime.date):
        return False
    if "within" in cond and not _window_start(as_of, cond["within"]) <= date <= as_of:
        return False
    if "from" in cond and date < _date(cond["from"]):
        return False
    if "until" in cond and date > _date(cond["until"]):
        return False
    return True


def _operand(op: str, raw, env: dict):
    """The operand of a test: a `$name.KEY` read from the bound fact (None when missing)
    or a literal value (a `matches` pattern stays a string)."""
    ref = _ref(raw)
    if ref:
        name, key = ref
        if name not in env:
            raise ValueError(f"${name} is not bound here")
        return env[name].fields.get(key)
    if op == "matches":
        return raw.isoformat() if isinstance(raw, datetime.date) else raw
    return _value(raw)


def _scalar_test(op: str, element, operand) -> bool:
    if op in ("eq", "contains"):  # contains on a scalar is equality
        return _equal(element, operand)
    if op in ("gt", "gte", "lt", "lte"):
        return _ordered(op, element, operand)
    if op == "matches":
        return isinstance(element, str) and isinstance(operand, str) and re.search(operand, element) is not None
    raise ValueError(f"unknown operator {op!r}")


def _test(op: str, value, raw_operand, env: dict) -> bool:
    """One operator on one key. `value` is None when the key is missing (or null)."""
    if op not in _OPERATORS:
        raise ValueError(f"unknown operator {op!r}")
    if op == "exists":
        return (value is not None) == raw_operand
    if value is None:
        return False  # a missing key fails whatever the operator, except exists: false
    operand = _operand(op, raw_operand, env)
    if operand is None:
        return False  # $name.KEY of a key the bound fact does not have
    elements = value if isinstance(value, list) else [value]
    if op in ("in", "not_in"):
        choices = operand if isinstance(operand, list) else [operand]

        def inside(x) -> bool:
            return any(_equal(x, c) for c in choices)

        if op == "in":
            return any(inside(x) for x in elements)
        return all(not inside(x) for x in elements)  # no element fails not_in
    operands = operand if isinstance(operand, list) else [operand]
    if op == "ne":  # no element fails, for every operand element
        return all(not _equal(x, o) for x in elements for o in operands)
    return any(_scalar_test(op, x, o) for x in elements for o in operands)


def _where_holds(where, fields: dict, env: dict) -> bool:
    """Every key's every operator holds; a scalar spec means eq; a bare list is an error."""
    for key, spec in (where or {}).items():
        if isinstance(spec, list):
            raise ValueError(f"a bare list as the where value of {key!r}")
        operators = spec if isinstance(spec, dict) else {"eq": spec}
        for op, operand in operators.items():
            if not _test(op, fields.get(key), operand, env):
                return False
    return True


def _match_fact(cond: dict, fact: Fact, env: dict, world: World) -> bool:
    return (
        fact.type in _types(cond)
        and _in_window(cond, fact, world.as_of)
        and _where_holds(cond.get("where"), fact.fields, env)
    )


def _assignments(names: dict[str, list[tuple]], env: dict, facts: list[Fact]):
    """Every extension of env giving each name a fact (of every type its binders match)."""
    ordered = sorted(names)
    domains = [[f for f in facts if all(f.type in types for types in names[n])] for n in ordered]
    for combo in itertools.product(*domains):
        yield {**env, **dict(zip(ordered, combo))}


def _exists(cond, env: dict, world: World) -> bool:
    """Some assignment of the names `cond` binds satisfies it."""
    return any(_satisfied(cond, e, world) for e in _assignments(_binds(cond), env, world.facts))


def _satisfied(cond, env: dict, world: World) -> bool:
    """`cond` holds with the names it binds (and every outer name) given by env."""
    form = _form(cond)
    if form == "match":
        if "as" in cond:
            return _match_fact(cond, env[cond["as"]], env, world)
        return any(_match_fact(cond, f, env, world) for f in world.facts)
    if form in ("indicator", "scenario"):
        return any(
            _where_holds(cond.get("where"), attrs, env) for attrs in world.derivations[cond[form]].values()
        )
    if form == "all":
        return all(_satisfied(part, env, world) for part in cond["all"])
    if form == "any":
        return any(_exists(part, env, world) for part in cond["any"])
    if form == "not":
        return not _exists(cond["not"], env, world)
    if form == "of":  # each part judged on its own, like a branch of any
        return _within_bounds(cond, sum(_exists(part, env, world) for part in cond["of"]))
    inner = cond["count"]
    matching = {
        f.id for f in world.facts if _match_fact(inner, f, {**env, inner["as"]: f} if "as" in inner else env, world)
    }
    return _within_bounds(cond, len(matching))


def _within_bounds(cond: dict, number: int) -> bool:
    """`at_least` / `at_most` of a count or an `of`: every bound given holds."""
    return ("at_least" not in cond or number >= cond["at_least"]) and (
        "at_most" not in cond or number <= cond["at_most"]
    )


def _derive(item: Item, world: World) -> dict:
    """Every derivation of item in world now: {canonical key: derived attributes}."""
    derivations = {}
    for env in _assignments(_binds(item.when), {}, world.facts):
        if _satisfied(item.when, env, world):
            attrs = {}
            for key, raw in item.derive.items():
                ref = _ref(raw)
                value = env[ref[0]].fields.get(ref[1]) if ref else _value(raw)
                if value is not None:  # missing when that key is
                    attrs[key] = value
            derivations[frozenset((k, _canonical(v)) for k, v in attrs.items())] = attrs
    return derivations


def _fixpoint(strata: list[list[Item]], world: World) -> None:
    """Fill world.derivations, stratum by stratum, each to a fixpoint."""
    for stratum in strata:
        changed = True
        while changed:
            changed = False
            for item in stratum:
                for key, attrs in _derive(item, world).items():
                    if key not in world.derivations[item.id]:
                        world.derivations[item.id][key] = attrs
                        changed = True


def _top_level_holds(item: Item, world: World) -> list[bool]:
    """For an item whose `when` is an `all`: which top-level conditions hold in world.

    Reading of SPEC 3.1 "a condition that uses $name holds only together with the
    conditions that bind $name": condition i counts as holding when some single
    assignment of facts satisfies condition i *and* every top-level condition that binds
    a name condition i uses, and, transitively, every condition binding a name one of
    those uses (they must be bound to be evaluated at all). A condition that uses no
    name holds on its own (its own `as` binds existentially), so a binding condition
    holds when some fact satisfies it, whatever its users do.
    """
    parts = item.when["all"]
    binders = [_binds(p) for p in parts]
    uses = [_uses(p) for p in parts]
    holds = []
    for i in range(len(parts)):
        group = {i}
        grown = True
        while grown:
            grown = False
            for j in sorted(group):
                for k, names in enumerate(binders):
                    if k not in group and uses[j] & set(names):
                        group.add(k)
                        grown = True
        names: dict[str, list[tuple]] = {}
        for j in group:
            for name, types in binders[j].items():
                names.setdefault(name, []).extend(types)
        holds.append(
            any(
                all(_satisfied(parts[j], env, world) for j in sorted(group))
                for env in _assignments(names, {}, world.facts)
            )
        )
    return holds


def _near_miss_parts(item: Item, world: World) -> tuple[list[bool], int] | None:
    """(which top-level conditions hold, how many are needed) for an item that can be a
    near miss: a `when` that is an `all` (all of them needed) or an `of` with `at_least`
    (N of them needed, each judged on its own); None for any other `when`."""
    form = _form(item.when)
    if form == "all":
        holds = _top_level_holds(item, world)
        return holds, len(holds)
    if form == "of" and "at_least" in item.when:
        return [_exists(part, {}, world) for part in item.when["of"]], item.when["at_least"]
    return None


# ---------------------------------------------------------------- runs


def _as_of(case: dict, as_of) -> datetime.date:
    return _date(as_of if as_of is not None else case["as_of"])


def _run(case: dict, items: dict[str, Item], strata, as_of: datetime.date, drop: frozenset) -> dict:
    """Statuses without critical facts: {"worlds": n, "items": {id: {...}}}."""
    facts = _facts_in_run(case, as_of, drop)
    weights = _weights(case)
    contested = _contested_keys(facts)
    # best: (held, needed, missing); weight: the sum of the probabilities of the worlds
    # where the item holds (facts outside the run add no choices, so these sum to 1)
    results = {i: {"triggered_in": 0, "best": None, "weight": Fraction(0)} for i in items}
    worlds = 0
    for choice in itertools.product(*[range(len(alternatives)) for _, _, alternatives in contested]):
        worlds += 1
        chosen = {(fid, key): alternatives[n] for (fid, key, alternatives), n in zip(contested, choice)}
        weight = Fraction(1)
        for (fid, key, _), n in zip(contested, choice):
            weight *= weights[(fid, key)][n] if weights is not None else 1
        world = World(_world_facts(facts, chosen), as_of, items)
        _fixpoint(strata, world)
        for item_id, item in items.items():
            result = results[item_id]
            if world.derivations[item_id]:
                result["triggered_in"] += 1
                result["weight"] += weight
            # A near miss needs the item untriggered in every world, so worlds where it
            # holds can be skipped.
            parts = None if world.derivations[item_id] else _near_miss_parts(item, world)
            if parts is not None:
                holds, needed = parts
                held = sum(holds)
                # Only worlds with some but fewer than needed conditions describe a near
                # miss (decision, for `of`: a world where more than at_most hold is not
                # "closest"); strictly greater keeps the first such world in enumeration order.
                if 0 < held < needed and (result["best"] is None or held > result["best"][0]):
                    result["best"] = (held, needed, [n for n, h in enumerate(holds) if not h])
    out = {}
    for item_id, item in items.items():
        result = results[item_id]
        n = result["triggered_in"]
        status = "triggered" if n == worlds else "not_triggered" if n == 0 else "contested"
        near = status == "not_triggered" and result["best"] is not None
        # Decision: with `p`, every item gets its probability (1 when triggered, 0 when
        # not triggered; the word is None for both); without `p`, none gets one.
        probability = None if weights is None else _round6(result["weight"])
        out[item_id] = {
            "kind": item.kind,
            "status": status,
            "triggered_in": n,
            "near_miss": near,
            "missing": result["best"][2] if near else [],
            "held": result["best"][0] if near else None,
            "needed": result["best"][1] if near else None,
            "probability": None if probability is None else float(probability),
            "likelihood": None if probability is None else likelihood_word(probability),
            "critical_facts": [],
        }
    return {"worlds": worlds, "left_out": _left_out(case, as_of, drop), "items": out}


def _prepare(rulesets: list[dict]):
    items = _items(rulesets)
    return items, _strata(items)


def _critical(case, items, strata, as_of, drop, base: dict) -> dict[str, list[str]]:
    """Ground truth by re-runs: for each item triggered in every world, the fact ids whose
    removal alone (in every world) leaves it not triggered in at least one world."""
    triggered = [i for i, r in base["items"].items() if r["status"] == "triggered"]
    critical: dict[str, list[str]] = {i: [] for i in triggered}
    if not triggered:
        return critical
    for fact_id in sorted({f["id"] for f in case.get("facts") or []} - set(drop)):
        rerun = _run(case, items, strata, as_of, frozenset(drop) | {fact_id})
        for item_id in triggered:
            if rerun["items"][item_id]["triggered_in"] < rerun["worlds"]:
                critical[item_id].append(fact_id)
    return critical


def evaluate(case: dict, rulesets: list[dict], as_of=None, drop: frozenset = frozenset()) -> dict:
    """The meaning SPEC.md gives to `case` under `rulesets`.

    Returns {"worlds": int, "left_out": int, "items": {id: {"kind", "status",
    "triggered_in", "near_miss", "missing", "held", "needed", "critical_facts"}}} for
    every indicator and scenario. `left_out` counts the facts not yet known (reported,
    else dated, after the run's day). For a near miss, `missing` lists the indices of the
    top-level conditions (of the `all` or `of`) that do not hold, `held` how many do and
    `needed` how many must (None when not a near miss).
    `as_of` (str or date) overrides the case's; `drop` removes facts by id.
    With `p` in the case, every item also has `probability` (a float, the exact sum
    rounded to 6 places) and `likelihood` (the ICD 203 word, None for 0 and 1); without
    `p` both are None.
    Raises ValueError for what SPEC calls an error and the oracle notices (a cycle
    through not/count/an `of` with at_most, a bare list as a where value, an unknown
    operator, an unbound `$name`, a date that names no real day, `reported` before
    `date`, bad `of` bounds, an empty `match` list, `p` missing or not summing to 1,
    duplicate ids).
    """
    items, strata = _prepare(rulesets)
    day = _as_of(case, as_of)
    drop = frozenset(drop)
    result = _run(case, items, strata, day, drop)
    for item_id, facts in _critical(case, items, strata, day, drop, result).items():
        result["items"][item_id]["critical_facts"] = facts
    return result


def critical_facts(case: dict, rulesets: list[dict], item_id: str, as_of=None) -> list[str]:
    """Sorted ids of the facts whose removal alone leaves `item_id` not triggered in at
    least one world; [] when the item is not triggered in every world."""
    items, strata = _prepare(rulesets)
    day = _as_of(case, as_of)
    base = _run(case, items, strata, day, frozenset())
    return _critical(case, items, strata, day, frozenset(), base).get(item_id, [])


# ---------------------------------------------------------------- timeline (SPEC 6)

_EVERY = re.compile(r"([1-9][0-9]*)([dwm])")


def step_days(start, end, every: str = "1w") -> list[datetime.date]:
    """The step days of a timeline: `start`, then one every `every` (`Nd`, `Nw` or `Nm`)
    while on or before `end`, then `end` itself when it is not one of them.

    Decision: the k-th monthly step is `start` plus k calendar months, clamped to the
    month's end (31 Jan, 29 Feb, 31 Mar, 30 Apr), not the previous step plus one month.
    Raises ValueError for another `every` or a `start` after `end`.
    """
    found = _EVERY.fullmatch(str(every))
    if not found:
        raise ValueError(f"every must be like 1d, 1w or 1m: {every!r}")
    start, end = _date(start), _date(end)
    if start > end:
        raise ValueError(f"the timeline starts ({start}) after it ends ({end})")
    n, unit = int(found.group(1)), found.group(2)
    days = []
    for k in itertools.count():
        if unit == "m":
            day = _add_months(start, k * n)
        else:
            day = start + datetime.timedelta(days=k * n * (7 if unit == "w" else 1))
        if day > end:
            break
        days.append(day)
    if days[-1] != end:
        days.append(end)
    return days


def _patterns(cond):
    """Every `match` condition inside `cond`, at any depth (count, not and of included)."""
    form = _form(cond)
    if form == "match":
        yield cond
    elif form in ("all", "any", "of"):
        for part in cond[form]:
            yield from _patterns(part)
    elif form in ("not", "count"):
        yield from _patterns(cond[form])


def _item_patterns(item_id: str, items: dict[str, Item]) -> list[dict]:
    """The patterns of the item's conditions and of the items it depends on, transitively
    (through every reference, under `not` / `count` / `of` too)."""
    seen: set[str] = set()
    todo = [item_id]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo.extend(target for _, target, _ in _references(items[current].when))
    return [cond for i in sorted(seen) for cond in _patterns(items[i].when)]


def _own_tests(cond: dict) -> dict:
    """The pattern's `where` without the tests that compare with another pattern's fact
    (a `$name.KEY` operand of a name the pattern does not bind itself)."""
    own = {}
    for key, spec in (cond.get("where") or {}).items():
        operators = spec if isinstance(spec, dict) else {"eq": spec}
        kept = {op: v for op, v in operators.items() if not (_ref(v) and _ref(v)[0] != cond.get("as"))}
        if kept:
            own[key] = kept
    return own


def _selects(cond: dict, raw: dict) -> bool:
    """Whether the pattern selects the fact on its own tests (SPEC 6 "Why").

    Decision: its own tests are its type and the `where` tests on the fact alone, in
    some choice of the fact's own alternatives in which the fact is present; the window
    is not one of them (SPEC 4 speaks of a fact "the tests select" whose date lies
    outside the window), nor a test against another pattern's fact.
    """
    contested = _contested_keys([raw])
    for choice in itertools.product(*[alternatives for _, _, alternatives in contested]):
        chosen = {(fid, key): value for (fid, key, _), value in zip(contested, choice)}
        for fact in _world_facts([raw], chosen):  # none when the fact is absent there
            env = {cond["as"]: fact} if "as" in cond else {}
            if fact.type in _types(cond) and _where_holds(_own_tests(cond), fact.fields, env):
                return True
    return False


def _aged_out(patterns: list[dict], facts: list[dict], day: datetime.date) -> list[str]:
    """Sorted ids of the facts that left the window of a pattern selecting them on `day`:
    inside it as of the day before, outside it as of `day`.

    Decision: only a fact known the day before can leave a window (one reported after
    its window closed was never inside it in any run).
    """
    before = day - datetime.timedelta(days=1)
    left = set()
    for raw in facts:
        if raw.get("date") is None or _not_yet_known(raw, before):
            continue
        dated = Fact(raw["id"], raw["type"], {"date": _date(raw["date"])})
        for cond in patterns:
            if "within" not in cond or not _selects(cond, raw):
                continue
            if _in_window(cond, dated, before) and not _in_window(cond, dated, day):
                left.add(raw["id"])
    return sorted(left)


def timeline(case: dict, rulesets: list[dict], from_=None, to=None, every: str = "1w") -> dict:
    """How every item's status evolved, by brute force: a full run as of every day.

    `from_` defaults to the earliest `date` or `reported` among the case's facts, `to`
    to the case's `as_of` (str or date). Returns

        {"case", "from", "to", "every", "steps": [step days], "days": [every day],
         "items": {id: {"kind", "statuses": [status on each step day],
                        "daily": [status on each day], "daily_probability": [float or
                        None on each day], "first_triggered": day or None,
                        "changes": [{"day", "from", "to", "known": [ids],
                                     "aged_out": [ids]} (+ "probability_from",
                                     "probability_to" when the case gives p)]}}}

    A change is a day after `from` whose status (or, with p, rounded probability)
    differs from the day before; `known` are the facts whose reported-else-date is that
    day and `aged_out` those that left a window that day, each among the facts some
    pattern of the item (or of what it depends on) selects on its own tests.
    Raises ValueError as `evaluate` does, and for a bad `every` or `from_` after `to`.
    """
    items, strata = _prepare(rulesets)
    facts = _checked_facts(case)
    with_p = _weights(case) is not None
    end = _date(to if to is not None else case["as_of"])
    if from_ is not None:
        start = _date(from_)
    else:
        written = [_date(raw[key]) for raw in facts for key in ("date", "reported") if raw.get(key) is not None]
        # Decision: with no dated or reported fact, or none on or before `to`, the
        # default start is `to` itself (a one-day timeline), not an error.
        start = min(written + [end])
    steps = step_days(start, end, every)
    days = [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]
    runs = [_run(case, items, strata, day, frozenset()) for day in days]
    out = {}
    for item_id, item in items.items():
        patterns = _item_patterns(item_id, items)
        relevant = [raw for raw in facts if any(_selects(cond, raw) for cond in patterns)]
        daily = [r["items"][item_id]["status"] for r in runs]
        chance = [r["items"][item_id]["probability"] for r in runs]
        changes = []
        for n in range(1, len(days)):
            if (daily[n], chance[n]) == (daily[n - 1], chance[n - 1]):
                continue
            change = {
                "day": days[n],
                "from": daily[n - 1],
                "to": daily[n],
                "known": sorted(raw["id"] for raw in relevant if _known_day(raw) == days[n]),
                "aged_out": _aged_out(patterns, relevant, days[n]),
            }
            if with_p:
                change["probability_from"] = chance[n - 1]
                change["probability_to"] = chance[n]
            changes.append(change)
        out[item_id] = {
            "kind": item.kind,
            "statuses": [daily[days.index(step)] for step in steps],
            "daily": daily,
            "daily_probability": chance,
            "first_triggered": next((d for d, status in zip(days, daily) if status == "triggered"), None),
            "changes": changes,
        }
    return {"case": case.get("case"), "from": start, "to": end, "every": every, "steps": steps, "days": days, "items": out}
