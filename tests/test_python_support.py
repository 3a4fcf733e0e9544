"""Python 3.10 and later: durable-rules loads on each, and says so plainly when it cannot.

durable-rules' PyPI release (2.0.28) cannot load on Python 3.13 (it calls
PyEval_CallObject, which 3.13 removed), and gcc 14 or Clang 16+ cannot compile it there.
scenarios depends on its own build of that release, engine/, which can. The CLI cases
run in a subprocess, as a user runs them, because the import block of engine.py runs
once per process; the failures are simulated there by a prelude.
"""

import json
import re
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from scenarios import engine

CHECKOUT = Path(__file__).resolve().parent.parent


def scenarios_cli(tmp_path, *args, prelude="", flags=()):
    """Run `scenarios ARGS` in a fresh interpreter, after PRELUDE (to simulate failures)."""
    code = f"{prelude}\nimport sys\nfrom scenarios.cli import main\nsys.argv = ['scenarios', *{list(args)!r}]\nmain()\n"
    return subprocess.run(
        [sys.executable, *flags, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )


def failing_import(module, message):
    """A prelude under which importing MODULE raises ImportError(MESSAGE), as a broken
    shared object does."""
    return f"""
import sys
class _Broken:
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            raise ImportError({message!r})
sys.meta_path.insert(0, _Broken())
"""


def engine_error(proc):
    """The one line the CLI printed for an engine that cannot be loaded (exit 2, no traceback)."""
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("scenarios: the rules engine (durable-rules) could not be loaded: ")
    return lines[0]


def assert_names_the_fix(line):
    """The fix is a command to run as is: this Python's pip, on this checkout's engine/."""
    command = f"{shlex.quote(sys.executable)} -m pip install "
    assert command in line, line
    engine_dir = shlex.split(line.split(command, 1)[1])[0]
    assert (Path(engine_dir) / "setup.py").is_file(), line
    assert Path(engine_dir).resolve() == CHECKOUT / "engine"
    assert "C compiler" in line


def test_the_engine_loads_on_this_python():
    assert engine._IMPORT_ERROR == ""
    assert engine._durable is not None
    assert engine.host() is engine.host()


def test_the_installed_durable_rules_is_the_one_engine_builds():
    # Not PyPI's release, which cannot load on 3.13: the version engine/ gives its build.
    declared = re.search(r'^version = "(.+)"$', (CHECKOUT / "engine/pyproject.toml").read_text(), re.M)
    assert metadata.version("durable-rules") == declared.group(1)
    assert declared.group(1).startswith("2.0.28+")  # `durable-rules==2.0.28` still matches


def test_the_bundled_case_runs_without_deprecation_warnings(tmp_path):
    # durable.engine calls datetime.utcfromtimestamp on every action; engine.py calls the C
    # engine directly, so nothing warns.
    proc = scenarios_cli(tmp_path, "run", "--format", "json", flags=["-W", "error::DeprecationWarning"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert json.loads(proc.stdout)["case"] == "idlib-m4-2020-05"


def test_the_report_prints_on_this_python(tmp_path):
    proc = scenarios_cli(tmp_path, "run", "--width", "100")
    assert proc.returncode == 0, proc.stderr
    assert "idlib-m4-2020-05" in proc.stdout
    assert "TRIGGERED" in proc.stdout


def test_durable_rules_not_installed_is_one_line_with_the_fix(tmp_path):
    # `None` in sys.modules makes `import durable_rules_engine` raise ModuleNotFoundError.
    proc = scenarios_cli(tmp_path, "run", prelude="import sys; sys.modules['durable_rules_engine'] = None")
    line = engine_error(proc)
    assert f"durable-rules is not installed for {sys.executable}" in line
    assert_names_the_fix(line)


def test_pypis_durable_rules_on_3_13_is_one_line_with_the_fix(tmp_path):
    # What PyPI's durable-rules 2.0.28, built by gcc 12 on Python 3.13, raises on import.
    so = "/venv/lib/python3.13/site-packages/durable_rules_engine.cpython-313-x86_64-linux-gnu.so"
    prelude = failing_import("durable_rules_engine", f"{so}: undefined symbol: PyEval_CallObject")
    line = engine_error(scenarios_cli(tmp_path, "run", prelude=prelude))
    assert "built from its PyPI release as it is" in line
    assert "(undefined symbol PyEval_CallObject)" in line
    assert_names_the_fix(line)


def test_a_c_engine_that_does_not_load_is_one_line_with_the_fix(tmp_path):
    prelude = failing_import("durable_rules_engine", "libfoo.so.1: cannot open shared object file:\n  no such file")
    line = engine_error(scenarios_cli(tmp_path, "run", prelude=prelude))
    assert "its C engine did not load (libfoo.so.1: cannot open shared object file: no such file)" in line
    assert_names_the_fix(line)
