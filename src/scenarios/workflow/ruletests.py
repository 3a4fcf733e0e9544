"""Ruleset tests: named tests of facts (inline, or a case file) and the statuses expected.

A test file (`NAME.tests.yaml`, usually beside its ruleset) names the rulesets it tests,
then lists tests; each gives facts or a case, an optional `as_of`, and `expect:`, which
maps indicator and scenario ids to the status they must have. The format is documented
in docs/workflow.md. Every problem of a test file is a `Problem` located at
`file:line:col`, found before any test runs.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from ..errors import InputError, Problem
from ..run import evaluate
from ..load import find_ruleset, load_case, load_ruleset, locate, locate_in_files, parse_text, read_text
from ..model import All, Case, Ruleset
from ..parse import Builder, build_case, describe
from ..suggest import did_you_mean
from ..worlds import DEFAULT_MAX_WORLDS

SUFFIXES = (".tests.yaml", ".tests.yml")
DEFAULT_FOLDERS = ("rulesets", "tests")
RULESET_EXTENSIONS = (".yaml", ".yml", ".json")
FILE_KEYS = ("rulesets", "as_of", "sources", "tests")
TEST_KEYS = ("name", "description", "rulesets", "case", "facts", "sources", "as_of", "expect")
STATUSES = ("triggered", "contested", "not_triggered", "near_miss")
INLINE_CASE_ID = "test"


@dataclass(frozen=True)
class Expected:
    """One expectation of a test: indicator or scenario `item` has `status`."""

    item: str
    status: str  # one of STATUSES
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


@dataclass
class ItemCheck:
    """One expectation checked against a run: expected against actual, and why."""

    item: str
    kind: str
    title: str
    expected: str
    actual: str  # triggered | contested | near_miss | not_triggered
    passed: bool
    line: int
    column: int
    missing: list  # why not: the item's `missing` lines, or what else can be said
    holds_if: list  # for a contested item, the hypotheses it needs
    because_world: list  # the world `evidence` comes from, when there are several
    evidence: list  # Evidence: the facts at the leaves of its `because`


@dataclass
class RuleTestResult:
    test: RuleTest
    checks: list  # ItemCheck, in the order expected
    triggered: frozenset  # ids triggered or contested in this test's run

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> list:
        return [c for c in self.checks if not c.passed]


@dataclass(frozen=True)
class Uncovered:
    """An indicator or scenario that no test triggers, and where it is written."""

    ruleset: str
    kind: str
    id: str
    title: str
    file: str
    line: int
    column: int


@dataclass
class RuleTestRun:
    """Every test run: the files read, the results in order, and what was left aside."""

    files: list
    results: list  # RuleTestResult
    deselected: int = 0
    keyword: Optional[str] = None
    coverage: Optional[list] = None  # Uncovered, when asked for

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r.passed)


# -- finding test files -------------------------------------------------------------------


def is_test_file(path: str) -> bool:
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
            raise InputError([Problem(".", "no test files (*.tests.yaml) under ./rulesets/ or ./tests/; give a file or folder")])
        return out
    for path in paths:
        if os.path.isdir(path):
            found = found_in(path)
            if not found:
                problems.append(Problem(path, "no test files (*.tests.yaml) in this folder"))
            out.extend(found)
        elif os.path.isfile(path):
            out.append(path)
        else:
            problems.append(Problem(path, "no such file or folder"))
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
        raise InputError([Problem(path, "is empty: a test file needs 'tests'", 1, 1)])
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
            b.error((), "a test file needs 'tests': a list of tests")
            return []
        if not isinstance(raw, list) or not raw:
            b.error(("tests",), f"tests must be a non-empty list of tests, not {describe(raw)}")
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
                b.error(path, "no rulesets to test: name them with 'rulesets:' at the top of the file or in the test")
        if rulesets is not None:
            self.known_items(expected, rulesets, path)
        if len(b.problems) > before or case is None or rulesets is None or name is None:
            return None
        return RuleTest(name, self.file, 0, 0, case, rulesets, as_of, [e for e, _ in expected])

    def name(self, m: dict, path: tuple, names: dict) -> Optional[str]:
        b = self.b
        if m.get("name") is None:
            b.error(path, "a test needs 'name'")
            return None
        name = b.text(m["name"], path + ("name",), "a test name")
        if name is None:
            return None
        if not name.strip():
            b.error(path + ("name",), "a test name must not be empty")
            return None
        if name in names:
            b.error(path + ("name",), f"duplicate test name '{name}': also test {names[name] + 1} of this file")
            return None
        names[name] = path[-1]
        return name

    def expectations(self, m: dict, path: tuple) -> list:
        """(Expected, its path) for each id of `expect`."""
        b = self.b
        if "expect" not in m:
            b.error(path, "a test needs 'expect': indicator and scenario ids, each with the status it must have")
            return []
        epath = path + ("expect",)
        raw = m["expect"]
        if not isinstance(raw, dict) or not raw:
            b.error(epath, f"expect maps indicator and scenario ids to a status ({', '.join(STATUSES)}), not {describe(raw)}")
            return []
        out = []
        for raw_id, raw_status in raw.items():
            ipath = epath + (raw_id,)
            iid = b.ident(raw_id, ipath, "an expected indicator or scenario")
            status = raw_status.replace("-", "_") if isinstance(raw_status, str) else None
            if status not in STATUSES:
                shown = raw_status if isinstance(raw_status, str) else describe(raw_status)
                b.error(ipath, f"'{shown}' is not a status{did_you_mean(str(shown), STATUSES)}; expect one of {', '.join(STATUSES)}")
                continue
            if iid is not None:
                out.append((Expected(iid, status), ipath))
        return out

    def case(self, m: dict, path: tuple, root: dict) -> Optional[Case]:
        b = self.b
        if "case" in m and "facts" in m:
            b.error(path + ("case",), "a test gives inline 'facts' or a 'case' file, not both")
            return None
        if "facts" in m:
            return self.inline_case(m, path, root)
        if "case" not in m:
            b.error(path, "a test needs 'facts' (inline, as in a case file) or 'case' (the path of a case file)")
            return None
        if "sources" in m:
            b.error(path + ("sources",), "sources go with inline facts: a case file has its own")
        raw = m["case"]
        if not isinstance(raw, str) or not raw:
            b.error(path + ("case",), f"case takes the path of a case file, relative to this file, not {describe(raw)}")
            return None
        case_path = raw if os.path.isabs(raw) else os.path.join(os.path.dirname(self.file), raw)
        if not os.path.isfile(case_path):
            b.error(path + ("case",), f"no case file '{raw}' (a path relative to this test file's folder)")
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
            self.b.error(path, "a test with inline facts needs as_of, in the test or at the top of the file")
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
            self.b.error(where, p.message)
        return case

    def ruleset_names(self, raw, path: tuple) -> Optional[list]:
        if raw is None:
            return None
        raw = [raw] if isinstance(raw, str) else raw
        if not isinstance(raw, list) or not raw:
            self.b.error(path, f"rulesets must be a list of ruleset ids or paths, not {describe(raw)}")
            return None
        names = []
        for i, name in enumerate(raw):
            if not isinstance(name, str) or not name:
                self.b.error(path + (i,), f"a ruleset is named by its id or its path, not {describe(name)}")
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
                self.b.error(path + (i,), f"no ruleset '{name}' beside this file, in ./rulesets/ or among the bundled rulesets")
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
            self.elsewhere.extend(Problem(case.file, f"ruleset '{p.file}': {p.message}", path=("rulesets",)) for p in exc.problems)
            return None
        loaded = [self.load(p) for p in paths]
        return None if any(r is None for r in loaded) else list({r.file: r for r in loaded}.values())

    def known_items(self, expected: list, rulesets: list, path: tuple) -> None:
        ids = [item.id for rs in rulesets for item in rs.items]
        for e, epath in expected:
            if e.item not in ids:
                where = ", ".join(rs.id for rs in rulesets)
                self.b.error(epath, f"no indicator or scenario '{e.item}' in {where}{did_you_mean(e.item, ids)}")


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
        probes.append(Problem(file, "test", path=("tests", i, "name")))
        keys = {str(k): k for k in spec["expect"]}
        probes.extend(Problem(file, "expect", path=("tests", i, "expect", keys.get(e.item, e.item))) for e in test.expected)
    located = iter(locate(text, probes))
    for test in tests:
        here = next(located)
        test.line, test.column = here.line, here.column
        test.expected = [Expected(e.item, e.status, at.line, at.column) for e, at in zip(test.expected, located)]
    return tests


def unique(problems: list) -> list:
    return list(dict.fromkeys(problems))


# -- running ------------------------------------------------------------------------------


def select(tests: list, keyword: Optional[str]) -> list:
    """The tests whose name contains `keyword` (ignoring case); all when it is None."""
    if keyword is None:
        return list(tests)
    return [t for t in tests if keyword.casefold() in t.name.casefold()]


def run_test(test: RuleTest, max_worlds: int = DEFAULT_MAX_WORLDS) -> RuleTestResult:
    """One test run through the engine, each expectation checked; InputError when the
    case cannot run (too many worlds, clashing ids), located at the test."""
    try:
        result = evaluate(test.case, test.rulesets, as_of=test.as_of, max_worlds=max_worlds)
    except InputError as exc:
        raise InputError([at_test(p, test) for p in exc.problems]) from None
    items = {item.id: item for rs in test.rulesets for item in rs.items}
    checks = [check(result.find(e.item), e, items[e.item]) for e in test.expected]
    triggered = frozenset(r.id for r in result.items() if r.status != "not_triggered")
    return RuleTestResult(test, checks, triggered)


def at_test(p: Problem, test: RuleTest) -> Problem:
    if p.line or p.file not in (test.file, test.case.file):
        return p
    return Problem(test.file, f"test '{test.name}': {p.message}", test.line, test.column, p.severity)


def check(r, e: Expected, item) -> ItemCheck:
    """An expectation against the item's result: passed or not, with the why or why not."""
    actual = "near_miss" if r.status == "not_triggered" and r.near_miss else r.status
    passed = e.status == r.status or (e.status == "near_miss" and actual == "near_miss")
    missing = list(r.missing)
    if r.status == "not_triggered" and not missing:
        missing = ["none of its top-level conditions holds in any world"] if isinstance(item.when, All) else ["its condition holds in no world"]
    return ItemCheck(
        item=r.id,
        kind=r.kind,
        title=r.title,
        expected=e.status,
        actual=actual,
        passed=passed,
        line=e.line,
        column=e.column,
        missing=missing if r.status == "not_triggered" else [],
        holds_if=list(r.holds_if),
        because_world=list(r.because_world),
        evidence=list(r.evidence),
    )


def coverage(results: list) -> list:
    """The indicators and scenarios of the rulesets tested that no test triggers
    (triggered or contested), each with where it is written."""
    triggered = set().union(*(r.triggered for r in results)) if results else set()
    items: dict = {}
    for r in results:
        for rs in r.test.rulesets:
            for item in rs.items:
                items.setdefault(item.id, item)
    untested = sorted(
        (item for iid, item in items.items() if iid not in triggered),
        key=lambda item: (item.ruleset, item.kind != "scenario", item.id),
    )
    probes = [Problem(item.file, item.id, path=item.path + ("id",)) for item in untested]
    where = {(p.file, p.message): p for p in locate_in_files(probes)}
    out = []
    for item in untested:
        p = where.get((item.file, item.id))
        out.append(Uncovered(item.ruleset, item.kind, item.id, item.title, item.file, p.line if p else 0, p.column if p else 0))
    return out


def run_tests(
    paths: list,
    keyword: Optional[str] = None,
    with_coverage: bool = False,
    max_worlds: int = DEFAULT_MAX_WORLDS,
) -> RuleTestRun:
    """Every test in the test files under `paths` (see `find_test_files`) whose name contains
    `keyword`. InputError, before anything runs, when any test file, ruleset or case
    it names is bad; nothing is reported for a run that cannot complete."""
    files = find_test_files(paths)
    tests: list = []
    problems: list = []
    cache: dict = {}
    for file in files:
        try:
            tests.extend(load_tests(file, cache))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(unique(problems))
    chosen = select(tests, keyword)
    results = []
    for test in chosen:
        try:
            results.append(run_test(test, max_worlds))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(unique(problems))
    return RuleTestRun(
        files=files,
        results=results,
        deselected=len(tests) - len(chosen),
        keyword=keyword,
        coverage=coverage(results) if with_coverage else None,
    )
