"""A timeline drawn (SPEC 6): one row an item, one cell a step, coloured by status,
then the changes, oldest first, each with the facts behind it. The terminal strip
reads at 80 columns (a long span folds into several strips), Markdown is a table, HTML
an inline SVG chart (no script, nothing fetched). Everything an analyst wrote is data:
Text objects for Rich, escaped for Markdown and HTML."""

from __future__ import annotations

import datetime
import html as _html
from typing import Optional

from rich.console import Console
from rich.table import Table
from rich.text import Text

from .. import summary
from ..summary import STATUS_WORDS
from ..result import Evidence, TimelineResult
from .markdown import escape as md_escape

from .terminal import STYLES, emit, sentences, user

CELLS = {"triggered": "■", "contested": "▒", "not_triggered": "·"}
COLOURS = {"triggered": "#c62828", "contested": "#f9a825", "not_triggered": "#e0e0e0"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def legend_line() -> str:
    return "   ".join(f"{CELLS[k]} {STATUS_WORDS[k].lower()}" for k in ("triggered", "contested", "not_triggered"))


def _ruler(steps: list) -> str:
    """A line above the cells naming the month where it starts (or the first day)."""
    out = [" "] * len(steps)
    last_month = None
    free = 0
    for i, day in enumerate(_day(s) for s in steps):
        label = None
        if i == 0 and len(steps) <= 6:
            label = day.isoformat()[5:]
        elif (day.year, day.month) != last_month:
            label = MONTHS[day.month - 1] if day.month != 1 else str(day.year)
        last_month = (day.year, day.month)
        if label and i >= free and i + len(label) <= len(steps) + 6:
            for k, ch in enumerate(label):
                if i + k < len(out):
                    out[i + k] = ch
                else:
                    out.append(ch)
            free = i + len(label) + 1
    return "".join(out).rstrip()


# -- terminal ------------------------------------------------------------------------------


def strips(t: TimelineResult, width: int) -> list:
    """The rows of items and cells, folded into strips that fit `width`."""
    label_width = min(max((len(i.id) for i in t.items), default=10), 40) + 2
    cells = max(8, width - label_width)
    if label_width + 8 > width:  # ids too long for the width: the cells go under them
        label_width, cells = 0, max(8, width)
    out: list = []
    for start in range(0, len(t.steps), cells):
        part = slice(start, start + cells)
        steps = t.steps[part]
        head = Text(" " * label_width + _ruler(steps), style="dim")
        rows = [head]
        for kind, name in (("scenario", "Scenarios"), ("indicator", "Indicators")):
            items = [i for i in t.items if i.kind == kind]
            if not items:
                continue
            rows.append(Text(name, style="bold"))
            for item in items:
                if label_width and len(item.id) <= label_width - 2:
                    line = user(item.id.ljust(label_width))
                else:  # never cut an id: a long one stands on its own line
                    line = Text.assemble(user(item.id), "\n", " " * label_width)
                for status in item.statuses[part]:
                    line.append(CELLS[status], style=STYLES[status])
                rows.append(line)
        span = f"{steps[0]} to {steps[-1]}" if len(t.steps) > cells else ""
        if span:
            out.append(Text(span, style="dim"))
        out.extend(rows)
        out.append(Text(""))
    return out


def fact_text(e: Optional[Evidence], fid: str, said: set) -> Text:
    """A fact behind a change: its id, date and grade, and its text the first time."""
    if e is None:
        return user(fid)
    line = Text.assemble(user(e.id, "bold"), "  ", (e.date or "undated", "cyan"), "  ", (str(e.grade), "yellow bold" if e.grade.shaky else "bold"))
    if e.id in said:
        return line
    said.add(e.id)
    if e.reported:
        line.append(f"  reported {e.reported}", style="dim")
    if e.text:
        line.append("  ")
        line.append_text(user(e.text))
    return line


def odds(t: TimelineResult, c) -> str:
    """`(40% → 62%)` when the case gives p and one side is neither 0 nor 1."""
    before, after = c.probability_before, c.probability_after
    if not t.likelihood or before is None or before == after or {before, after} <= {0.0, 1.0}:
        return ""
    return f"({summary.percent(before)} → {summary.percent(after)})"


def by_day(t: TimelineResult) -> list:
    """The changes, day by day, oldest first: (day, the facts behind them, known and
    aged out, each once, and the changes, scenarios first)."""
    days: dict = {}
    for item in t.items:
        for c in item.changes:
            days.setdefault(c.day, []).append((item, c))
    out = []
    for day in sorted(days):
        entries = sorted(days[day], key=lambda e: (e[0].kind != "scenario", e[0].id))
        known = sorted({fid for _, c in entries for fid in c.known})
        aged = sorted({fid for _, c in entries for fid in c.aged_out})
        out.append((day, known, aged, entries))
    return out


def day_entries(t: TimelineResult, escape, strong) -> list:
    """(day, entries) for a briefing's list of changes: the facts that became known or
    left a window, then each item's change, with user text through `escape`."""
    out = []
    for day, known, aged, changed in by_day(t):
        entries = []
        for what, ids in (("became known", known), ("left a window", aged)):
            for fid in ids:
                e = t.facts.get(fid)
                said = escape(fid) if e is None else f"{escape(e.id)} · {e.date or 'undated'} · {e.grade}" + (f" · {escape(e.text)}" if e.text else "")
                entries.append(f"{what}: {said}")
        for item, c in changed:
            chance = f" {odds(t, c)}" if odds(t, c) else ""
            entries.append(f"{item.kind} {strong(escape(item.id))}: {STATUS_WORDS[c.before].lower()} → {STATUS_WORDS[c.after].lower()}{chance}")
        out.append((day, entries))
    return out


def changes(t: TimelineResult) -> list:
    out: list = []
    days = by_day(t)
    if not days:
        return [Text(f"No status changed from {t.since} to {t.until}.", style="dim")]
    said: set = set()
    for day, known, aged, entries in days:
        out.append(Text(day, style="bold cyan"))
        grid = Table.grid(padding=(0, 1, 0, 0))
        grid.add_column(no_wrap=True)
        grid.add_column()
        for sign, ids in (("+", known), ("−", aged)):
            for fid in ids:
                grid.add_row(Text(f"  {sign}", style="dim"), fact_text(t.facts.get(fid), fid, said))
        for item, c in entries:
            line = Text.assemble((item.kind + " ", "dim"), user(item.id, "bold"), "  ", (STATUS_WORDS[c.before].lower(), STYLES[c.before]), " → ", (STATUS_WORDS[c.after].lower(), STYLES[c.after]))
            if odds(t, c):
                line.append("  " + odds(t, c), style="dim")
            if len(known) + len(aged) > 1:  # which of the day's facts moved it
                line.append("  (" + ", ".join(c.known + c.aged_out) + ")", style="dim")
            grid.add_row(Text("   "), line)
        out.append(grid)
    return out


def render_terminal(t: TimelineResult, console: Console) -> None:
    width = console.width
    parts: list = []
    if t.classification:
        parts.append(user(t.classification, "bold"))
    parts.append(user(t.title, "bold"))
    parts.append(Text(f"case {t.case}; from {t.since} to {t.until}, a column every {t.every} ({len(t.steps)} columns)" + (f"; {t.worlds} combinations of competing hypotheses" if t.worlds > 1 else ""), style="dim"))
    parts.append(Text(""))
    lines = summary.timeline_bottom_line(t)
    if lines:
        parts.append(Text("Bottom line", style="bold underline"))
        parts.append(sentences(lines))
        parts.append(Text(""))
    parts.extend(strips(t, width))
    parts.append(Text(legend_line(), style="dim"))
    parts.append(Text(""))
    parts.append(Text("Changes, oldest first (+ became known, − left a window)", style="bold underline"))
    parts.extend(changes(t))
    if t.classification:
        parts.append(Text(""))
        parts.append(user(t.classification, "bold"))
    emit(console, parts)


# -- Markdown ------------------------------------------------------------------------------


def render_markdown(t: TimelineResult) -> str:
    lines = []
    if t.classification:
        lines += [f"**{md_escape(t.classification)}**", ""]
    lines += [f"# {md_escape(t.title)}: timeline", "", f"- **case:** {md_escape(t.case)}", f"- **from:** {t.since}", f"- **to:** {t.until}", f"- **every:** {t.every} ({len(t.steps)} columns)", ""]
    bottom = summary.timeline_bottom_line(t)
    if bottom:
        lines += ["## Bottom line", ""] + [f"- {md_escape(s)}" for s in bottom] + [""]
    lines += ["## Statuses", "", f"{legend_line()}", ""]
    lines.append("| item | " + " | ".join(s[5:] for s in t.steps) + " |")
    lines.append("| --- | " + " | ".join("---" for _ in t.steps) + " |")
    for item in t.items:
        lines.append(f"| {md_escape(item.id)} | " + " | ".join(CELLS[s] for s in item.statuses) + " |")
    lines += ["", "## Changes, oldest first", ""]
    days = by_day(t)
    if not days:
        lines.append(f"No status changed from {t.since} to {t.until}.")
    for day, entries in day_entries(t, md_escape, lambda x: f"**{x}**"):
        lines += [f"### {day}", ""] + [f"- {e}" for e in entries] + [""]
    if t.classification:
        lines += ["", f"**{md_escape(t.classification)}**"]
    return "\n".join(lines).rstrip() + "\n"


# -- HTML ----------------------------------------------------------------------------------


def _e(value: object) -> str:
    from .markdown import clean

    return _html.escape(clean(value), quote=True)


def svg_chart(t: TimelineResult) -> str:
    """The strip as an inline SVG chart: a row an item, a rectangle a step."""
    label = 9 * min(max((len(i.id) for i in t.items), default=10), 48) + 12
    cell = max(6, min(24, 720 // max(1, len(t.steps))))
    row = 18
    top = 24
    height = top + row * len(t.items) + 8
    width = label + cell * len(t.steps) + 8
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="statuses from {t.since} to {t.until}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif" font-size="12">']
    last_month = None
    for k, day in enumerate(_day(s) for s in t.steps):
        if (day.year, day.month) != last_month:
            parts.append(f'<text x="{label + k * cell}" y="14" fill="#555">{MONTHS[day.month - 1]} {day.year if day.month == 1 or k == 0 else ""}</text>')
            last_month = (day.year, day.month)
    for r, item in enumerate(t.items):
        y = top + r * row
        parts.append(f'<text x="0" y="{y + 12}" fill="#111">{_e(item.id)}</text>')
        for k, status in enumerate(item.statuses):
            parts.append(f'<rect class="{status}" x="{label + k * cell}" y="{y}" width="{cell - 1}" height="{row - 4}" fill="{COLOURS[status]}"><title>{_e(item.id)}, {t.steps[k]}: {STATUS_WORDS[status].lower()}</title></rect>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(t: TimelineResult) -> str:
    marking = f'<p class="marking">{_e(t.classification)}</p>' if t.classification else ""
    out = ['<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">', f"<title>{_e(t.title)}: timeline</title>",
           '<style>body{font:11pt/1.45 system-ui,sans-serif;color:#111;max-width:70rem;margin:2rem auto;padding:0 1rem}'
           '.marking{text-align:center;font-weight:bold}.legend span{margin-right:1.5em}'
           '.sw{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:-.1em}'
           'li{margin:.2rem 0}@media print{svg{max-width:100%;height:auto}section{break-inside:avoid}}</style>',
           '</head>', '<body>', marking, f"<h1>{_e(t.title)}: timeline</h1>",
           f"<p>case {_e(t.case)}; from {t.since} to {t.until}, a column every {_e(t.every)} ({len(t.steps)} columns)</p>"]
    bottom = summary.timeline_bottom_line(t)
    if bottom:
        out.append("<h2>Bottom line</h2><ul>" + "".join(f"<li>{_e(s)}</li>" for s in bottom) + "</ul>")
    out.append("<h2>Statuses</h2>")
    out.append(svg_chart(t))
    out.append('<p class="legend">' + "".join(f'<span><span class="sw" style="background:{COLOURS[k]}"></span>{STATUS_WORDS[k].lower()}</span>' for k in ("triggered", "contested", "not_triggered")) + "</p>")
    out.append("<section><h2>Changes, oldest first</h2><ul>")
    days = by_day(t)
    if not days:
        out.append(f"<li>No status changed from {t.since} to {t.until}.</li>")
    for day, entries in day_entries(t, _e, lambda x: f"<strong>{x}</strong>"):
        out.append(f"<li><strong>{day}</strong><ul>{''.join(f'<li>{e}</li>' for e in entries)}</ul></li>")
    out.append("</ul></section>")
    out += [marking, "</body>", "</html>"]
    return "\n".join(x for x in out if x) + "\n"
