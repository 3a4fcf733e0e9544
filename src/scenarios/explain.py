"""Why, why not and how solid: derivation trees, evidence, weakest links, critical facts.

Everything here reads one engine session (a `WorldRun`) or the case: the explanation
comes from the same run as the statuses, never from a second matcher.
"""

from __future__ import annotations

import datetime
import itertools
from typing import Optional

from . import words
from .compile import Program
from .model import All, AnyOf, Case, Count, Grade, ItemRef, Match, Not, binds_of, refs_of, walk
from .result import Derivation as DerivationTree
from .result import Assumption, ConditionNode, Evidence, Explanation, Hypothesis, Node, Weakest
from .values import canonical

LISTED = 5  # derivations or facts listed under one node before "and N more"


MAX_DEPTH = 12  # levels of indicators and scenarios shown below an item
MAX_TREES = 200  # derivation trees shown under one item, all levels together


def explain_item(run, iid: str, case: Case, visiting: set, limit: int = LISTED) -> list:
    """The derivation trees of an item in one world (the first few, deterministic)."""
    fired = sorted(run.fired[iid], key=lambda f: (f.conjunction, f.facts))
    budget = [MAX_TREES]
    return [explain_fired(run, f, case, visiting | {iid}, budget) for f in fired[:limit]]


def explain_fired(run, f, case: Case, visiting: set, budget: list) -> DerivationTree:
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
        else:
            nodes.append(Node(label, "not"))
    derived = {k: canonical(v) for k, v in sorted(run.groups[f.group].values.items())}
    bindings = {k: v.lstrip("\x1e") for k, v in sorted(f.names.items())}  # a derived fact shows as its item
    return DerivationTree(f.item, bindings, derived, nodes)


def leaf_evidence(trees: list, case: Case, assumed: Optional[dict] = None) -> list:
    """The case facts at the leaves of derivation trees, each once, by date then id;
    `assumed` gives each fact's contested values in the world the trees come from."""
    ids: set = set()
    stack = list(trees)
    while stack:
        t = stack.pop()
        for n in t.conditions:
            if n.fact:
                ids.add(n.fact)
            ids.update(n.facts)
            stack.extend(n.children)
    out = []
    for fid in ids:
        f = case.by_id.get(fid)
        if f is None:
            continue
        src = case.sources.get(f.source) if f.source else None
        out.append(
            Evidence(
                id=f.id,
                type=f.type,
                date=f.date.isoformat() if f.date else None,
                source=f.source,
                source_name=src.name if src else None,
                grade=Grade(src.reliability if src else None, f.credibility),
                text=f.text,
                assumes=tuple((assumed or {}).get(fid, ())),
            )
        )
    return sorted(out, key=lambda e: (e.date or "", e.id))


def assumptions(case: Case, cs: list, world: tuple) -> dict:
    """fact id -> the hypotheses (contested values, with their grades) a world takes."""
    out: dict = {}
    for c, i in zip(cs, world):
        alt = c.alternatives[i]
        src = case.sources.get(alt.source) if alt.source else None
        out.setdefault(c.fact, []).append(
            Assumption(c.key, words.value_text(alt.value), src.name if src else None, Grade(src.reliability if src else None, alt.credibility))
        )
    return out


def weakest(evidence: list) -> Optional[Weakest]:
    """The least solid graded link: worst reliability, then worst credibility, over the
    facts and the hypotheses they rest on. F and 6 mean "cannot be judged": they are
    flagged as ungraded elsewhere, never ranked as worst."""
    links = []
    for e in evidence:
        links.append((e.grade.rank, e.id, e.grade, None))
        for a in e.assumes:
            links.append((a.grade.rank, e.id, a.grade, f"{a.key} = {a.value}"))
    graded = [link for link in links if link[0] is not None]
    if not graded:
        return None
    rank, fid, grade, about = max(graded, key=lambda link: (link[0], link[1], link[3] or ""))
    return Weakest(fid, grade, about)


def holds_if(cs: list, worlds: list, holding: set) -> list:
    """The ways a contested item holds, any one enough, as simply as they can be said:
    ["convoy-attack.actor = HTS"], ["a.k = x and b.k = y", ...]."""
    n = len(worlds)
    every = (1 << n) - 1
    target = 0
    for w in holding:
        target |= 1 << w
    masks = {}
    for k, c in enumerate(cs):
        for a in range(len(c.alternatives)):
            m = 0
            for w, world in enumerate(worlds):
                if world[k] == a:
                    m |= 1 << w
            masks[(k, a)] = m
    implicants = []
    for size in range(1, min(3, len(cs)) + 1):
        for keys in itertools.combinations(range(len(cs)), size):
            for alts in itertools.product(*(range(len(cs[k].alternatives)) for k in keys)):
                term = tuple(zip(keys, alts))
                if any(set(t) <= set(term) for t, _ in implicants):
                    continue
                m = every
                for pair in term:
                    m &= masks[pair]
                if m and m & ~target == 0:
                    implicants.append((term, m))
    cover, covered = [], 0
    while covered != target:
        best = max(implicants, key=lambda t: bin(t[1] & ~covered).count("1"), default=None)
        if best is None or not best[1] & ~covered:
            return [f"in {len(holding)} of {n} worlds, under no simple combination of hypotheses"]
        cover.append(best[0])
        covered |= best[1]
    return sorted(" and ".join(f"{cs[k].fact}.{cs[k].key} = {words.value_text(cs[k].alternatives[a].value)}" for k, a in term) for term in cover)


def matrix(cs: list, worlds: list, holding_by_item: dict) -> tuple[list, list]:
    """An ACH-style matrix: for each item, in how many worlds of each hypothesis it holds."""
    columns, members = [], []
    for k, c in enumerate(cs):
        for a, alt in enumerate(c.alternatives):
            columns.append((c.fact, f"{c.key} = {words.value_text(alt.value)}"))
            members.append({w for w, world in enumerate(worlds) if world[k] == a})
    rows = [(iid, [(len(holding & m), len(m)) for m in members]) for iid, holding in holding_by_item.items()]
    return columns, rows


def hypotheses(cs: list, case: Case) -> list:
    out = []
    for c in cs:
        alts = []
        for a in c.alternatives:
            src = case.sources.get(a.source) if a.source else None
            alts.append((canonical(a.value), a.source, src.name if src else None, Grade(src.reliability if src else None, a.credibility)))
        out.append(Hypothesis(c.fact, c.key, alts))
    return out


# -- critical facts ------------------------------------------------------------------------


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
    """Whether removing a fact can only take derivations away in these items:
    no `not`, no `at_most`, and no cycle (support must be well-founded)."""
    for iid in items:
        for c in walk(program.items[iid].when):
            if isinstance(c, Not) or (isinstance(c, Count) and c.at_most is not None):
                return False
    for iid in items:
        for c in walk(program.items[iid].when):
            if isinstance(c, ItemRef) and c.id in items and reaches(program, c.id, iid, items):
                return False
    return True


def reaches(program: Program, start: str, goal: str, items: set) -> bool:
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


def necessary(run, iid: str, memo: dict) -> frozenset:
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


def group_necessary(run, gid: str, memo: dict) -> frozenset:
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


def fired_necessary(run, f, memo: dict) -> frozenset:
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
    return frozenset(need)


def support(run, iid: str) -> set:
    """Every case fact in any derivation of the item, through every item it uses."""
    out: set = set()
    seen: set = set()
    stack = list(run.fired[iid])
    while stack:
        f = stack.pop()
        body = next(b for b in run.program.bodies[f.item] if b.index == f.conjunction)
        for (i, fid), cond in zip(f.facts, body.positives):
            if isinstance(cond, Match):
                out.add(fid)
            elif fid not in seen:
                seen.add(fid)
                stack.extend(run.groups[fid].members)
        for g in body.guards:
            if isinstance(g, Count):
                out.update(run.options(g.match, dict(f.names)))
    return out


def cone_facts(run, items: set) -> set:
    """Every case fact some pattern of these items matches: no other fact's removal
    can change them."""
    out: set = set()
    for iid in items:
        for c in walk(run.program.items[iid].when):
            if isinstance(c, Match):
                out.update(run.candidates(c))
    return out


# -- --explain -----------------------------------------------------------------------------

MAX_EXPLAINED = 100  # derivations listed by --explain


def condition_tree(run, cond, as_of: datetime.date, holds: Optional[bool] = None) -> ConditionNode:
    """A condition and its parts, each marked holds / does not hold in this world; a
    part that uses a name bound outside it is left unmarked (it depends on the binding)."""
    label = words.condition(cond, as_of) if not isinstance(cond, (All, AnyOf, Not)) else {All: "all of", AnyOf: "any of", Not: "not"}[type(cond)]
    outer = refs_of(cond) - binds_of(cond)  # names it needs from outside itself
    if holds is None and not outer:
        holds = run.holds(cond, {})
    detail = ""
    if isinstance(cond, Match):
        n = len(run.candidates(cond))
        detail = f"{n} fact{'s pass' if n != 1 else ' passes'} the tests on the fact alone"
    elif isinstance(cond, ItemRef):
        n = len(run.fired[cond.id])
        detail = f"derived {n} time{'s' if n != 1 else ''}" if n else "not derived"
    elif isinstance(cond, Count) and not outer:
        detail = f"{run.count(cond, {})} counted"
    node = ConditionNode(label, holds, detail)
    if isinstance(cond, All):
        conds = list(cond.conditions)
        for i, c in enumerate(conds):
            h = run.condition_holds(conds, i) if not outer else None
            node.children.append(condition_tree(run, c, as_of, h))
    elif isinstance(cond, AnyOf):
        node.children = [condition_tree(run, c, as_of, None) for c in cond.conditions]
    elif isinstance(cond, Not):
        node.children = [condition_tree(run, cond.condition, as_of, None)]
    return node


def explanation(run, iid: str, case: Case, world: int, choices: list, status: str) -> Explanation:
    item = run.program.items[iid]
    derivations = explain_item(run, iid, case, set(), limit=MAX_EXPLAINED)
    return Explanation(
        item=iid,
        kind=item.kind,
        title=item.title,
        status=status,
        world=world,
        hypotheses=choices,
        tree=condition_tree(run, item.when, run.program.as_of, bool(run.fired[iid])),
        derivations=derivations,
        evidence=leaf_evidence(derivations, case),
    )
