"""The Markdown briefing: the report an analyst pastes into a document.

The briefing is built once as plain blocks (headings, paragraphs, bullet trees, tables)
of `Span`s, pieces of text with a role ("status-triggered", "grade", "shaky", ...).
This module writes the blocks as Markdown and `html.py` writes the same blocks as HTML,
so the two formats always carry the same content, which is the terminal report's.

Everything an analyst wrote is data, never markup: each span is escaped by the writer,
after its control characters are removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Union

from ..model import Grade
from ..words import value_text
from .plain import STATUS_WORDS
from ..result import ConditionNode, Derivation, Evidence, Explanation, ItemResult, Node, RunResult


RELIABILITY = (
    ("A", "completely reliable"),
    ("B", "usually reliable"),
    ("C", "fairly reliable"),
    ("D", "not usually reliable"),
    ("E", "unreliable"),
    ("F", "reliability cannot be judged"),
)
CREDIBILITY = (
    ("1", "confirmed by other sources"),
    ("2", "probably true"),
    ("3", "possibly true"),
    ("4", "doubtful"),
    ("5", "improbable"),
    ("6", "truth cannot be judged"),
)
SHAKY_NOTE = "⚠ marks evidence resting on a D/E source or on credibility 4-5."
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
    role: str = ""  # "" | strong | status-<status> | grade | shaky | id | muted | holds | fails | unknown


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


Block = Union[Heading, Paragraph, Fields, Bullets, Table]


def status_key(r: ItemResult) -> str:
    return "near_miss" if r.status == "not_triggered" and r.near_miss else r.status


def status_span(key: str) -> Span:
    return Span(STATUS_WORDS[key], "status-" + key.replace("_", "-"))


def grade_span(grade: Grade) -> Span:
    return Span(f"{grade} ⚠", "shaky") if grade.shaky else Span(str(grade), "grade")


def header(result: RunResult) -> list:
    facts = f"{result.facts_in_run} in this run"
    if result.left_out:
        named = ", ".join(result.left_out[:LISTED_LEFT_OUT])
        more = len(result.left_out) - LISTED_LEFT_OUT
        facts += f", {len(result.left_out)} left out (dated after {result.as_of}): {named}"
        if more > 0:
            facts += f" and {more} more"
    worlds = f"{result.worlds}" + (" (competing hypotheses below)" if result.hypotheses else "")
    return [
        Heading(1, (Span(result.title or result.case),)),
        Fields([
            ("case", (Span(result.case, "id"),)),
            ("as of", (Span(result.as_of),)),
            ("rulesets", (Span(", ".join(result.rulesets), "id"),)),
            ("facts", (Span(facts),)),
            ("worlds", (Span(worlds),)),
        ]),
    ]


def board(items: list, worlds: int) -> Table:
    rows = []
    for r in items:
        weakest: Line = ()
        if r.weakest is not None and r.status != "not_triggered":
            weakest = (grade_span(r.weakest.grade),)
        rows.append((
            (status_span(status_key(r)),),
            (Span(r.title),),
            (Span(r.id, "id"),),
            (Span(f"{r.triggered_in}/{worlds}"),),
            weakest,
        ))
    return Table(("status", "title", "id", "worlds", "weakest"), rows, right=(3,))


def fact_item(e: Evidence) -> Item:
    line = [
        Span(e.date or "undated"),
        Span(" · "),
        grade_span(e.grade),
        Span(" · "),
        Span(e.source_name or e.source or "no source"),
        Span(" · "),
        Span(e.id, "id"),
    ]
    if e.text:
        line += [Span(": "), Span(e.text)]
    assumes = [
        Item((Span("assumes", "strong"), Span(" "), Span(f"{a.key} = {a.value}"), Span(" · "), grade_span(a.grade), Span(" · "), Span(a.source_name or "no source")))
        for a in e.assumes
    ]
    return Item(tuple(line), assumes)


def fact_or_id(fid: str, facts: dict) -> Item:
    e = facts.get(fid)
    return fact_item(e) if e else Item((Span(fid, "id"),))


def node_item(n: Node, facts: dict) -> Item:
    if n.kind == "match":
        return fact_or_id(n.fact, facts)
    if n.kind in ("indicator", "scenario"):
        name = n.label.split(" ", 1)[1] if " " in n.label else n.label
        children = derivation_items(n.children, facts)
        if n.more:
            children.append(Item((Span(f"… and {n.more} more derivations", "muted"),)))
        return Item((Span(n.kind, "strong"), Span(" "), Span(name)), children)
    if n.kind == "count":
        children = [fact_or_id(fid, facts) for fid in n.facts]
        if n.more:
            children.append(Item((Span(f"… and {n.more} more", "muted"),)))
        return Item((Span(f"{n.count} facts:", "strong"), Span(" "), Span(n.label)), children)
    return Item((Span("holds:", "strong"), Span(" "), Span(n.label)))


def derivation_line(i: int, d: Derivation) -> Line:
    line = [Span(f"derivation {i + 1}", "strong")]
    if d.bindings:
        line.append(Span(" · " + ", ".join(f"${k} = {v}" for k, v in d.bindings.items())))
    if d.derived:
        line.append(Span(" · derives " + ", ".join(f"{k} = {value_text(v, none='null')}" for k, v in d.derived.items())))
    return tuple(line)


def derivation_items(derivations: list, facts: dict) -> list:
    """The conditions of one derivation as items; of several, one item for each."""
    if len(derivations) == 1:
        return [node_item(n, facts) for n in derivations[0].conditions]
    return [Item(derivation_line(i, d), [node_item(n, facts) for n in d.conditions]) for i, d in enumerate(derivations)]


def item_line(r: ItemResult, worlds: int) -> Line:
    return (
        Span(r.id, "id"),
        Span(f" · {r.kind} of ruleset "),
        Span(r.ruleset, "id"),
        Span(f" · holds in {r.triggered_in} of {worlds} worlds"),
    )


def labelled(label: str, *spans: Span) -> Paragraph:
    return Paragraph((Span(label, "strong"), Span(" "), *spans))


def why(r: ItemResult, worlds: int) -> list:
    blocks: list = [
        Heading(3, (status_span(status_key(r)), Span(": "), Span(r.title))),
        Paragraph(item_line(r, worlds)),
    ]
    if r.description:
        blocks.append(Paragraph((Span(r.description),)))
    if r.holds_if:
        blocks.append(labelled("Holds only if:", Span(" — or — ".join(r.holds_if))))
    if r.because_world and r.status == "contested":
        blocks.append(labelled("World shown:", Span("; ".join(r.because_world))))
    facts = {e.id: e for e in r.evidence}
    shown = derivation_items(r.because, facts)
    if r.derivations > len(r.because):
        shown.append(Item((Span(f"… and {r.derivations - len(r.because)} more derivations", "muted"),)))
    blocks.append(Bullets(shown))
    if r.weakest is not None:
        about = f" ({r.weakest.about})" if r.weakest.about else ""
        blocks.append(labelled("Weakest link:", grade_span(r.weakest.grade), Span(" · "), Span(r.weakest.fact + about, "id")))
    if r.critical_facts:
        blocks.append(labelled("Critical facts:", Span(", ".join(r.critical_facts), "id")))
    if r.implications:
        blocks.append(Paragraph((Span("Implications:", "strong"),)))
        blocks.append(Bullets([Item((Span(imp),)) for imp in r.implications]))
    return blocks


def near_miss(r: ItemResult, worlds: int) -> list:
    items = [Item((Span("missing:", "strong"), Span(" "), Span(line))) for line in r.missing]
    items += [Item((Span("watch:", "strong"), Span(" "), Span(s))) for s in r.signposts]
    return [
        Heading(3, (status_span("near_miss"), Span(": "), Span(r.title))),
        Paragraph(item_line(r, worlds)),
        Bullets(items),
    ]


def hypotheses(result: RunResult) -> list:
    rows = []
    for h in result.hypotheses:
        for i, (value, source, name, grade) in enumerate(h.alternatives):
            rows.append((
                (Span(f"{h.fact}.{h.key}"),) if i == 0 else (),
                (Span(value_text(value, none="null")),),
                (grade_span(grade),),
                (Span(name or source or ""),),
            ))
    blocks: list = [Heading(2, (Span("Competing hypotheses"),)), Table(("fact.key", "alternative", "grade", "source"), rows)]
    if result.matrix:
        rows = []
        for n, (fact, rest) in enumerate(result.matrix_columns):
            every = [iid for iid, cells in result.matrix if cells[n][0] == cells[n][1]]
            some = [f"{iid} ({cells[n][0]}/{cells[n][1]})" for iid, cells in result.matrix if 0 < cells[n][0] < cells[n][1]]
            rows.append((
                (Span(f"{fact}.{rest}"),),
                (Span(", ".join(every) or "—", "id"),),
                (Span(", ".join(some) or "—", "id"),),
            ))
        blocks.append(Heading(3, (Span("Which scenarios each hypothesis leads to"),)))
        blocks.append(Table(("hypothesis", "in every world of it", "in some of its worlds"), rows))
    return blocks


def legend() -> list:
    rows = [((Span(r, "grade"),), (Span(rw),), (Span(c, "grade"),), (Span(cw),)) for (r, rw), (c, cw) in zip(RELIABILITY, CREDIBILITY, strict=True)]
    return [
        Heading(2, (Span("Admiralty grades"),)),
        Table(("source", "reliability", "information", "credibility"), rows),
        Paragraph((Span(SHAKY_NOTE),)),
    ]


def condition_item(n: ConditionNode) -> Item:
    mark = {True: Span("✓", "holds"), False: Span("✗", "fails"), None: Span("?", "unknown")}[n.holds]
    line = [mark, Span(" "), Span(n.label)]
    if n.detail:
        line.append(Span(f" ({n.detail})", "muted"))
    return Item(tuple(line), [condition_item(c) for c in n.children])


def explained(e: Explanation) -> list:
    blocks: list = [
        Heading(2, (Span("Explain "), status_span(e.status), Span(": "), Span(e.title))),
        Paragraph((Span(e.item, "id"), Span(f" · {e.kind}"))),
        labelled("World described:", Span("; ".join(e.hypotheses) if e.hypotheses else "the only world")),
        Heading(3, (Span("Conditions"),)),
        Paragraph((Span("✓ holds, ✗ does not hold, ? depends on names bound elsewhere", "muted"),)),
        Bullets([condition_item(e.tree)]),
    ]
    facts = {x.id: x for x in e.evidence}
    if not e.derivations:
        blocks.append(Paragraph((Span("No derivation in this world.", "muted"),)))
    for i, d in enumerate(e.derivations):
        blocks.append(Heading(3, derivation_line(i, d)))
        blocks.append(Bullets([node_item(n, facts) for n in d.conditions]))
    return blocks


def briefing(result: RunResult) -> list:
    """The blocks of one run's briefing, in reading order: the full report, or with
    `--explain` the explanation of one item."""
    blocks = header(result)
    if result.explanation is not None:
        return blocks + explained(result.explanation) + legend()
    blocks += [Heading(2, (Span("Scenarios"),)), board(result.scenarios, result.worlds)]
    holding = [r for r in result.scenarios if r.status in ("triggered", "contested")]
    if holding:
        blocks.append(Heading(2, (Span("Why"),)))
        for r in holding:
            blocks += why(r, result.worlds)
    misses = [r for r in result.items() if r.near_miss]
    if misses:
        blocks.append(Heading(2, (Span("Near misses: what is missing, what to watch"),)))
        for r in misses:
            blocks += near_miss(r, result.worlds)
    if result.hypotheses:
        blocks += hypotheses(result)
    blocks += [Heading(2, (Span("Indicators"),)), board(result.indicators, result.worlds)]
    return blocks + legend()


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


def to_markdown(result: RunResult) -> str:
    return "\n\n".join(block_md(b) for b in briefing(result) if not (isinstance(b, Bullets) and not b.items)) + "\n"


def render(results: list) -> str:
    """The briefing of each run, separated by a thematic break. Ends with a newline."""
    return "\n---\n\n".join(to_markdown(r) for r in results)
