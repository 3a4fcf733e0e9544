"""A run: every world of a case through the engine, then statuses and explanations.

Matching and chaining happen in durable-rules (see `compile`). What a rule firing
reports is checked here against the complete lower strata: tests between a fact and
a bound fact that are not equality joins, `not` and `count`. Those checks read the
match sets the engine's collector rules produced in the same session.
"""

from __future__ import annotations

import datetime
import itertools
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional

from . import engine, explain, words
from .errors import InputError, Problem
from .compile import Program, compile_program, encode, encode_routed, fact_type, item_type, pattern_key
from .model import All, AnyOf, Case, Count, ItemRef, Match, Not, Ref, binds_of, refs_of
from .result import ItemResult, RunResult
from .values import MISSING, elements, passes_ref, token
from .worlds import DEFAULT_MAX_WORLDS, check_world_count, choices, enumerate_worlds, views, visible



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


class WorldRun:
    """One session: what the engine matched and derived in one world."""

    def __init__(self, program: Program, values: dict):
        self.program = program
        self.values = values  # fid -> values, case facts of this world
        self.matches: dict[int, set] = {}
        self.fired: dict[str, list] = {iid: [] for iid in program.items}
        self.groups: dict[str, Group] = {}
        self.group_of: dict[tuple, str] = {}
        self.seen: set = set()
        self.pending: dict = {}  # stratum -> firings whose guards wait for it
        self.error: Optional[BaseException] = None
        self._index: dict = {}

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
        if body.guards:
            # not/count must see complete lower strata: checked when the stratum is released
            self.pending.setdefault(self.program.strata[iid], []).append((iid, body, facts, env))
            return []
        return self.derive(iid, body, facts, env)

    def release(self, level: int) -> list:
        """Check the guards of the firings waiting at a stratum, now that every lower
        stratum is complete; the engine facts of what they derive."""
        out: list = []
        for iid, body, facts, env in self.pending.pop(level, []):
            if all(self.holds(g, env) for g in body.guards):
                out.extend(self.derive(iid, body, facts, env))
        return out

    def derive(self, iid: str, body, facts: tuple, env: dict) -> list:
        """Record a derivation; the engine facts of a new derived fact, if any."""
        item = self.program.items[iid]
        derived = {}
        for key, value in item.derive:
            if isinstance(value, Ref):
                v = self.get(env[value.name]).get(value.key, MISSING)
                if v is not MISSING:
                    derived[key] = v
            else:
                derived[key] = value
        gkey = (iid, tuple(sorted((k, tuple(token(x) for x in elements(v)), isinstance(v, tuple)) for k, v in derived.items())))
        gid = self.group_of.get(gkey)
        out = []
        if gid is None:
            gid = group_id(iid, derived)
            self.group_of[gkey] = gid
            self.groups[gid] = Group(gid, iid, derived)
            if iid in self.program.referenced:
                out = encode(self.program, item_type(iid), gid, derived, None)
        fired = Fired(iid, body.index, facts, env, gid)
        self.groups[gid].members.append(fired)
        self.fired[iid].append(fired)
        return out

    # -- reading the session ----------------------------------------------------------

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

    def count(self, cond: Count, env: dict) -> int:
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
        if isinstance(c, Count):
            n = self.count(c, env)
            return (c.at_least is None or n >= c.at_least) and (c.at_most is None or n <= c.at_most)
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


# -- a whole run ---------------------------------------------------------------------------


def _program(rulesets: tuple, as_of: datetime.date) -> Program:
    # compiled afresh (milliseconds); the engine registers each distinct ruleset once
    program = compile_program(list(rulesets), as_of)
    program.name = engine.register(program.definition)
    return program


def in_run(case: Case, as_of: datetime.date, drop=frozenset()) -> tuple[list, list]:
    """The facts a run sees and the ids of those dated after as_of."""
    facts, later = [], []
    for f in case.facts:
        if (f.contested and absent(f)) or f.id in drop:
            continue
        if f.date is not None and f.date > as_of:
            later.append(f.id)
        else:
            facts.append(f)
    return facts, later


def absent(fact) -> bool:
    """`present: false`: the fact is left out of the run, and adds no worlds."""
    alts = fact.contested.get("present")
    return alts is not None and all(a.value is False for a in alts)


def run_world(program: Program, facts: list, values: dict, encoded: Optional[dict] = None) -> WorldRun:
    """One world in one engine session. `encoded` keeps the engine facts of uncontested
    facts from one world to the next."""
    run = WorldRun(program, values)

    def engine_facts():  # made as the engine takes them, not all held at once
        for f in facts:
            if f.id not in values or f.type not in program.fact_types:
                continue
            if encoded is not None and not f.contested:
                if f.id not in encoded:
                    encoded[f.id] = encode_routed(program, fact_type(f.type), f.id, values[f.id], f.date)
                made, shared, spread = encoded[f.id]  # the engine reads each fact's session afresh
            else:
                made, shared, spread = encode_routed(program, fact_type(f.type), f.id, values[f.id], f.date)
            for m in made:
                yield m, shared, spread

    buckets = min(MAX_BUCKETS, len(facts) // FACTS_PER_BUCKET) if len(facts) >= SPREAD_FROM else 1
    engine.run_session(program.name, engine_facts(), program.stratum_count, run, buckets=buckets)
    return run


@dataclass
class ItemState:
    triggered_in: int = 0
    worlds: list = field(default_factory=list)  # indexes of worlds where it holds
    because: Optional[list] = None
    because_world: int = 0
    derivations: int = 0
    best_held: int = -1
    best_missing: Optional[list] = None
    near_miss: bool = False
    critical: set = field(default_factory=set)  # exact, from necessary facts
    candidates: set = field(default_factory=set)  # to be checked by re-runs
    exact: bool = True  # whether `critical` needs no re-runs


# Joins are spread over sessions only in large runs: a fact of several joins goes to
# several sessions, which cost more than they saved below this size (measured: 10k
# facts x 1,000 rules, 5.5 s in one session, 8.9 s over two; 100k facts x 10 rules,
# 0.65 s against 0.61 s; 1M facts x 10 rules, 12.5 s of engine time in one, 5.8 s over
# 244 run one after another).
SPREAD_FROM = 200_000
FACTS_PER_BUCKET = 4096  # case facts per session of a join spread by value (engine.run_session)
MAX_BUCKETS = 256
MAX_RERUNS = 256  # candidate facts re-run for critical facts; beyond this, none
MAX_RERUN_SESSIONS = 4096  # and engine sessions those re-runs may take (facts x worlds)
WORLDS_PER_PART = 64  # worlds in one task when the worlds are spread over processes


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
    return worlds_part(_program(tuple(rulesets), as_of), case, facts, choices(facts), as_of, explain_id, start, stop)


def worlds_part(program: Program, case: Case, facts: list, cs: list, as_of: datetime.date, explain_id: Optional[str], start: int, stop: int) -> WorldsPart:
    world_list = list(itertools.islice(enumerate_worlds(cs), start, stop))
    cones = {iid: explain.cone(program, iid) for iid in program.items}
    exact = {iid: explain.monotone(program, cones[iid]) for iid in program.items}
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
                        st.critical |= explain.necessary(run, iid, memo)
                    else:
                        st.exact = False
                        st.candidates |= explain.cone_facts(run, cones[iid])
            elif isinstance(item.when, All):
                conds = list(item.when.conditions)
                held = [run.condition_holds(conds, i) for i in range(len(conds))]
                n = sum(held)
                if 0 < n < len(conds):
                    st.near_miss = True
                if n > st.best_held:
                    if iid == explain_id:
                        found["closest"] = explain.explanation(run, iid, case, w, world_words(cs, world), "")
                        part.closest_held = n
                    st.best_held = n
                    st.best_missing = sorted(
                        words.missing(c, as_of, run.count(c, {}) if isinstance(c, Count) and not refs_of(c) else None)
                        for c, h in zip(conds, held)
                        if not h
                    )
    return part


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
                st.best_held, st.best_missing = p.best_held, p.best_missing
        if "holds" in part.found and "holds" not in found:
            found["holds"] = part.found["holds"]
        if "closest" in part.found and ("closest" not in found or part.closest_held > closest_held):
            found["closest"] = part.found["closest"]
            closest_held = max(closest_held, part.closest_held)
    return states, found


def evaluate(
    case: Case,
    rulesets: list,
    as_of: Optional[datetime.date] = None,
    max_worlds: int = DEFAULT_MAX_WORLDS,
    drop: frozenset = frozenset(),
    explain_id: Optional[str] = None,
    map_worlds: Optional[Callable] = None,
) -> RunResult:
    """Run a case against rulesets: statuses, derivations, near misses, evidence,
    critical facts; with `explain_id`, that item's full explanation too.

    `map_worlds(fn, tasks)`, when given, runs parts of the worlds (`run_worlds`) as
    `list(map(fn, tasks))` would, for instance on other processes or machines.
    """
    as_of = as_of or case.as_of
    program = _program(tuple(rulesets), as_of)
    if explain_id is not None and explain_id not in program.items:
        from .suggest import did_you_mean

        raise InputError([Problem(explain_id, f"no indicator or scenario of that id in the rulesets{did_you_mean(explain_id, list(program.items))}")])
    facts, later = in_run(case, as_of, drop)
    cs = choices(facts)
    check_world_count(cs, max_worlds, case.file)
    world_list = list(enumerate_worlds(cs))
    n_worlds = len(world_list)
    if map_worlds is None or n_worlds <= 1:
        parts = [worlds_part(program, case, facts, cs, as_of, explain_id, 0, n_worlds)]
    else:
        tasks = [(case, tuple(rulesets), as_of, drop, explain_id, a, min(a + WORLDS_PER_PART, n_worlds)) for a in range(0, n_worlds, WORLDS_PER_PART)]
        parts = list(map_worlds(run_worlds, tasks))
    states, found = merge_parts(parts, program.items)
    critical = critical_facts(case, program, as_of, drop, states, n_worlds)
    results = []
    for iid, item in program.items.items():
        st = states[iid]
        status = "triggered" if st.triggered_in == n_worlds else ("contested" if st.triggered_in else "not_triggered")
        because = st.because or []
        shown = world_list[st.because_world] if because else ()
        # the hypotheses evidence rests on matter where the item holds in some worlds only
        assumed = explain.assumptions(case, cs, shown) if because and 0 < st.triggered_in < len(world_list) else None
        evidence = explain.leaf_evidence(because, case, assumed)
        near = status == "not_triggered" and st.near_miss
        results.append(
            ItemResult(
                kind=item.kind,
                id=iid,
                title=item.title,
                ruleset=item.ruleset,
                status=status,
                triggered_in=st.triggered_in,
                derivations=st.derivations,
                holds_if=explain.holds_if(cs, world_list, set(st.worlds)) if status == "contested" else [],
                near_miss=near,
                missing=(st.best_missing or []) if near else [],
                because=because,
                evidence=evidence,
                weakest=explain.weakest(evidence),
                critical_facts=critical.get(iid) or [],
                critical_checked=status != "triggered" or iid in critical,
                implications=list(item.implications),
                signposts=list(item.signposts),
                description=item.description,
                because_world=world_words(cs, shown) if because and n_worlds > 1 else [],
            )
        )
    order = {"triggered": 0, "contested": 1, "not_triggered": 2}
    results.sort(key=lambda r: (order[r.status], not r.near_miss, r.id))
    chosen = found.get("holds") or found.get("closest")
    if chosen is not None:
        chosen.status = next(r.status for r in results if r.id == explain_id)
    columns, rows = explain.matrix(cs, world_list, {r.id: set(states[r.id].worlds) for r in results if r.kind == "scenario" and r.status != "not_triggered"}) if cs else ([], [])
    return RunResult(
        matrix_columns=columns,
        matrix=rows,
        explanation=chosen,
        case=case.id,
        title=case.title,
        as_of=as_of.isoformat(),
        rulesets=sorted({rs.id for rs in rulesets}),
        facts_total=len(case.facts),
        facts_in_run=len(facts),
        left_out=sorted(later),
        worlds=n_worlds,
        hypotheses=explain.hypotheses(cs, case),
        scenarios=[r for r in results if r.kind == "scenario"],
        indicators=[r for r in results if r.kind == "indicator"],
        sources={k: (s.name, s.reliability) for k, s in sorted(case.sources.items())},
    )


def world_words(cs: list, world: tuple) -> list:
    """A world as the hypotheses it takes: ["convoy-attack.actor = HTS", ...]."""
    return [f"{c.fact}.{c.key} = {words.value_text(c.alternatives[i].value)}" for c, i in zip(cs, world)]


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


DERIVED = "\x1e"  # starts every derived fact's id; fact ids may not hold control characters


def group_id(iid: str, derived: dict) -> str:
    """A derived fact's id: the item, with its derived attributes when it has any,
    marked so that it can never be a case fact's id."""
    if not derived:
        return DERIVED + iid
    attrs = ",".join(f"{k}={words.value_text(v)}" for k, v in sorted(derived.items()))
    return f"{DERIVED}{iid}[{attrs}]"


