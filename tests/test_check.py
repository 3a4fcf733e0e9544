"""`scenarios check`: silent when all is well; every problem as file:line:col otherwise."""

import json

from click.testing import CliRunner

from scenarios.cli import cli


def check(*args):
    return CliRunner().invoke(cli, ["check", *args])


def test_bundled_files_are_clean():
    result = check("cases", "rulesets")
    assert result.exit_code == 0 and result.output == ""


def test_problems_across_files(tmp_path):
    (tmp_path / "r.yaml").write_text(
        "ruleset: t\n"
        "indicators:\n"
        "  - id: a\n"
        "    when: {not: {indicator: b}}\n"
        "  - id: b\n"
        "    when: {indicator: a}\n"
        "  - id: e\n"
        "    when: {indicator: nope}\n"
    )
    (tmp_path / "c.yaml").write_text("case: c\nas_of: 2020-01-01\nrulesets: [missing-one]\nfacts: []\n")
    result = check(str(tmp_path))
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert any(line.startswith(f"{tmp_path / 'r.yaml'}:3:9: error: a cycle through not/count cannot be evaluated: a -> b -> a") for line in lines)
    assert any(line.startswith(f"{tmp_path / 'r.yaml'}:8:23: error: unknown indicator 'nope'") for line in lines)
    assert any("c.yaml:3:" in line and "ruleset 'missing-one'" in line for line in lines)


def test_warnings_do_not_fail(tmp_path):
    (tmp_path / "r.yaml").write_text("ruleset: t\nindicators:\n  - {id: lonely, when: {match: x}}\n")
    result = check(str(tmp_path / "r.yaml"))
    assert result.exit_code == 0
    assert "warning: indicator 'lonely' is used by no scenario or indicator" in result.output


def test_json_format(tmp_path):
    (tmp_path / "c.yaml").write_text("case: c\nas_of: 2020-02-30\nfacts: []\n")
    result = check(str(tmp_path / "c.yaml"), "--format", "json")
    assert result.exit_code == 2
    (problem,) = json.loads(result.output)
    assert problem == {"file": str(tmp_path / "c.yaml"), "line": 2, "column": 8, "severity": "error", "code": "value", "message": "as_of '2020-02-30' is not a real day", "suggestion": None}


def test_json_problems_carry_their_kind_and_what_was_probably_meant(tmp_path):
    (tmp_path / "c.yaml").write_text("case: c\nas_of: 2020-05-29\nfacts: []\ntitel: x\n")
    result = check(str(tmp_path / "c.yaml"), "--format", "json")
    (problem,) = json.loads(result.output)
    assert (problem["code"], problem["suggestion"], problem["line"]) == ("unknown-key", "did you mean 'title'?", 4)
    assert problem["message"].startswith("unknown key 'titel' in a case; allowed:")


def test_missing_path_and_unknown_kind(tmp_path):
    (tmp_path / "x.yaml").write_text("hello: world\n")
    result = check(str(tmp_path / "nope.yaml"), str(tmp_path / "x.yaml"))
    assert result.exit_code == 2
    assert "nope.yaml: error: no such file or folder" in result.output
    assert "x.yaml:1:1: error: neither a case" in result.output
