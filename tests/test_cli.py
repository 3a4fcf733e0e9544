"""The `scenarios` command as a user runs it: exit codes, the JSON contract, errors."""

import json

import pytest
from click.testing import CliRunner

from scenarios import __version__
from scenarios.cli import cli

CASE = """\
case: small
as_of: 2020-05-29
sources:
  local: {name: Local sources, reliability: D}
facts:
  - {id: convoy, type: attack, date: 2020-05-27, actor: HTS, target: TAF, source: local, credibility: 3, text: IED on the M4}
  - {id: later, type: attack, date: 2020-06-04, actor: HTS, target: TAF}
"""

RULES = """\
ruleset: small-rules
indicators:
  - id: hts-escalation
    title: HTS escalates
    when: {match: attack, where: {actor: HTS, target: TAF}, within: 30d}
scenarios:
  - id: press
    title: Turkey presses HTS
    when: {indicator: hts-escalation}
    signposts: [checkpoints]
"""


def invoke(*args, **kwargs):
    return CliRunner().invoke(cli, list(args), **kwargs)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "case.yaml").write_text(CASE)
    (tmp_path / "rules.yaml").write_text(RULES)
    return tmp_path


def test_run_without_arguments_reports_the_bundled_case():
    result = invoke("run", "--width", "100")
    assert result.exit_code == 0, result.output
    assert "idlib-m4-2020-05" in result.output
    assert "Scenarios" in result.output and "TRIGGERED" in result.output


def test_json_contract(files):
    result = invoke("run", str(files / "case.yaml"), "-r", str(files / "rules.yaml"), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1
    assert data["case"] == "small" and data["as_of"] == "2020-05-29"
    assert data["rulesets"] == ["small-rules"] and data["worlds"] == 1
    assert data["facts"] == {"total": 2, "in_run": 1, "after_as_of": ["later"]}
    (press,) = data["scenarios"]
    for key in ("id", "title", "status", "near_miss", "missing", "because", "evidence", "critical_facts"):
        assert key in press
    assert press["status"] == "triggered"
    chain = press["because"][0]["conditions"][0]
    assert chain["kind"] == "indicator"
    assert chain["derivations"][0]["conditions"][0]["fact"] == "convoy"
    assert press["evidence"]["facts"][0]["grade"] == "D3"
    assert press["evidence"]["weakest"] == {"fact": "convoy", "grade": "D3", "about": None}


def test_json_is_byte_identical_across_runs(files):
    args = ("run", str(files / "case.yaml"), "-r", str(files / "rules.yaml"), "--format", "json")
    assert invoke(*args).stdout == invoke(*args).stdout


def test_as_of_option(files):
    result = invoke("run", str(files / "case.yaml"), "-r", str(files / "rules.yaml"), "--format", "json", "--as-of", "2020-08-01")
    data = json.loads(result.stdout)
    assert data["as_of"] == "2020-08-01" and data["scenarios"][0]["status"] == "not_triggered"


def test_ruleset_by_id_from_the_case(files):
    (files / "rulesets").mkdir()
    (files / "rulesets" / "small-rules.yaml").write_text(RULES)
    (files / "cases").mkdir()
    (files / "cases" / "c.yaml").write_text(CASE + "rulesets: [small-rules]\n")
    result = invoke("run", str(files / "cases" / "c.yaml"), "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rulesets"] == ["small-rules"]


def test_bundled_ruleset_by_id(files):
    result = invoke("run", str(files / "case.yaml"), "-r", "idlib-m4", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["rulesets"] == ["idlib-m4"]


def test_output_file(files):
    out = files / "out.json"
    result = invoke("run", str(files / "case.yaml"), "-r", str(files / "rules.yaml"), "--format", "json", "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out.read_text())["case"] == "small"


def test_bad_input_exits_2_with_location_and_writes_nothing(files):
    (files / "bad.yaml").write_text(CASE.replace("credibility: 3", "credibility: 9"))
    out = files / "out.json"
    result = invoke("run", str(files / "bad.yaml"), "-r", str(files / "rules.yaml"), "--format", "json", "-o", str(out))
    assert result.exit_code == 2
    assert f"{files / 'bad.yaml'}:6:" in result.stderr
    assert "credibility must be a whole number 1-6" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert not out.exists()


def test_yaml_syntax_error_is_located(files):
    (files / "bad.yaml").write_text("case: x\nas_of: 2020-01-01\nfacts: [\n")
    result = invoke("run", str(files / "bad.yaml"), "-r", str(files / "rules.yaml"))
    assert result.exit_code == 2
    assert str(files / "bad.yaml") + ":" in result.stderr and "error: invalid YAML" in result.stderr


def test_missing_case_file():
    result = invoke("run", "no-such-case.yaml")
    assert result.exit_code == 2 and "no-such-case.yaml: error: no such file" in result.stderr


def test_unknown_ruleset_id(files):
    result = invoke("run", str(files / "case.yaml"), "-r", "no-such-rules")
    assert result.exit_code == 2 and "no-such-rules" in result.stderr


def test_case_without_rulesets(files):
    result = invoke("run", str(files / "case.yaml"))
    assert result.exit_code == 2 and "no rulesets to run" in result.stderr


def test_bad_as_of_is_a_usage_error(files):
    result = invoke("run", str(files / "case.yaml"), "--as-of", "2020-02-30")
    assert result.exit_code == 2 and "2020-02-30" in result.output


def test_python_tags_are_refused_not_run(files):
    (files / "evil.yaml").write_text("case: x\nas_of: 2020-01-01\nfacts: !!python/object/apply:os.system ['echo pwned']\n")
    result = invoke("run", str(files / "evil.yaml"), "-r", str(files / "rules.yaml"))
    assert result.exit_code == 2 and "pwned" not in result.output


def test_a_tag_after_any_whitespace_or_flow_indicator_is_looked_at():
    # the quick scan for tags must see every place a YAML tag can start: after any
    # whitespace character, a flow indicator, ':', '?' or '-', or at the very start
    import re

    from scenarios.load.text import _has_tag

    for code in range(0x3100):
        c = chr(code)
        assert _has_tag("x" + c + "!x") == bool(re.match(r"[\s\[\{,:?-]", c)), repr(c)
    assert _has_tag("!x") and not _has_tag("text: wow! no tag")
    # past a thousand `!` the scan hands over to an expression: the same answers
    assert _has_tag("a!" * 3000 + " !x") and _has_tag("a!" * 3000 + "\u3000!x")
    assert not _has_tag("a!" * 3000) and not _has_tag("x" + "!" * 10**6)


def test_alias_bomb_is_refused(files):
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    prev = "a"
    for i in range(1, 10):
        name = chr(97 + i)
        bomb += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    (files / "bomb.yaml").write_text(bomb)
    result = invoke("run", str(files / "bomb.yaml"), "-r", str(files / "rules.yaml"))
    assert result.exit_code == 2 and "alias" in result.stderr


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and __version__ in result.output


def test_every_command_has_an_example_in_its_help():
    for args in (["--help"], ["run", "--help"]):
        result = invoke(*args)
        assert result.exit_code == 0 and "Examples:" in result.output


def test_too_many_worlds_is_refused_with_the_facts_that_multiply_them(files):
    facts = "\n".join(f"  - {{id: f{i}, type: t, k: {{one_of: [1, 2]}}}}" for i in range(13))
    (files / "worlds.yaml").write_text(f"case: w\nas_of: 2020-01-01\nfacts:\n{facts}\n")
    result = invoke("run", str(files / "worlds.yaml"), "-r", str(files / "rules.yaml"))
    assert result.exit_code == 2 and "8192 worlds" in result.stderr and "f0.k" in result.stderr


def test_fail_on_exits_1_when_met(files):
    args = ["run", str(files / "case.yaml"), "-r", str(files / "rules.yaml"), "--format", "json"]
    assert invoke(*args, "--fail-on", "triggered").exit_code == 1
    assert invoke(*args, "--fail-on", "contested").exit_code == 0
    assert invoke(*args, "--fail-on", "near-miss", "--fail-on", "triggered").exit_code == 1


def test_several_cases_open_with_a_board_of_what_holds_in_each():
    result = invoke("run", "cases/idlib-m4-2020-05.yaml", "cases/idlib-m4-2020-08.yaml", "--width", "200")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2 cases\n\nBottom line\n")
    board = result.stdout[: result.stdout.index("─" * 200)]
    assert "• An asymmetric war starts near the Turkish border: triggered in idlib-m4-2020-08." in board
    assert "• Turkey tightens security on the M4 after jihadist attacks: triggered in every case." in board
    table = board[board.index("\nCases\n"):]
    may, august = table[table.index("idlib-m4-2020-05"):table.index("idlib-m4-2020-08")], table[table.index("idlib-m4-2020-08"):]
    assert "2020-05-31" in may and "press-the-jihadists" in may  # contested in May
    assert "2020-08-31" in august and "asymmetric-war" in august  # triggered in August
    assert "asymmetric-war" not in may
    one = invoke("run", "cases/idlib-m4-2020-05.yaml", "--width", "200")
    assert "1 cases" not in one.stdout and "2 cases" not in one.stdout


def test_a_folder_runs_every_case_in_it_and_skips_rulesets_and_tests(tmp_path):
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "a.yaml").write_text(CASE)
    (tmp_path / "cases" / "b.yaml").write_text(CASE.replace("case: small", "case: other"))
    (tmp_path / "cases" / "rules.yaml").write_text(RULES)
    (tmp_path / "cases" / "rules.tests.yaml").write_text("tests: []\n")
    result = invoke("run", str(tmp_path / "cases"), "-r", str(tmp_path / "cases" / "rules.yaml"), "--format", "json")
    assert result.exit_code == 0, result.output
    assert [r["case"] for r in json.loads(result.stdout)] == ["small", "other"]


def test_a_folder_with_no_case_is_an_error(tmp_path):
    (tmp_path / "rules.yaml").write_text(RULES)
    result = invoke("run", str(tmp_path))
    assert result.exit_code == 2 and "no case file in this folder" in result.stderr


def test_jobs_give_the_same_bytes_as_a_plain_run():
    plain = invoke("run", "cases/idlib-m4-2020-05.yaml", "cases/idlib-m4-2020-08.yaml", "--format", "json")
    parallel = invoke("run", "cases/idlib-m4-2020-05.yaml", "cases/idlib-m4-2020-08.yaml", "--format", "json", "--jobs", "2")
    assert plain.exit_code == parallel.exit_code == 0
    assert plain.stdout == parallel.stdout
    assert [r["case"] for r in json.loads(plain.stdout)] == ["idlib-m4-2020-05", "idlib-m4-2020-08"]


@pytest.mark.parametrize("fmt", ["rich", "json"])
def test_a_reader_that_goes_away_leaves_the_exit_code_as_it_would_be(fmt):
    # `scenarios run ... | head`: no traceback, and exit 1 still means --fail-on was met
    import subprocess
    import sys

    cases = ["cases/idlib-m4-2020-05.yaml"] * 30  # more than a pipe holds
    for extra, code in (([], 0), (["--fail-on", "triggered"], 1)):
        argv = [sys.executable, "-c", "from scenarios.cli import main; main()", "run", *cases, "--format", fmt, "--width", "100", *extra]
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        p.stdout.read(100)
        p.stdout.close()
        stderr = p.stderr.read().decode()
        assert p.wait(timeout=60) == code, stderr
        assert "Traceback" not in stderr and "Exception ignored" not in stderr
