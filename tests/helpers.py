"""Small helpers so that each test reads as its YAML input and the statuses it expects."""

from __future__ import annotations

import datetime
import textwrap
from typing import Optional

from scenarios.api import case_from_text, ruleset_from_text
from scenarios.run import evaluate
from scenarios.result import RunResult


def run(case_yaml: str, *ruleset_yamls: str, as_of: Optional[str] = None) -> RunResult:
    case = case_from_text(textwrap.dedent(case_yaml), "case.yaml")
    rulesets = [ruleset_from_text(textwrap.dedent(r), f"rules{i}.yaml") for i, r in enumerate(ruleset_yamls)]
    day = datetime.date.fromisoformat(as_of) if as_of else None
    return evaluate(case, rulesets, as_of=day)


def statuses(result: RunResult) -> dict:
    return {r.id: r.status for r in result.items()}


def status(result: RunResult, item_id: str) -> str:
    return statuses(result)[item_id]


def one_indicator(when_yaml: str, derive: str = "") -> str:
    """A ruleset of one indicator `x` with the given `when` (YAML, indented 6)."""
    body = textwrap.indent(textwrap.dedent(when_yaml).strip(), " " * 6)
    extra = ("\n    derive: " + derive) if derive else ""
    return f"ruleset: t\nindicators:\n  - id: x\n    when:\n{body}{extra}\n"


def case_of(facts_yaml: str, as_of: str = "2020-05-29", extra: str = "") -> str:
    body = textwrap.indent(textwrap.dedent(facts_yaml).strip(), "  ")
    return f"case: t\nas_of: {as_of}\n{extra}facts:\n{body}\n"
