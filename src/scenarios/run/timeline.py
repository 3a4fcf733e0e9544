"""How every status evolved (SPEC 6): the status of each item on each day, the days
it changed, and the facts behind each change.

Exact, not sampled, and not a run a day: each world runs once in the engine with a
program for every day of the timeline. The engine takes every fact that some day's
window holds; each fact then carries the days on which it is known and within its
pattern's window, derivations the days on which all they rest on holds, and guards
the days on which they hold (see `reading` and `session.WorldRun.settle`). So the
status of an item on day D is the one `scenarios run --as-of D` gives, for every D
at once; the tests check it against plain re-runs.
"""

from __future__ import annotations

import bisect
import calendar
import datetime
import re
from fractions import Fraction
from typing import Optional

from ..compile import months_back
from ..errors import InputError, Problem, excerpt
from ..model import Case, Match, walk
from ..result import TimelineChange, TimelineItem, TimelineResult
from ..worlds import DEFAULT_MAX_WORLDS, check_world_count, choices, enumerate_worlds, views, visible
from . import aging, likelihood
from .critical import cone
from .evidence import as_evidence
from .evaluation import check_splits
from .known import in_run
from .reading import _window_days
from .session import compiled, run_world

EVERY_RE = re.compile(r"([1-9][0-9]{0,3})([dwm])\Z")
# A span past two centuries is a slip of the year (--from 0202-05-01) or a date typed
# wrong in the case; judging it took minutes and printed megabytes.
MAX_DAYS = 73_050


def timeline(
    case: Case,
    rulesets: list,
    since: Optional[datetime.date] = None,
    until: Optional[datetime.date] = None,
    every: str = "1w",
    max_worlds: int = DEFAULT_MAX_WORLDS,
) -> TimelineResult:
    """The timeline of a case from `since` (default: the earliest date or reported day
    of its facts) to `until` (default: its as_of), with a column every `every` (1d, 2w,
    1m...). InputError for a bad `every`, a start after the end, or a case that cannot
    run."""
    until = until or case.as_of
    earliest = None
    if since is None:
        written = [(d, f, key) for f in case.facts for key, d in (("date", f.date), ("reported", f.reported)) if d is not None]
        earliest = min(written, key=lambda w: (w[0], w[1].id, w[2]), default=None)
        since = min(earliest[0], until) if earliest else until
    if since > until:
        raise InputError([Problem("--from", f"the timeline starts on {since.isoformat()}, after it ends on {until.isoformat()}", code="usage")])
    span = (until - since).days + 1
    if span > MAX_DAYS:
        said = f"the timeline from {since.isoformat()} to {until.isoformat()} spans {span:,} days: at most {MAX_DAYS:,} (200 years)"
        if earliest is None:
            raise InputError([Problem("--from", said + ": give a later --from", code="usage")])
        day, fact, key = earliest
        raise InputError([Problem(case.file, f"{said}, from the {key} of fact '{excerpt(fact.id)}': give --from, or check that day", path=fact.path + (key,), code="limit")])
    steps = step_days(since, until, every)
    program = compiled(tuple(rulesets), until, since)
    facts, _ = in_run(case, until)
    check_splits(case, program, facts)
    cs = choices(facts)
    check_world_count(cs, max_worlds, case.file)
    worlds = list(enumerate_worlds(cs))
    weights = likelihood.world_weights(cs, worlds) if case.likelihood else None
    n_days = program.days
    every_world: dict = {iid: program.full for iid in program.items}  # triggered in all
    some_world: dict = {iid: 0 for iid in program.items}
    per_world: dict = {iid: [] for iid in program.items}
    base = visible(facts)
    encoded: Optional[dict] = {} if len(worlds) > 1 else None
    for world in worlds:
        run = run_world(program, facts, views(facts, cs, world, base), encoded)
        for iid in program.items:
            days = run.days(iid)
            every_world[iid] &= days
            some_world[iid] |= days
            per_world[iid].append(days)
    step_index = [(s - since).days for s in steps]
    items = []
    for iid, item in program.items.items():
        held_all, held_some = every_world[iid], some_world[iid]
        # only the days on which some bit flips need judging (a long span made this
        # loop over every day, and each bit test cost the span: 1,000 years took minutes)
        flipped = _flips(held_all, n_days) | _flips(held_some, n_days)
        if weights is not None:
            for days in per_world[iid]:
                flipped |= _flips(days, n_days)
        change_days = _set_bits(flipped)
        chance = _chances(weights, per_world[iid], [0] + change_days) if weights is not None else {}
        all_bits, some_bits = _bit_string(held_all, n_days), _bit_string(held_some, n_days)
        patterns = _patterns(program, iid)
        changes = []
        before = _status(all_bits, some_bits, 0)
        before_chance = chance.get(0)
        for d in change_days:
            after, after_chance = _status(all_bits, some_bits, d), chance.get(d)
            if (after, after_chance) == (before, before_chance):
                continue
            day = since + datetime.timedelta(days=d)
            changes.append(
                TimelineChange(
                    day=day.isoformat(),
                    before=before,
                    after=after,
                    known=_known_on(case, patterns, day),
                    aged_out=_aged_out_on(case, patterns, day),
                    probability_before=before_chance,
                    probability_after=after_chance,
                )
            )
            before, before_chance = after, after_chance
        first = (since + datetime.timedelta(days=(held_all & -held_all).bit_length() - 1)).isoformat() if held_all else None
        chance_days = [0] + change_days
        items.append(
            TimelineItem(
                id=iid,
                kind=item.kind,
                title=item.title,
                statuses=[_status(all_bits, some_bits, i) for i in step_index],
                probabilities=[chance[chance_days[bisect.bisect_right(chance_days, i) - 1]] for i in step_index] if weights is not None else None,
                first_triggered=first,
                changes=changes,
            )
        )
    items.sort(key=lambda t: (t.kind != "scenario", t.id))
    named = sorted({fid for t in items for c in t.changes for fid in c.known + c.aged_out})
    return TimelineResult(
        case=case.id,
        title=case.title,
        classification=case.classification,
        since=since.isoformat(),
        until=until.isoformat(),
        every=every,
        steps=[s.isoformat() for s in steps],
        items=items,
        likelihood=case.likelihood,
        worlds=len(worlds),
        facts={fid: as_evidence(case.by_id[fid], case) for fid in named},
    )


def step_days(since: datetime.date, until: datetime.date, every: str) -> list:
    """The days of the picture's columns: `since`, one every `every` (Nd, Nw or Nm; a
    month step is `since` plus k calendar months, the day clamped), and `until`."""
    found = EVERY_RE.match(every or "")
    if found is None:
        raise InputError([Problem("--every", f"'{every}' is not a step like 1d, 1w or 1m", code="usage")])
    n, unit = int(found.group(1)), found.group(2)
    out = []
    k = 0
    while True:
        if unit == "m":
            index = since.year * 12 + since.month - 1 + k * n
            year, month = divmod(index, 12)
            if year > datetime.MAXYEAR:
                break
            day = datetime.date(year, month + 1, min(since.day, calendar.monthrange(year, month + 1)[1]))
        else:
            try:
                day = since + datetime.timedelta(days=k * n * (7 if unit == "w" else 1))
            except OverflowError:
                break
        if day > until:
            break
        out.append(day)
        k += 1
    if out[-1] != until:
        out.append(until)
    return out


def changed_lately(result: TimelineResult) -> list:
    """The scenarios that changed within the last step: the span of one `every` that
    ends on the last day (a weekly job asks what moved this week)."""
    found = EVERY_RE.match(result.every)
    n, unit = int(found.group(1)), found.group(2)
    until = datetime.date.fromisoformat(result.until)
    start = months_back(until, (n, unit)) if unit == "m" else until - datetime.timedelta(days=n * (7 if unit == "w" else 1))
    since = max(start.isoformat(), result.since)
    return [i.id for i in result.items if i.kind == "scenario" and any(c.day > since for c in i.changes)]


def _flips(days: int, n_days: int) -> int:
    """The days d (1 <= d < n_days) on which bit d of `days` differs from bit d - 1."""
    return (days ^ (days << 1)) & ((1 << n_days) - 2)


def _set_bits(bits: int) -> list:
    """The positions of the set bits of `bits`, in order, in time linear in its size."""
    return [d for d, bit in enumerate(reversed(bin(bits)[2:])) if bit == "1"] if bits else []


def _bit_string(days: int, n_days: int) -> str:
    """`days` as a string whose character d is bit d: one conversion, then each day's
    bit is read in constant time (a shift costs the whole span)."""
    return bin(days)[2:].zfill(n_days)[::-1]


def _status(every: str, some: str, d: int) -> str:
    if every[d] == "1":
        return "triggered"
    if some[d] == "1":
        return "contested"
    return "not_triggered"


def _chances(weights: list, masks: list, days: list) -> dict:
    """The probability on each of `days`: the weights of the worlds where the item
    holds. Between two of the days on which some world's bit flips it is constant."""
    out = {}
    for d in days:
        q = sum((w for w, m in zip(weights, masks) if m >> d & 1), Fraction(0))
        out[d] = float(likelihood.rounded(q))
    return out


def _patterns(program, iid: str) -> list:
    """The matches of an item's conditions and of those of every item it depends on."""
    out = []
    for other in sorted(cone(program, iid)):
        out.extend(c for c in walk(program.items[other].when) if isinstance(c, Match))
    return out


def _known_on(case: Case, patterns: list, day: datetime.date) -> list:
    """The facts that become known on `day` (reported, else dated) which some pattern
    selects on its own tests (SPEC 6: the facts behind a change)."""
    out = set()
    for m in patterns:
        for f in aging.by_type(case, m.types):
            if f.known == day and aging.selects(m, f):
                out.add(f.id)
    return sorted(out)


def _aged_out_on(case: Case, patterns: list, day: datetime.date) -> list:
    """The facts that left the window of a pattern selecting them on `day`: within it
    the day before, known by then, and not within it on `day`."""
    before = day - datetime.timedelta(days=1)
    out = set()
    for m in patterns:
        if m.window is None or m.window.within is None:
            continue
        for f in aging.by_type(case, m.types):
            if f.date is None or f.known is None or f.known > before or f.id in out:
                continue
            first, last = _window_days(m.window, before, 1, f.date)
            # day 0 is `before`, day 1 is `day`: within on the first, not on the second
            if first <= 0 <= last and not first <= 1 <= last and aging.selects(m, f):
                out.add(f.id)
    return sorted(out)
