"""The terminal report (Rich): the bottom line first, then the scenario board, the
competing hypotheses, why each scenario holds, the near misses, the indicators, and
what every mark of the report means.

Everything an analyst wrote (titles, fact text, actor names) is data, never markup:
it goes into `Text` objects, which Rich does not parse, after control characters are
made visible so that no input can move the cursor or recolour the terminal.

Nothing is cut: a table whose words cannot all fit the width is stacked, one field a
line; a report whose longest word (an id, with its indentation) is wider than the
width says so and is printed as wide as it needs. Each fact's text is printed once
(`shown.py`), and no line ends in spaces.
"""

from __future__ import annotations

import io
import os
import re
import sys
from dataclasses import dataclass
from typing import Callable, Iterable, Optional

from rich import box
from rich.align import Align
from rich.cells import cell_len
from rich.console import Console, Group, RenderableType
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from .. import summary
from ..result import ConditionNode, Derivation, Evidence, Explanation, ItemResult, Node, RunResult
from ..summary import STATUS_WORDS, likelihood, status_key
from ..words import value_text
from .plain import clean, one_line
from .shown import Shown, chain_of, why_order

LISTED_CRITICAL = 10  # a count on its threshold can make thousands of facts critical

STYLES = {"triggered": "bold red", "contested": "bold yellow", "near_miss": "cyan", "not_triggered": "dim"}
STATUS = {key: (word, STYLES[key]) for key, word in STATUS_WORDS.items()}
GAP = 2  # columns between two table columns: a space of padding and the blank divider

_TRAILING = re.compile(r"[ \t]+((?:\x1b\[[0-9;]*m)*)$", re.MULTILINE)


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


# -- printing whole, at a width ---------------------------------------------------------


def emit(console: Console, parts: Iterable[RenderableType]) -> None:
    """Print `parts` in order, with no line ending in spaces. When some part cannot be
    printed at the console's width without cutting a word, say so first, and print
    every part as wide as the widest word needs."""
    parts = list(parts)
    width = console.width
    unbounded = console.options.update_width(10_000)  # a measurement is clamped to the width it is given
    needed = max((Measurement.get(console, unbounded, p).minimum for p in parts), default=0)
    with console.capture() as captured:
        if needed > width:
            console.print(too_narrow(needed, width))
            console.width = needed  # print() never goes past the console's own width
        try:
            for part in parts:
                console.print(part)
        finally:
            console.width = width
    write(console, _TRAILING.sub(r"\1", captured.get()))


def too_narrow(needed: int, width: int) -> Text:
    how = f"give --width {needed} or more, " if needed <= 400 else ""
    return Text(
        f"This report needs {needed} columns to show every id and word whole, and has {width}: "
        f"it is printed {needed} wide. Widen the terminal, {how}or use --format markdown.",
        style="bold",
    )


def write(console: Console, text: str) -> None:
    try:
        console.file.write(text)
        console.file.flush()
    except BrokenPipeError:
        if isinstance(console, ReportConsole):
            console.on_broken_pipe()
        else:
            raise


# -- pieces -----------------------------------------------------------------------------


def user(value: object, style: str = "") -> Text:
    """Text an analyst wrote, on one line: a line break in a title or a fact's text
    must not start a line that looks like a row of the report."""
    return Text(clean(one_line(value)), style=style)


def heading(words: str) -> Text:
    return Text("\n" + words, style="bold underline")


def status_text(key: str) -> Text:
    word, style = STATUS[key]
    return Text(word, style=style)


def grade_text(grade) -> Text:
    """A grade, with ⚠ when it is shaky (colour alone is lost when the report is piped)."""
    return Text(f"{grade} ⚠", style="yellow bold") if grade.shaky else Text(str(grade), style="bold")


def weakest_cell(r: ItemResult) -> Text:
    if r.status == "not_triggered":
        return Text("")
    if r.weakest is not None:
        return grade_text(r.weakest.grade)
    if summary.ungraded(r):
        return Text("ungraded", style="yellow")
    return Text("")


def marking(classification: Optional[str]) -> Optional[RenderableType]:
    """The handling marking of a case, centred, as the first and last line of its report."""
    if not classification:
        return None
    return Align.center(user(classification, "bold"))


def header(result: RunResult) -> Text:
    facts = f"{result.facts_in_run} facts in this run"
    if result.left_out:
        facts += f", {len(result.left_out)} not yet known (dated or reported after {result.as_of})"
    rulesets = ("ruleset " if len(result.rulesets) == 1 else "rulesets ") + ", ".join(result.rulesets)
    line = f"case {result.case}, as of {result.as_of}; {rulesets}; {facts}"
    if result.worlds > 1:
        line += f"; {result.worlds} combinations of competing hypotheses"
    return Text.assemble(user(result.title or result.case, "bold"), "\n", user(line, "dim"))


def sentences(lines: list) -> Table:
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column()
    for line in lines:
        grid.add_row("•", user(line))
    return grid


# -- tables that fit --------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    header: str
    justify: str = "left"
    whole: bool = False  # each line of a cell stays on one line: "not triggered"


def text_range(t: Text) -> tuple:
    """(longest word, longest line) of a cell, in columns."""
    plain = t.plain
    words = plain.split()
    lines = plain.splitlines() or [""]
    longest = max((cell_len(w) for w in words), default=0)
    return longest, max(cell_len(line) for line in lines)


def fitted(columns: list, rows: list, width: int, headers: bool = True, stack: Optional[Callable] = None) -> RenderableType:
    """A table of `rows` (each a Text per column) whose columns fit `width` without
    cutting a word; when the longest words of the columns cannot stand side by side,
    stacked: by `stack(rows)`, else a field a line under each row's first cell."""
    ranges = [[text_range(Text(c.header))] + [text_range(row[i]) for row in rows] for i, c in enumerate(columns)]
    maxs = [max(r[1] for r in col) for col in ranges]
    mins = [maxs[i] if c.whole else max(r[0] for r in col) for i, (c, col) in enumerate(zip(columns, ranges))]
    room = width - GAP * (len(columns) - 1)
    if sum(mins) > room:
        return stack(rows) if stack is not None else stacked(columns, rows)
    widths = share(mins, maxs, room)
    # with a box, a column is followed by a space of padding and a blank divider; without, by two of padding
    table = Table(box=box.SIMPLE_HEAD if headers else None, show_header=headers, show_edge=False, pad_edge=False, padding=(0, 1 if headers else GAP, 0, 0), header_style="bold")
    for c, w in zip(columns, widths):
        table.add_column(c.header, width=w, justify=c.justify)
    for row in rows:
        table.add_row(*row)
    return table


def share(mins: list, maxs: list, room: int) -> list:
    """Column widths from their least and most: each its least, then the room left
    shared out in proportion to what each still wants, no column past its most."""
    widths = list(mins)
    extra = room - sum(widths)
    while extra > 0:
        wants = [maxs[i] - w for i, w in enumerate(widths)]
        total = sum(wants)
        if total == 0:
            break
        given = [min(wants[i], extra * wants[i] // total) for i in range(len(widths))]
        if not any(given):  # the last few columns go to the ones that want most
            given[wants.index(max(wants))] = 1
        widths = [w + g for w, g in zip(widths, given)]
        extra -= sum(given)
    return widths


def stacked(columns: list, rows: list) -> Group:
    parts: list = []
    for row in rows:
        parts.append(row[0])
        for c, cell in zip(columns[1:], row[1:]):
            if cell.plain:
                parts.append(Padding(Text.assemble((f"{c.header}: ", "dim"), cell), (0, 0, 0, 2)))
    return Group(*parts)


# -- the board --------------------------------------------------------------------------


def board(items: list, result: RunResult, title: str, width: int, every: bool = True) -> list:
    """A table of items: status (and how many combinations a contested one holds in),
    title and id, likelihood, weakest link. With `every` false, items simply not
    triggered are named in a line after it."""
    shown = items if every else [r for r in items if status_key(r) != "not_triggered"]
    rest = [r for r in items if r not in shown]
    odds = any(likelihood(r) for r in items)
    columns = [Column("status", whole=True), Column(title.lower().rstrip("s"))] + ([Column("likelihood", whole=True)] if odds else []) + [Column("weakest")]
    rows = []
    for r in shown:
        status = status_text(status_key(r))
        if r.status == "contested":  # the other statuses say it: every combination, or none
            status.append(f"\nin {r.triggered_in} of {result.worlds}", style="")
        name = Text.assemble(user(r.title), "  ", user(r.id, "dim"))
        rows.append([status, name] + ([Text(likelihood(r) or "")] if odds else []) + [weakest_cell(r)])

    def stack(_rows: list) -> Group:
        # too narrow for columns: an item in up to three lines
        lines: list = []
        for r in shown:
            head = status_text(status_key(r))
            if r.status == "contested":
                head.append(f" in {r.triggered_in} of {result.worlds}")
            if likelihood(r):
                head.append(f", {likelihood(r)}")
            lines += [head, Padding(Text.assemble(user(r.title), "\n", user(r.id, "dim")), (0, 0, 0, 2))]
            if weakest_cell(r).plain:
                lines.append(Padding(Text.assemble(("weakest link ", "dim"), weakest_cell(r)), (0, 0, 0, 2)))
        return Group(*lines)

    parts: list = [heading(title)]
    if rows:
        parts.append(fitted(columns, rows, width, stack=stack))
    if rest:
        parts.append(Text.assemble(("Not triggered: ", "dim"), user(", ".join(r.id for r in rest))))
    return parts


# -- why --------------------------------------------------------------------------------


def fact_line(e: Evidence, shown: Shown) -> Text:
    """A fact in full the first time (id, grade, date, source, then its text), after
    that by its id and grade; each with the hypotheses it rests on in this chain."""
    t = Text()
    t.append_text(user(e.id, "bold"))
    t.append("  ")
    t.append_text(grade_text(e.grade))
    if shown.first(e.id):
        t.append("  ")
        t.append(e.date or "undated", style="cyan")
        t.append("  ")
        t.append_text(user(e.source_name or e.source or "no source", "italic"))
        if e.text:
            t.append("\n")
            t.append_text(user(e.text))
    else:
        t.append("  (above)", style="dim")
    for a in e.assumes:
        t.append("\n")
        t.append("assumes ", style="yellow")
        t.append_text(user(summary.assumption(a.key, a.value), "bold"))
        t.append("  ")
        t.append_text(grade_text(a.grade))
    return t


def add_derivation(tree: Tree, d: Derivation, facts: dict, shown: Shown, entry: str) -> None:
    for n in d.conditions:
        add_node(tree, n, facts, shown, entry)


def add_node(tree: Tree, n: Node, facts: dict, shown: Shown, entry: str) -> None:
    if n.kind == "match":
        e = facts.get(n.fact)
        tree.add(fact_line(e, shown) if e else user(n.fact))
    elif n.kind in ("indicator", "scenario"):
        name = n.label.split(" ", 1)[1] if " " in n.label else n.label
        label = Text.assemble((n.kind + " ", "bold"), user(name))
        where = shown.drawn(n.children, n.more, facts, entry) if n.children else None
        if where is not None:
            label.append("  (shown above" + ("" if where == entry or where == name else f", under {where}") + ")", style="dim")
            tree.add(label)
            return
        branch = tree.add(label)
        for child in n.children:
            add_derivation(branch, child, facts, shown, entry)
        if n.more:
            branch.add(Text(f"… and {n.more} more derivations", style="dim"))
    elif n.kind == "count":
        branch = tree.add(Text.assemble((f"{n.count} found: ", "bold"), user(n.label)))
        for fid in n.facts:
            e = facts.get(fid)
            branch.add(fact_line(e, shown) if e else user(fid))
        if n.more:
            branch.add(Text(f"… and {n.more} more", style="dim"))
    elif n.kind == "of":
        branch = tree.add(Text.assemble((f"{n.count} hold: ", "bold"), user(n.label)))
        for fid in n.facts:
            e = facts.get(fid)
            branch.add(fact_line(e, shown) if e else user(fid))
        for child in n.children:
            where = shown.drawn([child], 0, facts, entry)
            label = Text.assemble(("holds: ", "bold"), user(child.item))
            if where is not None:
                label.append("  (shown above" + ("" if where in (entry, child.item) else f", under {where}") + ")", style="dim")
                branch.add(label)
                continue
            add_derivation(branch.add(label), child, facts, shown, entry)
    else:
        tree.add(Text.assemble(("and ", "green"), user(n.label)))


def item_head(r: ItemResult) -> Text:
    return Text.assemble(status_text(status_key(r)), "  ", user(r.id, "bold"), "\n", user(r.title))


def why(r: ItemResult, worlds: int, shown: Shown) -> Tree:
    root = Tree(item_head(r))
    facts = {e.id: e for e in r.evidence}
    odds = likelihood(r)
    if r.holds_if:
        if odds:  # in n of N, the legend says; the likelihood beside it
            line = Text.assemble(user(summary.holds_only_if(r.holds_if), "yellow"), (f"  (in {r.triggered_in} of {worlds}; ", "dim"), odds, (")", "dim"))
        else:
            line = Text.assemble(user(summary.holds_only_if(r.holds_if), "yellow"), (f"  ({r.triggered_in} of {worlds} combinations)", "dim"))
        root.add(line)
    elif odds:
        root.add(Text.assemble(("likelihood: ", "bold"), odds))
    because, more = chain_of(r)
    shown.drawn(because, more, facts, r.id)
    for i, d in enumerate(r.because):
        branch = root
        if len(r.because) > 1:
            label = f"derivation {i + 1}" + (": " + ", ".join(f"${k} = {v}" for k, v in d.bindings.items()) if d.bindings else "")
            branch = root.add(user(label, "dim"))
        add_derivation(branch, d, facts, shown, r.id)
    if more:
        root.add(Text(f"… and {more} more derivations", style="dim"))
    if r.weakest is not None:
        about = f" ({r.weakest.about})" if r.weakest.about else ""
        root.add(Text.assemble(("weakest link: ", "bold"), grade_text(r.weakest.grade), "  ", user(r.weakest.fact + about)))
    if not r.critical_checked:
        root.add(Text.assemble(("critical facts: ", "bold"), ("not computed (too many candidate facts to re-run)", "dim")))
    if r.critical_facts:
        listed = r.critical_facts[:LISTED_CRITICAL]
        extra = len(r.critical_facts) - len(listed)
        root.add(Text.assemble(("critical facts: ", "bold"), user(", ".join(listed) + (f" and {extra} more" if extra else ""))))
    for imp in r.implications:
        root.add(Text.assemble(("implies: ", "magenta"), user(imp)))
    return root


def near_miss(r: ItemResult) -> Tree:
    root = Tree(item_head(r))
    for line in r.missing:
        root.add(Text.assemble(("missing: ", "bold"), user(line)))
    for s in r.signposts:
        root.add(Text.assemble(("watch: ", "cyan"), user(s)))
    return root


# -- competing hypotheses ---------------------------------------------------------------


def hypotheses(result: RunResult) -> list:
    """Each contested key, each alternative with its grade and source, and the
    contested scenarios it leads to."""
    if not result.hypotheses:
        return []
    parts: list = [heading(f"Competing hypotheses ({result.worlds} combinations)")]
    for label, alternatives in summary.hypothesis_rows(result):
        parts.append(user(label, "bold"))
        for words, grade, source, every, some in alternatives:
            line = Text.assemble(user(words), "  ", grade_text(grade))
            if source:
                line.append("  ")
                line.append_text(user(source, "italic"))
            parts.append(Padding(line, (0, 0, 0, 2)))
            leads = summary.leads_to(every, some)
            if leads:
                parts.append(Padding(user(leads, "dim"), (0, 0, 0, 4)))
    return parts


# -- what the marks mean ----------------------------------------------------------------


def legend(result: RunResult, width: int) -> list:
    entries = summary.legend(result)
    if not entries:
        return []
    rows = [[Text(mark, style="bold"), user(meaning)] for mark, meaning in entries]
    table = fitted([Column("mark", whole=True), Column("meaning")], rows, width, headers=False)
    return [heading("What the marks mean"), table]


# -- --explain --------------------------------------------------------------------------


def add_condition(tree: Tree, n: ConditionNode) -> None:
    mark = {True: ("✓ ", "green"), False: ("✗ ", "red"), None: ("? ", "dim")}[n.holds]
    label = Text.assemble(mark, user(n.label))
    if n.detail:
        label.append_text(user(f"  ({n.detail})", "dim"))
    branch = tree.add(label)
    for c in n.children:
        add_condition(branch, c)


def explained(e: Explanation, key: str, shown: Shown) -> Iterable[RenderableType]:
    yield heading("Explain")
    yield Text.assemble(status_text(key), "  ", user(e.item, "bold"), "\n", user(e.title))
    world = " and ".join(summary.hypothesis(h) for h in e.hypotheses) if e.hypotheses else "the only world (no competing hypotheses)"
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
            head.append_text(user("  " + ", ".join(f"${k} = {v}" for k, v in d.bindings.items()), "dim"))
        if d.derived:
            head.append_text(user("  derives " + ", ".join(f"{k} = {value_text(v)}" for k, v in d.derived.items()), "dim"))
        tree = Tree(head)
        add_derivation(tree, d, facts, shown, e.item)
        yield tree


def explained_status(result: RunResult) -> str:
    """The status of the explained item, near miss included."""
    r = result.find(result.explanation.item)
    return status_key(r) if r is not None else result.explanation.status


# -- a whole report ---------------------------------------------------------------------


def report(result: RunResult, width: int = 80) -> Iterable[RenderableType]:
    """The renderables of one run's report, in reading order, for `width` columns."""
    mark = marking(result.classification)
    if mark is not None:
        yield mark
    yield header(result)
    yield heading("Bottom line")
    yield sentences(summary.bottom_line(result))
    shown = Shown()
    if result.explanation is not None:
        yield from explained(result.explanation, explained_status(result), shown)
    else:
        yield from board(result.scenarios, result, "Scenarios", width)
        yield from hypotheses(result)
        holding = why_order([r for r in result.scenarios if r.status in ("triggered", "contested")])
        if holding:
            yield heading("Why")
            for r in holding:
                yield why(r, result.worlds, shown)
        misses = [r for r in result.items() if r.near_miss]
        if misses:
            yield heading("Near misses: what is missing, what to watch")
            for r in misses:
                yield near_miss(r)
        yield from board(result.indicators, result, "Indicators", width, every=False)
    yield from legend(result, width)
    if mark is not None:
        yield Text("")
        yield mark


def cases_board(results: list, width: int) -> list:
    """The board of a run of several cases: its bottom line, then a row a case."""
    parts: list = []
    markings = list(dict.fromkeys(r.classification for r in results if r.classification))
    if markings:
        parts.append(marking(" / ".join(markings)))
    parts += [Text(f"{len(results)} cases", style="bold"), heading("Bottom line"), sentences(summary.cases_bottom_line(results))]
    rows = []
    for result in results:
        lines = []
        for key in ("triggered", "contested", "near_miss"):
            ids = [r.id for r in result.scenarios if status_key(r) == key]
            if ids:
                lines.append(Text.assemble(status_text(key), "  ", user(", ".join(ids))))
        cell = Text("\n").join(lines) if lines else Text("no scenario triggered, contested or a near miss", style="dim")
        rows.append([user(result.case), user(result.as_of), Text(str(result.worlds)), cell])
    parts.append(heading("Cases"))
    parts.append(fitted([Column("case"), Column("as of", whole=True), Column("combinations", "right"), Column("scenarios")], rows, width))
    if markings:
        parts += [Text(""), marking(" / ".join(markings))]
    return parts


def render(results: list, console: Console) -> None:
    """The report of each run, a rule between them; several runs open with their board."""
    width = console.width
    parts: list = []
    if len(results) > 1:
        parts += cases_board(results, width)
    for i, result in enumerate(results):
        if i or len(results) > 1:
            parts.append(Text(""))
            parts.append(Text("─" * width, style="dim"))
        parts += list(report(result, width))
    emit(console, parts)
