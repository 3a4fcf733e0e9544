"""The engine against an independent, brute-force model of SPEC.md (tests/oracle.py),
on random cases and rulesets: statuses, worlds, near misses and critical facts."""

import os

from hypothesis import HealthCheck, given, settings

import oracle
from scenarios.api import run_data
from scenarios.errors import InputError
from strategies import cases_and_rulesets

EXAMPLES = int(os.environ.get("DIFF_EXAMPLES", "300"))  # examples per property; raise it for a long run


def compare(case, rulesets):
    try:
        expected = oracle.evaluate(case, rulesets)
    except ValueError:
        try:
            run_data(case, rulesets)
        except InputError:
            return
        raise AssertionError("the oracle refused this input and the engine ran it")
    result = run_data(case, rulesets)
    assert result.worlds == expected["worlds"]
    assert len(result.left_out) == expected["left_out"]
    got = {r.id: r for r in result.items()}
    assert set(got) == set(expected["items"])
    for iid, want in expected["items"].items():
        r = got[iid]
        assert (iid, r.status, r.triggered_in) == (iid, want["status"], want["triggered_in"])
        assert (iid, r.near_miss) == (iid, want["near_miss"])
        assert (iid, len(r.missing)) == (iid, len(want["missing"]))
        assert (iid, r.held, r.needed) == (iid, want["held"], want["needed"])
        assert (iid, r.probability, r.likelihood) == (iid, want["probability"], want["likelihood"])
        if want["status"] == "triggered":
            assert (iid, sorted(r.critical_facts)) == (iid, sorted(want["critical_facts"]))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases_and_rulesets())
def test_engine_agrees_with_the_model(data):
    compare(*data)


def test_many_patterns_of_one_type_agree_with_the_model():
    # past 16 patterns of a type the compiler spreads them over a tree of always-true
    # tests (durable-rules' alpha stack holds 64); joins and $or tests must survive it
    actors = ["HTS", "TIP", "HaD", "SAA", "RU"]
    facts = [{"id": f"g{i}", "type": "group", "name": a, "kind": "jihadist" if i < 3 else "state"} for i, a in enumerate(actors)]
    facts += [
        {"id": f"a{i}", "type": "attack", "actor": actors[i % 5], "target": ["TAF", "RU", "SAA"][i % 3], "fatalities": i, "date": f"2020-05-{1 + i:02}"}
        for i in range(20)
    ]
    case = {"case": "many", "as_of": "2020-05-29", "facts": facts}
    items = []
    for i in range(60):
        when = {
            "all": [
                {"match": "attack", "as": "atk", "where": {"target": {"not_in": ["SAA", ["RU", "TAF"][i % 2]]}, "fatalities": {"gte": i % 17}}, "within": f"{5 + i}d"},
                {"match": "group", "where": {"name": "$atk.actor", "kind": ["jihadist", "state"][i % 2]}},
            ]
        }
        if i % 4 == 3:
            when["all"].append({"not": {"indicator": f"i{i - 1}"}})
        items.append({"id": f"i{i}", "when": when})
    compare(case, [{"ruleset": "many", "indicators": items}])


@settings(max_examples=EXAMPLES // 3, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases_and_rulesets())
def test_patterns_under_bucket_flags_agree_with_the_model(data):
    # from BUCKETS_FROM patterns of a type, those with an equality test go under flags
    # that screen them by token (compile.bucket_patterns); here every program does
    from scenarios import compile as comp

    saved = comp.BUCKETS_FROM, comp.BUCKETS_PER_KEY
    comp.BUCKETS_FROM, comp.BUCKETS_PER_KEY = 0, 2
    try:
        compare(*data)
    finally:
        comp.BUCKETS_FROM, comp.BUCKETS_PER_KEY = saved


def test_many_patterns_on_list_values_agree_with_the_model():
    # 120 patterns of one type go under bucket flags: facts whose lists hold tokens of
    # several buckets, competing values, joins and windows must match as without them
    actors = ["HTS", "TIP", "HaD", "SAA", "RU", "KSB", "JaI", "SDF", "SNA", "IS"]
    targets = ["TAF", "RU", "SAA", "CIV", "SDF", "SNA", "IS", "HTS", "TIP", "UN", "ICRC"]
    facts = [{"id": f"g{i}", "type": "group", "name": a, "kind": "jihadist" if i % 2 else "state"} for i, a in enumerate(actors)]
    facts += [
        {"id": f"a{i}", "type": "attack", "actor": actors[i % 10], "target": [targets[(i * k) % 11] for k in range(1 + i % 4)], "fatalities": i % 9, "date": f"2020-05-{1 + i % 28:02}"}
        for i in range(40)
    ]
    facts.append({"id": "a-disputed", "type": "attack", "actor": {"one_of": ["HTS", "RU"]}, "target": {"one_of": [["CIV", "UN"], "TAF"]}, "date": "2020-05-20"})
    case = {"case": "lists", "as_of": "2020-05-29", "facts": facts}
    items = []
    for i in range(120):
        where = {"target": {"contains": targets[i % 11]}} if i % 3 else {"actor": actors[i % 10], "target": {"contains": targets[(i + 3) % 11]}}
        if i % 5 == 0:
            where["fatalities"] = {"gte": i % 7}
        when = {"match": "attack", "where": where, "within": f"{3 + i % 30}d"}
        if i % 7 == 0:
            when = {"all": [dict(when, **{"as": "atk"}), {"match": "group", "where": {"name": "$atk.actor", "kind": "jihadist"}}]}
        items.append({"id": f"i{i}", "when": when})
    compare(case, [{"ruleset": "lists", "indicators": items}])


@settings(max_examples=EXAMPLES // 5, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases_and_rulesets())
def test_worlds_run_in_parts_give_the_same_report(data):
    # --dask spreads a case's worlds over processes in parts; merged in order, the
    # parts must say exactly what one pass over every world says
    import pytest

    from scenarios.run import evaluation as ev
    from scenarios.api import case_from_data, ruleset_from_data
    from scenarios.render.json import render

    case, rulesets = data
    try:
        c = case_from_data(case)
        rs = [ruleset_from_data(r, f"<ruleset {i}>") for i, r in enumerate(rulesets)]
        whole = ev.evaluate(c, rs)
    except InputError:
        return
    items = [r.id for r in whole.items()]
    for size in (1, 3):
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(ev, "WORLDS_PER_PART", size)
            parted = ev.evaluate(c, rs, map_worlds=lambda fn, tasks: [fn(t) for t in tasks])
        assert render([parted]) == render([whole])
        if items:
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(ev, "WORLDS_PER_PART", size)
                one = ev.evaluate(c, rs, explain_id=items[-1], map_worlds=lambda fn, tasks: [fn(t) for t in tasks])
            assert render([one]) == render([ev.evaluate(c, rs, explain_id=items[-1])])


@settings(max_examples=EXAMPLES // 2, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases_and_rulesets())
def test_engine_agrees_with_the_model_with_facts_over_many_sessions(data):
    # a large case spreads a world's facts over engine sessions (engine.run_session):
    # here sessions of a few facts each, so that every way of spreading them is used
    import pytest

    from scenarios import engine
    from scenarios.run import session

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "SHARD", 2)
        mp.setattr(session, "FACTS_PER_BUCKET", 2)
        mp.setattr(session, "SPREAD_FROM", 0)
        compare(*data)
