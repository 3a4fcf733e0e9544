"""Conditions -> durable-rules rulesets given as data, in strata.

Each item's `when` becomes one or more *bodies* (its disjunctive normal form): the
positive literals (`match`, `indicator:`, `scenario:`) become the patterns of one
durable-rules rule, joined in the engine; `not` and `count` become *guards*, checked
when the rule fires against the complete lower strata. Every pattern also gets a
*collector* rule, so each run knows which facts matched which pattern: guards, near
misses and explanations read those sets, never a second matcher.

Facts reach the engine encoded (see `encode`): every scalar as a kind-tagged token
(so equality is SPEC-strict: `1` equals `1.0`, a boolean is not a number, a date is
not a string), typed lists for ordering, an existence flag and a length for the
missing-key and empty-list rules, a day number for windows, precomputed flags for
`matches` (a linear-time engine; durable-rules' own regex dialect differs), and one
`j`-field per element for keys joined by equality, so a join over lists is an exact
equality join in the engine.
"""

from __future__ import annotations

import calendar
import datetime
import functools
import itertools
import json
import zlib
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

from . import limits
from .errors import InputError, Problem
from .model import All, AnyOf, Count, Item, ItemRef, Match, Not, Of, Ref, Test, Window, walk
from .values import MISSING, ORDERING, elements, kind, number_key, token

EQUALITY_JOIN = ("eq", "contains", "in")
MAX_BODIES = 256
NEVER = {"ty": "!never"}
MARKER = "!mk"
CAP = 1000  # matches handed to one Python callback
TREE_WIDTH = 8  # patterns of one type under one node of the alpha tree
OPEN = "!open"


def fact_type(name: str) -> str:
    """The engine type of a case fact of type `name`."""
    return "f:" + name


def types_type(types: tuple) -> str:
    """The engine type of a pattern: one fact type's, or for `match: [a, b]` a group of
    fact types (`g:...`), which facts of each member type carry as a flag."""
    return fact_type(types[0]) if len(types) == 1 else "g:" + json.dumps(list(types))


@functools.lru_cache(maxsize=4096)
def member_types(ty: str) -> tuple:
    """The engine types of the facts a pattern of engine type `ty` can match."""
    return tuple(fact_type(t) for t in json.loads(ty[2:])) if ty.startswith("g:") else (ty,)


def item_type(item_id: str) -> str:
    """The engine type of the derived facts of an indicator or scenario."""
    return "i:" + item_id


def window_bounds(window: Optional[Window], as_of: datetime.date) -> tuple[Optional[int], Optional[int]]:
    """The inclusive day-number bounds a window puts on a fact's date."""
    if window is None:
        return None, None
    lo: Optional[int] = None
    hi: Optional[int] = None
    if window.within is not None:
        lo = months_back(as_of, window.within).toordinal()
        hi = as_of.toordinal()
    if window.start is not None:
        lo = max(lo, window.start.toordinal()) if lo is not None else window.start.toordinal()
    if window.end is not None:
        hi = min(hi, window.end.toordinal()) if hi is not None else window.end.toordinal()
    return lo, hi


def months_back(as_of: datetime.date, span: tuple) -> datetime.date:
    """as_of minus a span; months and years are calendar ones, the day clamped."""
    amount, unit = span
    if unit == "d":
        return _minus_days(as_of, amount)
    if unit == "w":
        return _minus_days(as_of, 7 * amount)
    months = amount if unit == "m" else 12 * amount
    index = as_of.year * 12 + (as_of.month - 1) - months
    year, month = divmod(index, 12)
    if year < 1:
        return datetime.date.min
    month += 1
    return datetime.date(year, month, min(as_of.day, calendar.monthrange(year, month)[1]))


def _minus_days(day: datetime.date, n: int) -> datetime.date:
    try:
        return day - datetime.timedelta(days=n)
    except OverflowError:
        return datetime.date.min


# -- the compiled program ---------------------------------------------------------------


@dataclass(frozen=True)
class PatternKey:
    """What the engine tests on one fact alone: its type, literal tests and window.

    A program for many days (a timeline) keeps the window too: the engine then takes
    every fact the window holds on some day, and each day's own window is applied to
    the engine's matches (see `run.reading.SessionView.member`)."""

    ty: str
    tests: tuple
    lo: Optional[int]
    hi: Optional[int]
    window: Optional[Window] = None


@dataclass
class Pattern:
    """One positive literal of a body, as a pattern of the body's engine rule."""

    alias: str
    key: PatternKey
    sources: tuple  # the Match/ItemRef conditions it stands for (several when merged)
    joins: list = field(default_factory=list)  # (key, other alias, other key), tested in the engine
    post: list = field(default_factory=list)  # Test with a Ref operand, tested in Python
    copy: int = 0  # which copy of its facts it takes


@dataclass
class Body:
    """One conjunction of an item's `when`: engine patterns plus guards."""

    item: str
    index: int  # which conjunction of the item's disjunctive normal form
    positives: tuple  # the positive literals, in written order
    patterns: list
    guards: list  # Not / Count conditions
    names: dict  # bound name -> alias


@dataclass
class Program:
    """Everything a run needs: items, strata, bodies, encodings and the engine ruleset."""

    items: dict  # id -> Item, in ruleset order
    strata: dict  # id -> stratum number
    bodies: dict  # id -> [Body]
    collectors: dict  # PatternKey -> index
    symbols: dict  # attribute key -> field prefix
    regexes: list  # (attribute key, Regex), flag r{i}
    join_keys: dict  # engine type -> sorted attribute keys with j-fields
    referenced: set  # item ids whose derivations enter the engine
    fact_types: set  # case fact types some pattern can match
    groups: dict = field(default_factory=dict)  # engine type of a `match: [a, b]` -> its flag
    sets: list = field(default_factory=list)  # (attribute key, frozenset of tokens) of `in` tests, flag q{i}
    text_bound: int = 0  # the longest text an ordering test compares with
    plans: dict = field(default_factory=dict)  # engine type -> EncodingPlan
    copies: dict = field(default_factory=dict)  # engine type -> copies of each fact (default 1)
    definition: dict = field(default_factory=dict)
    name: str = ""  # the engine's, set when registered
    as_of: Optional[datetime.date] = None
    since: Optional[datetime.date] = None  # a program for the days since..as_of (a timeline)
    buckets: dict = field(default_factory=dict)  # PatternKey -> index in `sets` of its bucket flag (see bucket_patterns)
    type_buckets: dict = field(default_factory=dict)  # engine type -> its type bucket (see bucket_types); empty: none
    fire_plans: dict = field(default_factory=dict, compare=False, repr=False)  # (item, body) -> run.session's plan of its firings

    @property
    def days(self) -> int:
        """The days the program judges at once: one, or those of a timeline."""
        return 1 if self.since is None else (self.as_of - self.since).days + 1

    @property
    def full(self) -> int:
        """Every day of the program, as a bit mask (bit d: the day since + d)."""
        return (1 << self.days) - 1

    @property
    def stratum_count(self) -> int:
        return max(self.strata.values(), default=-1) + 1


def stratify(items: dict) -> dict:
    """Stratum of each item; InputError naming the cycle when one runs through not/count."""
    edges: dict[str, list[tuple[str, bool]]] = {i: [] for i in items}
    for iid, item in items.items():
        for target, negative in references(item.when, False):
            if target in items:  # an unknown id is reported on its own
                edges[iid].append((target, negative))
    comps = components(edges, lambda node: [target for target, _ in edges[node]])
    problems = []
    for comp in comps:
        members = set(comp)
        for a in comp:
            for b, negative in edges[a]:
                if negative and b in members:
                    cycle = [a] + (cycle_path(edges, b, a, members) if a != b else [a])
                    item = items[a]
                    problems.append(
                        Problem(
                            item.file,
                            f"a cycle through not/count cannot be evaluated: {' -> '.join(cycle)} ('{a}' uses '{b}' under not, count or an of with at_most)",
                            path=item.path + ("id",), code="cycle",
                        )
                    )
                    break
            else:
                continue
            break
    if problems:
        raise InputError(problems)
    # components come out of Tarjan's algorithm dependencies first
    stratum: dict[str, int] = {}
    for comp in comps:
        level = 0
        members = set(comp)
        for a in comp:
            for b, negative in edges[a]:
                if b not in members:
                    level = max(level, stratum[b] + (1 if negative else 0))
        for a in comp:
            stratum[a] = level
    return stratum


def components(nodes, successors) -> list[list]:
    """The strongly connected components of a graph, each a list of nodes, those a
    component depends on first (Tarjan's algorithm, without recursion: a chain of
    thousands of items is deep)."""
    index: dict = {}
    low: dict = {}
    on_stack: set = set()
    stack: list = []
    comps: list[list] = []
    counter = itertools.count()
    for root in nodes:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, pos = work.pop()
            if pos == 0:
                index[node] = low[node] = next(counter)
                stack.append(node)
                on_stack.add(node)
            succ = successors(node)
            if pos < len(succ):
                work.append((node, pos + 1))
                nxt = succ[pos]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                comps.append(comp)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return comps


def cycle_path(edges: dict, start: str, end: str, members: set) -> list:
    """A path start -> ... -> end inside one component (breadth first)."""
    previous = {start: None}
    queue = [start]
    while queue:
        node = queue.pop(0)
        if node == end:
            break
        for nxt, _ in edges[node]:
            if nxt in members and nxt not in previous:
                previous[nxt] = node
                queue.append(nxt)
    path = []
    node = end
    while node is not None:
        path.append(node)
        node = previous[node]
    return [end] if len(path) == 1 and start == end else list(reversed(path))


def references(cond, negative: bool) -> Iterator[tuple[str, bool]]:
    """(item id, under not/count) for each item reference in a condition."""
    if isinstance(cond, ItemRef):
        yield cond.id, negative
    elif isinstance(cond, (All, AnyOf)):
        for c in cond.conditions:
            yield from references(c, negative)
    elif isinstance(cond, Not):
        yield from references(cond.condition, True)
    elif isinstance(cond, Count):
        yield from references(cond.match, True)
    elif isinstance(cond, Of):
        # with at_most, more holding can make it fail: stratified like not (SPEC 3.1)
        for c in cond.conditions:
            yield from references(c, negative or cond.at_most is not None)


def dnf(cond) -> list[list]:
    """The disjunctive normal form: a list of conjunctions of literals."""
    if isinstance(cond, All):
        out: list[list] = [[]]
        for c in cond.conditions:
            out = [a + b for a in out for b in dnf(c)]
            if len(out) > MAX_BODIES:
                raise OverflowError
        return out
    if isinstance(cond, AnyOf):
        out = []
        for c in cond.conditions:
            out.extend(dnf(c))
        return out
    return [[cond]]


def pattern_key(cond, as_of: datetime.date, since: Optional[datetime.date] = None) -> PatternKey:
    """What the engine tests of a match or reference on one fact alone, as of a day
    (or on any day from `since` to `as_of`, with the window kept for each day's own)."""
    literal = tuple(t for t in cond.tests if not isinstance(t.operand, Ref))
    if isinstance(cond, Match):
        if since is None:
            lo, hi = window_bounds(cond.window, as_of)
            return PatternKey(types_type(cond.types), literal, lo, hi)
        # the window on any day: it starts earliest on the first day, ends latest on the last
        lo, hi = window_bounds(cond.window, since)[0], window_bounds(cond.window, as_of)[1]
        return PatternKey(types_type(cond.types), literal, lo, hi, cond.window)
    return PatternKey(item_type(cond.id), literal, None, None)


def compile_program(rulesets: list, as_of: datetime.date, since: Optional[datetime.date] = None) -> Program:
    """The engine program for rulesets as of a day; InputError on ids that clash or dangle."""
    items: dict[str, Item] = {}
    problems = []
    for rs in rulesets:
        for item in rs.items:
            if item.id in items:
                first = items[item.id]
                problems.append(
                    Problem(item.file, f"{item.kind} id '{item.id}' is also used by {first.kind} '{first.id}' in {first.file} (ruleset {first.ruleset})", path=item.path + ("id",), code="duplicate")
                )
                continue
            items[item.id] = item
    for item in items.values():
        for c in walk(item.when):
            if isinstance(c, ItemRef):
                target = items.get(c.id)
                if target is not None and target.kind != c.kind:
                    problems.append(Problem(item.file, f"'{c.id}' is an {target.kind}, not a {c.kind}: write {target.kind}: {c.id}".replace("an scenario", "a scenario").replace("a indicator", "an indicator"), path=c.path + (c.kind,), code="reference"))
                elif target is None:
                    from .suggest import did_you_mean

                    known = [i for i, it in items.items() if it.kind == c.kind]
                    problems.append(Problem(item.file, f"unknown {c.kind} '{c.id}'", code="reference", suggestion=did_you_mean(c.id, known), path=c.path + (c.kind,)))
    try:
        strata = stratify(items)
    except InputError as exc:
        problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    program = Program(
        items=items,
        strata=strata,
        bodies={},
        collectors={},
        symbols={},
        regexes=[],
        join_keys={},
        referenced=set(),
        fact_types=set(),
        as_of=as_of,
        since=since,
    )
    for iid, item in items.items():
        try:
            conjunctions = dnf(item.when)
        except OverflowError:
            raise InputError([Problem(item.file, f"'{iid}' has more than {MAX_BODIES} alternatives once its any: are expanded", path=item.path + ("when",), code="limit")]) from None
        try:
            program.bodies[iid] = [b for i, lits in enumerate(conjunctions) for b in compile_body(program, iid, i, lits)]
            if len(program.bodies[iid]) > MAX_BODIES:
                raise OverflowError
        except OverflowError:
            raise InputError([Problem(item.file, f"'{iid}' needs more than {MAX_BODIES} engine rules (too many alternatives, or too many conditions on one fact type)", path=item.path + ("when",), code="limit")]) from None
    for item in items.values():
        for c in walk(item.when):
            if isinstance(c, (Match, ItemRef)):
                key = pattern_key(c, as_of, since)
                program.collectors.setdefault(key, len(program.collectors))
                note_pattern(program, c, key)
    share_copies(program)
    bucket_types(program)
    in_sets = len(program.sets)
    bucket_patterns(program)
    program.plans = encoding_plans(program)
    program.definition = engine_definition(program)
    if program.buckets:
        try:
            check_limits(program)
            return program
        except InputError:  # the buckets' flags may cost what the engine cannot hold: none
            program.buckets = {}
            del program.sets[in_sets:]
            program.plans = encoding_plans(program)
            program.definition = engine_definition(program)
    check_limits(program)
    return program


TYPES_AT_ROOT = 384  # engine types tested at the root of the network at most (see bucket_types)
TYPE_BUCKETS = 256


def bucket_types(program: Program) -> None:
    """Facts of many types (and many items' derivations) under type buckets.

    Every pattern starts with a test of its type, and those tests are children of the
    engine's root node, of which it holds 511 at most (a 512th made it loop forever,
    see `limits`). Past TYPES_AT_ROOT types, each engine fact also carries `tb`, its
    type's bucket (one of TYPE_BUCKETS, given in the sorted order of the types), and a
    pattern tests `tb` before its type: the root holds the buckets, each bucket a few
    types. Programs with fewer types keep the network they had."""
    types = {key.ty for key in program.collectors if key.ty not in program.groups}
    types.update(fact_type(t) for t in program.fact_types)
    if len(types) <= TYPES_AT_ROOT:
        return
    program.type_buckets = {ty: i % TYPE_BUCKETS for i, ty in enumerate(sorted(types))}


BUCKETS_FROM = 64  # patterns of one type from which they go under bucket flags
BUCKETS_PER_KEY = 8
BUCKETS_PER_TYPE = 16


def bucket_patterns(program: Program) -> None:
    """Put the patterns of a type with many under flags that screen them by token.

    durable-rules passes a fact through every pattern of its type: each one's first
    test, an `$iany` over the fact's token list, parses that list again (10k facts x
    1,000 rules: 40% of the run). A pattern whose tests include `key eq token` also
    tests a flag `q{i}`, set on facts holding a token of its bucket (a set of tokens
    of that key, as an `in` test's flag is), right after its type: a fact then reaches
    only the patterns of its own tokens' buckets, and those with no such test. The
    flag follows from the pattern's own test, so the matches are the same. At most
    BUCKETS_PER_TYPE flags a type (a fact may pass all of them: see `limits`)."""
    keys = list(dict.fromkeys([*program.collectors, *(p.key for bodies in program.bodies.values() for b in bodies for p in b.patterns)]))
    by_type: dict = {}
    for key in keys:
        by_type.setdefault(key.ty, []).append(key)
    patterns = {ty: len(of_type) for ty, of_type in by_type.items()}
    for bodies in program.bodies.values():  # a pattern with a join is an engine pattern of its own
        for b in bodies:
            for p in b.patterns:
                if p.joins:
                    patterns[p.key.ty] += 1
    for ty, of_type in by_type.items():
        if patterns[ty] <= BUCKETS_FROM:
            continue
        first: dict = {}  # pattern key -> (attribute key, token) of its first equality test
        for key in of_type:
            for t in key.tests:
                if t.op in ("eq", "contains") and not isinstance(t.operand, Ref):
                    first[key] = (t.key, token(t.operand))
                    break
        tokens: dict = {}  # attribute key -> its tokens, in order of use
        for k, tok in first.values():
            tokens.setdefault(k, {})[tok] = None
        uses = {k: sum(1 for kk, _ in first.values() if kk == k) for k in tokens}
        flags = 0
        bucket_of: dict = {}  # (attribute key, token) -> its bucket's index in program.sets
        for k in sorted(tokens, key=lambda k: (-uses[k], k)):
            toks = sorted(tokens[k])
            groups: dict = {}
            for tok in toks:
                b = tok if len(toks) <= BUCKETS_PER_KEY else zlib.crc32(tok.encode("utf-8", "surrogatepass")) % BUCKETS_PER_KEY
                groups.setdefault(b, []).append(tok)
            if flags + len(groups) > BUCKETS_PER_TYPE:
                continue
            flags += len(groups)
            for members in groups.values():
                pair = (k, frozenset(members))
                if pair not in program.sets:
                    program.sets.append(pair)
                index = program.sets.index(pair)
                for tok in members:
                    bucket_of[(k, tok)] = index
        for key, pair in first.items():
            if pair in bucket_of:
                program.buckets[key] = bucket_of[pair]


def check_limits(program: Program) -> None:
    """InputError, at the indicator or scenario that goes past it, when the engine
    cannot hold the program (see `limits`): refused at once, never a hang."""
    owner_of_collector: dict = {}
    first_of_type: dict = {}
    for iid, item in program.items.items():
        for c in walk(item.when):
            if isinstance(c, (Match, ItemRef)):
                key = pattern_key(c, program.as_of, program.since)
                owner_of_collector.setdefault(program.collectors.get(key), iid)
                first_of_type.setdefault(key.ty, iid)

    def owner(rule: dict) -> str:
        found = limits.first_owner(rule["run"])
        if found is None:
            found = next((owner_of_collector.get(run[1]) for run in rule["run"] if run[0] == "collect"), None)
        return found or next(iter(program.items))

    def place(iid: str, message: str) -> Problem:
        item = program.items[iid]
        return Problem(item.file, f"'{iid}' cannot be run: {message}", path=item.path + ("when",), code="limit")

    properties = {}
    for ty, plan in program.plans.items():
        count = 4 + bool(program.type_buckets) + plan.window + (program.copies.get(ty, 1) > 1) + sum(len(f) for _, _, f in plan.fields) + len(plan.regexes) + len(plan.sets) + len(plan.flags) + len(plan.joins)
        properties[ty] = (count, first_of_type.get(ty) or next(iter(program.items)))
    limits.check(program.definition, owner, properties, place)


def note_pattern(program: Program, cond, key: PatternKey) -> None:
    """Record which fact types, attribute keys and patterns the engine must see."""
    if isinstance(cond, Match):
        program.fact_types.update(cond.types)
        if len(cond.types) > 1:
            program.groups.setdefault(key.ty, f"tg{len(program.groups)}")
    else:
        program.referenced.add(cond.id)
    for t in cond.tests:
        symbol(program, t.key)
        if t.op == "matches" and not any(r[0] == t.key and r[1] == t.operand for r in program.regexes):
            program.regexes.append((t.key, t.operand))
        if t.op == "in" and not isinstance(t.operand, Ref) and in_set(t) not in program.sets:
            program.sets.append(in_set(t))
        if t.op in ORDERING and isinstance(t.operand, str):
            program.text_bound = max(program.text_bound, len(t.operand))


def in_set(t: Test) -> tuple:
    """(key, tokens) of an `in` test with a literal list."""
    return (t.key, frozenset(token(x) for x in t.operand))


def share_copies(program: Program) -> None:
    """Give every fact type of a `match: [a, b]` group as many copies as any of them
    needs, and the group as many: a pattern over the group tests the copy number,
    which a fact has only when its type has copies."""
    changed = True
    while changed:
        changed = False
        for ty in program.groups:
            members = member_types(ty)
            most = max(program.copies.get(t, 1) for t in members)
            for t in members + (ty,):
                if program.copies.get(t, 1) != most:
                    program.copies[t] = most
                    changed = True


def symbol(program: Program, key: str) -> str:
    """The short field prefix an attribute key has in engine facts."""
    if key not in program.symbols:
        program.symbols[key] = f"k{len(program.symbols)}"
    return program.symbols[key]


def compile_body(program: Program, iid: str, index: int, literals: list) -> list:
    """The engine body of one conjunction (a list, for the caller's convenience)."""
    positives = [c for c in literals if isinstance(c, (Match, ItemRef))]
    guards = [c for c in literals if isinstance(c, (Not, Count, Of))]
    keys = [pattern_key(c, program.as_of, program.since) for c in positives]
    for c, k in zip(positives, keys):
        note_pattern(program, c, k)
    return [build_body(program, iid, index, positives, keys, guards)]


def build_body(program: Program, iid: str, index: int, positives: list, keys: list, guards: list) -> Body:
    # One fact may satisfy two conditions of an all, but durable-rules never binds one
    # engine fact to two patterns of a rule: the n-th pattern of a type in a body
    # takes the n-th copy of each fact of that type (see `encode`).
    """One conjunction as an engine body: its patterns, joins, copies and guards."""
    # With `match: [a, b]`, patterns of different engine types may take the same facts:
    # a pattern takes the first copy that no earlier pattern sharing a fact type takes.
    members = [set(member_types(k.ty)) for k in keys]
    copy_of: list = []
    for i, mine in enumerate(members):
        taken = {copy_of[j] for j in range(i) if members[j] & mine}
        copy_of.append(next(k for k in itertools.count() if k not in taken))
        for ty in mine:
            program.copies[ty] = max(program.copies.get(ty, 1), copy_of[-1] + 1)
    blocks = [[i] for i in range(len(positives))]
    alias_of: dict[int, str] = {}
    patterns: list[Pattern] = []
    for n, block in enumerate(blocks):
        alias = f"p{n}"
        for i in block:
            alias_of[i] = alias
        tests = tuple(sorted({t for i in block for t in keys[i].tests}, key=repr))
        lo = max((keys[i].lo for i in block if keys[i].lo is not None), default=None)
        hi = min((keys[i].hi for i in block if keys[i].hi is not None), default=None)
        pkey = PatternKey(keys[block[0]].ty, tests, lo, hi)
        patterns.append(Pattern(alias, pkey, tuple(positives[i] for i in block), copy=copy_of[block[0]]))
    names = {c.binds: alias_of[i] for i, c in enumerate(positives) if c.binds}
    position = {p.alias: n for n, p in enumerate(patterns)}
    for i, c in enumerate(positives):
        mine = alias_of[i]
        for t in c.tests:
            if not isinstance(t.operand, Ref):
                continue
            other = names.get(t.operand.name)
            pattern = patterns[position[mine]]
            if other is None or other == mine or t.op not in EQUALITY_JOIN:
                # correlated to an outer scope, the same fact, or not an equality
                pattern.post.append(t)
                continue
            a, b = (mine, t.key), (other, t.operand.key)
            later, earlier = (a, b) if position[mine] > position[other] else (b, a)
            patterns[position[later[0]]].joins.append((later[1], earlier[0], earlier[1]))
            for (alias, key) in (a, b):
                for ty in member_types(patterns[position[alias]].key.ty):
                    keys_ = program.join_keys.setdefault(ty, [])
                    if key not in keys_:
                        keys_.append(key)
                        keys_.sort()
                symbol(program, key)
    for g in guards:
        for c in walk(g):
            if isinstance(c, (Match, ItemRef)):
                for t in c.tests:
                    symbol(program, t.key)
    return Body(iid, index, tuple(positives), patterns, guards, names)


# -- the engine ruleset -----------------------------------------------------------------


def test_expression(program: Program, t: Test) -> dict:
    """A literal test as a durable-rules expression over the encoded fields."""
    s = program.symbols[t.key]
    tokens, exists, count = s + "t", s + "e", s + "c"
    op, v = t.op, t.operand
    if op == "exists":
        return {exists: 1} if v else {"$nex": {exists: 1}}
    if op == "matches":
        return {f"r{program.regexes.index((t.key, v))}": 1}
    if op in ("eq", "contains"):
        return {"$iany": {tokens: {"$i": engine_token(token(v))}}}
    # `in` is a flag computed when the fact is encoded, as `matches` is: as an $or of
    # one $iany a value, 512 values hung the engine, and a list attribute holding
    # many of them left more tests pending than its stack of 64 (error 303).
    if op == "in":
        if not v:
            return NEVER
        return {f"q{program.sets.index(in_set(t))}": 1}
    # A composite test inside $iall makes durable-rules 2.0.28 refuse the ruleset now
    # and then (error 102: it reads an uninitialised field, measured here), so
    # `not_in` is an $and of $iall, one value each.
    if op in ("ne", "not_in"):
        values = tuple(dict.fromkeys(engine_token(token(x)) for x in ((v,) if op == "ne" else v)))
        if not values:
            return {exists: 1}
        checks = [{"$iall": {tokens: {"$neq": {"$i": t}}}} for t in values]
        return {"$and": [{exists: 1}, {"$or": [{count: 0}, _and(checks)]}]}
    if op in ORDERING:
        k = kind(v)
        if k == "bool":
            return NEVER
        fld = {"num": "n", "str": "s", "date": "d"}[k]
        operand = v.toordinal() if k == "date" else (number_key(v) if k == "num" else v)
        return {"$iany": {s + fld: {"$" + op: {"$i": operand}}}}
    raise ValueError(op)


def alpha_expression(program: Program, key: PatternKey) -> list:
    """The engine expression of a pattern's tests on one fact: type, literals, window."""
    parts: list = [{program.groups[key.ty]: 1} if key.ty in program.groups else {"ty": key.ty}]
    if key.ty in program.type_buckets:
        parts.insert(0, {"tb": program.type_buckets[key.ty]})
    if key in program.buckets:
        parts.append({f"q{program.buckets[key]}": 1})
    parts.extend(test_expression(program, t) for t in key.tests)
    if key.lo is not None:
        parts.append({"$gte": {"dn": key.lo}})
    if key.hi is not None:
        parts.append({"$lte": {"dn": key.hi}})
    if key.lo is not None and key.hi is not None and key.lo > key.hi:
        parts.append(NEVER)
    return parts


def _and(parts: list) -> dict:
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _is_join(part: dict) -> bool:
    """A test against another pattern's fact: {field: {alias: field}}."""
    return len(part) == 1 and not next(iter(part)).startswith("$") and isinstance(next(iter(part.values())), dict)


def engine_definition(program: Program) -> dict:
    """The durable-rules ruleset, actions left as names (`engine` binds them)."""
    # durable-rules 2.0.28 segfaults deleting a session in which no action ever ran
    # (measured here): every session starts with a fact that fires this rule.
    rules: dict[str, dict] = {"open": {"all": [{"m": {"ty": OPEN}}], "run": ("open",)}}
    # No rule takes every fact: called directly (see engine._Host), durable-rules goes
    # on past a fact no pattern matches, and does not store it.
    # Rules with the same patterns are one engine rule with several actions:
    # durable-rules refuses more than 256 rules on one pattern (error 108).
    shared: dict[str, dict] = {}

    def add(patterns: list, run: tuple) -> None:
        key = json.dumps(patterns, sort_keys=True)
        if key not in shared:
            shared[key] = {"all": patterns, "cap": CAP, "run": []}
        shared[key]["run"].append(run)

    def parts_of(expr: dict) -> list:
        return expr["$and"] if "$and" in expr else [expr]

    for key, n in program.collectors.items():
        parts = alpha_expression(program, key)
        if program.copies.get(key.ty, 1) > 1:
            parts.append({"cp": 0})
        add([{"m": _and(parts)}], ("collect", n))
    for iid in program.items:
        stratum = program.strata[iid]
        for j, body in enumerate(program.bodies[iid]):
            # a body fires as soon as its facts are there (its guards wait for their
            # stratum, see run.session.WorldRun.release); one with no pattern fires on
            # its stratum's marker
            patterns = [] if body.patterns else [{"mk": {"$and": [{"ty": MARKER}, {"mk": stratum}]}}]
            for p in body.patterns:
                alpha = alpha_expression(program, p.key)
                # join tests right after the type (and bucket): durable-rules 2.0.28
                # drops a join test that follows an $or in the same pattern (measured here)
                h = 1 + (p.key in program.buckets) + (p.key.ty in program.type_buckets)
                parts = alpha[:h]
                for key, other, other_key in p.joins:
                    jf = program.symbols[key] + "j"
                    parts.append({jf: {other: program.symbols[other_key] + "j"}})
                parts.extend(alpha[h:])
                if program.copies.get(p.key.ty, 1) > 1:
                    parts.append({"cp": p.copy})
                # a lone pattern is called m, as a collector's is, so the two can share
                patterns.append({("m" if len(body.patterns) == 1 else p.alias): _and(parts)})
            add(patterns, ("body", iid, j))
    # durable-rules pushes every alpha test a fact passes on a stack of 64 (error 303
    # beyond it, measured here): many patterns of one type are spread over a tree of
    # always-true tests, 8 wide, so that few are pending at once.
    # Patterns with a join are never shared (durable-rules keeps one alpha node per
    # rule for a join test, and pushes it whatever the fact): each counts alone.
    def identity(n: int, expr: dict) -> str:
        text = json.dumps(expr, sort_keys=True)
        return f"{n}:{text}" if any(_is_join(part) for part in parts_of(expr)) else text

    bucket_flags = {f"q{i}" for i in program.buckets.values()}

    def head(expr: dict) -> int:
        """How many tests the tree goes after: the type (after its type bucket, if
        any), and the bucket flag if any."""
        parts = parts_of(expr)
        h = 2 if "tb" in parts[0] else 1
        return h + 1 if len(parts) > h and next(iter(parts[h])) in bucket_flags else h

    by_type: dict = {}
    for n, rule in enumerate(shared.values()):
        for pattern in rule["all"]:
            expr = next(iter(pattern.values()))
            by_type.setdefault(json.dumps(parts_of(expr)[: head(expr)]), set()).add(identity(n, expr))
    place = {}
    for exprs in by_type.values():
        levels = 0
        while TREE_WIDTH ** (levels + 1) < len(exprs):
            levels += 1
        for i, e in enumerate(sorted(exprs)):
            place[e] = [{"$nex": {f"z{k}_{i // TREE_WIDTH**k}": 1}} for k in range(levels, 0, -1)]
    for n, rule in enumerate(shared.values()):
        patterns = []
        for pattern in rule["all"]:
            alias, expr = next(iter(pattern.items()))
            tree = place.get(identity(n, expr))
            if tree:
                parts = parts_of(expr)
                h = head(expr)
                expr = {"$and": parts[:h] + tree + parts[h:]}
            patterns.append({alias: expr})
        rules[f"r{n}"] = {"all": patterns, "cap": CAP, "run": tuple(rule["run"])}
    return rules


# -- encoding facts ---------------------------------------------------------------------


@dataclass
class EncodingPlan:
    """What the engine needs of facts of one type: fields, flags, joins, a screen."""

    fields: list  # (attribute key, field prefix, facets: a string of t e c n s d)
    regexes: list  # (flag name, attribute key, Regex)
    window: bool  # whether some pattern has a date window
    joins: list  # attribute keys split into one engine fact per element
    screens: Optional[list]  # (key, tokens or None, lo, hi) per pattern; None: no screen
    shared: Optional[list] = None  # the same, for patterns of rules over several facts
    spread: list = field(default_factory=list)  # (screen, j-field) of patterns of joins spread by value
    flags: list = field(default_factory=list)  # the `match: [a, b]` groups facts of this type belong to
    sets: list = field(default_factory=list)  # (flag name, attribute key, tokens) of `in` tests
    used: dict = field(default_factory=dict)  # attribute key -> the tokens some engine test compares with
    # the screens above, indexed (made from them: not compared, not shown)
    index: Optional["Screens"] = field(default=None, compare=False, repr=False)  # `screens` (None: no screen)
    shared_index: Optional["Screens"] = field(default=None, compare=False, repr=False)  # `shared`
    spread_index: list = field(default_factory=list, compare=False, repr=False)  # (j-field, Screens of its patterns), in `spread` order
    set_index: dict = field(default_factory=dict, compare=False, repr=False)  # key -> token -> flags of `sets` holding it

    def __post_init__(self) -> None:
        if self.screens is not None:
            self.index = Screens(self.screens)
        if self.shared is not None:
            self.shared_index = Screens(self.shared)
        by_field: dict = {}
        for sc, jf in self.spread:
            by_field.setdefault(jf, []).append(sc)
        self.spread_index = [(jf, Screens(scs)) for jf, scs in by_field.items()]
        for flag, key, tokens in self.sets:
            index = self.set_index.setdefault(key, {})
            for t in tokens:
                index.setdefault(t, set()).add(flag)


class Screens:
    """The screens of many patterns (key, tokens or None, lo, hi), indexed by token: a
    fact costs a look-up per token it has, not a test per pattern (10k facts x 1,000
    rules: 2.2 million tests before)."""

    def __init__(self, screens: list):
        self.free = list(dict.fromkeys((lo, hi) for key, tokens, lo, hi in screens if tokens is None))
        self.windows = list(dict.fromkeys((lo, hi) for key, tokens, lo, hi in screens))
        self.by_key: dict = {}  # key -> token -> the windows of the patterns that want it
        self.by_day: dict = {}  # day -> `day_state(day)`, as days are met
        for key, tokens, lo, hi in screens:
            if tokens is not None:
                index = self.by_key.setdefault(key, {})
                for t in tokens:
                    windows = index.setdefault(t, [])
                    if (lo, hi) not in windows:
                        windows.append((lo, hi))
        # the same windows by the text itself, for tokens of text ("s" + text)
        self.by_text: dict = {key: {t[1:]: w for t, w in index.items() if t[:1] == "s"} for key, index in self.by_key.items()}

    def day_state(self, day: Optional[int]) -> int:
        """What a fact's day alone says: NO_PATTERN takes that day, SOME_PATTERN with
        no equality to screen by takes it, or TOKENS decide. A case has far fewer days
        than facts: each day is judged once."""
        state = self.by_day.get(day)
        if state is None:
            if not any(_within(lo, hi, day) for lo, hi in self.windows):
                state = NO_PATTERN
            elif any(_within(lo, hi, day) for lo, hi in self.free):
                state = SOME_PATTERN
            else:
                state = TOKENS
            self.by_day[day] = state
        return state

    def admits(self, values: dict, day: Optional[int]) -> bool:
        """Whether some pattern may match the fact: a cheap, conservative test on one
        equality and the window of each pattern (the engine does the matching), from
        the fact's values (no token made for text, the common case). Most facts of a
        large case are screened out here, so it is kept lean."""
        state = self.by_day.get(day)
        if state is None:
            state = self.day_state(day)
        if state != TOKENS:
            return state == SOME_PATTERN
        for key, index in self.by_key.items():
            v = values.get(key, MISSING)
            if v is MISSING:
                continue
            if type(v) is str:
                windows = self.by_text[key].get(v)
                if windows is not None and _some_within(windows, day):
                    return True
                continue
            for x in v if type(v) is tuple else (v,):
                windows = self.by_text[key].get(x) if type(x) is str else index.get(token(x))
                if windows is not None and _some_within(windows, day):
                    return True
        return False


NO_PATTERN, SOME_PATTERN, TOKENS = 0, 1, 2  # Screens.day_state


def _some_within(windows: list, day: Optional[int]) -> bool:
    for lo, hi in windows:
        if (lo is None or (day is not None and day >= lo)) and (hi is None or (day is not None and day <= hi)):
            return True
    return False


def _within(lo: Optional[int], hi: Optional[int], day: Optional[int]) -> bool:
    return (lo is None or (day is not None and day >= lo)) and (hi is None or (day is not None and day <= hi))


def screen_of(key: PatternKey) -> tuple:
    """(key, tokens, lo, hi): the first equality test of a pattern and its window;
    a fact none of whose tokens of that key is among `tokens` cannot match it."""
    for t in key.tests:
        if t.op in ("eq", "contains", "in"):
            return (t.key, frozenset(token(x) for x in (t.operand if t.op == "in" else (t.operand,))), key.lo, key.hi)
    return (None, None, key.lo, key.hi)


def encoding_plans(program: Program) -> dict:
    """For each engine type of case facts, what `encode` must put on its facts and which
    facts can be screened out. A pattern over `match: [a, b]` counts for each type."""
    facets: dict = {}
    windows: dict = {}
    screens: dict = {}
    used: dict = {}
    for key in program.collectors:
        members = member_types(key.ty)
        screen = None
        for t in key.tests:
            if t.op in ("eq", "contains", "ne", "not_in"):
                for ty in members:
                    used.setdefault(ty, {}).setdefault(t.key, set()).update(token(x) for x in (t.operand if t.op == "not_in" else (t.operand,)))
            if t.op in ("eq", "contains", "in"):
                letters = "t"
                if screen is None:
                    screen = (t.key, frozenset(token(x) for x in (t.operand if t.op == "in" else (t.operand,))))
            elif t.op in ("ne", "not_in"):
                letters = "tec"
            elif t.op == "exists":
                letters = "e"
            elif t.op in ORDERING and kind(t.operand) != "bool":
                letters = {"num": "n", "str": "s", "date": "d"}[kind(t.operand)]
            else:
                letters = ""
            for ty in members:
                facets.setdefault(ty, {}).setdefault(t.key, set()).update(letters)
        for ty in members:
            facets.setdefault(ty, {})
            if key.lo is not None or key.hi is not None:
                windows[ty] = True
            entry = screens.setdefault(ty, [])
            if entry is not None:
                if screen is None and key.lo is None and key.hi is None:
                    screens[ty] = None
                else:
                    entry.append((screen[0] if screen else None, screen[1] if screen else None, key.lo, key.hi))
    # Facts that may meet others in one rule must share an engine session; the rest
    # (single-pattern rules: counts, plain matches) may go to any (see engine.run_session).
    # A rule of two case-fact patterns joined by one equality is met within the facts
    # of one joined value: those facts may be spread over sessions by that value.
    shared: dict = {}
    spread: dict = {}
    for bodies in program.bodies.values():
        for body in bodies:
            if len(body.patterns) < 2:
                continue
            joins = [(p, j) for p in body.patterns for j in p.joins]
            by_value = len(body.patterns) == 2 and len(joins) == 1 and all(p.key.ty.startswith("f:") for p in body.patterns)
            for p in body.patterns:
                sc = screen_of(p.key)
                if by_value:
                    pattern, (key, other, other_key) = joins[0]
                    jkey = key if p is pattern else other_key
                    spread.setdefault(p.key.ty, []).append((sc, program.symbols[jkey] + "j"))
                    continue
                for ty in member_types(p.key.ty):
                    entry = shared.setdefault(ty, [])
                    if entry is not None:
                        if sc[1] is None and sc[2] is None and sc[3] is None:
                            shared[ty] = None
                        else:
                            entry.append(sc)
    # which regex flags and `in` flags each type's facts need: those of its patterns' tests
    tested: dict = {}  # engine type -> indexes into program.regexes ("r", i) and program.sets ("q", i)
    for key in program.collectors:
        for t in key.tests:
            if t.op == "matches":
                wanted = [("r", i) for i, (k, r) in enumerate(program.regexes) if t.key == k and t.operand == r]
            elif t.op == "in" and program.sets and not isinstance(t.operand, Ref):
                of_test = in_set(t)
                wanted = [("q", i) for i, pair in enumerate(program.sets) if pair == of_test]
            else:
                continue
            for ty in member_types(key.ty):
                tested.setdefault(ty, set()).update(wanted)
    for key, index in program.buckets.items():
        for ty in member_types(key.ty):
            tested.setdefault(ty, set()).add(("q", index))
    plans = {}
    for ty in set(facets) | set(program.join_keys):
        need = facets.get(ty, {})
        joins = program.join_keys.get(ty, [])
        fields = [(k, program.symbols[k], "".join(sorted(f))) for k, f in sorted(need.items()) if f]
        flagged = tested.get(ty, ())
        regexes = [(f"r{i}", k, r) for i, (k, r) in enumerate(program.regexes) if ("r", i) in flagged]
        flags = [flag for group, flag in program.groups.items() if ty in member_types(group)]
        sets = [(f"q{i}", k, tokens) for i, (k, tokens) in enumerate(program.sets) if ("q", i) in flagged]
        used_here = {k: frozenset(v) for k, v in used.get(ty, {}).items()}
        plans[ty] = EncodingPlan(fields, regexes, windows.get(ty, False), list(joins), screens.get(ty), shared.get(ty, []), spread.get(ty, []), flags, sets, used_here)
    return plans


def encode(program: Program, ty: str, fid: str, values: dict, date: Optional[datetime.date]) -> list[dict]:
    """The engine facts for one fact: none when no pattern can match it, one, or one per
    combination of the elements of its joined keys."""
    return encode_routed(program, ty, fid, values, date)[0]


def encode_routed(program: Program, ty: str, fid: str, values: dict, date: Optional[datetime.date], screened: bool = False) -> tuple[list, bool, tuple]:
    """`encode`; whether the fact may meet others in a rule that needs the world's main
    session; and the j-fields by whose values it goes to the sessions of joins that
    are spread by value (see engine.run_session). `screened`: `screened_in` said yes."""
    plan = program.plans.get(ty)
    if plan is None:
        return [], False, ()
    day = date.toordinal() if date is not None else None
    if not screened and plan.index is not None and not plan.index.admits(values, day):
        return [], False, ()  # most facts of a large case: decided before any token is made
    shared = plan.shared_index is None or plan.shared_index.admits(values, day)
    spread = tuple(jf for jf, screens in plan.spread_index if screens.admits(values, day)) if plan.spread_index else ()
    base: dict[str, Any] = {"ty": ty, "fid": fid}  # these two first: engine.matches_of reads them so
    if program.type_buckets:
        base["tb"] = program.type_buckets.get(ty, -1)
    for flag in plan.flags:
        base[flag] = 1
    if day is not None and plan.window:
        base["dn"] = day
    tokens_of: dict = {}  # the fact's tokens of each key tested for equality
    for key, s, facets in plan.fields:
        v = values.get(key, MISSING)
        if v is MISSING:
            continue
        if facets == "t":  # the common case: equality tests only
            if type(v) is str and len(v) < LONG_TOKEN:
                toks = tokens_of[key] = base[s + "t"] = ["s" + v]
                continue
            toks = tokens_of[key] = [token(x) for x in (v if isinstance(v, tuple) else (v,))]
            base[s + "t"] = toks if len(toks) == 1 and len(toks[0]) <= LONG_TOKEN else engine_tokens(toks, plan.used.get(key))
            continue
        items = v if isinstance(v, tuple) else (v,)
        if "t" in facets:
            toks = tokens_of[key] = [token(x) for x in items]
            base[s + "t"] = engine_tokens(toks, plan.used.get(key))
        if "e" in facets:
            base[s + "e"] = 1
        if "c" in facets:
            base[s + "c"] = len(items)
        # an ordering test holds on a list when it holds on one element: its least
        # and its greatest say as much as the whole list, which may be millions long
        if "n" in facets:
            nums = [number_key(v)] if type(v) is int else ends([number_key(x) for x in items if kind(x) == "num"])
            if nums:
                base[s + "n"] = nums
        if "s" in facets:
            # cut past the longest text operand: the order against every operand is kept
            strs = ends([x[: program.text_bound + 1] for x in items if kind(x) == "str"])
            if strs:
                base[s + "s"] = strs
        if "d" in facets:
            days = ends([x.toordinal() for x in items if kind(x) == "date"])
            if days:
                base[s + "d"] = days
    if plan.sets:  # the flags of `in` tests and buckets: looked up by the fact's tokens
        hit: set = set()
        for key, index in plan.set_index.items():
            toks = tokens_of.get(key)
            if toks is None:
                v = values.get(key, MISSING)
                toks = () if v is MISSING else [token(x) for x in elements(v)]
            for t in toks:
                flags = index.get(t)
                if flags:
                    hit |= flags
        for flag, key, tokens in plan.sets:
            if flag in hit:
                base[flag] = 1
    for flag, key, regex in plan.regexes:
        v = values.get(key, MISSING)
        if v is not MISSING and any(isinstance(x, str) and regex.search(x) for x in elements(v)):
            base[flag] = 1
    if not plan.joins:
        base["id"] = fid
        return with_copies([base], program.copies.get(ty, 1)), shared, spread
    choices = []
    for key in plan.joins:
        v = values.get(key, MISSING)
        if type(v) is str and len(v) < LONG_TOKEN:
            toks = ["s" + v]
        else:
            toks = [] if v is MISSING else sorted({engine_token(token(x)) for x in elements(v)})
        choices.append([(key, t) for t in toks] or [None])
    out = []
    for n, combo in enumerate(itertools.product(*choices)):
        fact = dict(base)
        fact["id"] = fid if n == 0 else f"{fid}\x1f{n}"
        for pair in combo:
            if pair is not None:
                fact[program.symbols[pair[0]] + "j"] = pair[1]
        out.append(fact)
    return with_copies(out, program.copies.get(ty, 1)), shared, spread


def screened_in(plan: Optional[EncodingPlan], values: dict, date: Optional[datetime.date]) -> bool:
    """Whether some pattern may match a fact of the plan's type (`encode_routed`'s
    first test, for a caller that skips most facts without encoding them)."""
    if plan is None:
        return False
    return plan.index is None or plan.index.admits(values, date.toordinal() if date is not None else None)


LONG_TOKEN = 256


def engine_token(t: str) -> str:
    """A token as the engine holds it: one longer than LONG_TOKEN characters is its
    SHA-256 digest (a value of 16 MiB crashed the engine in a join; equality needs
    only the digest). No short token starts with 'h'."""
    if len(t) <= LONG_TOKEN:
        return t
    import hashlib  # rare: not loaded by every run (OpenSSL, a few ms)

    return "h" + hashlib.sha256(t.encode("utf-8", "surrogatepass")).hexdigest()


def engine_tokens(tokens: list, used: Optional[frozenset]) -> list:
    """A value's tokens as an engine field: those no test compares with are left out
    of a long list (a list of two million values made a field over the engine's 16 MiB
    and crashed it; equality and ne/not_in read only the tokens they name), long ones
    as digests."""
    if len(tokens) > 8:
        tokens = [t for t in tokens if used is not None and t in used]
    return [engine_token(t) for t in tokens]


def ends(values: list) -> list:
    """The least and the greatest of values (all of them when there are two or fewer)."""
    return values if len(values) <= 2 else [min(values), max(values)]


def with_copies(facts: list, copies: int) -> list:
    """Each engine fact once per copy its type needs, told apart by `cp`."""
    if copies == 1:
        return facts
    out = []
    for fact in facts:
        for k in range(copies):
            copy = dict(fact)
            copy["cp"] = k
            copy["id"] = fact["id"] if k == 0 else f"{fact['id']}\x1d{k}"
            out.append(copy)
    return out
