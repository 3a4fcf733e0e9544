"""Running ruleset tests: each test's case through the engine, every expectation checked
against the run, with why and why not for the failures, and coverage.

Reading test files is `load.ruletests`'s; this module runs what it read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..errors import InputError, Problem
from ..load import locate_in_files
from ..load.ruletests import Expected, RuleTest, find_test_files, load_tests, unique
from ..model import LIKELIHOOD_WORDS, All
from ..run import evaluate
from ..worlds import DEFAULT_MAX_WORLDS


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
    """One test run: each expectation checked, and what the run triggered."""

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
    """A problem of a test's run, said at the test."""
    if p.line or p.file not in (test.file, test.case.file):
        return p
    return Problem(test.file, f"test '{test.name}': {p.message}", test.line, test.column, p.severity, code=p.code)


def check(r, e: Expected, item) -> ItemCheck:
    """An expectation against the item's result: passed or not, with the why or why not."""
    actual = "near_miss" if r.status == "not_triggered" and r.near_miss else r.status
    passed = e.status == r.status or (e.status == "near_miss" and actual == "near_miss")
    if e.status in LIKELIHOOD_WORDS:
        actual = f"{r.status}, {r.likelihood}" if r.likelihood else (f"{r.status} (the case gives no p)" if r.probability is None else r.status)
        passed = r.likelihood == e.status
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
    probes = [Problem(item.file, item.id, path=item.path + ("id",), code="value") for item in untested]
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
