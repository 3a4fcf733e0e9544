"""100,000 facts through the whole program, against results computed without the engine.

ENGINE-NOTES measured durable-rules losing firings silently at this size when facts
were batched; this test is what proves the way facts go into the engine.
"""

import json

import pytest
from click.testing import CliRunner

from bigcase import generate
from scenarios.cli import cli


@pytest.mark.parametrize("spread", [False, True], ids=["as-run", "joins-spread-over-sessions"])
def test_100k_facts_give_exact_statuses_counts_and_joins(tmp_path, monkeypatch, spread):
    if spread:  # as a run of more than SPREAD_FROM facts does (run.session.run_world)
        from scenarios.run import session

        monkeypatch.setattr(session, "SPREAD_FROM", 0)
    case, rules, expected = generate(100_000)
    (tmp_path / "big.yaml").write_text(case)
    (tmp_path / "big-rules.yaml").write_text(rules)
    result = CliRunner().invoke(cli, ["run", str(tmp_path / "big.yaml"), "-r", str(tmp_path / "big-rules.yaml"), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    items = {i["id"]: i for i in data["scenarios"] + data["indicators"]}
    assert {k: v["status"] for k, v in items.items()} == expected["statuses"]
    count_node = items["taf-attacks-year"]["because"][0]["conditions"][0]
    assert count_node["count"] == expected["taf_in_window"]
    assert items["ru-attacked-by-jihadists"]["derivations"] == expected["ru_jihadist"]
    assert items["hts-fatal"]["derivations"] == expected["hts_fatal"]
