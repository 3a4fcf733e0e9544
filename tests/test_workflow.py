"""`scenarios test`, `diff`, `what-if` and `new`, run as a user runs them."""

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from scenarios.cli import cli
from scenarios.load import load_case, load_ruleset

BUNDLED = Path(__file__).parent.parent / "src" / "scenarios" / "bundled"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def write(path, text):
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def last_line(result) -> str:
    return result.stdout.rstrip("\n").splitlines()[-1]


def assert_bad_input(result, *expected):
    """Exit 2 with every expected `file:line:col: error: message` part, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)
    for text in expected:
        assert text in result.stderr, result.stderr


RULES = """\
ruleset: border
indicators:
  - id: attack-on-army
    title: An attack on the army in the last 30 days
    when: {match: attack, where: {target: ARMY}, within: 30d}
  - id: buildup
    title: A large force
    when: {match: deployment, where: {personnel: {gte: 5000}}}
scenarios:
  - id: crackdown
    title: The army cracks down
    when:
      all:
        - indicator: attack-on-army
        - indicator: buildup
"""

CASE = """\
case: border-may
as_of: 2020-05-29
rulesets: [border]
sources:
  ministry: {name: Ministry, reliability: B}
facts:
  - {id: ied, type: attack, date: 2020-05-27, target: ARMY, source: ministry, credibility: 2, text: An IED on the road.}
  - {id: troops, type: deployment, date: 2020-05-01, personnel: 6000, source: ministry, credibility: 1}
"""


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A folder with rulesets/border.yaml and cases/border-may.yaml, as the current folder."""
    (tmp_path / "rulesets").mkdir()
    (tmp_path / "cases").mkdir()
    write(tmp_path / "rulesets" / "border.yaml", RULES)
    write(tmp_path / "cases" / "border-may.yaml", CASE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- scenarios test -----------------------------------------------------------------------------


PASSING = """\
rulesets: [border]
as_of: 2020-05-29
tests:
  - name: an attack on a large force is a crackdown
    facts:
      - {id: ied, type: attack, date: 2020-05-27, target: ARMY}
      - {id: troops, type: deployment, personnel: 6000}
    expect:
      crackdown: triggered
      attack-on-army: triggered
  - name: a small force is a near miss
    facts:
      - {id: ied, type: attack, date: 2020-05-27, target: ARMY}
      - {id: troops, type: deployment, personnel: 100}
    expect:
      crackdown: near_miss
      buildup: not_triggered
"""


def test_bundled_ruleset_tests_pass():
    result = invoke("test", str(BUNDLED / "rulesets" / "idlib-m4.tests.yaml"))
    assert result.exit_code == 0, result.output
    assert last_line(result) == "18 passed, 0 failed"


def test_passing_tests_print_a_dot_each_and_the_summary_last(project):
    write(project / "rulesets" / "border.tests.yaml", PASSING)
    result = invoke("test", "rulesets")
    assert result.exit_code == 0, result.output
    assert "rulesets/border.tests.yaml .." in result.stdout
    assert last_line(result) == "2 passed, 0 failed"


def test_without_a_path_test_files_under_rulesets_and_tests_run(project):
    write(project / "rulesets" / "border.tests.yaml", PASSING)
    (project / "tests").mkdir()
    write(project / "tests" / "more.tests.yaml", PASSING.replace("rulesets: [border]", "rulesets: [../rulesets/border.yaml]"))
    write(project / "tests" / "not-a-test.yaml", "anything: 1\n")
    result = invoke("test")
    assert result.exit_code == 0, result.output
    assert "rulesets/border.tests.yaml .." in result.stdout and "tests/more.tests.yaml .." in result.stdout
    assert last_line(result) == "4 passed, 0 failed"


def test_without_test_files_is_bad_input(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_bad_input(invoke("test"), "no test files (*.tests.yaml)")


def test_a_failure_shows_expected_against_actual_and_what_is_missing(project):
    write(project / "t.tests.yaml", """\
        rulesets: [rulesets/border.yaml]
        as_of: 2020-05-29
        tests:
          - name: no buildup yet
            facts:
              - {id: ied, type: attack, date: 2020-05-27, target: ARMY}
            expect:
              crackdown: triggered
    """)
    result = invoke("test", "t.tests.yaml")
    assert result.exit_code == 1
    assert "FAILED t.tests.yaml:4:" in result.stdout and "no buildup yet" in result.stdout
    assert "t.tests.yaml:8:" in result.stdout
    assert "crackdown (scenario): expected triggered, got near miss" in result.stdout
    assert "missing: indicator buildup is not triggered" in result.stdout
    assert last_line(result) == "0 passed, 1 failed"


def test_a_failure_on_an_item_that_holds_shows_the_facts_it_holds_on(project):
    write(project / "t.tests.yaml", """\
        rulesets: [border]
        as_of: 2020-05-29
        tests:
          - name: expects too little
            facts:
              - {id: ied, type: attack, date: 2020-05-27, target: ARMY, text: An IED on the road.}
            expect:
              attack-on-army: not_triggered
    """)
    result = invoke("test", "t.tests.yaml", "--width", "200")
    assert result.exit_code == 1
    assert "attack-on-army (indicator): expected not triggered, got triggered" in result.stdout
    assert "because: ied  2020-05-27" in result.stdout and "An IED on the road." in result.stdout


def test_a_contested_item_shows_the_hypotheses_it_needs(project):
    write(project / "t.tests.yaml", """\
        rulesets: [border]
        as_of: 2020-05-29
        tests:
          - name: disputed target
            facts:
              - {id: ied, type: attack, date: 2020-05-27, target: {one_of: [ARMY, POLICE]}}
            expect:
              attack-on-army: triggered
    """)
    result = invoke("test", "t.tests.yaml", "--width", "200")
    assert result.exit_code == 1
    assert "expected triggered, got contested" in result.stdout
    assert "holds only if ied.target = ARMY" in result.stdout


def test_k_selects_tests_by_name_substring(project):
    write(project / "rulesets" / "border.tests.yaml", PASSING)
    result = invoke("test", "rulesets", "-k", "SMALL force")
    assert result.exit_code == 0, result.output
    assert "1 deselected by -k 'SMALL force'" in result.stdout
    assert last_line(result) == "1 passed, 0 failed"


def test_k_that_selects_nothing_is_a_usage_error(project):
    write(project / "rulesets" / "border.tests.yaml", PASSING)
    result = invoke("test", "rulesets", "-k", "nothing like it")
    assert result.exit_code == 2
    assert "no test name contains 'nothing like it'" in result.output


def test_verbose_lists_each_test(project):
    write(project / "rulesets" / "border.tests.yaml", PASSING)
    result = invoke("test", "rulesets", "-v")
    assert "rulesets/border.tests.yaml:4: an attack on a large force is a crackdown PASSED" in result.stdout


def test_coverage_lists_what_no_test_triggers(project):
    write(project / "rulesets" / "border.tests.yaml", PASSING)
    result = invoke("test", "rulesets", "-k", "small", "--coverage")
    assert result.exit_code == 0, result.output
    assert "Not triggered by any test" in result.stdout
    assert "rulesets/border.yaml:10:9: scenario crackdown" in result.stdout
    assert "indicator buildup" in result.stdout and "indicator attack-on-army" not in result.stdout
    assert last_line(result) == "1 passed, 0 failed"


def test_coverage_says_so_when_everything_is_triggered(project):
    write(project / "rulesets" / "border.tests.yaml", PASSING)
    result = invoke("test", "rulesets", "--coverage")
    assert "every indicator and scenario is triggered by some test" in result.stdout


def test_json_report(project):
    write(project / "rulesets" / "border.tests.yaml", PASSING.replace("crackdown: near_miss", "crackdown: triggered"))
    result = invoke("test", "rulesets", "--format", "json", "--coverage")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1 and (data["passed"], data["failed"]) == (1, 1)
    failed = data["tests"][1]
    assert failed["name"] == "a small force is a near miss" and failed["passed"] is False
    check = failed["checks"][0]
    assert (check["id"], check["expected"], check["actual"]) == ("crackdown", "triggered", "near_miss")
    assert check["missing"] == ["indicator buildup is not triggered"]
    assert data["coverage"] == []


def test_a_test_can_run_a_case_file_as_of_another_day(project):
    write(project / "rulesets" / "border.tests.yaml", """\
        tests:
          - name: the May case
            case: ../cases/border-may.yaml
            expect: {crackdown: triggered}
          - name: the May case, a month later
            case: ../cases/border-may.yaml
            as_of: 2020-07-01
            expect: {crackdown: near_miss, attack-on-army: not_triggered}
    """)
    result = invoke("test", "rulesets")
    assert result.exit_code == 0, result.output
    assert last_line(result) == "2 passed, 0 failed"


def test_sources_of_the_file_and_the_status_spelt_with_hyphens(project):
    write(project / "rulesets" / "border.tests.yaml", """\
        rulesets: [border]
        as_of: 2020-05-29
        sources:
          ministry: {name: Ministry, reliability: B}
        tests:
          - name: sourced
            facts:
              - {id: ied, type: attack, date: 2020-05-27, target: ARMY, source: ministry}
            expect: {crackdown: near-miss, buildup: not-triggered}
    """)
    result = invoke("test", "rulesets")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "body, where",
    [
        ("    expct: {crackdown: triggered}\n", "t.tests.yaml:6:5: error: unknown key 'expct' in a test; allowed: name, description, rulesets, case, facts, sources, as_of, expect (did you mean 'expect'?)"),
        ("    expect: {crackdown: trigered}\n", "t.tests.yaml:6:25: error: 'trigered' is not a status or a likelihood; expect one of triggered, contested, not_triggered, near_miss, or an ICD 203 word such as 'likely' (did you mean 'triggered'?)"),
        ("    expect: {crackdwn: triggered}\n", "t.tests.yaml:6:24: error: no indicator or scenario 'crackdwn' in border (did you mean 'crackdown'?)"),
        ("    expect: {}\n", "t.tests.yaml:6:13: error: expect maps indicator and scenario ids to a status"),
    ],
)
def test_bad_expectations_are_located(project, body, where):
    write(project / "t.tests.yaml", "rulesets: [border]\nas_of: 2020-05-29\ntests:\n  - name: one\n    facts: []\n" + body)
    assert_bad_input(invoke("test", "t.tests.yaml"), where)


def test_a_bad_inline_fact_is_located_in_the_test_file(project):
    write(project / "t.tests.yaml", """\
        rulesets: [border]
        as_of: 2020-05-29
        tests:
          - name: one
            facts:
              - {id: ied, type: attack, date: 2020-02-30, source: nobody}
            expect: {crackdown: triggered}
    """)
    assert_bad_input(
        invoke("test", "t.tests.yaml"),
        "t.tests.yaml:6:39: error: date '2020-02-30' is not a real day",
        "t.tests.yaml:6:59: error: unknown source 'nobody'",
        "2 errors",
    )


def test_every_problem_of_a_test_file_is_reported(project):
    write(project / "t.tests.yaml", """\
        rulesets: [border, nowhere]
        tests:
          - name: one
            facts: []
            expect: {crackdown: triggered}
          - name: one
            case: missing.yaml
            expect: {crackdown: triggered}
          - expect: {crackdown: triggered}
            facts: []
            case: missing.yaml
    """)
    assert_bad_input(
        invoke("test", "t.tests.yaml"),
        "t.tests.yaml:1:20: error: no ruleset 'nowhere'",
        "t.tests.yaml:3:5: error: a test with inline facts needs as_of",
        "t.tests.yaml:6:5: error: duplicate test name 'one'",
        "t.tests.yaml:7:11: error: no case file 'missing.yaml'",
        "t.tests.yaml:9:5: error: a test needs 'name'",
        "t.tests.yaml:11:11: error: a test gives inline 'facts' or a 'case' file, not both",
    )


def test_a_bad_ruleset_is_reported_where_it_is_wrong(project):
    write(project / "rulesets" / "broken.yaml", "ruleset: broken\nindicators:\n  - id: x\n    when: {match: attack, within: soon}\n")
    write(project / "t.tests.yaml", "rulesets: [broken]\nas_of: 2020-05-29\ntests:\n  - {name: one, facts: [], expect: {x: triggered}}\n")
    assert_bad_input(invoke("test", "t.tests.yaml"), "rulesets/broken.yaml:4:35: error: within takes a span")


def test_yaml_syntax_errors_and_missing_paths_are_bad_input(project):
    write(project / "t.tests.yaml", "tests:\n  - name: [unclosed\n")
    assert_bad_input(invoke("test", "t.tests.yaml"), "t.tests.yaml:")
    assert_bad_input(invoke("test", "nowhere"), "nowhere: error: no such file or folder")


# -- scenarios diff ----------------------------------------------------------------------------


LATER = CASE.replace("case: border-may", "case: border-june").replace("as_of: 2020-05-29", "as_of: 2020-06-30")


def test_diff_of_two_cases_names_cleared_items_and_the_facts(project):
    write(project / "cases" / "border-june.yaml", LATER.replace("personnel: 6000", "personnel: 9000") + "  - {id: raid, type: attack, date: 2020-06-20, target: POLICE}\n")
    result = invoke("diff", "cases/border-may.yaml", "cases/border-june.yaml", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1
    assert data["old"]["case"] == "border-may" and data["new"]["case"] == "border-june"
    assert [c["id"] for c in data["cleared"]] == ["crackdown", "attack-on-army"]
    crackdown = data["cleared"][0]
    assert crackdown["old"] == {"status": "triggered", "near_miss": False}
    assert crackdown["new"] == {"status": "not_triggered", "near_miss": True}
    assert crackdown["missing"] == ["indicator attack-on-army is not triggered"]
    assert crackdown["facts"]["changed"] == ["troops"]
    assert crackdown["through"] == ["attack-on-army"]
    assert data["newly_triggered"] == [] and data["new_near_misses"] == []
    assert [f["id"] for f in data["facts"]["added"]] == ["raid"]
    assert data["facts"]["changed"] == [
        {"id": "troops", "type": "deployment", "date": "2020-05-01", "text": None, "keys": [{"key": "personnel", "old": 6000, "new": 9000}]}
    ]


def test_diff_of_one_case_at_two_dates(project):
    result = invoke("diff", "cases/border-may.yaml", "--old-as-of", "2020-05-15", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["old"]["as_of"], data["new"]["as_of"]) == ("2020-05-15", "2020-05-29")
    assert [c["id"] for c in data["newly_triggered"]] == ["crackdown", "attack-on-army"]
    assert data["newly_triggered"][0]["facts"]["added"] == ["ied"]
    assert [f["id"] for f in data["facts"]["added"]] == ["ied"]


def test_diff_json_is_byte_identical_across_runs(project):
    args = ("diff", "cases/border-may.yaml", "--old-as-of", "2020-05-15", "--format", "json")
    assert invoke(*args).stdout == invoke(*args).stdout


def test_diff_terminal_report(project):
    result = invoke("diff", "cases/border-may.yaml", "--old-as-of", "2020-05-15", "--width", "120")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Newly triggered" in out and "The army cracks down" in out and "was a near miss" in out
    assert "new facts: ied" in out and "\nNew facts\nied  2020-05-27  attack\n" in out
    assert "• Since 2020-05-15: The army cracks down" in out


def test_diff_without_changes_says_so(project):
    result = invoke("diff", "cases/border-may.yaml", "cases/border-may.yaml", "--width", "120")
    assert result.exit_code == 0, result.output
    assert "No indicator or scenario changed status." in result.stdout
    assert "No fact was added, removed or changed." in result.stdout


def test_diff_writes_a_file(project):
    result = invoke("diff", "cases/border-may.yaml", "--old-as-of", "2020-05-15", "-o", "changes.txt")
    assert result.exit_code == 0 and result.stdout == ""
    assert "Newly triggered" in (project / "changes.txt").read_text()


def test_diff_with_rulesets_given(project):
    write(project / "cases" / "bare.yaml", CASE.replace("rulesets: [border]\n", ""))
    result = invoke("diff", "cases/bare.yaml", "--old-as-of", "2020-05-15", "-r", "rulesets/border.yaml", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["new"]["rulesets"] == ["border"]


def test_diff_needs_a_second_case_or_a_date(project):
    result = invoke("diff", "cases/border-may.yaml")
    assert result.exit_code == 2 and "give NEW" in result.output


def test_diff_reports_the_problems_of_both_cases(project):
    write(project / "cases" / "a.yaml", "case: a\nas_of: 2020-13-01\nfacts: []\n")
    write(project / "cases" / "b.yaml", "case: b\nas_of: 2020-05-01\nfacts:\n  - {id: x}\n")
    assert_bad_input(
        invoke("diff", "cases/a.yaml", "cases/b.yaml", "-r", "border"),
        "cases/a.yaml:2:8: error: as_of '2020-13-01' is not a real day",
        "cases/b.yaml:4:5: error: a fact needs 'type'",
    )


# -- scenarios what-if ---------------------------------------------------------------------------


def test_what_if_a_fact_is_dropped(project):
    result = invoke("what-if", "cases/border-may.yaml", "--drop", "troops", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["old"]["label"] == "as written" and data["new"]["label"] == "what if"
    assert data["what_if"] == ["drop troops"]
    assert [c["id"] for c in data["cleared"]] == ["crackdown", "buildup"]
    assert data["cleared"][0]["facts"]["removed"] == ["troops"]
    assert [f["id"] for f in data["facts"]["removed"]] == ["troops"]


def test_what_if_a_value_is_set_reads_it_as_yaml(project):
    result = invoke("what-if", "cases/border-may.yaml", "--set", "troops.personnel=4000", "--format", "json")
    data = json.loads(result.stdout)
    assert [c["id"] for c in data["cleared"]] == ["crackdown", "buildup"]
    assert data["facts"]["changed"][0]["keys"] == [{"key": "personnel", "old": 6000, "new": 4000}]
    # a quoted number is text, and text is never >= 5000
    quoted = json.loads(invoke("what-if", "cases/border-may.yaml", "--set", "troops.personnel='9000'", "--format", "json").stdout)
    assert [c["id"] for c in quoted["cleared"]] == ["crackdown", "buildup"]


def test_what_if_a_contested_value_is_set(project):
    write(project / "cases" / "disputed.yaml", CASE.replace("target: ARMY,", "target: {one_of: [ARMY, POLICE]},"))
    result = invoke("what-if", "cases/disputed.yaml", "--set", "ied.target=ARMY", "--format", "json")
    data = json.loads(result.stdout)
    assert [c["id"] for c in data["newly_triggered"]] == ["crackdown", "attack-on-army"]
    assert data["facts"]["changed"][0]["keys"][0]["old"] == {
        "one_of": [{"value": "ARMY", "source": None, "credibility": None}, {"value": "POLICE", "source": None, "credibility": None}]
    }


def test_what_if_facts_are_added(project):
    write(project / "cases" / "quiet.yaml", CASE.replace("target: ARMY", "target: POLICE"))
    write(project / "more.yaml", "- {id: ambush, type: attack, date: 2020-05-28, target: ARMY, source: ministry, credibility: 3}\n")
    result = invoke("what-if", "cases/quiet.yaml", "--add", "more.yaml", "--width", "120")
    assert result.exit_code == 0, result.output
    assert "Newly triggered" in result.stdout and "new facts: ambush" in result.stdout
    assert "add ambush from more.yaml" in result.stdout


def test_what_if_names_unknown_fact_ids(project):
    result = invoke("what-if", "cases/border-may.yaml", "--drop", "tropps", "--set", "ghost.actor=X")
    assert_bad_input(
        result,
        "cases/border-may.yaml: error: --drop tropps: no fact 'tropps' in the case (did you mean 'troops'?)",
        "cases/border-may.yaml: error: --set ghost.actor=X: fact 'ghost' is not in the case",
    )


def test_what_if_refuses_bad_values_and_bad_added_facts(project):
    write(project / "more.yaml", "facts:\n  - {id: ied, type: attack}\n  - {id: late, type: attack, date: 2020-02-30}\n")
    assert_bad_input(
        invoke("what-if", "cases/border-may.yaml", "--set", "troops.date=2020-13-01", "--add", "more.yaml"),
        "cases/border-may.yaml: error: --set troops.date=2020-13-01: date '2020-13-01' is not a real day",
        "more.yaml:2:10: error: fact id 'ied' is already in the case: --drop ied to replace it",
        "more.yaml:3:36: error: date '2020-02-30' is not a real day",
    )
    assert_bad_input(invoke("what-if", "cases/border-may.yaml", "--set", "troops"), "is not FACT.KEY=VALUE")


def test_what_if_needs_a_change(project):
    result = invoke("what-if", "cases/border-may.yaml")
    assert result.exit_code == 2 and "nothing to change" in result.output


# -- scenarios new -------------------------------------------------------------------------------


def test_new_case_and_ruleset_load_and_run_together(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke("new", "case", "border-2024").exit_code == 0
    assert invoke("new", "ruleset", "border-rules").exit_code == 0
    case_text = (tmp_path / "cases" / "border-2024.yaml").read_text()
    rules_text = (tmp_path / "rulesets" / "border-rules.yaml").read_text()
    assert case_text.startswith("# yaml-language-server: $schema=../schemas/case.schema.json\n")
    assert rules_text.startswith("# yaml-language-server: $schema=../schemas/ruleset.schema.json\n")
    case, case_warnings = load_case("cases/border-2024.yaml")
    ruleset, ruleset_warnings = load_ruleset("rulesets/border-rules.yaml")
    assert case.id == "border-2024" and ruleset.id == "border-rules"
    assert case_warnings == [] and ruleset_warnings == []
    from scenarios.run import evaluate

    result = evaluate(case, [ruleset])
    assert {r.id: (r.status, r.near_miss) for r in result.scenarios} == {"crackdown": ("triggered", False), "insurgency": ("not_triggered", True)}


def test_new_refuses_to_overwrite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rulesets").mkdir()
    (tmp_path / "rulesets" / "mine.yaml").write_text("keep me\n")
    assert_bad_input(invoke("new", "ruleset", "mine"), "rulesets/mine.yaml: error: already exists")
    assert (tmp_path / "rulesets" / "mine.yaml").read_text() == "keep me\n"


def test_new_writes_where_told(tmp_path):
    out = tmp_path / "elsewhere.yaml"
    result = invoke("new", "case", "quick", "-o", out)
    assert result.exit_code == 0, result.output
    assert load_case(str(out))[0].id == "quick"
    assert_bad_input(invoke("new", "case", "quick", "-o", tmp_path / "no" / "such.yaml"), "cannot be written: no such folder")


def test_new_to_standard_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("new", "ruleset", "r", "-o", "-")
    assert result.exit_code == 0 and result.stdout.startswith("# yaml-language-server: $schema=../schemas/ruleset.schema.json\n")
    assert not (tmp_path / "rulesets").exists()


def test_new_refuses_a_name_that_is_not_an_id(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert_bad_input(invoke("new", "case", "My_Case"), "My_Case: error: is not a valid case id")
    assert not (tmp_path / "cases").exists()


# -- help --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["test", "diff", "what-if", "new"])
def test_every_command_has_examples_in_its_help(name):
    result = invoke(name, "--help")
    assert result.exit_code == 0 and "Examples:" in result.output
