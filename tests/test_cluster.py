"""`scenarios run --dask ADDRESS`: the same bytes as a plain run, on a Dask cluster.

One LocalCluster of two single-threaded worker processes serves the module. The test
extra installs distributed, so these tests run (never skip) wherever the suite does.
"""

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from distributed import LocalCluster

from scenarios import cluster as on_cluster
from scenarios.api import run_files
from scenarios.batch import run_cases
from scenarios.cli import cli
from scenarios.render.json import render

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = [str(ROOT / "cases" / "idlib-m4-2020-05.yaml"), str(ROOT / "cases" / "idlib-m4-2020-08.yaml")]

RULES = """\
ruleset: gen-rules
indicators:
  - id: gen-escalation
    title: HTS escalates
    when: {match: attack, where: {actor: HTS, target: TAF}, within: 30d}
  - id: deadly
    title: Deadly attacks
    when: {count: {match: attack, where: {fatalities: {gte: 2}}}, at_least: 2}
scenarios:
  - id: press
    title: Turkey presses HTS
    when: {all: [{indicator: gen-escalation}, {not: {indicator: deadly}}]}
"""


def case_text(n: int) -> str:
    """A small case named after `n`, with a contested actor every third case."""
    actor = "{one_of: [HTS, TIP]}" if n % 3 == 0 else ("HTS" if n % 2 else "TIP")
    sources = "sources:\n  idle: {name: A source no fact cites, reliability: C}\n" if n == 1 else ""  # a warning
    return (
        f"case: gen-{n}\nas_of: 2020-05-{10 + n % 19:02}\nrulesets: [gen-rules]\n{sources}facts:\n"
        f"  - {{id: convoy, type: attack, date: 2020-05-0{1 + n % 9}, actor: {actor}, target: TAF, fatalities: {n % 4}}}\n"
        f"  - {{id: raid, type: attack, date: 2020-05-09, actor: HTS, target: TAF, fatalities: {n % 3}}}\n"
    )


def many_worlds(extra: int) -> str:
    """The bundled case in 4 * 2**extra worlds (as benchmarks/worlds.py builds it)."""
    facts = "".join(
        f"  - {{id: report-{i:02}, type: rumour, date: 2020-05-20, present: {{one_of: [{{value: true, p: 0.5}}, {{value: false, p: 0.5}}]}}, text: Unconfirmed report {i}}}\n"
        for i in range(extra)
    )
    return Path(BUNDLED[0]).read_text().rstrip("\n") + "\n" + facts


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local


@pytest.fixture(scope="module")
def address(cluster):
    return cluster.scheduler_address


@pytest.fixture
def generated(tmp_path):
    """Case files that name their ruleset by id, found in the rulesets/ folder beside
    the cases' folder: resolved on the client, read there, sent as text."""
    (tmp_path / "rulesets").mkdir()
    (tmp_path / "rulesets" / "gen-rules.yaml").write_text(RULES)
    (tmp_path / "cases").mkdir()
    paths = []
    for n in range(6):
        path = tmp_path / "cases" / f"gen-{n}.yaml"
        path.write_text(case_text(n))
        paths.append(str(path))
    return paths


def invoke(*args):
    return CliRunner().invoke(cli, ["run", *args])


def test_dask_gives_the_bytes_of_a_plain_run_and_of_jobs(address, generated, cluster):
    cases = BUNDLED + generated
    plain = invoke(*cases, "--format", "json")
    assert plain.exit_code == 0, plain.output
    # a process of its own: forking this one, which runs the cluster's threads, could hang
    jobs = subprocess.run([sys.executable, "-c", "from scenarios.cli import main; main()", "run", *cases, "--format", "json", "--jobs", "2"], capture_output=True, text=True)
    dask = invoke(*cases, "--format", "json", "--dask", address)
    assert dask.exit_code == 0 and jobs.returncode == 0, dask.output + jobs.stderr
    assert dask.stdout == plain.stdout == jobs.stdout
    assert dask.stderr == plain.stderr and "gen-1.yaml:5:9: warning: source 'idle' is not cited" in dask.stderr
    assert "scenarios-cases" in cluster.scheduler.task_prefixes  # the cases ran as tasks


def test_rulesets_given_with_r_are_found_here_and_sent_with_the_cases(address, generated, tmp_path):
    args = (*generated, "-r", str(tmp_path / "rulesets" / "gen-rules.yaml"), "-r", "idlib-m4", "--format", "json")
    plain = invoke(*args)
    dask = invoke(*args, "--dask", address)
    assert plain.exit_code == dask.exit_code == 0, dask.output
    assert dask.stdout == plain.stdout and '"idlib-m4"' in dask.stdout


def test_dask_spreads_the_worlds_of_one_case_with_the_same_bytes(address, tmp_path, cluster):
    path = tmp_path / "cases" / "worlds.yaml"
    path.parent.mkdir()
    path.write_text(many_worlds(6))  # 256 worlds: four tasks of 64
    for args in ((BUNDLED[0],), (str(path),), (str(path), "--explain", "spring-shield-restarts")):
        plain = invoke(*args, "--format", "json")
        dask = invoke(*args, "--format", "json", "--dask", address)
        assert plain.exit_code == 0 and dask.exit_code == 0, dask.output
        assert dask.stdout == plain.stdout
    assert '"worlds": 256' in dask.stdout
    assert "scenarios-worlds" in cluster.scheduler.task_prefixes


def test_the_worlds_mapper_gives_the_result_of_one_pass(address):
    client = on_cluster.connect(address)
    try:
        assert render([run_files(BUNDLED[0], map_worlds=on_cluster.WorldsOn(client))]) == render([run_files(BUNDLED[0])])
    finally:
        client.close()


def test_bad_input_through_dask_reads_as_in_a_plain_run_and_writes_nothing(address, generated, tmp_path):
    bad = tmp_path / "cases"
    (bad / "syntax.yaml").write_text("case: syntax\nas_of: 2020-05-29\nfacts: [\n  - {id: a, type: attack\n")
    (bad / "grade.yaml").write_text("case: grade\nas_of: 2020-05-29\nrulesets: [gen-rules]\nfacts:\n  - {id: a, type: attack, credibility: 9}\n")
    (bad / "missing.yaml").write_text("case: missing\nas_of: 2020-05-29\nrulesets: [gen-rules, no-such-rules]\nfacts: []\n")
    (tmp_path / "rulesets" / "broken.yaml").write_text("ruleset: broken\nindicators:\n  - id: x\n    when: {match: attack, wehre: {actor: HTS}}\n")
    (bad / "broken.yaml").write_text("case: broken\nas_of: 2020-05-29\nrulesets: [broken]\nfacts: []\n")
    (tmp_path / "rulesets" / "blank.yaml").write_text("")
    (bad / "blank.yaml").write_text("case: blank\nas_of: 2020-05-29\nrulesets: [blank]\nfacts: []\n")
    (bad / "empty.yaml").write_text("# nothing yet\n")
    (bad / "none.yaml").write_text("case: none\nas_of: 2020-05-29\nfacts: []\n")
    names = ("syntax", "grade", "missing", "broken", "blank", "empty", "none")
    cases = [generated[0], *(str(bad / f"{n}.yaml") for n in names), str(bad / "absent.yaml")]
    out = tmp_path / "run.json"
    plain = invoke(*cases, "--format", "json", "-o", str(out))
    dask = invoke(*cases, "--format", "json", "-o", str(out), "--dask", address)
    assert plain.exit_code == dask.exit_code == 2
    assert dask.stderr == plain.stderr
    for expected in ("syntax.yaml:", "grade.yaml:5:", "missing.yaml:3:", "broken.yaml:4:", "no-such-rules", "blank.yaml:1:1: error: is empty", "empty.yaml:1:1: error: is empty", "no rulesets to run", "absent.yaml: error: no such file"):
        assert expected in dask.stderr
    assert "Traceback" not in dask.output
    assert not out.exists()


def test_a_case_travels_as_text_and_the_worker_reads_no_file(generated, tmp_path, monkeypatch):
    expected = render([run_files(generated[3])])
    texts: dict = {}
    work, text = on_cluster.pack(generated[3], (), None, 4096, None, texts)
    for path in (tmp_path / "cases").iterdir():
        path.unlink()
    (tmp_path / "rulesets" / "gen-rules.yaml").unlink()
    monkeypatch.chdir(tmp_path)
    kind, result = on_cluster.run_case(work, text, [texts[r] for r in work.rulesets])
    assert kind == "ok" and render([result]) == expected


def test_cases_come_back_in_order_in_tasks_of_several_with_progress_as_they_finish(address, generated, tmp_path, monkeypatch):
    for n in range(6, 24):
        (tmp_path / "cases" / f"gen-{n}.yaml").write_text(case_text(n))
    (tmp_path / "cases" / "bad.yaml").write_text("case: bad\nas_of: 2020-05-29\nrulesets: [gen-rules]\nfacts:\n  - {id: a, type: attack, credibility: 9}\n")
    paths = [str(tmp_path / "cases" / f"gen-{n}.yaml") for n in range(24)]
    paths[5:5] = [str(tmp_path / "cases" / "bad.yaml"), str(tmp_path / "cases" / "absent.yaml")]
    assert on_cluster.cases_per_task(len(paths), 2) == 3
    # the longer case texts go to the workers ahead of their tasks, the others with them
    monkeypatch.setattr(on_cluster, "INLINE_BYTES", len(case_text(10)))
    done = []
    results, problems = run_cases(paths, dask=address, progress=done.append)
    assert [r.case for r in results] == [f"gen-{n}" for n in range(24)]
    assert sum(done) == len(paths) and max(done) == 3
    assert sorted(Path(p.file).name for p in problems) == ["absent.yaml", "bad.yaml"]
    assert (results, problems) == run_cases(paths)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_address_where_nothing_listens_is_one_sentence_and_exit_2_at_once():
    address = f"tcp://127.0.0.1:{free_port()}"
    start = time.monotonic()
    result = invoke(BUNDLED[0], "--dask", address)
    assert result.exit_code == 2
    assert time.monotonic() - start < 5
    assert result.stderr.count("\n") == 1 and address in result.stderr and "Traceback" not in result.output


def test_an_address_that_does_not_answer_as_a_scheduler_times_out(monkeypatch):
    monkeypatch.setattr(on_cluster, "CONNECT_TIMEOUT", 1.0)
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
        start = time.monotonic()
        result = invoke(BUNDLED[0], "--dask", address)
    assert result.exit_code == 2 and time.monotonic() - start < 10
    assert result.stderr.count("\n") == 1 and "no Dask scheduler answered" in result.stderr


@pytest.mark.parametrize("address", ["nonsense", "foo://host:8786"])
def test_a_malformed_address_is_one_sentence_and_exit_2(address):
    result = invoke(BUNDLED[0], "--dask", address)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "tcp://HOST:PORT" in result.stderr


def test_without_the_extra_dask_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = invoke(BUNDLED[0], "--dask", "tcp://127.0.0.1:8786")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "install 'scenarios[dask]'" in result.stderr


def test_jobs_and_dask_together_are_a_usage_error():
    result = invoke(*BUNDLED, "--jobs", "2", "--dask", "tcp://127.0.0.1:8786")
    assert result.exit_code == 2 and "--jobs and --dask" in result.stderr
