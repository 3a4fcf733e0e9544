"""The Markdown briefing: the report an analyst pastes into a document.

The briefing is built once as plain blocks (headings, paragraphs, bullet trees, tables,
sections) of `Span`s, pieces of text with a role ("status-triggered", "grade", "shaky",
...). This module writes the blocks as Markdown and `html.py` writes the same blocks
as HTML, so the two formats always carry the same content: the terminal report's, in
the same order, each fact's text once (`shown.py`), plus an annex of every fact.

Everything an analyst wrote is data, never markup: each span is escaped by the writer,
after its control characters are removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional, Union

from .. import summary
from ..model import Grade
from ..result import ConditionNode, Derivation, Evidence, Explanation, ItemResult, Node, RunResult
from ..summary import STATUS_WORDS, likelihood, status_key
from ..words import value_text
from .shown import Shown, chain_of, why_order

LISTED_LEFT_OUT = 10  # ids of facts left out named in the header before "and N more"

# C0 and C1 controls, line and paragraph separators, bidirectional overrides and isolates
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"[\t\n\r\x0b\x0c\u2028\u2029]")
# `$` too: GitHub, Pandoc and Obsidian read `$...$` as mathematics
_SPECIAL = re.compile(r"([\\`*_\[\]<>~$])")
_ENTITY = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{1,31};)")


def clean(value: object) -> str:
    """User text on one line: line breaks and tabs become spaces, other controls go."""
    text = "" if value is None else str(value)
    return _CONTROL.sub("", _SPACE.sub(" ", text))


def escape(value: object) -> str:
    """Text that Markdown shows as it is: specials backslash-escaped, no control characters."""
    text = _ENTITY.sub(r"\\&", _SPECIAL.sub(r"\\\1", clean(value)))
    if text.startswith("#"):
        text = "\\" + text
    if text.endswith("#") and not text.endswith("\\#"):
        # an unescaped trailing `#` would close an ATX heading and vanish
        text = text[:-1] + "\\#"
    return text


# -- the briefing as plain blocks ---------------------------------------------------


@dataclass(frozen=True)
class Span:
    """A piece of text and its role, which each writer draws its own way."""

    text: str
    role: str = ""  # "" | strong | status-<status> | grade | shaky | id | date | muted | holds | fails | unknown


Line = tuple  # of Span


@dataclass
class Heading:
    level: int
    line: Line


@dataclass
class Paragraph:
    line: Line


@dataclass
class Fields:
    """Labelled values, such as the header of a case."""

    rows: list  # (label, Line)


@dataclass
class Item:
    line: Line
    children: list = field(default_factory=list)  # Item


@dataclass
class Bullets:
    items: list  # Item


@dataclass
class Table:
    columns: tuple  # column names
    rows: list  # tuples of Line, one a column
    right: tuple = ()  # indexes of right-aligned columns


@dataclass
class Section:
    """Blocks that belong together, such as one scenario's why: printed, on one page."""

    blocks: list


Block = Union[Heading, Paragraph, Fields, Bullets, Table, Section]


def status_span(key: str) -> Span:
    return Span(STATUS_WORDS[key], "status-" + key.replace("_", "-"))


def grade_span(grade: Grade) -> Span:
    return Span(f"{grade} ⚠", "shaky") if grade.shaky else Span(str(grade), "grade")


def header(result: RunResult) -> list:
    facts = f"{result.facts_in_run} in this run"
    if result.left_out:
        named = ", ".join(result.left_out[:LISTED_LEFT_OUT])
        more = len(result.left_out) - LISTED_LEFT_OUT
        facts += f", {len(result.left_out)} not yet known (dated or reported after {result.as_of}): {named}"
        if more > 0:
            facts += f" and {more} more"
    rows = [
        ("case", (Span(result.case, "id"),)),
        ("as of", (Span(result.as_of),)),
        ("rulesets", (Span(", ".join(result.rulesets), "id"),)),
        ("facts", (Span(facts),)),
    ]
    if result.worlds > 1:
        rows.append(("hypotheses", (Span(f"{result.worlds} combinations of competing hypotheses"),)))
    return [Heading(1, (Span(result.title or result.case),)), Fields(rows)]


def bottom_line(sentences: list) -> list:
    return [Heading(2, (Span("Bottom line"),)), Bullets([Item((Span(line),)) for line in sentences])]


def weakest_span(r: ItemResult) -> Line:
    if r.status == "not_triggered":
        return ()
    if r.weakest is not None:
        return (grade_span(r.weakest.grade),)
    if summary.ungraded(r):
        return (Span("ungraded", "shaky"),)
    return ()


def board(items: list, result: RunResult, title: str, every: bool = True) -> list:
    """A table of items: status, title, id, combinations it holds in, likelihood,
    weakest link; with `every` false, items simply not triggered are named after it."""
    shown = items if every else [r for r in items if status_key(r) != "not_triggered"]
    rest = [r for r in items if r not in shown]
    many = result.worlds > 1
    odds = any(likelihood(r) for r in items)
    columns = ["status", title.lower().rstrip("s"), "id"] + (["holds"] if many else []) + (["likelihood"] if odds else []) + ["weakest"]
    rows = []
    for r in shown:
        row = [(status_span(status_key(r)),), (Span(r.title),), (Span(r.id, "id"),)]
        if many:
            row.append((Span(f"in {r.triggered_in} of {result.worlds}"),))
        if odds:
            row.append((Span(likelihood(r) or ""),))
        row.append(weakest_span(r))
        rows.append(tuple(row))
    blocks: list = [Heading(2, (Span(title),))]
    if rows:
        blocks.append(Table(tuple(columns), rows, right=(3,) if many else ()))
    if rest:
        blocks.append(Paragraph((Span("Not triggered:", "strong"), Span(" "), Span(", ".join(r.id for r in rest), "id"))))
    return blocks


def fact_item(e: Evidence, shown: Shown) -> Item:
    """A fact in full the first time (id, grade, date, source, text), then by its id
    and grade; each with the hypotheses it rests on in this chain."""
    line = [Span(e.id, "id"), Span(" · "), grade_span(e.grade)]
    if shown.first(e.id):
        line += [Span(" · "), Span(e.date or "undated"), Span(" · "), Span(e.source_name or e.source or "no source")]
        if e.text:
            line += [Span(": "), Span(e.text)]
    else:
        line.append(Span(" (above)", "muted"))
    assumes = [Item((Span("assumes", "strong"), Span(" "), Span(summary.assumption(a.key, a.value)), Span(" · "), grade_span(a.grade))) for a in e.assumes]
    return Item(tuple(line), assumes)


def fact_or_id(fid: str, facts: dict, shown: Shown) -> Item:
    e = facts.get(fid)
    return fact_item(e, shown) if e else Item((Span(fid, "id"),))


def node_item(n: Node, facts: dict, shown: Shown, entry: str) -> Item:
    if n.kind == "match":
        return fact_or_id(n.fact, facts, shown)
    if n.kind in ("indicator", "scenario"):
        name = n.label.split(" ", 1)[1] if " " in n.label else n.label
        line = (Span(n.kind, "strong"), Span(" "), Span(name))
        where = shown.drawn(n.children, n.more, facts, entry) if n.children else None
        if where is not None:
            said = "shown above" + ("" if where in (entry, name) else f", under {where}")
            return Item(line + (Span(f" ({said})", "muted"),))
        children = derivation_items(n.children, facts, shown, entry)
        if n.more:
            children.append(Item((Span(f"… and {n.more} more derivations", "muted"),)))
        return Item(line, children)
    if n.kind == "count":
        children = [fact_or_id(fid, facts, shown) for fid in n.facts]
        if n.more:
            children.append(Item((Span(f"… and {n.more} more", "muted"),)))
        return Item((Span(f"{n.count} found:", "strong"), Span(" "), Span(n.label)), children)
    if n.kind == "of":
        children = [fact_or_id(fid, facts, shown) for fid in n.facts]
        for child in n.children:
            where = shown.drawn([child], 0, facts, entry)
            line = (Span("holds:", "strong"), Span(" "), Span(child.item))
            if where is not None:
                said = "shown above" + ("" if where in (entry, child.item) else f", under {where}")
                children.append(Item(line + (Span(f" ({said})", "muted"),)))
            else:
                children.append(Item(line, derivation_items([child], facts, shown, entry)))
        return Item((Span(f"{n.count} hold:", "strong"), Span(" "), Span(n.label)), children)
    return Item((Span("and", "strong"), Span(" "), Span(n.label)))


def derivation_line(i: int, d: Derivation) -> Line:
    line = [Span(f"derivation {i + 1}", "strong")]
    if d.bindings:
        line.append(Span(" · " + ", ".join(f"${k} = {v}" for k, v in d.bindings.items())))
    if d.derived:
        line.append(Span(" · derives " + ", ".join(f"{k} = {value_text(v)}" for k, v in d.derived.items())))
    return tuple(line)


def derivation_items(derivations: list, facts: dict, shown: Shown, entry: str) -> list:
    """The conditions of one derivation as items; of several, one item for each."""
    if len(derivations) == 1:
        return [node_item(n, facts, shown, entry) for n in derivations[0].conditions]
    return [Item(derivation_line(i, d), [node_item(n, facts, shown, entry) for n in d.conditions]) for i, d in enumerate(derivations)]


def item_line(r: ItemResult, worlds: int) -> Line:
    line = (Span(r.id, "id"), Span(f" · {r.kind} of ruleset "), Span(r.ruleset, "id"))
    if worlds > 1:
        line += (Span(f" · {summary.holds_in(r.triggered_in, worlds)}"),)
    return line


def labelled(label: str, *spans: Span) -> Paragraph:
    return Paragraph((Span(label, "strong"), Span(" "), *spans))


def why(r: ItemResult, worlds: int, shown: Shown) -> Section:
    blocks: list = [
        Heading(3, (status_span(status_key(r)), Span(": "), Span(r.title))),
        Paragraph(item_line(r, worlds)),
    ]
    if r.description:
        blocks.append(Paragraph((Span(r.description),)))
    if r.holds_if:
        blocks.append(labelled("Holds only if:", Span(summary.ways(r.holds_if))))
    odds = likelihood(r)
    if odds:
        blocks.append(labelled("Likelihood:", Span(odds)))
    facts = {e.id: e for e in r.evidence}
    because, more = chain_of(r)
    shown.drawn(because, more, facts, r.id)
    items = derivation_items(r.because, facts, shown, r.id)
    if more:
        items.append(Item((Span(f"… and {more} more derivations", "muted"),)))
    blocks.append(Bullets(items))
    if r.weakest is not None:
        about = f" ({r.weakest.about})" if r.weakest.about else ""
        blocks.append(labelled("Weakest link:", grade_span(r.weakest.grade), Span(" · "), Span(r.weakest.fact + about, "id")))
    if not r.critical_checked:
        blocks.append(labelled("Critical facts:", Span("not computed (too many candidate facts to re-run)", "muted")))
    if r.critical_facts:
        blocks.append(labelled("Critical facts:", Span(", ".join(r.critical_facts), "id")))
    if r.implications:
        blocks.append(Paragraph((Span("Implications:", "strong"),)))
        blocks.append(Bullets([Item((Span(imp),)) for imp in r.implications]))
    return Section(blocks)


def near_miss(r: ItemResult, worlds: int) -> Section:
    items = [Item((Span("missing:", "strong"), Span(" "), Span(line))) for line in r.missing]
    items += [Item((Span("watch:", "strong"), Span(" "), Span(s))) for s in r.signposts]
    return Section([
        Heading(3, (status_span("near_miss"), Span(": "), Span(r.title))),
        Paragraph(item_line(r, worlds)),
        Bullets(items),
    ])


def hypotheses(result: RunResult) -> list:
    rows = []
    for label, alternatives in summary.hypothesis_rows(result):
        for i, (words, grade, source, every, some) in enumerate(alternatives):
            rows.append((
                (Span(label),) if i == 0 else (),
                (Span(words),),
                (grade_span(grade),),
                (Span(source or ""),),
                (Span(summary.leads_to(every, some)),),
            ))
    title = f"Competing hypotheses ({result.worlds} combinations)"
    return [Heading(2, (Span(title),)), Table(("fact", "alternative", "grade", "source", "contested scenarios it leads to"), rows)]


def annex(result: RunResult) -> list:
    """Every fact in the run, by date, with its grade and source."""
    blocks: list = [Heading(2, (Span("Facts"),))]
    if not result.facts:
        blocks.append(Paragraph((Span(f"{result.facts_in_run} facts: too many to list here.", "muted"),)))
        return blocks
    rows = [
        ((Span(e.date or "undated", "date"),), (Span(e.id, "id"),), (grade_span(e.grade),), (Span(e.source_name or e.source or ""),), (Span(e.text or ""),))
        for e in result.facts
    ]
    return blocks + [Table(("date", "fact", "grade", "source", "text"), rows)]


def legend(result: RunResult) -> list:
    rows = [((Span(mark, "strong"),), (Span(meaning),)) for mark, meaning in summary.legend(result, annex=result.explanation is None)]
    if not rows:
        return []
    return [Heading(2, (Span("What the marks mean"),)), Table(("mark", "meaning"), rows)]


def condition_item(n: ConditionNode) -> Item:
    mark = {True: Span("✓", "holds"), False: Span("✗", "fails"), None: Span("?", "unknown")}[n.holds]
    line = [mark, Span(" "), Span(n.label)]
    if n.detail:
        line.append(Span(f" ({n.detail})", "muted"))
    return Item(tuple(line), [condition_item(c) for c in n.children])


def explained(e: Explanation, key: str, shown: Shown) -> list:
    world = " and ".join(summary.hypothesis(h) for h in e.hypotheses) if e.hypotheses else "the only world (no competing hypotheses)"
    blocks: list = [
        Heading(2, (Span("Explain "), status_span(key), Span(": "), Span(e.title))),
        Paragraph((Span(e.item, "id"), Span(f" · {e.kind}"))),
        labelled("World described:", Span(world)),
        Heading(3, (Span("Conditions"),)),
        Bullets([condition_item(e.tree)]),
    ]
    facts = {x.id: x for x in e.evidence}
    if not e.derivations:
        blocks.append(Paragraph((Span("No derivation in this world.", "muted"),)))
    for i, d in enumerate(e.derivations):
        blocks.append(Heading(3, derivation_line(i, d)))
        blocks.append(Bullets([node_item(n, facts, shown, e.item) for n in d.conditions]))
    return blocks


def briefing(result: RunResult) -> list:
    """The blocks of one run's briefing, in reading order: the bottom line, then the
    full report, or with `--explain` the explanation of one item. The handling
    marking is the writer's to put at the top and bottom of each page."""
    blocks = header(result) + bottom_line(summary.bottom_line(result))
    shown = Shown()
    if result.explanation is not None:
        found = result.find(result.explanation.item)
        key = status_key(found) if found is not None else result.explanation.status
        return blocks + explained(result.explanation, key, shown) + legend(result)
    blocks += board(result.scenarios, result, "Scenarios")
    if result.hypotheses:
        blocks += hypotheses(result)
    holding = why_order([r for r in result.scenarios if r.status in ("triggered", "contested")])
    if holding:
        blocks.append(Heading(2, (Span("Why"),)))
        blocks += [why(r, result.worlds, shown) for r in holding]
    misses = [r for r in result.items() if r.near_miss]
    if misses:
        blocks.append(Heading(2, (Span("Near misses: what is missing, what to watch"),)))
        blocks += [near_miss(r, result.worlds) for r in misses]
    blocks += board(result.indicators, result, "Indicators", every=False)
    return blocks + annex(result) + legend(result)


def cases_board(results: list) -> list:
    """The blocks that open a briefing of several cases: their bottom line, then a row
    a case with the scenarios triggered, contested and nearly so in it."""
    rows = []
    for result in results:
        cells = []
        for key in ("triggered", "contested", "near_miss"):
            cells.append((Span(", ".join(r.id for r in result.scenarios if status_key(r) == key), "id"),))
        rows.append(((Span(result.case, "id"),), (Span(result.as_of, "date"),), *cells))
    return [
        Heading(1, (Span(f"{len(results)} cases"),)),
        *bottom_line(summary.cases_bottom_line(results)),
        Table(("case", "as of", "triggered", "contested", "near misses"), rows),
    ]


def markings(results: list) -> Optional[str]:
    """The handling markings of several cases, each once, for a page that holds them all."""
    found = list(dict.fromkeys(r.classification for r in results if r.classification))
    return " / ".join(found) if found else None


# -- the Markdown writer ------------------------------------------------------------

# roles drawn in bold; the rest is plain, and a heading is bold already
_BOLD = ("strong", "shaky", "status-triggered", "status-contested", "status-near-miss")


def inline(line: Line, bold: bool = True) -> str:
    out = []
    for s in line:
        text = escape(s.text)
        # emphasis needs no space just inside its markers
        out.append(f"**{text}**" if bold and s.role in _BOLD and text and text.strip() == text else text)
    return "".join(out)


def cell(line: Line) -> str:
    return inline(line).replace("|", "\\|")


def items_md(items: list, depth: int = 0) -> list:
    lines = []
    for it in items:
        lines.append("  " * depth + "- " + inline(it.line))
        lines += items_md(it.children, depth + 1)
    return lines


def block_md(b: Block) -> str:
    if isinstance(b, Section):
        return "\n\n".join(block_md(x) for x in b.blocks if not (isinstance(x, Bullets) and not x.items))
    if isinstance(b, Heading):
        return "#" * b.level + " " + inline(b.line, bold=False)
    if isinstance(b, Paragraph):
        return inline(b.line)
    if isinstance(b, Fields):
        return "\n".join(f"- **{escape(label)}:** {inline(line)}" for label, line in b.rows)
    if isinstance(b, Bullets):
        return "\n".join(items_md(b.items))
    rule = ["---:" if i in b.right else "---" for i in range(len(b.columns))]
    lines = ["| " + " | ".join(escape(c) for c in b.columns) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in b.rows]
    return "\n".join(lines)


def to_markdown(blocks: list, marking: Optional[str] = None) -> str:
    """Blocks as Markdown; with a handling marking, it is the first and last line."""
    parts = [block_md(b) for b in blocks if not (isinstance(b, Bullets) and not b.items)]
    if marking:
        parts = [f"**{escape(marking)}**", *parts, f"**{escape(marking)}**"]
    return "\n\n".join(parts) + "\n"


def render(results: list) -> str:
    """The briefing of each run, separated by a thematic break; several open with their
    board. Ends with a newline."""
    parts = [to_markdown(cases_board(results), markings(results))] if len(results) > 1 else []
    parts += [to_markdown(briefing(r), r.classification) for r in results]
    return "\n---\n\n".join(parts)
