"""Ruleset test files (`NAME.tests.yaml`): the tests they hold, each a case (inline
facts, or a case file), the rulesets it runs and the statuses expected. The format is
documented in docs/workflow.md. Every problem of a test file is a `Problem` located
at `file:line:col`, found before any test runs; `workflow.ruletests` runs them.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ..errors import InputError, Problem, excerpt
from ..model import LIKELIHOOD_WORDS, Case, Ruleset
from ..parse import Builder, build_case, describe
from ..suggest import did_you_mean
from . import RULESET_EXTENSIONS, find_ruleset, load_case, load_ruleset
from .files import read_text
from .locate import locate, locate_in_files
from .text import parse_text

SUFFIXES = (".tests.yaml", ".tests.yml")
DEFAULT_FOLDERS = ("rulesets", "tests")
FILE_KEYS = ("rulesets", "as_of", "sources", "tests")
TEST_KEYS = ("name", "description", "rulesets", "case", "facts", "sources", "as_of", "expect")
STATUSES = ("triggered", "contested", "not_triggered", "near_miss")
INLINE_CASE_ID = "test"


@dataclass(frozen=True)
class Expected:
    """One expectation of a test: indicator or scenario `item` has `status`."""

    item: str
    status: str  # one of STATUSES, or a likelihood word (LIKELIHOOD_WORDS)
    line: int = 0
    column: int = 0


@dataclass
class RuleTest:
    """A test as written: a case (inline facts or a file), rulesets, an as_of, expectations."""

    name: str
    file: str
    line: int
    column: int
    case: Case
    rulesets: list  # Ruleset
    as_of: Optional[datetime.date]  # the test's own; None: the case's
    expected: list  # Expected, in the order written


# -- finding test files -------------------------------------------------------------------


def is_test_file(path: str) -> bool:
    """Whether a path names a ruleset test file (`*.tests.yaml`)."""
    return path.endswith(SUFFIXES)


def find_test_files(paths: list) -> list:
    """The test files to run: files given, and `*.tests.yaml` under folders given
    (recursively). With no path, those under ./rulesets/ and ./tests/. InputError
    when a path does not exist or nothing is found."""
    problems: list = []
    out: list = []
    if not paths:
        for folder in DEFAULT_FOLDERS:
            if os.path.isdir(folder):
                out.extend(found_in(folder))
        if not out:
            raise InputError([Problem(".", "no test files (*.tests.yaml) under ./rulesets/ or ./tests/; give a file or folder", code="file")])
        return out
    for path in paths:
        if os.path.isdir(path):
            found = found_in(path)
            if not found:
                problems.append(Problem(path, "no test files (*.tests.yaml) in this folder", code="file"))
            out.extend(found)
        elif os.path.isfile(path):
            out.append(path)
        else:
            problems.append(Problem(path, "no such file or folder", code="file"))
    if problems:
        raise InputError(problems)
    return list(dict.fromkeys(out))


def found_in(folder: str) -> list:
    """`*.tests.yaml` files under a folder, in path order, hidden folders skipped."""
    root = Path(folder)
    out = []
    for f in root.rglob("*"):
        inside = f.relative_to(root).parts
        if f.is_file() and is_test_file(f.name) and not any(part.startswith(".") for part in inside):
            out.append(str(f))
    return sorted(out)


# -- reading a test file ------------------------------------------------------------------


def load_tests(path: str, cache: Optional[dict] = None) -> list:
    """The tests of one file; InputError carrying every problem of the file, and of
    the rulesets and cases it names."""
    cache = {} if cache is None else cache
    text = read_text(path)
    data = parse_text(text, path)
    if data is None:
        raise InputError([Problem(path, "is empty: a test file needs 'tests'", 1, 1, code="syntax")])
    reader = TestFileReader(path, cache)
    tests = reader.read(data)
    problems = [p for p in reader.b.problems if p.severity == "error"]
    if problems or reader.elsewhere:
        raise InputError(unique(locate(text, problems) + locate_in_files(reader.elsewhere)))
    return place(text, data["tests"], tests)


class TestFileReader:
    """Builds the tests of one file, collecting problems with their paths."""

    __test__ = False  # not a pytest class, whatever its name

    def __init__(self, file: str, cache: dict):
        self.file = file
        self.b = Builder(file)
        self.cache = cache  # real path of a ruleset -> Ruleset or InputError
        self.elsewhere: list = []  # problems located in rulesets and cases

    def read(self, data: Any) -> list:
        b = self.b
        root = b.mapping(data, (), "a test file")
        if root is None:
            return []
        b.keys(root, FILE_KEYS, (), "a test file")
        default_names = self.ruleset_names(root.get("rulesets"), ("rulesets",))
        default_rulesets = self.resolve(default_names, ("rulesets",)) if default_names else None
        if root.get("as_of") is not None:
            b.date(root["as_of"], ("as_of",), "as_of")
        raw = root.get("tests")
        if "tests" not in root:
            b.error((), "a test file needs 'tests': a list of tests", "missing-key")
            return []
        if not isinstance(raw, list) or not raw:
            b.error(("tests",), f"tests must be a non-empty list of tests, not {describe(raw)}", "type")
            return []
        tests = []
        names: dict = {}
        for i, spec in enumerate(raw):
            test = self.test(spec, ("tests", i), root, default_rulesets, names)
            if test is not None:
                tests.append(test)
        return tests

    def test(self, spec, path: tuple, root: dict, default_rulesets, names: dict) -> Optional[RuleTest]:
        b = self.b
        m = b.mapping(spec, path, "a test")
        if m is None:
            return None
        b.keys(m, TEST_KEYS, path, "a test")
        before = len(b.problems)
        name = self.name(m, path, names)
        expected = self.expectations(m, path)
        # inline facts take the test's or the file's as_of; a case file has its own
        as_of = b.date(m["as_of"], path + ("as_of",), "as_of") if m.get("as_of") is not None else None
        case = self.case(m, path, root)
        names_here = self.ruleset_names(m.get("rulesets"), path + ("rulesets",))
        if names_here:
            rulesets = self.resolve(names_here, path + ("rulesets",))
        elif "rulesets" in root:
            rulesets = default_rulesets  # None when they could not be read: said already
        elif case is not None and case.rulesets:
            rulesets = self.case_rulesets(case)
        else:
            rulesets = None
            if case is not None or "facts" in m:
                b.error(path, "no rulesets to test: name them with 'rulesets:' at the top of the file or in the test", "reference")
        if rulesets is not None:
            self.known_items(expected, rulesets, path)
        if len(b.problems) > before or case is None or rulesets is None or name is None:
            return None
        return RuleTest(name, self.file, 0, 0, case, rulesets, as_of, [e for e, _ in expected])

    def name(self, m: dict, path: tuple, names: dict) -> Optional[str]:
        b = self.b
        if m.get("name") is None:
            b.error(path, "a test needs 'name'", "missing-key")
            return None
        name = b.text(m["name"], path + ("name",), "a test name")
        if name is None:
            return None
        if not name.strip():
            b.error(path + ("name",), "a test name must not be empty", "value")
            return None
        if name in names:
            b.error(path + ("name",), f"duplicate test name '{name}': also test {names[name] + 1} of this file", "duplicate")
            return None
        names[name] = path[-1]
        return name

    def expectations(self, m: dict, path: tuple) -> list:
        """(Expected, its path) for each id of `expect`."""
        b = self.b
        if "expect" not in m:
            b.error(path, "a test needs 'expect': indicator and scenario ids, each with the status it must have", "missing-key")
            return []
        epath = path + ("expect",)
        raw = m["expect"]
        if not isinstance(raw, dict) or not raw:
            b.error(epath, f"expect maps indicator and scenario ids to a status ({', '.join(STATUSES)}), not {describe(raw)}", "type")
            return []
        out = []
        for raw_id, raw_status in raw.items():
            ipath = epath + (raw_id,)
            iid = b.ident(raw_id, ipath, "an expected indicator or scenario")
            status = raw_status.replace("-", "_") if isinstance(raw_status, str) else None
            if isinstance(raw_status, str) and raw_status in LIKELIHOOD_WORDS:
                status = raw_status  # the item is contested, with this likelihood (the case gives p)
            elif status not in STATUSES:
                shown = f"'{excerpt(raw_status)}'" if isinstance(raw_status, str) else describe(raw_status)
                b.error(ipath, f"{shown} is not a status or a likelihood; expect one of {', '.join(STATUSES)}, or an ICD 203 word such as 'likely'", "value", did_you_mean(raw_status, STATUSES + LIKELIHOOD_WORDS) if isinstance(raw_status, str) else "")
                continue
            if iid is not None:
                out.append((Expected(iid, status), ipath))
        return out

    def case(self, m: dict, path: tuple, root: dict) -> Optional[Case]:
        b = self.b
        if "case" in m and "facts" in m:
            b.error(path + ("case",), "a test gives inline 'facts' or a 'case' file, not both", "missing-key")
            return None
        if "facts" in m:
            return self.inline_case(m, path, root)
        if "case" not in m:
            b.error(path, "a test needs 'facts' (inline, as in a case file) or 'case' (the path of a case file)", "missing-key")
            return None
        if "sources" in m:
            b.error(path + ("sources",), "sources go with inline facts: a case file has its own", "missing-key")
        raw = m["case"]
        if not isinstance(raw, str) or not raw:
            b.error(path + ("case",), f"case takes the path of a case file, relative to this file, not {describe(raw)}", "operator")
            return None
        case_path = raw if os.path.isabs(raw) else os.path.join(os.path.dirname(self.file), raw)
        if not os.path.isfile(case_path):
            b.error(path + ("case",), f"no case file '{raw}' (a path relative to this test file's folder)", "file")
            return None
        try:
            return load_case(case_path)[0]
        except InputError as exc:
            self.elsewhere.extend(exc.problems)
            return None

    def inline_case(self, m: dict, path: tuple, root: dict) -> Optional[Case]:
        """A case of the test's facts, its sources (or the file's) and its as_of (or the
        file's), built by the case loader; its problems pointed at this file."""
        if m.get("as_of") is not None:
            as_of, as_of_path = m["as_of"], path + ("as_of",)
        elif root.get("as_of") is not None:
            as_of, as_of_path = root["as_of"], ("as_of",)
        else:
            self.b.error(path, "a test with inline facts needs as_of, in the test or at the top of the file", "missing-key")
            return None
        if "sources" in m:
            sources, sources_path = m["sources"], path + ("sources",)
        else:
            sources, sources_path = root.get("sources"), ("sources",)
        data: dict = {"case": INLINE_CASE_ID, "as_of": as_of, "facts": m["facts"]}
        if sources is not None:
            data["sources"] = sources
        case, problems = build_case(data, self.file)
        for p in problems:
            if p.severity != "error":
                continue  # e.g. a source of the file no fact of this test cites
            head = p.path[0] if p.path else None
            if head == "facts":
                where = path + p.path
            elif head == "sources":
                where = sources_path + p.path[1:]
            elif head == "as_of":
                where = as_of_path
            else:
                where = path
            self.b.error(where, p.message, p.code, p.suggestion)
        return case

    def ruleset_names(self, raw, path: tuple) -> Optional[list]:
        if raw is None:
            return None
        raw = [raw] if isinstance(raw, str) else raw
        if not isinstance(raw, list) or not raw:
            self.b.error(path, f"rulesets must be a list of ruleset ids or paths, not {describe(raw)}", "type")
            return None
        names = []
        for i, name in enumerate(raw):
            if not isinstance(name, str) or not name:
                self.b.error(path + (i,), f"a ruleset is named by its id or its path, not {describe(name)}", "operator")
                return None
            names.append(name)
        return names

    def resolve(self, names: list, path: tuple) -> Optional[list]:
        """The rulesets named, each loaded once per run; None when one is missing or bad."""
        out: list = []
        ok = True
        for i, name in enumerate(names):
            found = ruleset_file(name, self.file)
            if found is None:
                self.b.error(path + (i,), f"no ruleset '{name}' beside this file, in ./rulesets/ or among the bundled rulesets", "reference")
                ok = False
                continue
            ruleset = self.load(found)
            if ruleset is None:
                ok = False
            elif all(r.file != ruleset.file for r in out):
                out.append(ruleset)
        return out if ok else None

    def load(self, path: str) -> Optional[Ruleset]:
        key = os.path.realpath(path)
        if key not in self.cache:
            try:
                self.cache[key] = load_ruleset(path)[0]
            except InputError as exc:
                self.cache[key] = exc
        got = self.cache[key]
        if isinstance(got, InputError):
            self.elsewhere.extend(got.problems)
            return None
        return got

    def case_rulesets(self, case: Case) -> Optional[list]:
        """The rulesets a case file names itself, found as `scenarios run` finds them."""
        try:
            paths = [find_ruleset(name, case.file) for name in case.rulesets]
        except InputError as exc:
            self.elsewhere.extend(Problem(case.file, f"ruleset '{p.file}': {p.message}", path=("rulesets",), code=p.code) for p in exc.problems)
            return None
        loaded = [self.load(p) for p in paths]
        return None if any(r is None for r in loaded) else list({r.file: r for r in loaded}.values())

    def known_items(self, expected: list, rulesets: list, path: tuple) -> None:
        ids = [item.id for rs in rulesets for item in rs.items]
        for e, epath in expected:
            if e.item not in ids:
                where = ", ".join(rs.id for rs in rulesets)
                self.b.error(epath, f"no indicator or scenario '{e.item}' in {where}", "reference", did_you_mean(e.item, ids))


def ruleset_file(name: str, near: str) -> Optional[str]:
    """The file of a ruleset named in a test file: a path relative to that file, or an
    id looked up beside it, then as `scenarios run` looks it up."""
    folder = os.path.dirname(near)
    if "/" in name or os.sep in name or name.endswith(RULESET_EXTENSIONS):
        candidate = name if os.path.isabs(name) else os.path.join(folder, name)
        return candidate if os.path.isfile(candidate) else None
    for ext in RULESET_EXTENSIONS:
        candidate = os.path.join(folder, name + ext)
        if os.path.isfile(candidate):
            return candidate
    try:
        return find_ruleset(name, near)
    except InputError:
        return None


def place(text: str, specs: list, tests: list) -> list:
    """The tests (one for each spec, as read without error) with the line and column
    of each test and of each of its expectations filled in."""
    if not tests:
        return tests
    file = tests[0].file
    probes = []
    for i, (spec, test) in enumerate(zip(specs, tests)):
        probes.append(Problem(file, "test", path=("tests", i, "name"), code="syntax"))
        keys = {str(k): k for k in spec["expect"]}
        probes.extend(Problem(file, "expect", path=("tests", i, "expect", keys.get(e.item, e.item)), code="syntax") for e in test.expected)
    located = iter(locate(text, probes))
    for test in tests:
        here = next(located)
        test.line, test.column = here.line, here.column
        test.expected = [Expected(e.item, e.status, at.line, at.column) for e, at in zip(test.expected, located)]
    return tests


def unique(problems: list) -> list:
    """The problems without repeats, in order."""
    return list(dict.fromkeys(problems))
