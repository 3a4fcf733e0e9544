"""Renderers of the workflow commands: ruleset test runs and diffs (terminal and JSON).

The `render_*` functions draw with Rich; the `*_json` functions give the plain data of
`--format json`. None of them computes anything: they read `RuleTestRun` and `CaseDiff`.
Everything an analyst wrote goes into `Text` objects, never into markup.
"""

from __future__ import annotations

from typing import Optional

from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ..result import SCHEMA_VERSION
from ..summary import STATUS_WORDS, diff_bottom_line, holds_only_if, said_status
from ..words import value_text
from .terminal import STYLES, emit, heading, marking, sentences, user

# a status in the middle of a sentence: "expected triggered, got a near miss"
STATUS_SAID = {key: (word.lower(), STYLES[key]) for key, word in STATUS_WORDS.items()}
STATUS_SAID["near_miss"] = ("near miss", STYLES["near_miss"])
STATUS_SAID[None] = ("not in the rulesets", "dim")
HEADINGS = {
    "newly_triggered": "Newly triggered",
    "newly_contested": "Newly contested",
    "cleared": "Cleared: no longer triggered",
    "new_near_miss": "New near misses",
    "no_longer_near_miss": "No longer near misses",
}
JSON_KEYS = {
    "newly_triggered": "newly_triggered",
    "newly_contested": "newly_contested",
    "cleared": "cleared",
    "new_near_miss": "new_near_misses",
    "no_longer_near_miss": "no_longer_near_misses",
}
EVIDENCE_SHOWN = 5  # facts listed under a failed expectation before "and N more"


# -- ruleset tests ----------------------------------------------------------------------------


def render_test_run(run, console: Console, verbose: bool = False) -> None:
    """The pytest-like report: a line per file (a dot per passed test, F per failed one,
    or a line per test when verbose), the failures with expected against actual and the
    why or why not, coverage when asked, and last `N passed, N failed`."""
    by_file: dict = {}
    for r in run.results:
        by_file.setdefault(r.test.file, []).append(r)
    for file in run.files:
        results = by_file.get(file, [])
        if verbose:
            for r in results:
                line = Text.assemble(user(f"{file}:{r.test.line}: "), user(r.test.name), " ")
                line.append("PASSED" if r.passed else "FAILED", style="green" if r.passed else "bold red")
                console.print(line, soft_wrap=True)
            continue
        if not results:
            continue
        line = Text.assemble(user(file), " ")
        for r in results:
            line.append("." if r.passed else "F", style="green" if r.passed else "bold red")
        console.print(line, soft_wrap=True)
    failures = [r for r in run.results if not r.passed]
    if failures:
        console.print()
        console.print(Text("FAILURES", style="bold red underline"))
        for r in failures:
            console.print(_failure(r))
    if run.coverage is not None:
        console.print()
        if run.coverage:
            console.print(Text("Not triggered by any test", style="bold underline"))
            for u in run.coverage:
                line = Text.assemble(user(f"{u.file}:{u.line}:{u.column}: ", "dim"), (f"{u.kind} ", "bold"), user(u.id), "  ", user(u.title, "dim"))
                console.print(line, soft_wrap=True)
        else:
            console.print(Text("Coverage: every indicator and scenario is triggered by some test", style="green"))
    if run.deselected:
        console.print(Text.assemble(f"{run.deselected} deselected by -k ", user(repr(run.keyword))), style="dim")
    summary = f"{run.passed} passed, {run.failed} failed"
    console.print(Text(summary, style="bold red" if run.failed else "bold green"))


def _failure(r) -> Tree:
    test = r.test
    root = Tree(Text.assemble(("FAILED ", "bold red"), user(f"{test.file}:{test.line}:{test.column} ", "dim"), user(test.name, "bold")))
    for c in r.failures:
        head = Text.assemble(
            user(f"{test.file}:{c.line}:{c.column}: ", "dim"),
            user(c.item, "bold"),
            f" ({c.kind}): expected ",
            _status(c.expected),
            ", got ",
            _status(c.actual),
        )
        branch = root.add(head)
        for line in c.missing:
            branch.add(Text.assemble(("missing: ", "bold"), user(line)))
        if c.holds_if:
            branch.add(user(holds_only_if(c.holds_if), "yellow"))
        if c.evidence and c.actual in ("triggered", "contested"):
            if c.because_world and c.actual == "contested":
                branch.add(Text.assemble(("because, in the world where ", "dim"), user("; ".join(c.because_world), "dim")))
            for e in c.evidence[:EVIDENCE_SHOWN]:
                branch.add(_evidence(e))
            if len(c.evidence) > EVIDENCE_SHOWN:
                branch.add(Text(f"… and {len(c.evidence) - EVIDENCE_SHOWN} more facts", style="dim"))
    return root


def _status(status) -> Text:
    word, style = STATUS_SAID.get(status, (str(status), ""))
    return Text(word, style=style)


def _evidence(e) -> Text:
    t = Text.assemble(("because: ", "bold"), user(e.id), "  ")
    t.append(e.date or "undated", style="cyan")
    t.append(f"  {e.grade}  ")
    for a in e.assumes:
        t.append_text(user(f"assumes {a.key} = {a.value}  ", "yellow"))
    if e.text:
        t.append_text(user(e.text, "dim"))
    return t


def test_run_json(run) -> dict:
    """The plain data of a test run, for `scenarios test --format json`."""
    return {
        "schema_version": SCHEMA_VERSION,
        "files": list(run.files),
        "passed": run.passed,
        "failed": run.failed,
        "deselected": run.deselected,
        "tests": [
            {
                "file": r.test.file,
                "line": r.test.line,
                "name": r.test.name,
                "passed": r.passed,
                "checks": [
                    {
                        "id": c.item,
                        "kind": c.kind,
                        "line": c.line,
                        "column": c.column,
                        "expected": c.expected,
                        "actual": c.actual,
                        "passed": c.passed,
                        "missing": c.missing,
                        "holds_if": c.holds_if,
                        "because_world": c.because_world,
                        "evidence": [e.id for e in c.evidence],
                    }
                    for c in r.checks
                ],
            }
            for r in run.results
        ],
        "coverage": None
        if run.coverage is None
        else [{"ruleset": u.ruleset, "kind": u.kind, "id": u.id, "title": u.title, "file": u.file, "line": u.line, "column": u.column} for u in run.coverage],
    }


# -- diffs ------------------------------------------------------------------------------------

FACT_HEADINGS = (("added", "New facts"), ("removed", "Facts gone"), ("changed", "Facts changed"))


def render_diff(diff, console: Console) -> None:
    """The terminal report of a diff or a what-if: the two runs, its bottom line, each
    kind of change with the facts behind it (by id), then each fact added, removed and
    changed, once, in full."""
    parts: list = []
    mark = marking(diff_marking(diff))
    if mark is not None:
        parts.append(mark)
    parts += [*_sides(diff), heading("Bottom line"), sentences(diff_bottom_line(diff))]
    if not diff.items:
        parts.append(Text("\nNo indicator or scenario changed status.", style="bold"))
    for change, words in HEADINGS.items():
        items = diff.of(change)
        if not items:
            continue
        parts.append(heading(words))
        parts += [_item(c) for c in items]
    if diff.added or diff.removed or diff.changed:
        for group, words in FACT_HEADINGS:
            facts = getattr(diff, group)
            if facts:
                parts.append(heading(words))
                parts += [_fact(f) for f in facts]
    else:
        parts.append(Text("\nNo fact was added, removed or changed.", style="dim"))
    if mark is not None:
        parts += [Text(""), mark]
    emit(console, parts)


def diff_marking(diff) -> Optional[str]:
    """The handling markings of the two cases of a diff, each once."""
    found = list(dict.fromkeys(m for m in (diff.old.classification, diff.new.classification) if m))
    return " / ".join(found) if found else None


def _sides(diff) -> list:
    grid = Table.grid(padding=(0, 2, 0, 0))
    grid.add_column(justify="right", no_wrap=True, style="dim")
    grid.add_column()
    for s in (diff.old, diff.new):
        hypotheses = f", {s.worlds} combinations of hypotheses" if s.worlds > 1 else ""
        grid.add_row(s.label, user(f"{s.case}, as of {s.as_of}; {', '.join(s.rulesets)}; {s.facts_in_run} facts{hypotheses}; {s.file}"))
    for i, words in enumerate(diff.counterfactual):
        grid.add_row("changes" if i == 0 else "", user(words, "yellow"))
    return [Text("What if" if diff.counterfactual else "Diff", style="bold"), grid]


def _item(c) -> Tree:
    root = Tree(Text.assemble((f"{c.kind} ", "dim"), user(c.id, "bold"), "\n", user(c.title)))
    root.add(Text(f"was {said_status(c.old_status, c.old_near_miss)}, now {said_status(c.new_status, c.new_near_miss)}"))
    if c.holds_if:
        root.add(user(holds_only_if(c.holds_if), "yellow"))
    for line in c.missing:
        root.add(Text.assemble(("missing: ", "bold"), user(line)))
    for words, style, ids in (("new facts: ", "green", c.added), ("facts gone: ", "red", c.removed), ("facts changed: ", "yellow", c.changed)):
        if ids:
            root.add(Text.assemble((words, style), user(", ".join(ids))))
    if c.through:
        root.add(Text.assemble(("because these changed too: ", "bold"), user(", ".join(c.through))))
    return root


def _fact(f) -> Group:
    lines: list = [Text.assemble(user(f.id, "bold"), "  ", (f.date or "undated", "cyan"), "  ", user(f.type, "dim"))]
    if f.keys:
        lines += [Padding(user(f"{k.key}: {value_text(k.old)} → {value_text(k.new)}"), (0, 0, 0, 2)) for k in f.keys]
    elif f.text:
        lines.append(Padding(user(f.text), (0, 0, 0, 2)))
    return Group(*lines)


def diff_json(diff) -> dict:
    """The plain data of a diff or a what-if, for `--format json`."""

    def side(s) -> dict:
        return {"label": s.label, "case": s.case, "classification": s.classification, "file": s.file, "as_of": s.as_of, "rulesets": list(s.rulesets), "worlds": s.worlds, "facts_in_run": s.facts_in_run}

    def fact(f) -> dict:
        out = {"id": f.id, "type": f.type, "date": f.date, "text": f.text}
        if f.keys:
            out["keys"] = [{"key": k.key, "old": k.old, "new": k.new} for k in f.keys]
        return out

    def item(c) -> dict:
        return {
            "id": c.id,
            "kind": c.kind,
            "title": c.title,
            "ruleset": c.ruleset,
            "old": {"status": c.old_status, "near_miss": c.old_near_miss},
            "new": {"status": c.new_status, "near_miss": c.new_near_miss},
            "holds_if": c.holds_if,
            "missing": c.missing,
            "facts": {"added": c.added, "removed": c.removed, "changed": c.changed},
            "through": c.through,
        }

    out: dict = {"schema_version": SCHEMA_VERSION, "old": side(diff.old), "new": side(diff.new), "what_if": list(diff.counterfactual), "summary": diff_bottom_line(diff)}
    for change, key in JSON_KEYS.items():
        out[key] = [item(c) for c in diff.of(change)]
    out["facts"] = {
        "added": [fact(f) for f in diff.added],
        "removed": [fact(f) for f in diff.removed],
        "changed": [fact(f) for f in diff.changed],
    }
    return out
