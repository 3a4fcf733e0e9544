"""The worlds of a case in parts: each part runs its worlds one after another and keeps
what each item needs (statuses, the first explanation, near misses, critical facts);
parts merge in world order into what one pass over every world would have found, so
that parts may run on other processes or machines."""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass, field
from typing import Optional

from .. import words
from ..compile import Program
from ..model import All, Case, Count, Of, refs_of
from ..worlds import choices, enumerate_worlds, views, visible
from . import aging, critical, explain
from .hypotheses import world_words
from .known import in_run
from .reading import SessionView
from .session import compiled, run_world



@dataclass
class ItemState:
    """What the worlds run so far say of one item."""

    triggered_in: int = 0
    worlds: list = field(default_factory=list)  # indexes of worlds where it holds
    because: Optional[list] = None
    because_world: int = 0
    derivations: int = 0
    best_held: int = -1  # of the near-miss world described: conditions holding,
    best_needed: int = 0  # needed,
    best_missing: Optional[list] = None  # and what is missing, in words
    near_miss: bool = False
    critical: set = field(default_factory=set)  # exact, from necessary facts
    candidates: set = field(default_factory=set)  # to be checked by re-runs
    exact: bool = True  # whether `critical` needs no re-runs


@dataclass
class WorldsPart:
    """What a run of the worlds start..stop-1 found: each item's state, and the
    explanation asked for (`holds`: where it first holds; `closest`: where it came
    closest), with how close that was."""

    start: int
    stop: int
    states: dict
    found: dict
    closest_held: int = -1


def run_worlds(args: tuple) -> WorldsPart:
    """The worlds start..stop-1 of a case, in their enumeration order (a task that
    `evaluate` may hand to another process: it takes and gives plain data)."""
    case, rulesets, as_of, drop, explain_id, start, stop = args
    facts, _ = in_run(case, as_of, drop)
    return worlds_part(compiled(tuple(rulesets), as_of), case, facts, choices(facts), as_of, explain_id, start, stop)


def worlds_part(program: Program, case: Case, facts: list, cs: list, as_of: datetime.date, explain_id: Optional[str], start: int, stop: int) -> WorldsPart:
    """The worlds start..stop-1, run one after another."""
    world_list = list(itertools.islice(enumerate_worlds(cs), start, stop))
    cones, exact = critical.exact_items(program)
    states = {iid: ItemState() for iid in program.items}
    part = WorldsPart(start, stop, states, {})
    found = part.found
    base: dict = visible(facts)
    # engine facts kept from one world to the next; with one world, kept for nothing
    encoded: Optional[dict] = {} if len(world_list) > 1 else None
    for w, world in enumerate(world_list, start):
        run = run_world(program, facts, views(facts, cs, world, base), encoded)
        memo: dict = {}
        for iid, item in program.items.items():
            st = states[iid]
            if iid == explain_id:
                key = "holds" if run.fired[iid] else "closest"
                if key not in found:
                    found[key] = explain.explanation(run, iid, case, w, world_words(cs, world), "")
            if run.fired[iid]:
                st.triggered_in += 1
                st.worlds.append(w)
                if st.because is None:
                    st.because_world = w
                    st.because = explain.explain_item(run, iid, case, set())
                    st.derivations = len(run.fired[iid])
                if st.triggered_in == w - start + 1:  # triggered in every world so far
                    if exact[iid]:
                        st.critical |= critical.necessary(run, iid, memo)
                    else:
                        st.exact = False
                        st.candidates |= critical.cone_facts(run, cones[iid])
            else:
                parts = near_miss_parts(run, item.when)
                if parts is None:
                    continue
                held, needed = parts
                n = sum(held)
                if iid == explain_id and n > part.closest_held:
                    found["closest"] = explain.explanation(run, iid, case, w, world_words(cs, world), "")
                    part.closest_held = n
                # SPEC 3.1: some but not all (of an all), or some but fewer than needed
                # (of an of); `missing` describes the first world where the most hold
                if 0 < n < needed:
                    st.near_miss = True
                    if n > st.best_held:
                        st.best_held, st.best_needed = n, needed
                        st.best_missing = sorted(
                            words.missing(c, as_of, run.count(c, {}) if isinstance(c, (Count, Of)) and not refs_of(c) else None)
                            + aging.outside(case, c, as_of)
                            for c, h in zip(item.when.conditions, held)
                            if not h
                        )
    return part


def near_miss_parts(run: SessionView, when) -> Optional[tuple[list, int]]:
    """(which top-level conditions hold, how many are needed) when `when` can make a
    near miss: an `all` (each condition with the ones that bind its names; all needed)
    or an `of` with at_least (each judged on its own; at_least needed). Else None."""
    if isinstance(when, All):
        conds = list(when.conditions)
        return [run.condition_holds(conds, i) for i in range(len(conds))], len(conds)
    if isinstance(when, Of) and when.at_least is not None:
        return [run.holds(c, {}) for c in when.conditions], when.at_least
    return None


def merge_parts(parts: list, items) -> tuple[dict, dict]:
    """Item states and explanations over all worlds from parts in world order, as one
    pass over every world would have found them."""
    states = {iid: ItemState() for iid in items}
    found: dict = {}
    closest_held = -1
    for part in parts:
        size = part.stop - part.start
        for iid, p in part.states.items():
            st = states[iid]
            if st.because is None and p.because is not None:
                st.because, st.because_world, st.derivations = p.because, p.because_world, p.derivations
            if st.triggered_in == part.start and p.triggered_in == size:  # in every world so far
                st.critical |= p.critical
                st.candidates |= p.candidates
                st.exact = st.exact and p.exact
            st.triggered_in += p.triggered_in
            st.worlds.extend(p.worlds)
            st.near_miss = st.near_miss or p.near_miss
            if p.best_held > st.best_held:
                st.best_held, st.best_needed, st.best_missing = p.best_held, p.best_needed, p.best_missing
        if "holds" in part.found and "holds" not in found:
            found["holds"] = part.found["holds"]
        if "closest" in part.found and ("closest" not in found or part.closest_held > closest_held):
            found["closest"] = part.found["closest"]
            closest_held = max(closest_held, part.closest_held)
    return states, found
