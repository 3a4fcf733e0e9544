"""Hypothesis strategies: small random cases and rulesets, valid per SPEC.md, as plain data.

`cases_and_rulesets()` gives `(case, rulesets)` as a YAML 1.2 parser would: dicts,
lists, str, int, float, bool, None, dates as "YYYY-MM-DD" strings. Vocabularies are
small so that conditions often match, and pools hold the edge values of SPEC 3.1
(1 vs 1.0, booleans, dates vs strings, lists, empty lists, nulls, calendar month ends).

Rulesets are generated in layers: an item refers to earlier items, so no cycle can form;
in a positive position an item may also refer to itself or to a later item, and such a
reference is kept only when it closes no cycle through `not` / `count`.

`shuffled(case, rulesets, random)` and `shuffled_inputs()` give the same inputs with
facts, items, rulesets and every mapping's keys in another order, for determinism tests.
"""
from __future__ import annotations

import copy
import random as _random

from hypothesis import strategies as st

FACT_TYPES = ["attack", "deployment", "agreement"]
ATTRIBUTE_KEYS = ["actor", "target", "parties", "personnel", "status"]
RESERVED_SEEN = ["id", "date", "source", "credibility", "text"]
DERIVE_KEYS = ["actor", "level", "who"]
STRINGS = ["HTS", "TIP", "TAF", "RU", "SAA", "hts", "active", "collapsed", "M4", "", "yes", "NO"]
INTEGERS = [0, 1, 3, 5000, 10400, -2]
FLOATS = [1.0, 2.5, 5000.0, 0.5]
BOOLEANS = [True, False]
DATES = [
    "2019-05-29", "2020-02-29", "2020-03-31", "2020-04-28", "2020-04-29", "2020-04-30",
    "2020-05-01", "2020-05-27", "2020-05-29", "2020-05-30", "2020-06-15",
]
AS_OF = ["2020-05-29", "2020-05-29", "2020-05-31", "2020-05-31", "2020-03-31"]
WINDOWS = ["0d", "1d", "30d", "4w", "1m", "3m", "1y"]
PATTERNS = ["^H", "S$", "T", "^TAF$", "a", "[0-9]", "^$", "TIP|HTS", "^20", "^(a+)+$", "s"]
OPERATORS = ["eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains", "matches", "exists"]
FACT_IDS = ["a", "b", "c-1", "f1", "f2", "f10", "f3", "x9", "convoy-attack", "z", "m-4", "q", "f11"]
SOURCES = {
    "sohr": {"name": "Syrian Observatory for Human Rights", "reliability": "B"},
    "local": {"name": "Local sources", "reliability": "D"},
    "wire": {"name": "Wire service", "reliability": "A"},
    "blog": {"name": "Anonymous blog", "reliability": "F"},
}
TEXTS = ["IED against a TAF convoy on the M4.", "HTS", "", "joint patrol"]
MAX_WORLDS = 16

# Each key mostly takes values from its own small pool, so that tests often hold; a
# "wild" value of any kind now and then exercises strict kinds and ordering.
KEY_POOLS = {
    "actor": ["HTS", "TIP", "TAF", "SAA"],
    "target": ["TAF", "RU"],
    "parties": ["HTS", "SAA", "TAF"],
    "personnel": [0, 1, 1.0, 5000, 5000.0, 10400, 2.5],
    "status": ["active", "collapsed", True, False],
    "id": FACT_IDS,
    "date": DATES,
    "source": sorted(SOURCES),
    "credibility": [1, 2, 3, 4, 5, 6],
    "text": TEXTS,
    "level": [1, 3, 3.0, "high"],
}
WILD = STRINGS + INTEGERS + FLOATS + BOOLEANS + DATES


@st.composite
def scalars_for(draw, key: str, seen: dict | None = None):
    """A scalar for key: often one the case holds for key (`seen`), mostly from the
    key's pool, one time in eight of any kind."""
    roll = draw(st.integers(0, 7))
    if roll == 0:
        return draw(st.sampled_from(WILD))
    if roll < 5 and seen and seen.get(key):
        return draw(st.sampled_from(seen[key]))
    return draw(st.sampled_from(KEY_POOLS.get(key, KEY_POOLS["actor"])))


@st.composite
def values_for(draw, key: str):
    """An attribute value for key: a scalar or a list of 0-3 of them (parties: mostly lists)."""
    shape = draw(st.integers(0, 5))
    if shape == 0 or (key == "parties" and shape < 4):
        return [draw(scalars_for(key)) for _ in range(draw(st.integers(0, 3)))]
    return draw(scalars_for(key))


def _alternatives(key: str, count: int):
    alternative = st.one_of(
        values_for(key),
        st.fixed_dictionaries(
            {"value": values_for(key), "source": st.sampled_from(sorted(SOURCES)), "credibility": st.integers(1, 6)}
        ),
    )
    return st.lists(alternative, min_size=count, max_size=count)


@st.composite
def cases(draw, max_facts: int = 8, nulls: bool = True) -> dict:
    """A valid case of 2..max_facts facts and at most MAX_WORLDS worlds; with `nulls`,
    some attributes are null (missing, SPEC 3.1)."""
    ids = draw(st.lists(st.sampled_from(FACT_IDS), min_size=min(2, max_facts), max_size=max_facts, unique=True))
    worlds = 1
    facts = []
    for fact_id in ids:
        fact = {"id": fact_id, "type": draw(st.sampled_from(FACT_TYPES))}
        if draw(st.integers(0, 5)):
            fact["date"] = draw(st.sampled_from(DATES))
        for key in draw(st.lists(st.sampled_from(ATTRIBUTE_KEYS), min_size=2, max_size=5, unique=True)):
            roll = draw(st.integers(0, 9))
            count = draw(st.integers(2, 3))
            if roll < 4 and worlds * count <= MAX_WORLDS:
                fact[key] = {"one_of": draw(_alternatives(key, count))}
                worlds *= count
            elif roll == 4 and nulls:
                fact[key] = None
            else:
                fact[key] = draw(values_for(key))
        presence = draw(st.integers(0, 9))
        if presence == 0:
            fact["present"] = False
        elif presence == 1 and worlds * 2 <= MAX_WORLDS:
            fact["present"] = {"one_of": draw(st.permutations([True, False]))}
            worlds *= 2
        elif presence == 2:
            fact["present"] = True
        if draw(st.booleans()):
            fact["source"] = draw(st.sampled_from(sorted(SOURCES)))
        if draw(st.booleans()):
            fact["credibility"] = draw(st.integers(1, 6))
        if draw(st.integers(0, 3)) == 0:
            fact["text"] = draw(st.sampled_from(TEXTS))
        facts.append(fact)
    case = {
        "case": "generated-case",
        "as_of": draw(st.sampled_from(AS_OF)),
        "sources": copy.deepcopy(SOURCES),
        "facts": facts,
    }
    if draw(st.booleans()):
        case["title"] = "A generated case"
    return case


class _Conditions:
    """Draws the conditions of one item. Names bound with `as` are used only where bound.

    `earlier` are the (kind, item) generated before; `forward` collects placeholders for
    positive references resolved once every item exists.
    """

    def __init__(self, draw, earlier: list, forward: list, owner: str, seen: dict, contested: list):
        self.draw = draw
        self.seen = seen
        self.contested = contested
        self.earlier = earlier
        self.forward = forward
        self.owner = owner
        self.names = 0

    def pick(self, options):
        return self.draw(st.sampled_from(options))

    def roll(self, sides: int) -> int:
        return self.draw(st.integers(0, sides - 1))

    def fresh(self) -> str:
        self.names += 1
        return f"n{self.names}"

    def ref(self, scope: list[str], keys: list[str]) -> str:
        return f"${self.pick(scope)}.{self.pick(keys)}"

    def operand(self, op: str, scope: list[str], key: str):
        if op == "exists":
            return self.draw(st.booleans())
        if op == "matches":
            return self.pick(PATTERNS)
        if scope and self.roll(4) == 0:
            return self.ref(scope, [key] * 6 + ATTRIBUTE_KEYS + RESERVED_SEEN)
        if op in ("in", "not_in"):
            return [self.draw(scalars_for(key, self.seen)) for _ in range(self.roll(4))]
        return self.draw(scalars_for(key, self.seen))

    def where_key(self, keys: list[str]) -> str:
        """Mostly one of keys; now and then a reserved key, or one `where` does not see."""
        roll = self.roll(20)
        if roll == 0:
            return self.pick(["type", "present"])
        if roll < 4:
            return self.pick(RESERVED_SEEN)
        return self.pick(keys)

    def where(self, scope: list[str], keys: list[str], first: str | None = None) -> dict:
        """0-2 keys (`first` among them when given), each a scalar or 1-2 operators."""
        where = {}
        size = self.pick([0, 0, 1, 1, 1, 2])
        chosen = ([first] if first else []) + [self.where_key(keys) for _ in range(size)]
        for key in dict.fromkeys(chosen):
            if self.roll(2) == 0:
                where[key] = self.operand("eq", scope, key)  # scalar form: equality
            else:
                count = self.pick([1, 1, 1, 2])
                ops = self.draw(st.lists(st.sampled_from(OPERATORS), min_size=count, max_size=count, unique=True))
                where[key] = {op: self.operand(op, scope, key) for op in ops}
        return where

    def match(self, scope: list[str], name: str | None = None) -> dict:
        """A match; one time in three on a (type, key) the case contests, if any."""
        fact_type, first = self.pick(FACT_TYPES), None
        if self.contested and self.roll(3) == 1:
            fact_type, first = self.pick(self.contested)
            first = None if first == "present" else first  # where does not see present
        cond = {"match": fact_type}
        where = self.where(scope, ATTRIBUTE_KEYS, first)
        if where:
            cond["where"] = where
        window = self.roll(10)
        if window in (1, 4):
            cond["within"] = self.pick(WINDOWS)
        if window in (2, 4):
            cond["from"] = self.pick(DATES)
        if window in (3, 5):
            cond["until"] = self.pick(DATES)
        if name:
            cond["as"] = name
        return cond

    def reference(self, scope: list[str], positive: bool) -> dict:
        if positive and self.roll(6) == 0:
            cond = {self.pick(["indicator", "scenario"]): None}  # resolved later
            where = self.where(scope, DERIVE_KEYS)
            if where:
                cond["where"] = where
            self.forward.append((self.owner, cond))
            return cond
        if not self.earlier:
            return self.match(scope)
        kind, target = self.pick(self.earlier)
        cond = {kind: target["id"]}
        where = self.where(scope, sorted(target.get("derive", {})) or DERIVE_KEYS)
        if where:
            cond["where"] = where
        return cond

    def count(self, scope: list[str]) -> dict:
        cond = {"count": self.match(scope)}
        bounds = self.roll(3)
        if bounds in (0, 2):
            cond["at_least"] = self.roll(4)
        if bounds in (1, 2):
            cond["at_most"] = self.roll(4)
        if cond.get("at_least", 0) > cond.get("at_most", 4):  # a count that can never hold is an error
            cond["at_least"], cond["at_most"] = cond["at_most"], cond["at_least"]
        return cond

    def conjunction(self, scope: list[str], depth: int, positive: bool, binders: int):
        """An `all`, its binders first then shuffled among the rest; returns (cond, names)."""
        names = [self.fresh() for _ in range(binders)]
        inner = scope + names
        parts = [self.match([n for n in inner if n != name], name) for name in names]
        for _ in range(self.roll(3) + (0 if parts else 1)):
            parts.append(self.condition(inner, depth + 1, positive))
        order = self.draw(st.permutations(range(len(parts))))
        return {"all": [parts[i] for i in order]}, names

    def hidden(self, scope: list[str], depth: int, positive: bool) -> dict:
        """A part of any / not whose own names stay inside it."""
        if self.roll(3) == 0:
            return self.conjunction(scope, depth, positive, 1)[0]
        return self.condition(scope, depth, positive)

    def condition(self, scope: list[str], depth: int, positive: bool) -> dict:
        forms = ["match", "match", "reference", "reference", "count"]
        if depth < 2:
            forms += ["all", "any", "not"]
        form = self.pick(forms)
        if form == "match":
            return self.match(scope)
        if form == "reference":
            return self.reference(scope, positive)
        if form == "count":
            return self.count(scope)
        if form == "all":
            return self.conjunction(scope, depth, positive, 0)[0]
        if form == "any":
            return {"any": [self.hidden(scope, depth + 1, positive) for _ in range(1 + self.roll(3))]}
        return {"not": self.hidden(scope, depth + 1, False)}

    def when(self):
        """A top-level `when` and the names it binds for `derive`."""
        shape = self.roll(6)
        if shape < 3:
            return self.conjunction([], 0, True, self.roll(3))
        if shape < 5:
            name = self.fresh()
            return self.match([], name), [name]
        return self.condition([], 0, True), []


def _edges(cond, negative: bool = False):
    """(target id, negative) of the resolved references in cond."""
    if "all" in cond or "any" in cond:
        for part in cond.get("all", cond.get("any")):
            yield from _edges(part, negative)
    elif "not" in cond or "count" in cond:
        yield from _edges(cond.get("not", cond.get("count")), True)
    else:
        for kind in ("indicator", "scenario"):
            if cond.get(kind):
                yield cond[kind], negative


def _closes_negative_cycle(items: list, owner: str, target: str) -> bool:
    """Would a positive edge owner -> target close a cycle through not/count?"""
    graph = {item["id"]: list(_edges(item["when"])) for _, item in items}
    seen = set()
    stack = [(target, False)]
    while stack:
        node, negative = stack.pop()
        if node == owner and negative:
            return True
        if (node, negative) in seen:
            continue
        seen.add((node, negative))
        stack.extend((t, negative or n) for t, n in graph[node])
    return False


@st.composite
def rulesets(draw, max_items: int = 6, seen: dict | None = None, contested: list | None = None) -> list[dict]:
    """One or two valid rulesets with 1..max_items items, ids unique across them.

    `seen` (key -> scalars, see `values_seen`) makes operands favour a case's values,
    `contested` ((fact type, key) pairs) makes `match` favour keys a case contests.
    """
    items: list = []
    forward: list = []
    for number in range(draw(st.integers(1, max_items))):
        kind = draw(st.sampled_from(["indicator", "scenario"]))
        item_id = f"{'ind' if kind == 'indicator' else 'scn'}-{number}"
        conditions = _Conditions(draw, list(items), forward, item_id, seen or {}, contested or [])
        when, names = conditions.when()
        item = {"id": item_id, "when": when}
        if draw(st.booleans()):
            item["title"] = f"Item {number}"
        if draw(st.integers(0, 2)):
            derive = {}
            for key in draw(st.lists(st.sampled_from(DERIVE_KEYS), min_size=1, max_size=2, unique=True)):
                if names and draw(st.integers(0, 3)):
                    derive[key] = f"${draw(st.sampled_from(names))}.{draw(st.sampled_from(ATTRIBUTE_KEYS + RESERVED_SEEN))}"
                else:
                    derive[key] = draw(scalars_for(key))
            item["derive"] = derive
        items.append((kind, item))
    for owner, cond in forward:
        kind = "indicator" if "indicator" in cond else "scenario"
        candidates = [item["id"] for k, item in items if k == kind]
        chosen = None
        for target in draw(st.permutations(candidates)) if candidates else []:
            if not _closes_negative_cycle(items, owner, target):
                chosen = target
                break
        if chosen is None:
            cond.clear()
            cond["match"] = "attack"
        else:
            cond[kind] = chosen
    count = draw(st.integers(1, 2)) if len(items) > 1 else 1
    home = [draw(st.integers(0, count - 1)) for _ in items]
    result = []
    for index in range(count):
        ruleset = {"ruleset": f"rules-{'ab'[index]}"}
        if draw(st.booleans()):
            ruleset["title"] = f"Ruleset {index}"
        for kind, key in (("indicator", "indicators"), ("scenario", "scenarios")):
            mine = [item for (k, item), h in zip(items, home) if k == kind and h == index]
            if mine or draw(st.booleans()):
                ruleset[key] = mine
        if "indicators" not in ruleset and "scenarios" not in ruleset:
            ruleset["scenarios"] = []
        result.append(ruleset)
    return result


def values_seen(case: dict) -> dict:
    """key -> the scalars the case's facts hold for it (alternatives and list elements too)."""
    seen: dict = {}

    def add(key, value):
        if isinstance(value, dict) and "one_of" in value:
            for alternative in value["one_of"]:
                add(key, alternative["value"] if isinstance(alternative, dict) else alternative)
        elif isinstance(value, list):
            for element in value:
                add(key, element)
        elif value is not None and repr(value) not in map(repr, seen.setdefault(key, [])):
            seen[key].append(value)  # by repr: True, 1 and 1.0 are three values here

    for fact in case["facts"]:
        for key, value in fact.items():
            if key not in ("type", "present"):
                add(key, value)
    for key in seen:
        seen[key].sort(key=repr)  # a stable order for hypothesis to shrink towards
    return seen


@st.composite
def cases_and_rulesets(draw, max_facts: int = 8, max_items: int = 6, nulls: bool = True):
    """Strategy of (case, rulesets) pairs, valid per SPEC.md; the rulesets' operands
    favour values the case holds, so that conditions often hold."""
    case = draw(cases(max_facts, nulls))
    contested = sorted({(f["type"], k) for f in case["facts"] for k, v in f.items() if isinstance(v, dict)})
    return case, draw(rulesets(max_items, values_seen(case), contested))


def _reorder_keys(value, rnd: _random.Random):
    if isinstance(value, dict):
        keys = list(value)
        rnd.shuffle(keys)
        return {k: _reorder_keys(value[k], rnd) for k in keys}
    if isinstance(value, list):
        return [_reorder_keys(v, rnd) for v in value]
    return value


def shuffled(case: dict, rulesets: list[dict], rnd: _random.Random):
    """A copy of the inputs with facts, items, rulesets and mapping keys reordered.

    List orders that carry meaning (one_of alternatives, parts of all/any, attribute
    lists) are kept.
    """
    case = _reorder_keys(copy.deepcopy(case), rnd)
    rnd.shuffle(case["facts"])
    rulesets = [_reorder_keys(copy.deepcopy(r), rnd) for r in rulesets]
    for ruleset in rulesets:
        for key in ("indicators", "scenarios"):
            rnd.shuffle(ruleset.get(key) or [])
    rnd.shuffle(rulesets)
    return case, rulesets


@st.composite
def shuffled_inputs(draw, max_facts: int = 8, max_items: int = 6):
    """((case, rulesets), (case', rulesets')) where the second is a reordered copy."""
    case, rules = draw(cases_and_rulesets(max_facts, max_items))
    rnd = draw(st.randoms(use_true_random=False))
    return (case, rules), shuffled(case, rules, rnd)
