"""Critical facts (SPEC 3.1): the facts whose removal alone leaves an item triggered
in every world not triggered in some.

Exact from necessary-fact sets where an item's cone is monotone and acyclic; elsewhere
each candidate fact is re-run without it, the ground truth.
"""

from __future__ import annotations

import datetime
from typing import Optional

from ..compile import Program, components
from ..model import Case, Count, ItemRef, Match, Not, Of, walk
from ..worlds import choices, enumerate_worlds, views, visible
from .known import in_run
from .reading import Fired, SessionView
from .session import run_world

MAX_RERUNS = 256  # candidate facts re-run for critical facts; beyond this, none
MAX_RERUN_SESSIONS = 4096  # and engine sessions those re-runs may take (facts x worlds)


def cone(program: Program, iid: str, refs: Optional[dict] = None) -> set:
    """The item and every item it depends on, positively or not; `refs` (from
    `references`) saves reading each item's conditions again."""
    refs = refs if refs is not None else references(program)
    seen = {iid}
    stack = [iid]
    while stack:
        for other in refs[stack.pop()]:
            if other not in seen:
                seen.add(other)
                stack.append(other)
    return seen


def references(program: Program) -> dict:
    """item id -> the ids of the items its conditions refer to."""
    return {iid: list(dict.fromkeys(c.id for c in walk(item.when) if isinstance(c, ItemRef))) for iid, item in program.items.items()}


def exact_items(program: Program) -> tuple[dict, dict]:
    """(item id -> its cone, item id -> whether `necessary` is exact for it): whether
    removing a fact can only take derivations away in its cone, in a way `necessary`
    can follow: no `not`, no `at_most`, an `of` only over matches and references, and
    no cycle (support must be well-founded). Each item is looked at once, and the
    cycles are found once (a chain of 300 items took 21 s item by item)."""
    refs = references(program)
    unfit = {iid for iid, item in program.items.items() if not _monotone_alone(item)} | on_cycles(refs)
    cones = {iid: cone(program, iid, refs) for iid in program.items}
    return cones, {iid: unfit.isdisjoint(c) for iid, c in cones.items()}


def _monotone_alone(item) -> bool:
    for c in walk(item.when):
        if isinstance(c, Not) or (isinstance(c, (Count, Of)) and c.at_most is not None):
            return False
        if isinstance(c, Of) and not all(isinstance(x, (Match, ItemRef)) for x in c.conditions):
            return False
    return True


def on_cycles(refs: dict) -> set:
    """The items on a cycle of references (one that refers to itself included)."""
    found: set = set()
    for comp in components(refs, refs.__getitem__):
        if len(comp) > 1 or comp[0] in refs[comp[0]]:
            found.update(comp)
    return found


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
