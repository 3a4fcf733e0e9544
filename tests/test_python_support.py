"""Python 3.10 to 3.13: durable-rules loads on each, and says so plainly when it cannot.

durable-rules 2.0.28 calls PyEval_CallObject, which Python 3.13 removed. setup.py builds
a shim that defines it (src/scenarios/_shim/) on 3.13+, and engine.py loads it there
before durable-rules. The CLI cases run in a subprocess, as a user runs them, because
the import block of engine.py runs once per process.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scenarios import engine

NEEDS_SHIM = sys.version_info >= (3, 13)
only_with_shim = pytest.mark.skipif(not NEEDS_SHIM, reason="the shim is only loaded on Python 3.13+")


def scenarios_cli(tmp_path, *args, prelude="", flags=()):
    """Run `scenarios ARGS` in a fresh interpreter, after PRELUDE (to simulate failures)."""
    code = f"{prelude}\nimport sys\nfrom scenarios.cli import main\nsys.argv = ['scenarios', *{list(args)!r}]\nmain()\n"
    return subprocess.run(
        [sys.executable, *flags, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )


def assert_one_line_engine_error(proc, *fragments):
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("scenarios: the rules engine (durable-rules) could not be loaded: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_the_engine_loads_on_this_python():
    assert engine._IMPORT_ERROR == ""
    assert engine._durable is not None
    assert engine.host() is engine.host()


def test_the_shim_is_loaded_on_3_13_and_later_only():
    maps = Path("/proc/self/maps")
    if not maps.exists():
        pytest.skip("needs /proc to see which shared objects are loaded")
    loaded = any("/scenarios/_shim/_pyeval" in line for line in maps.read_text().splitlines())
    assert loaded == NEEDS_SHIM


@only_with_shim
def test_durable_rules_does_not_load_on_3_13_without_the_shim():
    # If this ever passes, durable-rules no longer needs the shim.
    proc = subprocess.run([sys.executable, "-c", "import durable.engine"], capture_output=True, text=True)
    assert proc.returncode != 0
    assert "PyEval_CallObject" in proc.stderr


def test_the_bundled_case_runs_without_deprecation_warnings(tmp_path):
    # durable-rules calls datetime.utcfromtimestamp on every action: engine.py filters it.
    proc = scenarios_cli(tmp_path, "run", "--format", "json", flags=["-W", "error::DeprecationWarning"])
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert json.loads(proc.stdout)["case"] == "idlib-m4-2020-05"


def test_the_report_prints_on_this_python(tmp_path):
    proc = scenarios_cli(tmp_path, "run", "--width", "100")
    assert proc.returncode == 0, proc.stderr
    assert "idlib-m4-2020-05" in proc.stdout
    assert "TRIGGERED" in proc.stdout


def test_an_engine_that_cannot_be_imported_is_one_line_and_exit_2(tmp_path):
    # `None` in sys.modules makes `from durable import engine` raise ImportError.
    proc = scenarios_cli(tmp_path, "run", prelude="import sys; sys.modules['durable'] = None")
    assert_one_line_engine_error(proc, "durable")


@only_with_shim
def test_a_shim_that_was_not_built_is_one_line_and_exit_2(tmp_path):
    prelude = """
import importlib.util
_find_spec = importlib.util.find_spec
def find_spec(name, package=None):
    if name.endswith("._shim._pyeval"):
        return None
    return _find_spec(name, package)
importlib.util.find_spec = find_spec
"""
    proc = scenarios_cli(tmp_path, "run", prelude=prelude)
    assert_one_line_engine_error(proc, "without the shim", "scenarios/_shim was not built")


@only_with_shim
def test_a_shim_that_fails_to_load_is_one_line_and_exit_2(tmp_path):
    prelude = """
import ctypes
_CDLL = ctypes.CDLL
def CDLL(name, *args, **kwargs):
    if name and "_pyeval" in str(name):
        raise OSError(f"{name}: cannot open shared object file:\\n  simulated failure")
    return _CDLL(name, *args, **kwargs)
ctypes.CDLL = CDLL
"""
    proc = scenarios_cli(tmp_path, "run", prelude=prelude)
    assert_one_line_engine_error(proc, "cannot open shared object file: simulated failure")
