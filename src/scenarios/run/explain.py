"""Why an item holds: its derivation trees down to the case facts, and for `--explain`
its condition tree marked holds / does not hold in one world.

Everything here reads one engine session: the explanation comes from the same run
as the statuses, never from a second matcher.
"""

from __future__ import annotations

import datetime
from typing import Optional

from .. import words
from ..model import All, AnyOf, Case, Count, ItemRef, Match, Not, Of, binds_of, refs_of
from ..result import ConditionNode, Explanation, Node
from ..result import Derivation as DerivationTree
from ..values import canonical
from . import aging
from .evidence import leaf_evidence
from .reading import Fired, SessionView

LISTED = 5  # derivations or facts listed under one node before "and N more"
MAX_DEPTH = 12  # levels of indicators and scenarios shown below an item
MAX_TREES = 200  # derivation trees shown under one item, all levels together
MAX_EXPLAINED = 100  # derivations listed by --explain


def explain_item(run: SessionView, iid: str, case: Case, visiting: set, limit: int = LISTED) -> list:
    """The derivation trees of an item in one world (the first few, deterministic)."""
    fired = sorted(run.fired[iid], key=lambda f: (f.conjunction, f.facts))
    budget = [MAX_TREES]
    return [explain_fired(run, f, case, visiting | {iid}, budget) for f in fired[:limit]]


def explain_fired(run: SessionView, f: Fired, case: Case, visiting: set, budget: list) -> DerivationTree:
    """One derivation's tree; `budget` bounds the trees of the whole explanation, which
    would otherwise grow as the number of derivations to the power of the depth."""
    budget[0] -= 1
    program = run.program
    body = next(b for b in program.bodies[f.item] if b.index == f.conjunction)
    as_of = program.as_of
    nodes = []
    for (i, fid), cond in zip(f.facts, body.positives):
        label = words.condition(cond, as_of)
        if isinstance(cond, Match):
            nodes.append(Node(label, "match", fact=fid))
        else:
            group = run.groups[fid]
            members = sorted(group.members, key=lambda m: (m.conjunction, m.facts))
            if cond.id in visiting or len(visiting) >= MAX_DEPTH or budget[0] <= 0:
                nodes.append(Node(label, cond.kind, more=len(members)))
                continue
            children = [explain_fired(run, m, case, visiting | {cond.id}, budget) for m in members[: min(LISTED, max(budget[0], 1))]]
            nodes.append(Node(label, cond.kind, children=children, more=len(members) - len(children)))
    env = dict(f.names)
    for g in body.guards:
        label = words.condition(g, as_of)
        if isinstance(g, Count):
            fids = run.options(g.match, env)
            dated = sorted(fids, key=lambda x: (run.values.get(x, {}).get("date", datetime.date.min), x))
            nodes.append(Node(label, "count", count=len(fids), facts=dated[:LISTED], more=max(0, len(fids) - LISTED)))
        elif isinstance(g, Of):
            nodes.append(of_node(run, g, env, label, case, visiting, budget))
        else:
            nodes.append(Node(label, "not"))
    derived = {k: canonical(v) for k, v in sorted(run.groups[f.group].values.items())}
    bindings = {k: v.lstrip("\x1e") for k, v in sorted(f.names.items())}  # a derived fact shows as its item
    return DerivationTree(f.item, bindings, derived, nodes)


def of_node(run: SessionView, g: Of, env: dict, label: str, case: Case, visiting: set, budget: list) -> Node:
    """An `of` in a derivation: how many of its conditions hold, and what makes those
    that are a match or a reference hold (a fact each, the item's derivations)."""
    held = [c for c in g.conditions if run.holds(c, env)]
    facts: list = []
    children: list = []
    for c in held:
        if isinstance(c, Match):
            facts.extend(run.options(c, env)[:1])
        elif isinstance(c, ItemRef) and c.id not in visiting and len(visiting) < MAX_DEPTH and budget[0] > 0:
            fired = sorted(run.fired[c.id], key=lambda m: (m.conjunction, m.facts))
            children.extend(explain_fired(run, m, case, visiting | {c.id}, budget) for m in fired[:1])
    return Node(label, "of", count=len(held), facts=list(dict.fromkeys(facts)), children=children)


def condition_tree(run: SessionView, cond, as_of: datetime.date, holds: Optional[bool] = None, case: Optional[Case] = None, visiting: frozenset = frozenset()) -> ConditionNode:
    """A condition and its parts, each marked holds / does not hold in this world; a
    part that uses a name bound outside it is left unmarked (it depends on the binding).
    A reference to an item that does not hold goes down into that item's own
    conditions; a match that does not hold names the facts its tests select but the
    run leaves out (too old for its window, not yet reported)."""
    if isinstance(cond, Of):
        label = f"{words.bounds(cond.at_least, cond.at_most)} of"
    else:
        label = words.condition(cond, as_of) if not isinstance(cond, (All, AnyOf, Not)) else {All: "all of", AnyOf: "any of", Not: "not"}[type(cond)]
    outer = refs_of(cond) - binds_of(cond)  # names it needs from outside itself
    if holds is None and not outer:
        holds = run.holds(cond, {})
    detail = ""
    if isinstance(cond, Match):
        n = len(run.candidates(cond))
        detail = f"{n} fact{'s pass' if n != 1 else ' passes'} the tests on the fact alone"
        if case is not None and not holds:
            detail += aging.outside(case, cond, as_of)
    elif isinstance(cond, ItemRef):
        n = len(run.fired[cond.id])
        detail = f"derived {n} time{'s' if n != 1 else ''}" if n else "not derived"
    elif isinstance(cond, Count) and not outer:
        detail = f"{run.count(cond, {})} counted"
        if case is not None and not holds:
            detail += aging.outside(case, cond, as_of)
    elif isinstance(cond, Of) and not outer:
        n = run.count(cond, {})
        detail = f"{n} of {len(cond.conditions)} hold{'s' if n == 1 else ''}"
    node = ConditionNode(label, holds, detail)
    if isinstance(cond, All):
        conds = list(cond.conditions)
        for i, c in enumerate(conds):
            h = run.condition_holds(conds, i) if not outer else None
            node.children.append(condition_tree(run, c, as_of, h, case, visiting))
    elif isinstance(cond, (AnyOf, Of)):
        node.children = [condition_tree(run, c, as_of, None, case, visiting) for c in cond.conditions]
    elif isinstance(cond, Not):
        node.children = [condition_tree(run, cond.condition, as_of, None, case, visiting)]
    elif isinstance(cond, ItemRef) and holds is False and not run.fired[cond.id] and cond.id not in visiting and len(visiting) < MAX_DEPTH:
        # why not, one level down: the referenced item's own conditions in this world
        node.children = [condition_tree(run, run.program.items[cond.id].when, as_of, None, case, visiting | {cond.id})]
    return node


def explanation(run: SessionView, iid: str, case: Case, world: int, choices: list, status: str) -> Explanation:
    """Everything about one item in one world, for --explain."""
    item = run.program.items[iid]
    derivations = explain_item(run, iid, case, set(), limit=MAX_EXPLAINED)
    return Explanation(
        item=iid,
        kind=item.kind,
        title=item.title,
        status=status,
        world=world,
        hypotheses=choices,
        tree=condition_tree(run, item.when, run.program.as_of, bool(run.fired[iid]), case, frozenset({iid})),
        derivations=derivations,
        evidence=leaf_evidence(derivations, case),
    )
