"""Competing hypotheses in a report: the alternatives of each contested key, the ways
a contested item holds, and the ACH-style matrix of items against hypotheses."""

from __future__ import annotations

import itertools

from .. import words
from ..model import Case, Grade
from ..result import Hypothesis
from ..values import canonical
from . import likelihood

def hypotheses(cs: list, case: Case) -> list:
    """The contested keys of a run with their graded alternatives, as a report lists them;
    with p, each alternative's probability (the key's p divided by their sum)."""
    out = []
    for c in cs:
        alts = []
        for a in c.alternatives:
            src = case.sources.get(a.source) if a.source else None
            alts.append((canonical(a.value), a.source, src.name if src else None, Grade(src.reliability if src else None, a.credibility)))
        p = None
        if case.likelihood:
            total = sum(a.p for a in c.alternatives)
            p = [float(likelihood.rounded(a.p / total)) if total else 0.0 for a in c.alternatives]
        out.append(Hypothesis(c.fact, c.key, alts, p))
    return out


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


def matrix_given(cs: list, worlds: list, holding_by_item: dict, weights: list) -> dict:
    """With p: for each item, the probability that it holds given each hypothesis (a
    column of the matrix), None for a hypothesis of no weight."""
    out = {}
    for iid, holding in holding_by_item.items():
        cells = []
        for k, c in enumerate(cs):
            for a in range(len(c.alternatives)):
                q = likelihood.given(weights, worlds, holding, k, a)
                cells.append(None if q is None else float(q))
        out[iid] = cells
    return out


def world_words(cs: list, world: tuple) -> list:
    """A world as the hypotheses it takes: ["convoy-attack.actor = HTS", ...]."""
    return [f"{c.fact}.{c.key} = {words.value_text(c.alternatives[i].value)}" for c, i in zip(cs, world)]
