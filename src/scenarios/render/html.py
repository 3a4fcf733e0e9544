"""The HTML briefing: one self-contained HTML5 file, for a browser or for print.

It draws the same blocks as the Markdown briefing (`markdown.briefing`), so the two
carry the same content. The style sheet is inline, and there are no scripts, links or
images: the file opens offline and prints black on white. Printed, the case's handling
marking stands at the top and bottom of every page (the head and foot of a table that
holds the page, which browsers repeat), a scenario's block stays on one page, and no
table row is split. Every piece of text goes through `html.escape` after its control
characters are removed, and no attribute holds user text.

The one line that is not the run's is when the file was made: it honours
`SOURCE_DATE_EPOCH`, so a build can make the same bytes twice.
"""

from __future__ import annotations

import datetime
import html as _html
import os
from typing import Optional

from .. import __version__
from .markdown import Block, Bullets, Fields, Heading, Line, Paragraph, Section, Table, briefing, cases_board, clean, markings

STYLE = """
body { font: 11pt/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       color: #111; background: #fff; max-width: 62rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6em; margin: 0 0 .5rem; }
h2 { font-size: 1.25em; margin: 1.6rem 0 .4rem; border-bottom: 1px solid #999; }
h3 { font-size: 1.05em; margin: 1.2rem 0 .3rem; }
p { margin: .3rem 0; }
dl.fields { display: grid; grid-template-columns: max-content auto; gap: .1rem 1rem; margin: .5rem 0 1rem; }
dl.fields dt { color: #555; }
dl.fields dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: .4rem 0 1rem; }
th, td { text-align: left; vertical-align: top; padding: .25rem .5rem; border-bottom: 1px solid #ccc; }
th { border-bottom: 2px solid #666; }
th.right, td.right { text-align: right; white-space: nowrap; }
ul { margin: .3rem 0; padding-left: 1.4rem; }
.id { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .92em; color: #444; }
.strong, .grade { font-weight: bold; }
.muted { color: #666; }
.date { white-space: nowrap; }
.status { font-weight: bold; white-space: nowrap; }
.status-triggered { color: #b00020; }
.status-contested { color: #8a5300; }
.status-near-miss { color: #00606b; }
.status-not-triggered { color: #666; font-weight: normal; }
.shaky { color: #8a5300; font-weight: bold; }
.holds { color: #1b6e20; font-weight: bold; }
.fails { color: #b00020; font-weight: bold; }
.unknown { color: #666; font-weight: bold; }
hr.case-break { border: 0; border-top: 2px solid #666; margin: 2.5rem 0; }
table.page { margin: 0; }
table.page > thead > tr > td, table.page > tfoot > tr > td, table.page > tbody > tr > td { border: 0; padding: 0; }
.marking { text-align: center; font-weight: bold; letter-spacing: .04em; }
table.page > thead .marking { padding-bottom: .8rem; }
table.page > tfoot .marking { padding-top: .8rem; }
p.generated { color: #555; font-size: .9em; }
@media print {
  @page { margin: 1.5cm 1.8cm; }
  body { font-size: 10pt; max-width: none; margin: 0; padding: 0; }
  body, body * { color: #000 !important; background: #fff !important; }
  table:not(.page) tr, dl.fields { break-inside: avoid; page-break-inside: avoid; }
  li:not(:has(li)) { break-inside: avoid; page-break-inside: avoid; }
  section.item { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  tfoot { display: table-footer-group; }
  h1, h2, h3 { break-after: avoid; page-break-after: avoid; }
  hr.case-break { border: 0; margin: 0; break-after: page; page-break-after: always; }
}
""".strip()


def escape(value: object) -> str:
    return _html.escape(clean(value), quote=True)


def inline(line: Line) -> str:
    out = []
    for s in line:
        text = escape(s.text)
        if s.role.startswith("status-"):
            out.append(f'<span class="status {s.role}">{text}</span>')
        elif s.role:
            out.append(f'<span class="{s.role}">{text}</span>')
        else:
            out.append(text)
    return "".join(out)


def items_html(items: list) -> list:
    lines = ["<ul>"]
    for it in items:
        if it.children:
            lines.append(f"<li>{inline(it.line)}")
            lines += items_html(it.children)
            lines.append("</li>")
        else:
            lines.append(f"<li>{inline(it.line)}</li>")
    return lines + ["</ul>"]


def block_html(b: Block) -> list:
    if isinstance(b, Section):
        return ['<section class="item">', *(line for x in b.blocks for line in block_html(x)), "</section>"]
    if isinstance(b, Heading):
        return [f"<h{b.level}>{inline(b.line)}</h{b.level}>"]
    if isinstance(b, Paragraph):
        return [f"<p>{inline(b.line)}</p>"]
    if isinstance(b, Fields):
        return ['<dl class="fields">', *(f"<dt>{escape(label)}</dt><dd>{inline(line)}</dd>" for label, line in b.rows), "</dl>"]
    if isinstance(b, Bullets):
        return items_html(b.items) if b.items else []
    return table_html(b)


def table_html(t: Table) -> list:
    def attrs(i: int) -> str:
        return ' class="right"' if i in t.right else ""

    lines = ["<table>", "<thead>", "<tr>" + "".join(f"<th{attrs(i)}>{escape(c)}</th>" for i, c in enumerate(t.columns)) + "</tr>", "</thead>", "<tbody>"]
    lines += ["<tr>" + "".join(f"<td{attrs(i)}>{inline(c)}</td>" for i, c in enumerate(row)) + "</tr>" for row in t.rows]
    return lines + ["</tbody>", "</table>"]


def article(blocks: list) -> list:
    lines = ["<article>"]
    for b in blocks:
        lines += block_html(b)
    return lines + ["</article>"]


def page(blocks: list, marking: Optional[str], before: tuple = ()) -> list:
    """An article; with a handling marking, held in a table whose head and foot carry
    the marking, which a browser prints at the top and bottom of every page."""
    body = [*before, *article(blocks)]
    if not marking:
        return body
    mark = f'<tr><td class="marking">{escape(marking)}</td></tr>'
    return [
        '<table class="page" role="presentation">',
        f"<thead>{mark}</thead>",
        "<tbody><tr><td>",
        *body,
        "</td></tr></tbody>",
        f"<tfoot>{mark}</tfoot>",
        "</table>",
    ]


def generated_at(now: Optional[datetime.datetime] = None) -> datetime.datetime:
    """When the file is made: `now`, else SOURCE_DATE_EPOCH (seconds since 1970, UTC)
    when it is set to a whole number, else the clock."""
    if now is not None:
        return now
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
    return datetime.datetime.now(datetime.timezone.utc)


def render(results: list, now: Optional[datetime.datetime] = None) -> str:
    """One HTML5 document with the briefing of each run, a page break between runs;
    several open with their board. Ends with a newline."""
    title = " · ".join(escape(r.title or r.case) for r in results)
    when = generated_at(now).astimezone(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    stamp = f'<p class="generated">Generated {when} by scenarios {escape(__version__)}.</p>'
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="scenarios">',
        f"<title>{title}</title>",
        "<style>",
        STYLE,
        "</style>",
        "</head>",
        "<body>",
    ]
    pages = [(cases_board(results), markings(results))] if len(results) > 1 else []
    pages += [(briefing(r), r.classification) for r in results]
    for i, (blocks, marking) in enumerate(pages):
        if i:
            lines.append('<hr class="case-break">')
        lines += page(blocks, marking, (stamp,) if i == 0 else ())
    lines += ["</body>", "</html>"]
    return "\n".join(lines) + "\n"
