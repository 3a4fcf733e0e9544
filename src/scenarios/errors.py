"""User mistakes as values: each problem knows its file, line, column and message."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as the input allows."""

    file: str
    message: str
    line: int = 0
    column: int = 0
    severity: str = "error"
    path: tuple = field(default=(), compare=False)

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where = f"{where}:{self.line}:{self.column or 1}"
        return f"{where}: {self.severity}: {self.message}"


class InputError(Exception):
    """Bad input: carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line, p.column, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class EngineError(Exception):
    """The rules engine failed; the message says what an analyst can do about it."""
