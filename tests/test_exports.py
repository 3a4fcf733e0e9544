"""The Markdown and HTML briefings: every section, the same content, and no user text
that can break the markup or run anything."""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import pytest
from helpers import case_of, run

from scenarios.api import run_files
from scenarios.render import html, markdown

HOSTILE_CASE = case_of(
    """
    - id: convoy
      type: attack
      date: 2020-05-20
      source: claims
      credibility: 4
      text: "**bold** [x](javascript:alert(1)) <script>alert(1)</script> a\\x1b[31mred\\x07 | pipe &lt;b&gt; ~~gone~~ $x$ #"
      actor: {one_of: ["<b>HTS</b> | x", {value: TIP, source: claims, credibility: 2}]}
    """,
    extra=(
        'title: "# A | B <script>alert(1)</script> **bold**"\n'
        "sources:\n"
        '  claims: {name: "<i>Src</i> | *x* [y](javascript:alert(2))", reliability: D}\n'
    ),
)

HOSTILE_RULES = """
ruleset: t
indicators:
  - id: attacked
    title: "ind | <script>alert(1)</script>"
    when: {match: attack}
scenarios:
  - id: tip-attack
    title: "Title | with pipe **bold** _it_"
    when: {all: [{indicator: attacked}, {match: attack, where: {actor: TIP}}]}
    implications: ["[x](javascript:alert(1))"]
  - id: escalation
    title: "<img src=x onerror=alert(1)>"
    when: {all: [{indicator: attacked}, {match: claim}]}
    signposts: ["<script>alert(1)</script>", "line one\\nline two", "# heading"]
"""


@pytest.fixture(scope="module")
def bundled():
    return run_files()


@pytest.fixture(scope="module")
def hostile():
    return run(HOSTILE_CASE, HOSTILE_RULES)


def tables(md: str) -> list:
    """Each Markdown table as its rows, each row its cells split on unescaped pipes."""
    blocks = re.findall(r"(?m)(?:^\|.*\n)+", md)
    return [[re.split(r"(?<!\\)\|", line)[1:-1] for line in block.splitlines()] for block in blocks]


def markdown_to_html(md: str) -> str:
    markdown_it = pytest.importorskip("markdown_it")  # comes with Rich
    return markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md)


class TagChecker(HTMLParser):
    """Collects the text and checks that every element is closed, in order."""

    VOID: ClassVar[set] = {"meta", "br", "hr", "img", "link", "input"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list = []
        self.errors: list = []
        self.tags: list = []
        self.text: list = []
        self.decls: list = []

    def handle_decl(self, decl):
        self.decls.append(decl)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unexpected </{tag}>")

    def handle_data(self, data):
        self.text.append(data + " ")


def parsed(doc: str) -> TagChecker:
    checker = TagChecker()
    checker.feed(doc)
    checker.close()
    return checker


def words(text: str) -> list:
    return re.findall(r"[\w⚠✓✗?/=.,()-]+", text)


# -- every section ----------------------------------------------------------------


def test_markdown_has_every_section_of_the_report(bundled):
    md = markdown.render([bundled])
    for part in (
        "# Turkey tightens security on the M4 after a convoy attack\n",
        "- **case:** idlib-m4-2020-05",
        "- **as of:** 2020-05-31",
        "- **rulesets:** idlib-m4",
        "- **facts:** 12 in this run, 1 not yet known (dated or reported after 2020-05-31): joint-patrol-15",
        "- **hypotheses:** 4 combinations of competing hypotheses",
        "## Bottom line\n\n- Triggered under every combination of hypotheses: Turkey tightens security",
        "- Holds only if convoy-attack.actor = HTS: Ankara is doubly concerned",
        "## Scenarios\n\n| status | scenario | id | holds | likelihood | weakest |\n| --- | --- | --- | ---: | --- | --- |",
        "| **CONTESTED** | Turkey presses HTS before an asymmetric war starts near its border | press-the-jihadists | in 2 of 4 | unlikely, 40% | **C4 ⚠** |",
        "| **NEAR MISS** | The truce with Damascus fails and Turkey restarts Operation Spring Shield | spring-shield-restarts | in 0 of 4 |  |",
        "## Competing hypotheses (4 combinations)",
        "| convoy-attack.actor | TIP, 60% | **D3 ⚠** | Russian Reconciliation Centre for Syria (Hmeimim) | leads in some combinations to retaliation-spiral (1 of 2, 50% if so) |",
        "|  | HTS, 40% | **C4 ⚠** | International news reporting | leads to ankara-doubly-concerned, corridor-hardened, press-the-jihadists; in some combinations retaliation-spiral (1 of 2, 50% if so) |",
        "## Why",
        "### TRIGGERED: Turkey tightens security on the M4 after jihadist attacks",
        "### CONTESTED: Turkey presses HTS before an asymmetric war starts near its border",
        "press-the-jihadists · scenario of ruleset idlib-m4 · holds in 2 of 4 combinations of hypotheses",
        "**Holds only if:** convoy-attack.actor = HTS",
        (
            "- **indicator** jihadist-attack\n"
            "  - convoy-attack · B1 · 2020-05-27 · Turkish Ministry of National Defence: An IED hits a Turkish convoy"
        ),
        "- **indicator** hts-escalation\n  - convoy-attack · B1 (above)\n    - **assumes** actor = HTS · **C4 ⚠**",
        "- **indicator** taf-buildup (shown above, under m4-security-tightened)",
        "- **scenario** press-the-jihadists (shown above)",
        "- **and** not (scenario spring-shield-restarts)",
        "**Weakest link:** **C4 ⚠** · convoy-attack (actor = HTS)",
        "**Critical facts:** convoy-attack, troop-deployment",
        "**Implications:**\n\n- More TAF checkpoints and observation posts along the M4 corridor",
        "## Near misses: what is missing, what to watch",
        "- **missing:** indicator truce-failing is not triggered",
        "- **watch:** SAA or Russian fire killing Turkish soldiers",
        "## Indicators",
        "| **CONTESTED** | HTS escalates against Turkish forces or the joint patrols (last 30 days) | hts-escalation | in 2 of 4 | unlikely, 40% | **C4 ⚠** |",
        "**Not triggered:** attack-surge, patrol-attacks, patrols-suspended, truce-failing",
        "## Facts\n\n| date | fact | grade | source | text |",
        "| 2020-05-28 | hts-saa-pact | **E4 ⚠** | Unverified social-media reports | Reports claim HTS and Damascus",
        "## What the marks mean",
        "| **A1 … F6** | Admiralty grades: the letter rates the source: A completely reliable, B usually reliable,",
        "| **⚠** | a D or E source, or information graded 4 or 5: treat with care |",
    ):
        assert part in md, part
    assert md.endswith("|\n") and not md.endswith("\n\n")
    # the Why section gives each fact's text once; the facts annex lists every fact again
    why = md.split("## Why", 1)[1].split("## Facts", 1)[0]
    assert why.count("An IED hits a Turkish convoy") == 1
    # Python's words never leak into a briefing
    assert "None" not in md and "True" not in md and "null" not in md and "['" not in md


def test_html_has_every_section_of_the_report(bundled):
    doc = html.render([bundled])
    headings = re.findall(r"<h([123])>(.*?)</h\1>", doc)
    assert [text for level, text in headings if level in "12"] == [
        "Turkey tightens security on the M4 after a convoy attack",
        "Bottom line",
        "Scenarios",
        "Competing hypotheses (4 combinations)",
        "Why",
        "Near misses: what is missing, what to watch",
        "Indicators",
        "Facts",
        "What the marks mean",
    ]
    assert '<h3><span class="status status-contested">CONTESTED</span>: Turkey presses HTS before an asymmetric war starts near its border</h3>' in doc
    assert '<span class="shaky">E4 ⚠</span>' in doc
    assert "<dt>facts</dt><dd>12 in this run, 1 not yet known (dated or reported after 2020-05-31): joint-patrol-15</dd>" in doc
    assert doc.count('<section class="item">') == 7  # six scenarios that hold, one near miss


def without_stamp(doc: str) -> str:
    return re.sub(r'<p class="generated">.*?</p>', "", doc)


def test_markdown_and_html_carry_the_same_text(bundled):
    md_text = "".join(parsed(markdown_to_html(markdown.render([bundled]))).text)
    html_text = "".join(parsed(without_stamp(html.render([bundled])).split("<body>")[1]).text)
    assert words(md_text.replace(":", " ")) == words(html_text.replace(":", " "))


def test_several_runs_open_with_their_board_and_are_separated(bundled, hostile):
    results = [bundled, hostile]
    md = markdown.render(results)
    assert md.startswith("# 2 cases\n\n## Bottom line\n\n- Turkey tightens security on the M4 after jihadist attacks: triggered in idlib-m4-2020-05.")
    assert "| case | as of | triggered | contested | near misses |" in md
    assert md.count("\n\n---\n\n") == 2
    assert len(re.findall(r"^# ", md, re.MULTILINE)) == 3
    doc = html.render(results)
    assert doc.count("<article>") == 3 and doc.count('<hr class="case-break">') == 2
    assert f"<title>{escape(results[0].title)} · {escape(results[1].title)}</title>" in doc


# -- hostile text ---------------------------------------------------------------


def test_markdown_tables_keep_their_columns_when_text_holds_pipes(hostile):
    md = markdown.render([hostile])
    found = tables(md)
    assert len(found) == 5  # scenarios, hypotheses, indicators, facts, legend
    for rows in found:
        assert len({len(row) for row in rows}) == 1, rows
    assert "| Title \\| with pipe \\*\\*bold\\*\\* \\_it\\_ |" in md
    assert "| convoy.actor | \\<b\\>HTS\\</b\\> \\| x |" in md
    rendered = markdown_to_html(md)
    for table in re.findall(r"<table>.*?</table>", rendered, re.DOTALL):
        counts = {len(re.findall(r"<t[hd][ >]", tr)) for tr in re.findall(r"<tr>.*?</tr>", table, re.DOTALL)}
        assert len(counts) == 1, table


def test_hostile_text_stays_text_in_markdown(hostile):
    md = markdown.render([hostile])
    assert "\\*\\*bold\\*\\* \\[x\\](javascript:alert(1)) \\<script\\>alert(1)\\</script\\>" in md
    assert "\\&lt;b\\&gt; \\~\\~gone\\~\\~ \\$x\\$ \\#" in md
    assert "# \\# A | B \\<script\\>alert(1)\\</script\\> \\*\\*bold\\*\\*\n" in md
    assert "- **watch:** \\# heading" in md
    assert "- **watch:** line one line two" in md
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", md)
    rendered = markdown_to_html(md)
    assert "<script" not in rendered and "<img" not in rendered and "<b>" not in rendered and "<i>" not in rendered
    assert "<a " not in rendered and "<del>" not in rendered
    assert "<strong>bold</strong>" not in rendered and "<em>" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    assert "&amp;lt;b&amp;gt;" in rendered  # shown as typed, not decoded
    assert "<h1># A | B" in rendered


def test_hostile_text_stays_text_in_html(hostile):
    doc = html.render([hostile])
    checker = parsed(doc)
    assert checker.errors == [] and checker.stack == []
    allowed = {"html", "head", "meta", "title", "style", "body", "article", "hr", "h1", "h2", "h3", "p", "span"}
    allowed |= {"dl", "dt", "dd", "ul", "li", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "section"}
    assert {tag for tag, _ in checker.tags} <= allowed
    assert all(set(attrs) <= {"lang", "charset", "name", "content", "class", "role"} for _, attrs in checker.tags)
    assert "<script" not in doc and "<img" not in doc and "<b>" not in doc and "href" not in doc
    assert "<title># A | B &lt;script&gt;alert(1)&lt;/script&gt; **bold**</title>" in doc
    assert "&lt;img src=x onerror=alert(1)&gt;" in doc
    assert "[x](javascript:alert(1)) &lt;script&gt;alert(1)&lt;/script&gt; a[31mred | pipe &amp;lt;b&amp;gt;" in doc
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", doc)


def test_markdown_escapes_only_what_would_change_the_text():
    assert markdown.escape("Turkey, HTS (and TIP) - 10,400 troops.") == "Turkey, HTS (and TIP) - 10,400 troops."
    assert markdown.escape("AT&T & co") == "AT&T & co"
    assert markdown.escape("&amp; &#60; &#x3c;") == "\\&amp; \\&#60; \\&#x3c;"
    assert markdown.escape("a\\*b") == "a\\\\\\*b"
    assert markdown.escape("x #") == "x \\#" and markdown.escape("#") == "\\#" and markdown.escape("a#b") == "a#b"
    assert markdown.escape("a\u202eb\tc\r\nd") == "ab c  d"


# -- a file that stands alone -----------------------------------------------------


def test_html_is_one_self_contained_printable_file(bundled):
    doc = html.render([bundled])
    assert doc.startswith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">')
    assert "http://" not in doc and "https://" not in doc
    assert "<link" not in doc and "<script" not in doc and "<img" not in doc and "url(" not in doc and "@import" not in doc
    assert "@media print" in doc and "break-inside: avoid" in doc and "display: table-header-group" in doc
    assert "<title>Turkey tightens security on the M4 after a convoy attack</title>" in doc
    checker = parsed(doc)
    assert checker.errors == [] and checker.stack == []
    assert checker.decls == ["DOCTYPE html"]
    assert [tag for tag, _ in checker.tags].count("title") == 1


def test_exports_are_deterministic(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1590710400")
    first, second = run_files(), run_files()
    assert markdown.render([first]).encode() == markdown.render([second]).encode()
    assert html.render([first]).encode() == html.render([second]).encode()


def test_html_says_when_it_was_made_and_honours_source_date_epoch(bundled, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1590710400")
    assert '<p class="generated">Generated 2020-05-29 00:00 UTC by scenarios ' in html.render([bundled])
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert re.search(r'<p class="generated">Generated \d{4}-\d\d-\d\d \d\d:\d\d UTC by scenarios ', html.render([bundled]))
    assert "Generated" not in markdown.render([bundled])  # only the HTML file says when it was made


# -- --explain --------------------------------------------------------------------


def test_explain_renders_the_condition_tree_instead_of_the_report():
    result = run_files(explain_id="ankara-doubly-concerned")
    md = markdown.render([result])
    assert "## Explain CONTESTED: Ankara is doubly concerned, HTS and Damascus acting together against it" in md
    assert "- The scenario ankara-doubly-concerned is contested: Ankara is doubly concerned, HTS and Damascus acting together against it holds only if convoy-attack.actor = HTS (unlikely, 40%)." in md
    assert "**World described:** convoy-attack.actor = HTS and depot-explosion.cause = russian-strike" in md
    assert (
        "- ✓ all of\n"
        "  - ✓ indicator hts-damascus-aligned with attacker = HTS (derived 1 time)\n"
        "  - ✓ any of\n"
        "    - ✓ scenario press-the-jihadists (derived 1 time)\n"
        "    - ✗ scenario spring-shield-restarts (not derived)\n"
        "      - ✗ all of\n"  # why not, one level down: its own conditions
    ) in md
    assert "### derivation 1" in md and "- **scenario** press-the-jihadists\n  - **indicator** hts-escalation\n    - convoy-attack · B1 (above)" in md
    assert "## Scenarios" not in md and "## What the marks mean" in md
    assert "| **✓** | this part holds |\n| **✗** | this part does not hold |" in md
    doc = html.render([result])
    assert '<li><span class="fails">✗</span> scenario spring-shield-restarts<span class="muted"> (not derived)</span>' in doc
    assert "<h2>Scenarios</h2>" not in doc and "<h3>Conditions</h3>" in doc
    assert parsed(doc).errors == []


def test_explain_of_an_item_with_no_derivation_says_so():
    md = markdown.render([run_files(explain_id="asymmetric-war")])
    assert "## Explain not triggered: An asymmetric war starts near the Turkish border" in md
    assert "- ✗ " in md and "No derivation in this world." in md


def test_a_count_and_many_derivations_are_summarised():
    facts = "\n".join(f"- {{id: a{i}, type: attack, date: 2020-05-{10 + i}, actor: HTS}}" for i in range(8))
    rules = """
    ruleset: t
    indicators:
      - id: surge
        when: {count: {match: attack}, at_least: 3}
      - id: each
        when: {match: attack, as: atk}
        derive: {who: $atk.actor}
    scenarios:
      - id: both
        when: {all: [{indicator: surge}, {indicator: each}]}
    """
    md = markdown.render([run(case_of(facts), rules)])
    assert "  - **8 found:** at least 3 facts of type attack\n    - a0 · ?? · 2020-05-10 · no source\n" in md
    assert "    - … and 3 more\n" in md
    assert "  - **derivation 2** · \\$atk = a1 · derives who = HTS\n    - a1 · ?? (above)\n" in md
    assert "  - … and 3 more derivations\n" in md
    assert "| **??** | source not graded; information not graded |" in md


def test_the_excerpt_in_the_docs_is_what_the_bundled_case_gives(bundled):
    docs = (Path(__file__).parents[1] / "docs" / "exports.md").read_text(encoding="utf-8")
    excerpt = docs.split("```markdown\n", 1)[1].split("```", 1)[0]
    md = markdown.render([bundled]).splitlines()
    assert [line for line in excerpt.splitlines() if line not in md] == []
