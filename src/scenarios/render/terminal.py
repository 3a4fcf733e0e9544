"""The terminal report (Rich): header, scenario board, why, near misses, hypotheses.

Everything an analyst wrote (titles, fact text, actor names) is data, never markup:
it goes into `Text` objects, which Rich does not parse, after control characters are
made visible so that no input can move the cursor or recolour the terminal.
"""

from __future__ import annotations

import io
import os
import sys
from typing import Callable, Iterable, Optional

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from ..result import ConditionNode, Derivation, Evidence, Explanation, ItemResult, Node, RunResult
from .plain import STATUS_WORDS, clean, one_line

LISTED_CRITICAL = 10  # a count on its threshold can make thousands of facts critical

STYLES = {"triggered": "bold red", "contested": "bold yellow", "near_miss": "cyan", "not_triggered": "dim"}
STATUS = {key: (word, STYLES[key]) for key, word in STATUS_WORDS.items()}

LEGEND = (
    "Grades (Admiralty code): source reliability A completely reliable, B usually reliable, "
    "C fairly reliable, D not usually reliable, E unreliable, F cannot be judged; "
    "information credibility 1 confirmed, 2 probably true, 3 possibly true, 4 doubtful, "
    "5 improbable, 6 cannot be judged. ⚠ marks evidence resting on a D/E source or on "
    "credibility 4-5."
)


class ReportConsole(Console):
    """The console of a report on standard output. When its reader goes away
    (`scenarios run | head`), it stops printing and the run ends as it would have:
    Rich's own console exits with status 1 there, which `--fail-on` uses to say that a
    condition was met."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


MIN_WIDTH, MAX_WIDTH = 40, 400  # as --width takes them


def stdout_console(width: Optional[int]) -> Console:
    """The console of a report on standard output: colour when it is a terminal.
    Without a width, $COLUMNS is taken within the bounds of --width (COLUMNS=0
    printed nothing at all, COLUMNS=100000 padded every line), else the terminal's."""
    if width is None:
        columns = os.environ.get("COLUMNS", "").strip()
        if columns.isdigit():
            width = min(max(int(columns), MIN_WIDTH), MAX_WIDTH)
    return ReportConsole(width=width, highlight=False)


def plain_console(width: Optional[int], file: io.StringIO) -> Console:
    """A console writing plain text (no colour, no terminal codes) into `file`, for a
    report written with -o: 100 columns unless told."""
    return Console(file=file, width=width or 100, color_system=None, force_terminal=False, highlight=False, soft_wrap=False)


def report_text(draw: Callable[[Console], None], width: Optional[int]) -> str:
    """What `draw` prints, as the plain text of a file."""
    buffer = io.StringIO()
    draw(plain_console(width, buffer))
    return buffer.getvalue()


class progress:
    """A progress bar on standard error while several cases run, when it is a terminal;
    entered, it gives the function that advances it by n cases."""

    def __init__(self, total: int):
        self.total = total
        self.bar = None

    def __enter__(self) -> Callable[[int], None]:
        if self.total > 1 and sys.stderr.isatty():
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
            task = self.bar.add_task("cases", total=self.total)
            return lambda n: self.bar.advance(task, n)
        return lambda n: None

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def user(value: object, style: str = "") -> Text:
    """Text an analyst wrote, on one line: a line break in a title or a fact's text
    must not start a line that looks like a row of the report."""
    return Text(clean(one_line(value)), style=style)


def status_of(r: ItemResult) -> tuple[str, str]:
    if r.status == "not_triggered" and r.near_miss:
        return STATUS["near_miss"]
    return STATUS[r.status]


def weakest_text(w) -> Text:
    return Text(f"{w.grade}" + (" ⚠" if w.grade.shaky else ""), style="yellow" if w.grade.shaky else "")


def header(result: RunResult) -> Panel:
    facts = f"{result.facts_in_run} in this run"
    if result.left_out:
        facts += f", {len(result.left_out)} left out (dated after {result.as_of})"
    lines = Text()
    lines.append_text(user(result.title, "bold"))
    lines.append("\n")
    for label, value in (
        ("case", result.case),
        ("as of", result.as_of),
        ("rulesets", ", ".join(result.rulesets)),
        ("facts", facts),
        ("worlds", f"{result.worlds}" + (" (competing hypotheses below)" if result.worlds > 1 else "")),
    ):
        lines.append(f"{label:>9}  ", style="dim")
        lines.append_text(user(value))
        lines.append("\n")
    lines.rstrip()
    return Panel(lines, title="scenarios", title_align="left", box=box.ROUNDED)


def board(items: list, worlds: int, title: str) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, expand=False, pad_edge=False)
    table.add_column("status", no_wrap=True)
    table.add_column("title", ratio=1)
    table.add_column("worlds", justify="right", no_wrap=True)
    table.add_column("weakest", no_wrap=True)
    for r in items:
        word, style = status_of(r)
        name = Text.assemble(user(r.title), "\n", user(r.id, "dim"))
        weakest = Text("")
        if r.weakest is not None and r.status != "not_triggered":
            weakest = weakest_text(r.weakest)
        elif r.evidence and r.status != "not_triggered":
            weakest = Text("ungraded", style="yellow")  # F / 6: cannot be judged
        table.add_row(Text(word, style=style), name, f"{r.triggered_in}/{worlds}", weakest)
    return table


def fact_line(e: Evidence) -> Text:
    t = Text()
    t.append(e.date or "undated", style="cyan")
    t.append("  ")
    t.append(str(e.grade), style="yellow bold" if e.grade.shaky else "bold")
    t.append("  ")
    t.append_text(user(e.source_name or e.source or "no source", "italic"))
    t.append("  ")
    t.append_text(user(e.id, "dim"))
    for a in e.assumes:
        t.append("\n")
        t.append("assumes ", style="yellow")
        t.append_text(user(f"{a.key} = {a.value}", "bold"))
        t.append(f"  {a.grade}  ", style="yellow bold" if a.grade.shaky else "bold")
        t.append_text(user(a.source_name or "", "italic"))
    if e.text:
        t.append("\n")
        t.append_text(user(e.text))
    return t


def add_derivation(tree: Tree, d: Derivation, facts: dict) -> None:
    for n in d.conditions:
        add_node(tree, n, facts)


def add_node(tree: Tree, n: Node, facts: dict) -> None:
    label = user(n.label, "dim" if n.kind in ("not",) else "")
    if n.kind == "match":
        e = facts.get(n.fact)
        tree.add(fact_line(e) if e else user(n.fact))
    elif n.kind in ("indicator", "scenario"):
        branch = tree.add(Text.assemble((n.kind + " ", "bold"), user(n.label.split(" ", 1)[1] if " " in n.label else n.label)))
        for child in n.children:
            add_derivation(branch, child, facts)
        if n.more:
            branch.add(Text(f"… and {n.more} more derivations", style="dim"))
    elif n.kind == "count":
        branch = tree.add(Text.assemble((f"{n.count} facts: ", "bold"), label))
        for fid in n.facts:
            e = facts.get(fid)
            branch.add(fact_line(e) if e else user(fid))
        if n.more:
            branch.add(Text(f"… and {n.more} more", style="dim"))
    else:
        tree.add(Text.assemble(("holds: ", "green"), label))


def why(r: ItemResult) -> Tree:
    word, style = status_of(r)
    root = Tree(Text.assemble((word, style), "  ", user(r.title, "bold"), "  ", user(r.id, "dim")))
    facts = {e.id: e for e in r.evidence}
    if r.holds_if:
        root.add(Text.assemble(("holds only if ", "yellow"), user(" — or — ".join(r.holds_if))))
    if r.because_world and r.status == "contested":
        root.add(Text.assemble(("shown for the world where ", "dim"), user("; ".join(r.because_world), "dim")))
    for i, d in enumerate(r.because):
        branch = root if len(r.because) == 1 else root.add(Text(f"derivation {i + 1}", style="dim"))
        if d.bindings and len(r.because) > 1:
            branch.label = Text(f"derivation {i + 1}: " + ", ".join(f"${k} = {v}" for k, v in d.bindings.items()), style="dim")
        add_derivation(branch, d, facts)
    if r.weakest is not None:
        about = f" ({r.weakest.about})" if r.weakest.about else ""
        root.add(Text.assemble(("weakest link: ", "bold"), weakest_text(r.weakest), "  ", user(r.weakest.fact + about, "dim")))
    if not r.critical_checked:
        root.add(Text.assemble(("critical facts: ", "bold"), ("not computed (too many candidate facts to re-run)", "dim")))
    if r.critical_facts:
        shown = r.critical_facts[:LISTED_CRITICAL]
        more = len(r.critical_facts) - len(shown)
        root.add(Text.assemble(("critical facts: ", "bold"), user(", ".join(shown) + (f" and {more} more" if more else ""))))
    for imp in r.implications:
        root.add(Text.assemble(("implies: ", "magenta"), user(imp)))
    return root


def near_miss(r: ItemResult) -> Tree:
    root = Tree(Text.assemble(("NEAR MISS", "cyan"), "  ", user(r.title, "bold"), "  ", user(r.id, "dim")))
    for line in r.missing:
        root.add(Text.assemble(("missing: ", "bold"), user(line)))
    for s in r.signposts:
        root.add(Text.assemble(("watch: ", "cyan"), user(s)))
    return root


def hypotheses(result: RunResult) -> Optional[RenderableType]:
    if not result.hypotheses:
        return None
    table = Table(title="Competing hypotheses", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("fact.key", no_wrap=True)
    table.add_column("alternatives (grade, source)", ratio=1)
    for h in result.hypotheses:
        alts = Text()
        for i, (value, source, name, grade) in enumerate(h.alternatives):
            if i:
                alts.append("\n")
            alts.append_text(user(value, "bold"))
            alts.append(f"  {grade}  ")
            alts.append_text(user(name or source or "", "italic"))
        table.add_row(user(f"{h.fact}.{h.key}"), alts)
    if not result.matrix:
        return table
    matrix = Table(title="Which scenarios each hypothesis leads to", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    matrix.add_column("hypothesis", ratio=1)
    matrix.add_column("in every world of it", ratio=1, overflow="fold")
    matrix.add_column("in some", ratio=1, overflow="fold")
    for n, (fact, rest) in enumerate(result.matrix_columns):
        every = [iid for iid, cells in result.matrix if cells[n][0] == cells[n][1]]
        some = [iid for iid, cells in result.matrix if 0 < cells[n][0] < cells[n][1]]
        matrix.add_row(user(f"{fact}.{rest}"), user(", ".join(every) or "—"), user(", ".join(some) or "—", "yellow"))
    return Group(table, matrix)


def add_condition(tree: Tree, n: ConditionNode) -> None:
    mark = {True: ("✓ ", "green"), False: ("✗ ", "red"), None: ("? ", "dim")}[n.holds]
    label = Text.assemble(mark, user(n.label))
    if n.detail:
        label.append(f"  ({n.detail})", style="dim")
    branch = tree.add(label)
    for c in n.children:
        add_condition(branch, c)


def explained(e: Explanation) -> Iterable[RenderableType]:
    word, style = STATUS[e.status]
    yield Text.assemble(("Explain ", "bold underline"), (word, style), "  ", user(e.title, "bold"), "  ", user(e.item, "dim"))
    world = "; ".join(e.hypotheses) if e.hypotheses else "the only world"
    yield Text.assemble(("world described: ", "dim"), user(world))
    root = Tree(Text("conditions", style="bold"))
    add_condition(root, e.tree)
    yield root
    facts = {x.id: x for x in e.evidence}
    if not e.derivations:
        yield Text("no derivation in this world", style="dim")
    for i, d in enumerate(e.derivations):
        head = Text(f"derivation {i + 1}", style="bold")
        if d.bindings:
            head.append(clean(one_line("  " + ", ".join(f"${k} = {v}" for k, v in d.bindings.items()))), style="dim")
        if d.derived:
            head.append(clean(one_line("  derives " + ", ".join(f"{k} = {v}" for k, v in d.derived.items()))), style="dim")
        tree = Tree(head)
        add_derivation(tree, d, facts)
        yield tree


def report(result: RunResult) -> Iterable[RenderableType]:
    """The renderables of one run's report, in reading order."""
    yield header(result)
    yield board(result.scenarios, result.worlds, "Scenarios")
    holding = [r for r in result.scenarios if r.status in ("triggered", "contested")]
    if holding:
        yield Text("Why", style="bold underline")
        for r in holding:
            yield why(r)
    misses = [r for r in result.items() if r.near_miss]
    if misses:
        yield Text("Near misses: what is missing, what to watch", style="bold underline")
        for r in misses:
            yield near_miss(r)
    h = hypotheses(result)
    if h is not None:
        yield h
    yield board(result.indicators, result.worlds, "Indicators")
    yield Text(LEGEND, style="dim")


def cases_board(results: list) -> Table:
    """One row a case, after the reports of a run of several: what holds where."""
    table = Table(title=f"{len(results)} cases", title_justify="left", box=box.SIMPLE_HEAD, expand=False, pad_edge=False)
    table.add_column("case", no_wrap=True)
    table.add_column("as of", no_wrap=True)
    table.add_column("worlds", justify="right", no_wrap=True)
    table.add_column("scenarios", ratio=1)
    for result in results:
        lines = []
        for wanted, (word, style) in (("triggered", STATUS["triggered"]), ("contested", STATUS["contested"]), ("near_miss", STATUS["near_miss"])):
            ids = [r.id for r in result.scenarios if (r.near_miss if wanted == "near_miss" else r.status == wanted)]
            if ids:
                lines.append(Text.assemble((word, style), "  ", user(", ".join(ids))))
        cell = Text("\n").join(lines) if lines else Text("no scenario triggered, contested or a near miss", style="dim")
        table.add_row(user(result.case), user(result.as_of), str(result.worlds), cell)
    return table


def render(results: list, console: Console) -> None:
    for i, result in enumerate(results):
        if i:
            console.rule()
        parts = report(result) if result.explanation is None else [header(result), *explained(result.explanation), Text(LEGEND, style="dim")]
        for part in parts:
            console.print(part)
    if len(results) > 1:
        console.rule()
        console.print(cases_board(results))
