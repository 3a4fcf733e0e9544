"""The terminal report: what an analyst reads, at a fixed width, with hostile text."""

import io

from rich.console import Console

from helpers import case_of, run
from scenarios.api import run_files
from scenarios.render import terminal


def render(result, width=80, color=False) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, color_system="truecolor" if color else None, force_terminal=color, highlight=False)
    terminal.render([result], console)
    return buffer.getvalue()


def test_bundled_report_at_80_columns_has_every_section():
    text = render(run_files())
    assert max(len(line) for line in text.splitlines()) <= 80
    for heading in ("Scenarios", "Why", "Near misses", "Competing hypotheses", "Indicators", "Admiralty"):
        assert heading in text
    # the chain goes down to the sourced fact, with its grade and source name
    assert "convoy-attack" in text and "B1" in text and "Turkish Ministry of National Defence" in text
    assert "1 not yet known (dated or reported after 2020-05-31)" in text


def test_wide_terminal_keeps_lines_whole():
    text = render(run_files(), width=160)
    assert "Turkey presses HTS before an asymmetric war starts near its border" in text


def test_user_text_is_data_not_markup():
    case = case_of(
        """
        - id: f
          type: attack
          actor: "[bold red]HTS[/]"
          text: "[link=http://x]click[/link] \\x1b[31mred\\x1b[0m [/]"
        """
    )
    rules = """
    ruleset: t
    scenarios:
      - id: s
        title: "[blink]Title[/blink]"
        when: {match: attack}
    """
    text = render(run(case, rules), width=120, color=True)
    assert "[blink]Title[/blink]" in text
    assert "[link=http://x]click[/link]" in text
    assert "\\x1b[31mred" in text  # the escape is shown, not obeyed
    assert "\x1b[31mred" not in text


def test_plain_when_not_a_terminal():
    text = render(run_files())
    assert "\x1b[" not in text


def test_ungraded_evidence_and_many_critical_facts_are_said_plainly():
    facts = "\n".join(f"- {{id: a{i:02}, type: attack, source: anon, credibility: 6}}" for i in range(30))
    case = case_of(facts, extra="sources: {anon: {name: Unknown, reliability: F}}\n")
    rules = "ruleset: t\nscenarios:\n  - {id: s, when: {count: {match: attack}, at_least: 30}}\n"
    text = render(run(case, rules), width=120)
    assert "ungraded" in text  # F6: cannot be judged, not ranked as the weakest
    assert "critical facts: a00, a01" in text and "and 20 more" in text


# -- the report an analyst pastes first -----------------------------------------------

import json as json_module  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from scenarios import summary  # noqa: E402
from scenarios.render import html, json, markdown  # noqa: E402

DATA = Path(__file__).parent / "data"
LEADING = re.compile(r"^[\s│├└─•]*")


def eight_worlds():
    """A case of three contested keys (one of them whether a fact happened), long ids,
    a scenario feeding another, and a handling marking."""
    return run_files(str(DATA / "black-sea-2023-07.yaml"), [str(DATA / "black-sea.yaml")])


@pytest.fixture(scope="module")
def cases():
    return {"bundled": run_files(), "eight worlds": eight_worlds()}


def ids_of(result) -> set:
    out = {r.id for r in result.items()} | {e.id for e in result.facts}
    out |= {f"{h.fact}.{h.key}" for h in result.hypotheses}
    return out


def broken(text: str, ids: set) -> list:
    """Ids cut at the end of a line and carried on to the next."""
    lines = text.splitlines()
    out = []
    for a, b in zip(lines, lines[1:]):
        last = re.search(r"([\w.-]+)\W*$", a)
        first = re.match(r"([\w.-]+)", LEADING.sub("", b))
        if last and first:
            joined = last.group(1) + first.group(1)
            out += [i for i in ids if i in joined and i not in last.group(1) and i not in first.group(1)]
    return out


def test_the_two_cases_have_the_worlds_the_tests_below_rely_on(cases):
    assert cases["bundled"].worlds == 4 and cases["eight worlds"].worlds == 8


@pytest.mark.parametrize("name", ["bundled", "eight worlds"])
@pytest.mark.parametrize("width", [60, 80, 120])
def test_report_cuts_no_id_and_ends_no_line_in_a_space(cases, name, width):
    result = cases[name]
    text = render(result, width=width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert [line for line in lines if line != line.rstrip()] == []
    assert broken(text, ids_of(result)) == []
    for r in result.scenarios:
        assert r.id in text  # whole, on one line
    assert "…" not in text.replace("… and", "").replace("A1 … F6", "")  # nothing is cut short with an ellipsis
    assert not any(LEADING.sub("", line).startswith((",", ";", ".")) for line in lines)
    assert "This report needs" not in text


@pytest.mark.parametrize("name", ["bundled", "eight worlds"])
def test_report_at_80_columns_opens_with_the_bottom_line(cases, name):
    result = cases[name]
    lines = render(result).splitlines()
    start = 1 if result.classification else 0
    assert lines[start] == result.title or lines[start] in result.title
    bottom = lines.index("Bottom line")
    assert bottom <= start + 5  # after the title and its one line of what was run
    first = summary.bottom_line(result)[0]
    assert lines[bottom + 1].startswith("• " + first[:30])


@pytest.mark.parametrize("name", ["bundled", "eight worlds"])
def test_report_prints_each_fact_text_once(cases, name):
    result = cases[name]
    text = " ".join(LEADING.sub("", line) for line in render(result).splitlines())
    for e in result.facts:
        if e.text and e.id in text:
            assert text.count(e.text) <= 1, e.id


def test_bundled_report_refers_to_a_shared_chain_instead_of_drawing_it_again(cases):
    text = render(cases["bundled"])
    assert "scenario press-the-jihadists  (shown above)" in text
    assert "indicator taf-buildup  (shown above, under m4-security-tightened)" in text
    assert text.count("convoy-attack  B1  2020-05-27  Turkish Ministry of National Defence") == 1
    assert "convoy-attack  B1  (above)" in text
    text = render(cases["eight worlds"])
    assert "scenario retaliation-spiral-against-port-infrastructure  (shown above)" in text


MARKS = re.compile(r"(?<![\w?])([A-F?][1-6?])(?![\w?])")


@pytest.mark.parametrize("name", ["bundled", "eight worlds"])
def test_report_explains_every_mark_it_uses(cases, name):
    result = cases[name]
    text = render(result, width=120)
    body, legend = text.split("\nWhat the marks mean")
    grades = set(MARKS.findall(body))
    assert grades and "A1 … F6" in legend  # the Admiralty scale, in words
    for g in grades:
        if "?" in g:
            assert f"\n{g} " in legend, g  # `??`, `B?`, `?1` each said in words
    if "⚠" in body:
        assert "\n⚠ " in legend
    for word in ("TRIGGERED", "CONTESTED", "NEAR MISS", "not triggered", "ungraded"):
        if word in body:
            assert f"\n{word} " in legend, word
    if re.search(r"in \d of \d", body):
        assert f"in n of {result.worlds}" in legend


def test_present_hypotheses_read_as_what_happened(cases):
    text = render(cases["eight worlds"], width=120)
    assert "vessels-treated-as-military-warning\n  happened  ??" in text
    assert "did not happen  ??" in text
    assert "assumes it happened" in text and "present" not in text and "True" not in text
    assert "Holds only if vessels-treated-as-military-warning happened: Russia blockades shipping" in text


def test_classification_is_the_first_and_last_line_of_every_format(cases):
    result = cases["eight worlds"]
    marking = "UNCLASSIFIED//FOR TRAINING"
    lines = render(result).splitlines()
    assert lines[0] == lines[-1] == " " * 27 + marking  # centred in 80 columns
    md = markdown.render([result]).splitlines()
    assert md[0] == md[-1] == f"**{marking}**"
    doc = html.render([result])
    assert doc.count(f'<td class="marking">{marking}</td>') == 2  # the head and foot of every printed page
    assert json_module.loads(json.render([result]))["classification"] == marking
    assert json_module.loads(json.render([cases["bundled"]]))["classification"] is None


def test_json_carries_the_bottom_line_as_summary(cases):
    data = json_module.loads(json.render([cases["bundled"]]))
    assert data["summary"] == summary.bottom_line(cases["bundled"])
    assert data["summary"][0].startswith("Triggered under every combination of hypotheses: Turkey tightens security")
    assert (data["scenarios"][0]["probability"], data["scenarios"][0]["likelihood"]) == (1.0, None)  # triggered: no word
    eight = json_module.loads(json.render([cases["eight worlds"]]))
    assert all(s["probability"] is None and s["likelihood"] is None for s in eight["scenarios"])  # no `p`, no likelihood
    assert render(cases["bundled"]).count(data["summary"][1][:40]) == 1


def test_likelihood_is_shown_when_present_and_never_in_a_sentence_with_a_grade(cases):
    result = cases["bundled"]  # its case gives p: TIP 0.6 / HTS 0.4, the depot 0.5 / 0.5
    lines = summary.bottom_line(result)
    assert (
        "Holds only if convoy-attack.actor = HTS: Ankara is doubly concerned, HTS and Damascus acting together "
        "against it (unlikely, 40%); Turkey hardens the M4 corridor as warning signs converge (unlikely, 40%); "
        "Turkey presses HTS before an asymmetric war starts near its border (unlikely, 40%)."
    ) in lines
    for sentence in lines:
        assert not ("likely" in sentence and MARKS.search(sentence))
    text = render(result, width=120)
    assert "unlikely, 40%" in text.split("\nWhy\n")[0]  # on the board
    assert "holds only if convoy-attack.actor = HTS  (in 2 of 4; unlikely, 40%)" in text  # in the why of the item
    assert "HTS, 40%" in text and "retaliation-spiral (1 of 2, 50% if so)" in text  # the hypotheses and the matrix
    md = markdown.render([result])
    assert "| likelihood |" in md and "**Likelihood:** unlikely, 40%" in md
    data = json_module.loads(json.render([result]))
    press = next(s for s in data["scenarios"] if s["id"] == "press-the-jihadists")
    assert press["probability"] == 0.4 and press["likelihood"] == "unlikely"
    assert "(unlikely, 40%)" in data["summary"][1]
    assert render(cases["eight worlds"], width=120).count("likely") == 0  # none without `p`


def test_below_the_smallest_width_that_works_the_report_says_so():
    case = case_of("- {id: a-fact-whose-id-is-far-too-long-for-a-narrow-terminal-to-show-whole, type: attack}")
    rules = "ruleset: t\nscenarios:\n  - {id: s, when: {indicator: i}}\nindicators:\n  - {id: i, when: {match: attack}}\n"
    text = render(run(case, rules), width=40)
    assert text.startswith("This report needs 75 columns to show")
    assert broken(text, {"a-fact-whose-id-is-far-too-long-for-a-narrow-terminal-to-show-whole"}) == []


def test_bundled_report_is_markedly_shorter_than_before():
    # 228 lines at 80 columns before each fact was said once and the chains shared
    # (on today's bundled case: 203 before it gained corridor-hardened and p)
    assert len(render(run_files()).splitlines()) < 205


def test_the_sample_in_the_readme_is_what_the_bundled_case_prints():
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    sample = readme.split("## A sample report", 1)[1].split("```\n", 1)[1].split("```", 1)[0]
    printed = render(run_files()).splitlines()
    assert [line for line in sample.splitlines() if line != "..." and line not in printed] == []
    assert sample.splitlines()[0] == printed[0] and "Bottom line" in sample
