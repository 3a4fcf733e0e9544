"""Renderers of the workflow commands: ruleset test runs and diffs (terminal and JSON).

The `render_*` functions draw with Rich; the `*_json` functions give the plain data of
`--format json`. None of them computes anything: they read `RuleTestRun` and `CaseDiff`.
Everything an analyst wrote goes into `Text` objects, never into markup.
"""

from __future__ import annotations


from rich.console import Console
from rich.panel import Panel
from rich.text import Text
from rich.tree import Tree

from ..result import SCHEMA_VERSION
from ..words import value_text
from .plain import STATUS_WORDS
from .terminal import STYLES, user

STATUS_WORDS = {key: (word.lower(), STYLES[key]) for key, word in STATUS_WORDS.items()}
STATUS_WORDS[None] = ("not in the rulesets", "dim")
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
            branch.add(Text.assemble(("holds only if ", "yellow"), user(" — or — ".join(c.holds_if))))
        if c.evidence and c.actual in ("triggered", "contested"):
            if c.because_world and c.actual == "contested":
                branch.add(Text.assemble(("because, in the world where ", "dim"), user("; ".join(c.because_world), "dim")))
            for e in c.evidence[:EVIDENCE_SHOWN]:
                branch.add(_evidence(e))
            if len(c.evidence) > EVIDENCE_SHOWN:
                branch.add(Text(f"… and {len(c.evidence) - EVIDENCE_SHOWN} more facts", style="dim"))
    return root


def _status(status) -> Text:
    word, style = STATUS_WORDS.get(status, (str(status), ""))
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


def render_diff(diff, console: Console) -> None:
    """The terminal report of a diff or a what-if: the two runs, each kind of change
    with the facts behind it, then the facts added, removed and changed."""
    console.print(_sides(diff))
    facts = {f.id: f for f in diff.added + diff.removed + diff.changed}
    if not diff.items:
        console.print(Text("No indicator or scenario changed status.", style="bold"))
    for change, heading in HEADINGS.items():
        items = diff.of(change)
        if not items:
            continue
        console.print(Text(heading, style="bold underline"))
        for c in items:
            console.print(_item(c, facts))
    if diff.added or diff.removed or diff.changed:
        console.print(Text("Facts", style="bold underline"))
        for sign, style, group in (("+", "green", diff.added), ("-", "red", diff.removed), ("~", "yellow", diff.changed)):
            for f in group:
                console.print(_fact(sign, style, f))
    else:
        console.print(Text("No fact was added, removed or changed.", style="dim"))


def _sides(diff) -> Panel:
    lines = Text()
    width = max(len(diff.old.label), len(diff.new.label), len("what if") if diff.counterfactual else 0)
    for s in (diff.old, diff.new):
        lines.append(f"{s.label:>{width}}  ", style="dim")
        lines.append_text(user(s.case, "bold"))
        lines.append(f"  as of {s.as_of}  ")
        lines.append_text(user(", ".join(s.rulesets)))
        lines.append(f"  {s.facts_in_run} facts  {s.worlds} world{'s' if s.worlds != 1 else ''}  ")
        lines.append_text(user(s.file, "dim"))
        lines.append("\n")
    for i, words in enumerate(diff.counterfactual):
        lines.append(f"{'changes' if i == 0 else '':>{width}}  ", style="dim")
        lines.append_text(user(words, "yellow"))
        lines.append("\n")
    lines.rstrip()
    return Panel(lines, title="what if" if diff.counterfactual else "diff", title_align="left")


def _item(c, facts: dict) -> Tree:
    new = "near_miss" if c.new_status == "not_triggered" and c.new_near_miss else c.new_status
    old = "near_miss" if c.old_status == "not_triggered" and c.old_near_miss else c.old_status
    root = Tree(Text.assemble(_status(new), "  ", user(c.title, "bold"), "  ", user(c.id, "dim"), ("  was ", "dim"), Text("a near miss", style="cyan") if old == "near_miss" else _status(old)))
    if c.holds_if:
        root.add(Text.assemble(("holds only if ", "yellow"), user(" — or — ".join(c.holds_if))))
    for line in c.missing:
        root.add(Text.assemble(("missing: ", "bold"), user(line)))
    for word, style, ids in (("added", "green", c.added), ("removed", "red", c.removed), ("changed", "yellow", c.changed)):
        for fid in ids:
            f = facts.get(fid)
            label = Text.assemble((f"{word}: ", style), user(fid))
            if f is not None:
                label.append(f"  {f.date or 'undated'}", style="cyan")
                label.append_text(user(f"  {f.type}", "dim"))
                if f.keys:
                    label.append_text(user("  " + "; ".join(f"{k.key}: {value_text(k.old)} → {value_text(k.new)}" for k in f.keys)))
            root.add(label)
    if c.through:
        root.add(Text.assemble(("through: ", "bold"), user(", ".join(c.through))))
    return root


def _fact(sign: str, style: str, f) -> Text:
    t = Text.assemble((f"{sign} ", style), user(f.id, "bold"), "  ")
    t.append(f.date or "undated", style="cyan")
    t.append_text(user(f"  {f.type}", "dim"))
    if f.keys:
        for k in f.keys:
            t.append("\n    ")
            t.append_text(user(f"{k.key}: {value_text(k.old)} → {value_text(k.new)}"))
    elif f.text:
        t.append("\n    ")
        t.append_text(user(f.text, "dim"))
    return t


def diff_json(diff) -> dict:
    """The plain data of a diff or a what-if, for `--format json`."""

    def side(s) -> dict:
        return {"label": s.label, "case": s.case, "file": s.file, "as_of": s.as_of, "rulesets": list(s.rulesets), "worlds": s.worlds, "facts_in_run": s.facts_in_run}

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

    out: dict = {"schema_version": SCHEMA_VERSION, "old": side(diff.old), "new": side(diff.new), "what_if": list(diff.counterfactual)}
    for change, key in JSON_KEYS.items():
        out[key] = [item(c) for c in diff.of(change)]
    out["facts"] = {
        "added": [fact(f) for f in diff.added],
        "removed": [fact(f) for f in diff.removed],
        "changed": [fact(f) for f in diff.changed],
    }
    return out
