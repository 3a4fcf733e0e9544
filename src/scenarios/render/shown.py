"""What a report has shown so far, so that it says each thing once: a fact's text and
source in full the first time and then its id and grade only, and a chain (the
derivations of an indicator or scenario feeding another) drawn once and then
referred to. Every writer keeps one `Shown` for a report and asks it before drawing.
"""

from __future__ import annotations

from typing import Optional

from ..result import ItemResult, leaf_fact_ids


class Shown:
    """The facts given in full and the chains drawn so far in one report."""

    def __init__(self) -> None:
        self.facts: set = set()
        self.chains: dict = {}  # signature -> the item under whose entry it was drawn

    def first(self, fact_id: str) -> bool:
        """Whether this is the first time the report shows the fact (it is now shown)."""
        if fact_id in self.facts:
            return False
        self.facts.add(fact_id)
        return True

    def drawn(self, derivations: list, more: int, facts: dict, entry: str) -> Optional[str]:
        """The entry under which these derivations were drawn already, or None: then
        they count as drawn now, under `entry`. Derivations are the same when their
        conditions, facts and the hypotheses those facts rest on are."""
        key = signature(derivations, more, facts)
        if key in self.chains:
            return self.chains[key]
        self.chains[key] = entry
        return None


def signature(derivations: list, more: int, facts: dict) -> str:
    ids = sorted(leaf_fact_ids(derivations))
    assumed = [(fid, facts[fid].assumes) for fid in ids if fid in facts]
    return repr((derivations, more, assumed))


def fed_by(derivations: list) -> list:
    """The ids of the indicators and scenarios whose chains these derivations hold."""
    out: list = []
    stack = list(derivations)
    while stack:
        d = stack.pop()
        for n in d.conditions:
            for child in n.children:
                if child.item not in out:
                    out.append(child.item)
            stack.extend(n.children)
    return out


def why_order(items: list) -> list:
    """Items in the order their "why" is told: each after the items that feed it, so
    a chain shared with an earlier item is referred to, not drawn twice; otherwise in
    the order given."""
    by_id = {r.id: r for r in items}
    out: list = []
    placed: set = set()

    def place(r: ItemResult, path: frozenset) -> None:
        if r.id in placed or r.id in path:
            return
        for dep in fed_by(r.because):
            if dep in by_id:
                place(by_id[dep], path | {r.id})
        placed.add(r.id)
        out.append(r)

    for r in items:
        place(r, frozenset())
    return out


def chain_of(r: ItemResult) -> tuple:
    """An item's own chain, as a node of another item would hold it: (derivations, more)."""
    return r.because, max(0, r.derivations - len(r.because))

