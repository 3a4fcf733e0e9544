"""Why, why not and how solid (SPEC 4): evidence grades, weakest links, critical
facts, near misses and --explain, on small inputs and on the bundled case."""

import json

from click.testing import CliRunner

from helpers import case_of, run
from scenarios.api import run_files
from scenarios.cli import cli

SOURCES = "sources: {mod: {name: Turkish MoD, reliability: B}, blog: {name: A blog, reliability: E}, anon: {name: Unknown, reliability: F}}\n"


def test_evidence_carries_the_admiralty_grade_and_the_weakest_link():
    case = case_of(
        """
        - {id: a, type: attack, source: mod, credibility: 2}
        - {id: p, type: pact, source: blog, credibility: 4}
        - {id: u, type: rumour, source: anon, credibility: 6}
        """,
        extra=SOURCES,
    )
    rules = "ruleset: t\nscenarios:\n  - id: s\n    when: {all: [{match: attack}, {match: pact}, {match: rumour}]}\n"
    s = run(case, rules).find("s")
    assert {e.id: str(e.grade) for e in s.evidence} == {"a": "B2", "p": "E4", "u": "F6"}
    # F and 6 mean "cannot be judged": never ranked as the weakest
    assert s.weakest.fact == "p" and str(s.weakest.grade) == "E4" and s.weakest.grade.shaky


def test_critical_facts_are_those_whose_removal_untriggers():
    case = case_of(
        """
        - {id: a1, type: attack}
        - {id: a2, type: attack}
        - {id: d, type: deployment}
        """
    )
    rules = "ruleset: t\nscenarios:\n  - id: s\n    when: {all: [{match: attack}, {match: deployment}]}\n"
    assert run(case, rules).find("s").critical_facts == ["d"]  # either attack will do


def test_a_count_on_its_threshold_makes_every_counted_fact_critical():
    facts = "\n".join(f"- {{id: a{i}, type: attack}}" for i in range(3))
    rules = "ruleset: t\nindicators:\n  - id: x\n    when: {count: {match: attack}, at_least: 3}\n"
    assert run(case_of(facts), rules).find("x").critical_facts == ["a0", "a1", "a2"]
    rules_two = rules.replace("at_least: 3", "at_least: 2")
    assert run(case_of(facts), rules_two).find("x").critical_facts == []


def test_critical_fact_through_negation_two_steps_away():
    # removing `truce` makes `no-truce` hold, which un-triggers `calm`
    case = case_of("- {id: truce, type: agreement}\n- {id: p, type: patrol}")
    rules = """
    ruleset: t
    indicators:
      - {id: no-truce, when: {not: {match: agreement}}}
    scenarios:
      - id: calm
        when: {all: [{match: patrol}, {not: {indicator: no-truce}}]}
    """
    assert run(case, rules).find("calm").critical_facts == ["p", "truce"]


def test_near_miss_lists_what_is_missing_and_the_signposts_in_json():
    result = CliRunner().invoke(cli, ["run", "--format", "json"])
    data = json.loads(result.stdout)
    spring = next(s for s in data["scenarios"] if s["id"] == "spring-shield-restarts")
    assert spring["status"] == "not_triggered" and spring["near_miss"] is True
    assert spring["missing"] == ["indicator truce-failing is not triggered"]
    assert spring["signposts"]


def test_bundled_case_shows_chain_weakest_link_and_critical_facts():
    result = run_files()
    tightened = result.find("m4-security-tightened")
    assert tightened.status == "triggered"
    assert tightened.critical_facts == ["convoy-attack", "troop-deployment"]
    assert tightened.weakest is not None
    for s in result.scenarios:
        if s.status == "triggered":
            assert s.because and s.evidence and s.weakest


def test_explain_a_near_miss_shows_the_tree_marked():
    result = CliRunner().invoke(cli, ["run", "--explain", "spring-shield-restarts", "--format", "json"])
    assert result.exit_code == 0, result.output
    e = json.loads(result.stdout)["explanation"]
    assert e["status"] == "not_triggered" and e["derivations"] == []
    top = e["tree"]
    marks = {c["condition"]: c["holds"] for c in top["children"]}
    assert marks == {"indicator truce-failing": False, "indicator taf-buildup": True}


def test_explain_a_contested_item_shows_its_world_and_bindings():
    result = CliRunner().invoke(cli, ["run", "--explain", "hts-damascus-aligned", "--width", "120"])
    assert result.exit_code == 0, result.output
    assert "convoy-attack.actor = HTS" in result.output
    assert "$atk = convoy-attack" in result.output and "✓" in result.output


def test_explain_marks_parts_that_use_an_outer_binding_as_depending_on_it():
    # the inner all uses $a, bound outside the not: it holds or not per binding
    case = case_of("""
  - {id: a1, type: attack, actor: HTS}
  - {id: a2, type: attack, actor: TIP}
  - {id: a3, type: attack, actor: TIP}
""")
    rules = """
ruleset: r
indicators:
  - id: lone-attacker
    when:
      all:
        - {match: attack, as: a}
        - not: {all: [{match: attack, as: b, where: {actor: $a.actor, id: {ne: $a.id}}}]}
"""
    result = run(case, rules)
    assert result.find("lone-attacker").status == "triggered"
    from scenarios.run import evaluate
    from scenarios.api import case_from_text, ruleset_from_text

    e = evaluate(case_from_text(case), [ruleset_from_text(rules)], explain_id="lone-attacker").explanation
    attack, negation = e.tree.children
    assert (attack.holds, negation.holds) == (True, True)
    inner = negation.children[0]
    assert inner.holds is None and inner.children[0].holds is None


def test_explain_unknown_id_is_an_error():
    result = CliRunner().invoke(cli, ["run", "--explain", "spring-shield"])
    assert result.exit_code == 2 and "did you mean 'spring-shield-restarts'" in result.stderr


def test_weakest_link_of_a_contested_item_may_be_the_hypothesis():
    result = run_files()
    press = result.find("press-the-jihadists")
    assert press.status == "contested"
    assert press.because_world[0] == "convoy-attack.actor = HTS"
    # the convoy attack itself is B1, but that HTS did it is only C4
    assert (press.weakest.fact, str(press.weakest.grade), press.weakest.about) == ("convoy-attack", "C4", "actor = HTS")


def test_critical_facts_say_when_they_were_not_computed():
    facts = "\n".join(f"- {{id: a{i:03}, type: attack}}" for i in range(300))
    rules = """
    ruleset: t
    indicators:
      - {id: calm, when: {not: {match: protest}}}
    scenarios:
      - id: s
        when: {all: [{match: attack}, {indicator: calm}]}
    """
    s = run(case_of(facts), rules).find("s")
    assert s.status == "triggered"
    assert s.critical_facts == [] and s.critical_checked is False
    small = run(case_of("- {id: a, type: attack}"), rules).find("s")
    assert small.critical_facts == ["a"] and small.critical_checked is True
