"""A run: every world of a case through the engine, then statuses and explanations."""

from __future__ import annotations

import datetime
from typing import Callable, Optional

from ..compile import fact_type
from ..errors import InputError, Problem, excerpt
from ..values import elements, token
from ..model import Case
from ..result import ItemResult, RunResult
from ..worlds import DEFAULT_MAX_WORLDS, check_world_count, choices, enumerate_worlds
from . import evidence as evidence_of
from . import likelihood
from .critical import critical_facts
from .hypotheses import holds_if, hypotheses, matrix, matrix_given, world_words
from .known import in_run
from .notices import notices
from .parts import merge_parts, run_worlds, worlds_part
from .session import compiled

WORLDS_PER_PART = 64  # worlds in one task when the worlds are spread over processes
MAX_SPLIT = 10_000  # engine facts one case fact may become (the elements of its joined lists, multiplied)


def check_splits(case: Case, program, facts: list) -> None:
    """InputError at the fact when its lists on keys joined in the engine would make it
    more than MAX_SPLIT engine facts: one fact with two lists of 1,000 joined values
    became a million, and a 6 KB case ran for minutes."""
    problems = []
    joined: dict = {}  # fact type -> the keys its facts are joined on, () for none
    for fact in facts:
        keys = joined.get(fact.type)
        if keys is None:
            plan = program.plans.get(fact_type(fact.type))
            keys = joined[fact.type] = tuple(plan.joins) if plan is not None else ()
        if not keys:
            continue
        if not fact.contested:  # most facts: a single value on each joined key is one engine fact
            values = fact.values
            for key in keys:
                if type(values.get(key)) is tuple:
                    break
            else:
                continue
        n = 1
        for key in keys:
            values = [fact.values.get(key)] + [a.value for a in fact.contested.get(key, ())]
            n *= max((len(v) for v in values if isinstance(v, tuple)), default=1) or 1
        if n > MAX_SPLIT:  # lists as written: count their distinct values, as the engine gets them
            n = 1
            for key in keys:
                values = [fact.values.get(key)] + [a.value for a in fact.contested.get(key, ())]
                n *= max((len(set(map(token, elements(v)))) for v in values if v is not None), default=1) or 1
        if n > MAX_SPLIT:
            problems.append(Problem(case.file, f"fact '{excerpt(fact.id)}' would enter the rules engine as {n:,} facts, one for each combination of the values of {excerpt(', '.join(keys), 200)}, which rules join on: at most {MAX_SPLIT:,}", path=fact.path, code="limit"))
    if problems:
        raise InputError(problems)


def evaluate(
    case: Case,
    rulesets: list,
    as_of: Optional[datetime.date] = None,
    max_worlds: int = DEFAULT_MAX_WORLDS,
    drop: frozenset = frozenset(),
    explain_id: Optional[str] = None,
    map_worlds: Optional[Callable] = None,
    warnings: list = (),
) -> RunResult:
    """Run a case against rulesets: statuses, derivations, near misses, evidence,
    critical facts; with `explain_id`, that item's full explanation too.

    `map_worlds(fn, tasks)`, when given, runs parts of the worlds (`run_worlds`) as
    `list(map(fn, tasks))` would, for instance on other processes or machines.
    `warnings` (of loading the case and rulesets) come back in the result's, with
    those only the run can give (see `notices`).
    """
    as_of = as_of or case.as_of
    program = compiled(tuple(rulesets), as_of)
    if explain_id is not None and explain_id not in program.items:
        from ..suggest import did_you_mean

        raise InputError([Problem(explain_id, "no indicator or scenario of that id in the rulesets", code="usage", suggestion=did_you_mean(explain_id, list(program.items)))])
    facts, later = in_run(case, as_of, drop)
    check_splits(case, program, facts)
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
    weights = likelihood.world_weights(cs, world_list) if case.likelihood else None
    results = []
    for iid, item in program.items.items():
        st = states[iid]
        chance = likelihood.probability(weights, st.worlds) if weights is not None else None
        status = "triggered" if st.triggered_in == n_worlds else ("contested" if st.triggered_in else "not_triggered")
        because = st.because or []
        shown = world_list[st.because_world] if because else ()
        # the hypotheses evidence rests on matter where the item holds in some worlds only
        assumed = evidence_of.assumptions(case, cs, shown) if because and 0 < st.triggered_in < len(world_list) else None
        evidence = evidence_of.leaf_evidence(because, case, assumed)
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
                holds_if=holds_if(cs, world_list, set(st.worlds)) if status == "contested" else [],
                near_miss=near,
                missing=(st.best_missing or []) if near else [],
                held=st.best_held if near else None,
                needed=st.best_needed if near else None,
                probability=float(chance) if chance is not None else None,
                likelihood=likelihood.word(chance) if chance is not None else None,
                because=because,
                evidence=evidence,
                weakest=evidence_of.weakest(evidence),
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
    holding = {r.id: set(states[r.id].worlds) for r in results if r.kind == "scenario" and r.status != "not_triggered"}
    columns, rows = matrix(cs, world_list, holding) if cs else ([], [])
    given = matrix_given(cs, world_list, holding, weights) if cs and weights is not None else {}
    return RunResult(
        matrix_columns=columns,
        matrix=rows,
        matrix_given=given,
        explanation=chosen,
        case=case.id,
        title=case.title,
        classification=case.classification,
        as_of=as_of.isoformat(),
        rulesets=sorted({rs.id for rs in rulesets}),
        facts_total=len(case.facts),
        facts_in_run=len(facts),
        left_out=sorted(later),
        worlds=n_worlds,
        hypotheses=hypotheses(cs, case),
        likelihood=case.likelihood,
        scenarios=[r for r in results if r.kind == "scenario"],
        indicators=[r for r in results if r.kind == "indicator"],
        sources={k: (s.name, s.reliability) for k, s in sorted(case.sources.items())},
        facts=evidence_of.annex(case, facts),
        warnings=notices(case, program, facts, list(warnings)),
    )
