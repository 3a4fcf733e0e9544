"""Reading what one engine session found: the facts each pattern matched, the
derivations each item got, and which conditions hold with which bindings.

Guards (`not`, `count`, tests between bound facts that are not equality joins), near
misses and explanations all ask these questions; the answers come from the match sets
the engine's collector rules produced, never from a second matcher.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

from ..compile import Program, pattern_key
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


@dataclass
class Group:
    """The derived fact of an item for one set of derived attributes."""

    id: str
    item: str
    values: dict
    members: list = field(default_factory=list)  # Fired


class SessionView:
    """What one session found: the facts each pattern matched, the derivations of each
    item, and the derived facts they made."""

    def __init__(self, program: Program, values: dict):
        self.program = program
        self.values = values  # fid -> values, case facts of this world
        self.matches: dict[int, set] = {}  # collector -> fact ids
        self.fired: dict[str, list] = {iid: [] for iid in program.items}  # item -> Fired
        self.groups: dict[str, Group] = {}  # derived fact id -> Group
        self._index: dict = {}

    def get(self, fid: str) -> dict:
        group = self.groups.get(fid)
        return group.values if group is not None else self.values[fid]

    def candidates(self, cond) -> list:
        n = self.program.collectors[pattern_key(cond, self.program.as_of)]
        return sorted(self.matches.get(n, ()))

    def _indexed(self, cond, key: str) -> dict:
        n = self.program.collectors[pattern_key(cond, self.program.as_of)]
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
        """Facts satisfying a match or reference given the bound names `env`."""
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
        return next(self.solutions([cond], env), None) is not None

    def count(self, cond, env: dict) -> int:
        """How many distinct facts a count counts, or how many conditions of an of hold,
        given the bound names `env`."""
        if isinstance(cond, Of):
            return sum(1 for c in cond.conditions if self.holds(c, env))
        return len(self.options(cond.match, env))

    def solutions(self, conds: list, env: dict) -> Iterator[dict]:
        """Every extension of `env` that satisfies the conjunction `conds`."""
        flat: list = []
        for c in conds:
            flat.extend(c.conditions if isinstance(c, All) else [c])
        if any(isinstance(c, All) for c in flat):
            yield from self.solutions(flat, env)
            return
        binders = [c for c in flat if isinstance(c, (Match, ItemRef)) and c.binds]
        others = [c for c in flat if not (isinstance(c, (Match, ItemRef)) and c.binds)]
        yield from self._bind(binders, others, dict(env), [])

    def _bind(self, binders: list, others: list, env: dict, chosen: list) -> Iterator[dict]:
        if not binders:
            for c in others:
                if not self._check(c, env):
                    return
            for cond, fid in chosen:  # tests deferred until every name was bound
                own = self.get(fid)
                for t in cond.tests:
                    if isinstance(t.operand, Ref) and not passes_ref(
                        own.get(t.key, MISSING), t.op, self.get(env[t.operand.name]).get(t.operand.key, MISSING)
                    ):
                        return
            yield env
            return
        ready = [c for c in binders if refs_of(c) <= set(env)]
        cond = ready[0] if ready else binders[0]
        rest = [c for c in binders if c is not cond]
        for fid in self.options(cond, env):
            yield from self._bind(rest, others, {**env, cond.binds: fid}, chosen + [(cond, fid)])

    def _check(self, c, env: dict) -> bool:
        if isinstance(c, (Match, ItemRef)):
            return bool(self.options(c, env))
        if isinstance(c, Not):
            return not self.holds(c.condition, env)
        if isinstance(c, (Count, Of)):
            return c.within(self.count(c, env))
        if isinstance(c, AnyOf):
            return any(self.holds(x, env) for x in c.conditions)
        return self.holds(c, env)

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
