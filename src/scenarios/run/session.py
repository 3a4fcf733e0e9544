"""One world in one engine session: the handler durable-rules reports its matches and
firings to, which checks what a firing reports against the complete lower strata
and records the derivations.

Matching and chaining happen in durable-rules (see `compile`). What a rule firing
reports is checked here: tests between a fact and a bound fact that are not equality
joins, `not` and `count`, read from the match sets of the same session.
"""

from __future__ import annotations

import datetime
from typing import Optional

from .. import engine, words
from ..compile import Program, compile_program, encode, encode_routed, fact_type, item_type, screened_in
from ..errors import InputError, Problem
from ..model import Of, Ref
from ..values import MISSING, elements, one_form, passes_ref, token
from .reading import Fired, Group, SessionView

# Joins are spread over sessions only in large runs: a fact of several joins goes to
# several sessions, which cost more than they saved below this size (measured: 10k
# facts x 1,000 rules, 5.5 s in one session, 8.9 s over two; 100k facts x 10 rules,
# 0.65 s against 0.61 s; 1M facts x 10 rules, 12.5 s of engine time in one, 5.8 s over
# 244 run one after another).
SPREAD_FROM = 200_000
FACTS_PER_BUCKET = 4096  # case facts per session of a join spread by value (engine.run_session)
MAX_BUCKETS = 256
MAX_DERIVATIONS = 2_000_000  # firings of one item in one world: past it (a join of thousands with thousands) a run takes many minutes; a million facts matched one by one stay below
DERIVED = "\x1e"  # starts every derived fact's id; fact ids may not hold control characters


class WorldRun(SessionView):
    """One world in one session: the handler the engine reports its matches and
    firings to (see `engine.Handler`)."""

    def __init__(self, program: Program, values: dict):
        super().__init__(program, values)
        self.group_of: dict[tuple, str] = {}
        self.seen: set = set()
        self.pending: dict = {}  # stratum -> firings whose guards wait for it
        self.firings: dict = {}  # item id -> the firings recorded
        self.error: Optional[BaseException] = None
        self.settled = 0  # in a timeline: the strata below this one have their days

    # -- the engine's reports ---------------------------------------------------------

    def collect(self, collector: int, fids: list) -> None:
        self.matches.setdefault(collector, set()).update(fids)

    def fire(self, iid: str, j: int, fids: tuple) -> list:
        """A match of a body's patterns (their facts, in pattern order)."""
        body = self.program.bodies[iid][j]
        frame = {p.alias: fid for p, fid in zip(body.patterns, fids)}
        env = {name: frame[alias] for name, alias in body.names.items()}
        for p in body.patterns:
            own = self.get(frame[p.alias])
            for t in p.post:
                if not passes_ref(own.get(t.key, MISSING), t.op, self.get(env[t.operand.name]).get(t.operand.key, MISSING)):
                    return []
        alias_of = {}
        for p in body.patterns:
            for src in p.sources:
                alias_of[id(src)] = p.alias
        facts = tuple((i, frame[alias_of[id(c)]]) for i, c in enumerate(body.positives))
        identity = (iid, body.index, facts)
        if identity in self.seen:
            return []
        self.seen.add(identity)
        self.firings[iid] = self.firings.get(iid, 0) + 1
        if self.firings[iid] > MAX_DERIVATIONS:
            raise too_many(self.program.items[iid])
        if body.guards:
            # not/count must see complete lower strata: checked when the stratum is released
            self.pending.setdefault(self.program.strata[iid], []).append((iid, body, facts, env))
            return []
        return self.derive(iid, body, facts, env)

    def fire_many(self, bodies: tuple, tuples: list) -> list:
        """`fire` for every match of an engine rule (`tuples`: their facts, in pattern
        order) and every body it serves (`bodies`: (item id, body index)), in the order
        `fire` would see them: what depends on the body alone is worked out once."""
        plans = [self._fire_plan(iid, j) for iid, j in bodies]
        seen = self.seen
        firings = self.firings
        out: list = []
        for fids in tuples:
            for (iid, j), plan in zip(bodies, plans):
                if plan is None:  # tests between bound facts, in Python
                    out.extend(self.fire(iid, j, fids))
                    continue
                body, lits, names, stratum = plan
                facts = tuple([(i, fids[k]) for i, k in lits])
                identity = (iid, body.index, facts)
                if identity in seen:
                    continue
                seen.add(identity)
                firings[iid] = firings.get(iid, 0) + 1
                if firings[iid] > MAX_DERIVATIONS:
                    raise too_many(self.program.items[iid])
                env = {name: fids[k] for name, k in names}
                if stratum is not None:
                    self.pending.setdefault(stratum, []).append((iid, body, facts, env))
                    continue
                out.extend(self.derive(iid, body, facts, env))
        return out

    def _fire_plan(self, iid: str, j: int) -> Optional[tuple]:
        """(body, (literal, pattern) pairs, (name, pattern) pairs, the stratum its
        guards wait for or None) of a body, kept on the program; None for a body with
        tests between bound facts (see `fire`)."""
        plans = self.program.fire_plans
        key = (iid, j)
        if key in plans:
            return plans[key]
        body = self.program.bodies[iid][j]
        plan = None
        if not any(p.post for p in body.patterns):
            position = {p.alias: n for n, p in enumerate(body.patterns)}
            alias_of = {id(src): p.alias for p in body.patterns for src in p.sources}
            lits = tuple((i, position[alias_of[id(c)]]) for i, c in enumerate(body.positives))
            names = tuple((name, position[alias]) for name, alias in body.names.items())
            plan = (body, lits, names, self.program.strata[iid] if body.guards else None)
        plans[key] = plan
        return plan

    def release(self, level: int) -> list:
        """Check the guards of the firings waiting at a stratum, now that every lower
        stratum is complete; the engine facts of what they derive."""
        out: list = []
        waiting: list = []
        if self.timeline:
            self.settle(level)  # the days of every lower stratum, which guards read
        for firing in self.pending.pop(level, []):
            iid, body, facts, env = firing
            days = self.full
            failed = []
            for g in body.guards:
                holds = self._check(g, env)
                if not positive(g):  # an of with at_least only is settled with its stratum
                    days &= holds
                if not holds:
                    failed.append(g)
            if not failed:
                out.extend(self.derive(iid, body, facts, env, days))
            elif all(positive(g) for g in failed):
                # an `of` with at_least only may count items of its own stratum, which
                # this release may still derive: it is checked again on the next one
                waiting.append(firing)
        if waiting:
            self.pending[level] = waiting
        return out

    def settle(self, below: int) -> None:
        """In a timeline, the days on which each derivation and derived fact of the
        strata below `below` holds: the least fixpoint of a derivation holding on the
        days all its facts do (and its guards), and a derived fact on the days some
        derivation of it does. Lower strata are settled first, so guards read final days."""
        for level in range(self.settled, below):
            items = [iid for iid, s in self.program.strata.items() if s == level]
            firings = [f for iid in items for f in self.fired[iid]]
            groups = {f.group: self.groups[f.group] for f in firings}
            for f in firings:
                f.mask = 0
            for g in groups.values():
                g.mask = 0
            changed = True
            while changed:
                changed = False
                for f in firings:
                    body = self.program.bodies[f.item][f.conjunction]
                    days = f.guard
                    for (i, fid), cond in zip(f.facts, body.positives):
                        days &= self.member(cond, fid)
                        if not days:
                            break
                    for g in body.guards:
                        if days and positive(g):
                            days &= self._check(g, f.names)
                    if days != f.mask:
                        f.mask = days
                        changed = True
                for g in groups.values():
                    days = 0
                    for m in g.members:
                        days |= m.mask or 0
                    if days != g.mask:
                        g.mask = days
                        changed = True
            self.settled = level + 1

    def days(self, iid: str) -> int:
        """The days on which an item holds in this world (a settled timeline: each day
        its own; a run of one day: 1 when it holds)."""
        out = 0
        for f in self.fired[iid]:
            out |= self.full if f.mask is None else f.mask
        return out

    def derive(self, iid: str, body, facts: tuple, env: dict, guard: Optional[int] = None) -> list:
        """Record a derivation (its guards holding on the days `guard`); the engine facts
        of a new derived fact, if any."""
        item = self.program.items[iid]
        derived = {}
        for key, value in item.derive:
            if isinstance(value, Ref):
                v = self.get(env[value.name]).get(value.key, MISSING)
                if v is not MISSING:
                    derived[key] = one_form(v)
            else:
                derived[key] = one_form(value)
        gkey = (iid, tuple(sorted((k, tuple(token(x) for x in elements(v)), isinstance(v, tuple)) for k, v in derived.items())))
        gid = self.group_of.get(gkey)
        out = []
        if gid is None:
            gid = group_id(iid, derived)
            self.group_of[gkey] = gid
            self.groups[gid] = Group(gid, iid, derived)
            if iid in self.program.referenced:
                out = encode(self.program, item_type(iid), gid, derived, None)
        fired = Fired(iid, body.index, facts, env, gid, self.full if guard is None else guard)
        self.groups[gid].members.append(fired)
        self.fired[iid].append(fired)
        return out


def positive(guard) -> bool:
    """An of with at_least only: it may count items of its own stratum (SPEC 3.1)."""
    return isinstance(guard, Of) and guard.at_most is None


def too_many(item) -> InputError:
    """The problem of an item that holds past MAX_DERIVATIONS times in one world."""
    return InputError([Problem(
        item.file,
        f"'{item.id}' holds more than {MAX_DERIVATIONS:,} times in one world (a join of many facts with many more, such as the same actor twice among thousands of attacks): refused; narrow it with a window or more tests",
        path=item.path + ("when",), code="limit",
    )])


def compiled(rulesets: tuple, as_of: datetime.date, since: Optional[datetime.date] = None) -> Program:
    """The engine program of rulesets as of a day (or for the days since..as_of of a
    timeline), registered with the engine."""
    # compiled afresh (milliseconds); the engine registers each distinct ruleset once
    program = compile_program(list(rulesets), as_of, since)
    program.name = engine.register(program.definition)
    return program


def run_world(program: Program, facts: list, values: dict, encoded: Optional[dict] = None) -> WorldRun:
    """One world in one engine session. `encoded` keeps the engine facts of uncontested
    facts from one world to the next."""
    run = WorldRun(program, values)

    def engine_facts():  # made as the engine takes them, not all held at once
        plans: dict = {}  # fact type -> (engine type, its encoding plan), None when no rule matches it
        for f in facts:
            fv = values.get(f.id)
            if fv is None:
                continue
            typed = plans.get(f.type, MISSING)
            if typed is MISSING:
                typed = plans[f.type] = (fact_type(f.type), program.plans.get(fact_type(f.type))) if f.type in program.fact_types else None
            if typed is None:
                continue
            ty, plan = typed
            if not screened_in(plan, fv, f.date):  # most facts of a large case: nothing to encode
                continue
            if encoded is not None and not f.contested:
                if f.id not in encoded:
                    encoded[f.id] = encode_routed(program, ty, f.id, fv, f.date, screened=True)
                made, shared, spread = encoded[f.id]  # the engine reads each fact's session afresh
            else:
                made, shared, spread = encode_routed(program, ty, f.id, fv, f.date, screened=True)
            for m in made:
                yield m, shared, spread

    buckets = min(MAX_BUCKETS, len(facts) // FACTS_PER_BUCKET) if len(facts) >= SPREAD_FROM else 1
    engine.run_session(program.name, engine_facts(), program.stratum_count, run, buckets=buckets)
    if run.timeline:
        run.settle(program.stratum_count)
    return run


def group_id(iid: str, derived: dict) -> str:
    """A derived fact's id: the item, with its derived attributes when it has any,
    marked so that it can never be a case fact's id."""
    if not derived:
        return DERIVED + iid
    attrs = ",".join(f"{k}={words.value_text(v)}" for k, v in sorted(derived.items()))
    if len(attrs) > 200:  # a derived text of megabytes would make an id the engine cannot hold
        import hashlib  # rare: not loaded by every run (OpenSSL, a few ms)

        attrs = "#" + hashlib.sha256(attrs.encode("utf-8", "surrogatepass")).hexdigest()
    return f"{DERIVED}{iid}[{attrs}]"
