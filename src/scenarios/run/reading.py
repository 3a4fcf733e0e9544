"""Reading what one engine session found: the facts each pattern matched, the
derivations each item got, and which conditions hold with which bindings.

Guards (`not`, `count`, tests between bound facts that are not equality joins), near
misses and explanations all ask these questions; the answers come from the match sets
the engine's collector rules produced, never from a second matcher.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field
from typing import Iterator, Optional

from ..compile import PatternKey, Program, pattern_key, window_bounds
from ..model import All, AnyOf, Count, ItemRef, Match, Not, Of, Ref, binds_of, refs_of
from ..values import MISSING, elements, passes_ref, token


@dataclass
class Fired:
    """One derivation as the engine reported it, checked against guards."""

    item: str
    conjunction: int
    facts: tuple  # (literal index, fid) for each positive literal
    names: dict  # name -> fid
    group: str  # the derived fact it made
    guard: int = 1  # the days on which its not / count / of hold (every day: no guard)
    mask: Optional[int] = None  # in a timeline, the days it holds, once settled

@dataclass
class Group:
    """The derived fact of an item for one set of derived attributes."""

    id: str
    item: str
    values: dict
    members: list = field(default_factory=list)  # Fired
    mask: Optional[int] = None  # in a timeline, the days it holds, once settled

class SessionView:
    """What one session found: the facts each pattern matched, the derivations of each
    item, and the derived facts they made.

    A condition holds on a set of days, a bit mask (bit d: day `since + d` of a
    timeline). A run of one day has one bit: a condition holds (1) or not (0). A
    timeline's program gives the engine every fact some day's window holds, and
    `member` says on which days each one is within its pattern's window and known."""

    def __init__(self, program: Program, values: dict):
        self.program = program
        self.values = values  # fid -> values, case facts of this world
        self.matches: dict[int, set] = {}  # collector -> fact ids
        self.fired: dict[str, list] = {iid: [] for iid in program.items}  # item -> Fired
        self.groups: dict[str, Group] = {}  # derived fact id -> Group
        self.full = program.full  # every day
        self.timeline = program.since is not None
        self._index: dict = {}
        self._members: dict = {}

    def get(self, fid: str) -> dict:
        group = self.groups.get(fid)
        return group.values if group is not None else self.values[fid]

    def key(self, cond) -> PatternKey:
        return pattern_key(cond, self.program.as_of, self.program.since)

    def candidates(self, cond) -> list:
        n = self.program.collectors[self.key(cond)]
        return sorted(self.matches.get(n, ()))

    def member(self, cond, fid: str) -> int:
        """The days on which a fact the engine matched for a match or reference is
        there: known, and within the window of that day; a derived fact's days."""
        if not self.timeline:
            return self.full
        group = self.groups.get(fid)
        if group is not None:
            return self.full if group.mask is None else group.mask  # unsettled: any day
        key = self.key(cond)
        cached = self._members.get((key, fid))
        if cached is None:
            cached = self._members[(key, fid)] = days_of(self.program, key.window, self.values[fid])
        return cached

    def _indexed(self, cond, key: str) -> dict:
        n = self.program.collectors[self.key(cond)]
        index = self._index.get((n, key))
        if index is None:
            index = {}
            for fid in self.candidates(cond):
                v = self.get(fid).get(key, MISSING)
                if v is not MISSING:
                    for x in elements(v):
                        index.setdefault(token(x), []).append(fid)
            self._index[(n, key)] = index
        return index

    def options(self, cond, env: dict) -> list:
        """Facts satisfying a match or reference given the bound names `env` (on some
        day: `member` says which)."""
        tests = [t for t in cond.tests if isinstance(t.operand, Ref) and t.operand.name in env]
        pool = None
        for t in tests:
            if t.op in ("eq", "contains", "in"):
                ref = self.get(env[t.operand.name]).get(t.operand.key, MISSING)
                if ref is MISSING:
                    return []
                index = self._indexed(cond, t.key)
                found = set()
                for x in elements(ref):
                    found.update(index.get(token(x), ()))
                pool = sorted(found)
                break
        if pool is None:
            pool = self.candidates(cond)
        out = []
        for fid in pool:
            own = self.get(fid)
            if all(
                passes_ref(own.get(t.key, MISSING), t.op, self.get(env[t.operand.name]).get(t.operand.key, MISSING))
                for t in tests
            ):
                out.append(fid)
        return out

    def holds(self, cond, env: dict) -> bool:
        return self.truth(cond, env) != 0

    def truth(self, cond, env: dict) -> int:
        """The days on which a condition holds, given the bound names `env`."""
        out = 0
        for _, days in self._solve([cond], env):
            out |= days
            if out == self.full:
                break
        return out

    def count(self, cond, env: dict) -> int:
        """How many distinct facts a count counts, or how many conditions of an of hold,
        given the bound names `env` (in a run of one day)."""
        if isinstance(cond, Of):
            return sum(1 for c in cond.conditions if self.holds(c, env))
        return len(self.options(cond.match, env))

    def solutions(self, conds: list, env: dict) -> Iterator[dict]:
        """Every extension of `env` that satisfies the conjunction `conds` on some day."""
        for extended, _ in self._solve(conds, env):
            yield extended

    def _solve(self, conds: list, env: dict) -> Iterator[tuple]:
        """(env, days) for every extension of `env` that satisfies `conds` on some day."""
        flat: list = []
        for c in conds:
            flat.extend(c.conditions if isinstance(c, All) else [c])
        if any(isinstance(c, All) for c in flat):
            yield from self._solve(flat, env)
            return
        binders = [c for c in flat if isinstance(c, (Match, ItemRef)) and c.binds]
        others = [c for c in flat if not (isinstance(c, (Match, ItemRef)) and c.binds)]
        yield from self._bind(binders, others, dict(env), [], self.full)

    def _bind(self, binders: list, others: list, env: dict, chosen: list, days: int) -> Iterator[tuple]:
        if not binders:
            for c in others:
                days &= self._check(c, env)
                if not days:
                    return
            for cond, fid in chosen:  # tests deferred until every name was bound
                own = self.get(fid)
                for t in cond.tests:
                    if isinstance(t.operand, Ref) and not passes_ref(
                        own.get(t.key, MISSING), t.op, self.get(env[t.operand.name]).get(t.operand.key, MISSING)
                    ):
                        return
            yield env, days
            return
        ready = [c for c in binders if refs_of(c) <= set(env)]
        cond = ready[0] if ready else binders[0]
        rest = [c for c in binders if c is not cond]
        for fid in self.options(cond, env):
            mine = days & self.member(cond, fid)
            if mine:
                yield from self._bind(rest, others, {**env, cond.binds: fid}, chosen + [(cond, fid)], mine)

    def _check(self, c, env: dict) -> int:
        """The days on which a condition that binds nothing visible holds."""
        if isinstance(c, (Match, ItemRef)):
            out = 0
            for fid in self.options(c, env):
                out |= self.member(c, fid)
                if out == self.full:
                    break
            return out
        if isinstance(c, Not):
            return self.full & ~self.truth(c.condition, env)
        if isinstance(c, Count):
            return self._within(c, [self.member(c.match, fid) for fid in self.options(c.match, env)])
        if isinstance(c, Of):
            return self._within(c, [self.truth(x, env) for x in c.conditions])
        if isinstance(c, AnyOf):
            out = 0
            for x in c.conditions:
                out |= self.truth(x, env)
            return out
        return self.truth(c, env)

    def _within(self, c, masks: list) -> int:
        """The days on which the number of `masks` holding is within c's bounds."""
        if not self.timeline:
            return self.full if c.within(sum(1 for m in masks if m)) else 0
        return days_within(masks, self.program.days, c.within)

    def condition_holds(self, conds: list, index: int) -> bool:
        """Whether top-level condition `index` of an all holds, with its binders (SPEC 3.1)."""
        needed = {index}
        frontier = [index]
        while frontier:
            i = frontier.pop()
            for name in refs_of(conds[i]):
                for j, c in enumerate(conds):
                    if name in binds_of(c) and j not in needed:
                        needed.add(j)
                        frontier.append(j)
        return next(self.solutions([conds[i] for i in sorted(needed)], {}), None) is not None


def days_within(masks: list, days: int, within) -> int:
    """The days on which the number of masks having that day's bit is within bounds.
    The count changes only where a mask's run of days starts or ends, so the days are
    judged a run at a time (a day at a time was quadratic in a long timeline)."""
    diff: dict = {}
    for m in masks:
        d = 0
        while m:
            zeros = (m & -m).bit_length() - 1
            m >>= zeros
            d += zeros
            ones = (~m & (m + 1)).bit_length() - 1  # the run of days starting here
            diff[d] = diff.get(d, 0) + 1
            diff[d + ones] = diff.get(d + ones, 0) - 1
            m >>= ones
            d += ones
    out = 0
    n = 0
    start = 0  # every day from here to the next change has n masks
    for d in sorted(diff) + [days]:
        end = min(d, days)
        if end > start and within(n):
            out |= ((1 << (end - start)) - 1) << start
        if d >= days:
            break
        n += diff[d]
        start = d
    return out


def days_of(program: Program, window, values: dict) -> int:
    """The days of a program on which a case fact is known (its `reported` day, else
    its `date`) and, for a pattern with a window, dated within that day's window."""
    since = program.since
    last = program.days - 1
    known = values.get("reported") or values.get("date")
    first = 0 if known is None else max(0, (known - since).days)
    if first > last:
        return 0
    if window is None:
        return ((1 << (last + 1)) - 1) & ~((1 << first) - 1)
    date = values.get("date")
    if not isinstance(date, datetime.date):
        return 0
    # the window on day D is [lo(D), hi(D)], both ends rising with D: the days whose
    # window holds the date run from the first with hi >= date to the last with lo <= date
    lo_day, hi_day = _window_days(window, since, last, date)
    start, end = max(first, lo_day), hi_day
    if start > end:
        return 0
    return ((1 << (end + 1)) - 1) & ~((1 << start) - 1)


@functools.lru_cache(maxsize=65536)
def _window_days(window, since: datetime.date, last: int, date: datetime.date) -> tuple:
    day = date.toordinal()

    def bounds(d: int):
        return window_bounds(window, since + datetime.timedelta(days=d))

    lo_, hi_ = 0, last + 1  # the first day whose window reaches the date (hi >= date)
    while lo_ < hi_:
        mid = (lo_ + hi_) // 2
        hi = bounds(mid)[1]
        if hi is None or hi >= day:
            hi_ = mid
        else:
            lo_ = mid + 1
    first = lo_
    lo_, hi_ = -1, last  # the last day whose window starts by the date (lo <= date)
    while lo_ < hi_:
        mid = (lo_ + hi_ + 1) // 2
        lo = bounds(mid)[0]
        if lo is None or lo <= day:
            lo_ = mid
        else:
            hi_ = mid - 1
    return first, lo_
