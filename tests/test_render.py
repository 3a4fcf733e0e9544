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
    assert "1 left out (dated after 2020-05-31)" in text


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
