"""Critical facts (SPEC 3.1): the facts whose removal alone leaves an item triggered
in every world not triggered in some.

Exact from necessary-fact sets where an item's cone is monotone and acyclic; elsewhere
each candidate fact is re-run without it, the ground truth.
"""

from __future__ import annotations

import datetime
from typing import Optional

from ..compile import Program
from ..model import Case, Count, ItemRef, Match, Not, Of, walk
from ..worlds import choices, enumerate_worlds, views, visible
from .known import in_run
from .reading import Fired, SessionView
from .session import run_world

MAX_RERUNS = 256  # candidate facts re-run for critical facts; beyond this, none
MAX_RERUN_SESSIONS = 4096  # and engine sessions those re-runs may take (facts x worlds)


def cone(program: Program, iid: str) -> set:
    """The item and every item it depends on, positively or not."""
    seen = {iid}
    stack = [iid]
    while stack:
        item = program.items[stack.pop()]
        for c in walk(item.when):
            if isinstance(c, ItemRef) and c.id not in seen:
                seen.add(c.id)
                stack.append(c.id)
    return seen


def monotone(program: Program, items: set) -> bool:
    """Whether removing a fact can only take derivations away in these items, in a way
    `necessary` can follow: no `not`, no `at_most`, an `of` only over matches and
    references, and no cycle (support must be well-founded)."""
    for iid in items:
        for c in walk(program.items[iid].when):
            if isinstance(c, Not) or (isinstance(c, (Count, Of)) and c.at_most is not None):
                return False
            if isinstance(c, Of) and not all(isinstance(x, (Match, ItemRef)) for x in c.conditions):
                return False
    for iid in items:
        for c in walk(program.items[iid].when):
            if isinstance(c, ItemRef) and c.id in items and reaches(program, c.id, iid, items):
                return False
    return True


def reaches(program: Program, start: str, goal: str, items: set) -> bool:
    """Whether item `goal` can be reached from item `start` through references among `items`."""
    seen = {start}
    stack = [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        for c in walk(program.items[node].when):
            if isinstance(c, ItemRef) and c.id in items and c.id not in seen:
                seen.add(c.id)
                stack.append(c.id)
    return False


def necessary(run: SessionView, iid: str, memo: dict) -> frozenset:
    """Facts without which the item has no derivation left in this world.

    Exact for a monotone, acyclic cone: a derivation survives a removal when none of
    its facts is removed and every item it uses keeps one derivation; a count at its
    `at_least` threshold needs every fact it counted.
    """
    if iid in memo:
        return memo[iid]
    out: Optional[frozenset] = None
    for f in run.fired[iid]:
        need = set(fired_necessary(run, f, memo))
        out = frozenset(need) if out is None else out & need
        if not out:
            break
    memo[iid] = out or frozenset()
    return memo[iid]


def group_necessary(run: SessionView, gid: str, memo: dict) -> frozenset:
    """The facts every derivation of one derived fact needs."""
    key = ("group", gid)
    if key not in memo:
        out: Optional[frozenset] = None
        for m in run.groups[gid].members:
            need = fired_necessary(run, m, memo)
            out = need if out is None else out & need
            if not out:
                break
        memo[key] = out or frozenset()
    return memo[key]


def fired_necessary(run: SessionView, f: Fired, memo: dict) -> frozenset:
    """The case facts one derivation needs, through the items it uses."""
    program = run.program
    body = next(b for b in program.bodies[f.item] if b.index == f.conjunction)
    need = set()
    for (i, fid), cond in zip(f.facts, body.positives):
        if isinstance(cond, Match):
            need.add(fid)
        else:
            need |= group_necessary(run, fid, memo)
    for g in body.guards:
        if isinstance(g, Count) and g.at_least is not None:
            counted = run.options(g.match, dict(f.names))
            if len(counted) == g.at_least:
                need.update(counted)
        elif isinstance(g, Of):
            need |= of_necessary(run, g, dict(f.names), memo)
    return frozenset(need)


def of_necessary(run: SessionView, g: Of, env: dict, memo: dict) -> set:
    """The facts without which fewer than at_least conditions of an `of` (of matches
    and references) would hold: each condition that holds needs the facts every one of
    its options needs; a fact is needed when more conditions need it than can be spared."""
    needs = []
    for c in g.conditions:
        options = run.options(c, env)
        if not options:
            continue
        if isinstance(c, Match):
            needs.append({options[0]} if len(options) == 1 else set())
        else:
            common = None
            for gid in options:
                n = group_necessary(run, gid, memo)
                common = set(n) if common is None else common & n
            needs.append(common or set())
    spare = len(needs) - (g.at_least or 0)
    counts: dict = {}
    for n in needs:
        for fid in n:
            counts[fid] = counts.get(fid, 0) + 1
    return {fid for fid, k in counts.items() if k > spare}


def cone_facts(run: SessionView, items: set) -> set:
    """Every case fact some pattern of these items matches: no other fact's removal
    can change them."""
    out: set = set()
    for iid in items:
        for c in walk(run.program.items[iid].when):
            if isinstance(c, Match):
                out.update(run.candidates(c))
    return out


def triggered_everywhere(case: Case, program: Program, as_of: datetime.date, drop: frozenset, only: set) -> set:
    """The items triggered in every world once `drop` is removed, among facts `only`:
    statuses only. An item's status depends on no fact but those its dependencies'
    patterns match, so the re-runs of critical facts need no other."""
    facts, _ = in_run(case, as_of, drop)
    facts = [f for f in facts if f.id in only]
    cs = choices(facts)
    holding = set(program.items)
    base: dict = visible(facts)
    encoded: dict = {}
    for world in enumerate_worlds(cs):
        run = run_world(program, facts, views(facts, cs, world, base), encoded)
        holding = {iid for iid in holding if run.fired[iid]}
        if not holding:
            break
    return holding


def critical_facts(case, program: Program, as_of, drop, states: dict, n_worlds: int) -> dict:
    """item id -> its critical facts, for items triggered in every world.

    Exact from necessary facts where an item's cone is monotone and acyclic; elsewhere
    each candidate fact is re-run without it, the ground truth of SPEC 3.1.
    """
    out = {}
    pending: dict = {}
    for iid, st in states.items():
        if st.triggered_in != n_worlds or n_worlds == 0:
            continue
        if st.exact:
            out[iid] = sorted(st.critical)
        else:
            pending[iid] = st.candidates
    if pending:
        candidates = sorted(set().union(*pending.values()))
        if len(candidates) <= MAX_RERUNS and len(candidates) * n_worlds <= MAX_RERUN_SESSIONS:
            lost: dict = {iid: [] for iid in pending}
            for fid in candidates:
                still = triggered_everywhere(case, program, as_of, drop | {fid}, set(candidates))
                for iid, cands in pending.items():
                    if fid in cands and iid not in still:
                        lost[iid].append(fid)
            out.update(lost)
    return out
