"""`scenarios timeline` (SPEC 6): the status of every item on every day is exactly what
a run as of that day says, changes are exact to the day with the facts behind them,
and the picture, the JSON contract and --fail-on changed do what an analyst relies on."""

from __future__ import annotations

import datetime
import json
import os
import random
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

import oracle
from helpers import case_of
from scenarios.api import case_from_data, case_from_text, ruleset_from_data, ruleset_from_text
from scenarios.cli import cli
from scenarios.errors import InputError
from scenarios.run import evaluate
from scenarios.run.timeline import step_days, timeline
from strategies import cases_and_rulesets, shuffled

EXAMPLES = int(os.environ.get("DIFF_EXAMPLES", "300"))
BUNDLED = Path(__file__).parent.parent / "src" / "scenarios" / "bundled"
STORY = str(BUNDLED / "cases" / "idlib-m4-2020.yaml")
DAY = datetime.date.fromisoformat


def built(case: dict, rulesets: list):
    return case_from_data(case), [ruleset_from_data(r, f"<ruleset {i}>") for i, r in enumerate(rulesets)]


# -- exact: the same as a run as of each day ------------------------------------------------


@settings(max_examples=max(1, EXAMPLES // 5), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases_and_rulesets())
def test_every_day_of_a_timeline_is_what_a_run_as_of_that_day_says(data):
    # random cases: contested facts, counts crossing their thresholds, negation two
    # steps away, calendar-month windows, reported days, p
    try:
        case, rulesets = built(*data)
        t = timeline(case, rulesets, since=case.as_of - datetime.timedelta(days=40), every="1d")
    except InputError:
        return
    for n, day in enumerate(t.steps):
        run = evaluate(case, rulesets, as_of=DAY(day))
        then = {r.id: (r.status, r.probability) for r in run.items()}
        for item in t.items:
            chance = item.probabilities[n] if item.probabilities is not None else None
            assert (day, item.id, item.statuses[n], chance) == (day, item.id, *then[item.id])


@settings(max_examples=max(1, EXAMPLES // 10), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases_and_rulesets())
def test_changes_and_the_facts_behind_them_agree_with_the_model(data):
    case_data, rules_data = data
    try:
        case, rulesets = built(case_data, rules_data)
    except InputError:
        return
    start = case.as_of - datetime.timedelta(days=14)
    t = timeline(case, rulesets, since=start, every="1d")
    want = oracle.timeline(case_data, rules_data, from_=start, every="1d")
    for item in t.items:
        w = want["items"][item.id]
        expected = [(c["day"].isoformat(), c["from"], c["to"], c["known"], c["aged_out"], c.get("probability_from"), c.get("probability_to")) for c in w["changes"]]
        got = [(c.day, c.before, c.after, c.known, c.aged_out, c.probability_before if t.likelihood else None, c.probability_after if t.likelihood else None) for c in item.changes]
        assert (item.id, got) == (item.id, expected)
        assert item.first_triggered == (w["first_triggered"].isoformat() if w["first_triggered"] else None)


@settings(max_examples=max(1, EXAMPLES // 20), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(cases_and_rulesets())
def test_the_json_of_a_timeline_is_the_same_whatever_the_order_of_the_inputs(data):
    from scenarios.render.json import render_timeline

    try:
        case, rulesets = built(*data)
    except InputError:
        return
    again = built(*shuffled(*data, random.Random(7)))
    start = case.as_of - datetime.timedelta(days=20)
    assert render_timeline(timeline(case, rulesets, since=start, every="3d")) == render_timeline(timeline(*again, since=start, every="3d"))


# -- the days that matter ------------------------------------------------------------------

RULES = """
ruleset: t
indicators:
  - id: recent
    when: {match: attack, within: 30d}
  - id: surge
    when:
      count: {match: attack, within: 1m}
      at_least: 2
scenarios:
  - id: calm
    when:
      all:
        - {match: truce}
        - not: {indicator: surge}
"""


def run_timeline(facts: str, since: str, until: str, every: str = "1d", rules: str = RULES):
    case = case_from_text(case_of(facts, as_of=until), "case.yaml")
    return {i.id: i for i in timeline(case, [ruleset_from_text(textwrap.dedent(rules), "rules.yaml")], since=DAY(since), every=every).items}


def changes(item) -> list:
    return [(c.day, c.before, c.after, c.known, c.aged_out) for c in item.changes]


def test_a_fact_moves_a_status_on_its_reported_day_and_leaves_the_window_after_its_last_day():
    items = run_timeline("- {id: a, type: attack, date: 2020-03-01, reported: 2020-03-05}", "2020-02-20", "2020-04-30")
    assert changes(items["recent"]) == [
        ("2020-03-05", "not_triggered", "triggered", ["a"], []),  # known on its reported day
        ("2020-04-01", "triggered", "not_triggered", [], ["a"]),  # 30 days after 1 March, then out
    ]
    assert items["recent"].first_triggered == "2020-03-05"


def test_a_count_crosses_its_threshold_and_a_negation_two_steps_away_follows_it():
    facts = "- {id: t, type: truce, date: 2020-01-01}\n- {id: a1, type: attack, date: 2020-03-10}\n- {id: a2, type: attack, date: 2020-03-20}"
    items = run_timeline(facts, "2020-03-01", "2020-05-31")
    assert changes(items["surge"]) == [
        ("2020-03-20", "not_triggered", "triggered", ["a2"], []),
        ("2020-04-11", "triggered", "not_triggered", [], ["a1"]),  # a calendar month after 10 March
    ]
    assert changes(items["calm"]) == [
        ("2020-03-20", "triggered", "not_triggered", ["a2"], []),
        ("2020-04-11", "not_triggered", "triggered", [], ["a1"]),
    ]


def test_a_calendar_month_window_clamps_to_the_end_of_a_short_month():
    rules = "ruleset: t\nindicators:\n  - {id: m, when: {match: attack, within: 1m}}\n"
    items = run_timeline("- {id: a, type: attack, date: 2020-01-31}", "2020-01-30", "2020-03-31", rules=rules)
    # as of 29 February, one month back is 29 January: in; as of 1 March, 1 February: out
    assert changes(items["m"]) == [("2020-01-31", "not_triggered", "triggered", ["a"], []), ("2020-03-01", "triggered", "not_triggered", [], ["a"])]


def test_contested_facts_and_probabilities_move_on_the_day_they_are_known():
    facts = "- {id: a, type: attack, date: 2020-03-10, actor: {one_of: [{value: HTS, p: 0.7}, {value: TIP, p: 0.3}]}}"
    rules = "ruleset: t\nindicators:\n  - {id: hts, when: {match: attack, where: {actor: HTS}}}\n"
    case = case_from_text(case_of(facts, as_of="2020-03-31"), "case.yaml")
    t = timeline(case, [ruleset_from_text(rules, "rules.yaml")], since=DAY("2020-03-01"), every="1w")
    (hts,) = t.items
    (change,) = hts.changes
    assert (change.day, change.before, change.after, change.probability_before, change.probability_after) == ("2020-03-10", "not_triggered", "contested", 0.0, 0.7)
    assert hts.statuses == ["not_triggered", "not_triggered", "contested", "contested", "contested", "contested"]
    assert hts.probabilities == [0.0, 0.0, 0.7, 0.7, 0.7, 0.7]


def test_the_bundled_2020_case_tells_the_story_of_the_m4():
    from scenarios.api import timeline_file

    t, _ = timeline_file(STORY)
    items = {i.id: i for i in t.items}
    tightened = changes(items["m4-security-tightened"])
    assert tightened[0] == ("2020-05-31", "not_triggered", "triggered", ["troop-deployment"], [])  # SOHR's count published
    assert tightened[1] == ("2020-06-27", "triggered", "not_triggered", [], ["convoy-attack"])  # the May attack 30 days old
    assert items["asymmetric-war"].first_triggered == "2020-08-26"  # the Urum al-Jawz attack, reported the next day
    assert changes(items["patrols-under-escort"])[-1] == ("2020-08-17", "triggered", "not_triggered", ["patrols-suspended"], [])
    assert (t.since, t.until, t.steps[0], t.steps[-1]) == ("2020-02-02", "2020-08-31", "2020-02-02", "2020-08-31")


# -- steps and defaults --------------------------------------------------------------------


def test_steps_run_from_the_first_day_by_the_step_and_end_on_the_last():
    assert step_days(DAY("2020-01-31"), DAY("2020-05-15"), "1m") == [DAY(d) for d in ("2020-01-31", "2020-02-29", "2020-03-31", "2020-04-30", "2020-05-15")]
    assert step_days(DAY("2020-05-01"), DAY("2020-05-20"), "1w") == [DAY(d) for d in ("2020-05-01", "2020-05-08", "2020-05-15", "2020-05-20")]
    assert step_days(DAY("2020-05-01"), DAY("2020-05-03"), "1d") == [DAY(d) for d in ("2020-05-01", "2020-05-02", "2020-05-03")]


@pytest.mark.parametrize("every", ["week", "0d", "1y", ""])
def test_a_step_that_is_not_days_weeks_or_months_is_refused(every):
    with pytest.raises(InputError, match="is not a step like 1d, 1w or 1m"):
        step_days(DAY("2020-05-01"), DAY("2020-05-20"), every)


def test_by_default_the_timeline_runs_from_the_earliest_date_or_reported_day_to_as_of():
    case = case_from_text(case_of("- {id: a, type: attack, date: 2020-04-02}\n- {id: b, type: attack, reported: 2020-03-30}", as_of="2020-05-29"), "c.yaml")
    t = timeline(case, [ruleset_from_text(RULES, "r.yaml")])
    assert (t.since, t.until, t.every) == ("2020-03-30", "2020-05-29", "1w")


def test_a_start_after_the_end_is_refused():
    case = case_from_text(case_of("- {id: a, type: attack, date: 2020-04-02}"), "c.yaml")
    with pytest.raises(InputError, match="starts on 2020-06-01, after it ends on 2020-05-29"):
        timeline(case, [ruleset_from_text(RULES, "r.yaml")], since=DAY("2020-06-01"))


# -- the command ---------------------------------------------------------------------------


def invoke(*args):
    return CliRunner().invoke(cli, ["timeline", *map(str, args)])


def test_the_json_contract_of_spec_6():
    result = invoke(STORY, "--every", "1m", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"schema_version", "case", "from", "to", "every", "steps", "items"} <= set(data)
    assert (data["from"], data["to"], data["every"]) == ("2020-02-02", "2020-08-31", "1m")
    assert data["steps"] == ["2020-02-02", "2020-03-02", "2020-04-02", "2020-05-02", "2020-06-02", "2020-07-02", "2020-08-02", "2020-08-31"]
    item = next(i for i in data["items"] if i["id"] == "asymmetric-war")
    assert set(item) >= {"id", "kind", "title", "statuses", "first_triggered", "changes"}
    assert len(item["statuses"]) == len(data["steps"]) and item["first_triggered"] == "2020-08-26"
    change = item["changes"][0]
    assert change["day"] == "2020-08-26" and change["known"] == ["urum-rpg"] and {"from", "to", "aged_out", "probability_from", "probability_to"} <= set(change)
    assert [i["kind"] for i in data["items"]].index("indicator") > max(n for n, i in enumerate(data["items"]) if i["kind"] == "scenario")


def test_fail_on_changed_exits_1_when_a_scenario_moved_within_the_last_step():
    assert invoke(STORY, "--fail-on", "changed", "--format", "json").exit_code == 1  # asymmetric war on 26 August
    assert invoke(STORY, "--to", "2020-08-20", "--fail-on", "changed", "--format", "json").exit_code == 1  # patrols suspended on the 17th
    assert invoke(STORY, "--to", "2020-08-12", "--fail-on", "changed", "--format", "json").exit_code == 0  # nothing from 6 to 12 August
    assert invoke(STORY, "--to", "2020-08-14", "--fail-on", "changed", "--format", "json").exit_code == 1  # a jihadist attack aged out on the 14th


def test_the_terminal_strip_reads_at_80_columns_without_cutting_an_id():
    result = invoke(STORY, "--width", "80")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 and not line.endswith(" ") for line in lines)
    assert lines[0] == "UNCLASSIFIED//FOR TRAINING" and lines[-1] == "UNCLASSIFIED//FOR TRAINING"
    strip = next(line for line in lines if line.startswith("asymmetric-war "))
    assert strip.endswith("■■") and "·" in strip  # weeks, one character each
    assert any(line.startswith("2020-08-26") for line in lines)  # the change, by day, with its fact
    assert "urum-rpg  2020-08-25  D2  reported 2020-08-26" in result.stdout


def test_a_long_span_folds_into_several_strips():
    result = invoke(STORY, "--every", "1d", "--width", "80")
    assert result.exit_code == 0, result.output
    assert sum(1 for line in result.stdout.splitlines() if line.startswith("asymmetric-war")) >= 4  # 212 days in strips
    assert all(len(line) <= 80 for line in result.stdout.splitlines())


def test_markdown_and_html_show_the_same_changes(tmp_path):
    md = invoke(STORY, "--format", "markdown").stdout
    assert "| asymmetric-war |" in md and "### 2020-08-26" in md and "became known: urum-rpg" in md
    out = tmp_path / "t.html"
    assert invoke(STORY, "--format", "html", "-o", out).exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert page.count("<svg") == 1 and page.count('<rect class="triggered"') > 10 and "<script" not in page
