"""User mistakes as values: each problem knows its file, line, column, what kind of
mistake it is and, where one is close, what was probably meant."""

from __future__ import annotations

from dataclasses import dataclass, field

# The kinds of problem (`Problem.code`), as a linter names its rules:
CODES = {
    "file": "the file cannot be read or written (missing, a folder, a device, too large)",
    "encoding": "the text is not UTF-8 (UTF-16, binary, a lone surrogate)",
    "syntax": "the YAML or JSON cannot be parsed, or holds no or several documents",
    "tag": "an explicit YAML tag, which plain data never needs",
    "alias": "aliases that expand past a limit (an alias bomb)",
    "duplicate-key": "a key given twice in one mapping",
    "unknown-key": "a key the format does not have",
    "missing-key": "a key the format needs",
    "type": "a value of the wrong kind (a list where a mapping belongs)",
    "value": "a value of the right kind that is not valid (a day that does not exist)",
    "operator": "a `where` operator misused",
    "duplicate": "an id or name given twice",
    "reference": "a name that points at nothing (a source, an item, a $name, a ruleset)",
    "cycle": "a cycle through not, count or an of with at_most, which cannot be evaluated",
    "limit": "beyond what a run can hold (worlds, alternatives, engine rules)",
    "unused": "something written that can never matter (a warning)",
    "usage": "a command-line option that does not fit the input",
}


MAX_MESSAGE = 1000  # a message longer than this says too much: the rest is cut


def excerpt(text: str, limit: int = 60) -> str:
    """User text quoted in a message: at most `limit` characters, cut with an ellipsis
    (a 50 MB value or a 3,000-digit number is never echoed whole)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as the input allows."""

    file: str
    message: str
    line: int = 0
    column: int = 0
    severity: str = "error"
    code: str = "value"  # one of CODES
    suggestion: str = ""  # what was probably meant: "did you mean 'within'?"
    path: tuple = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if len(self.message) > MAX_MESSAGE:
            object.__setattr__(self, "message", excerpt(self.message, MAX_MESSAGE))
        if len(self.file) > MAX_MESSAGE:
            object.__setattr__(self, "file", excerpt(self.file, MAX_MESSAGE))

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where = f"{where}:{self.line}:{self.column or 1}"
        hint = f" ({self.suggestion})" if self.suggestion else ""
        return f"{where}: {self.severity}: {self.message}{hint}"


class ScenariosError(Exception):
    """Every error the product reports to an analyst (never a bug of its own)."""


class InputError(ScenariosError):
    """Bad input: carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class EngineError(ScenariosError):
    """The rules engine failed; the message says what an analyst can do about it."""
