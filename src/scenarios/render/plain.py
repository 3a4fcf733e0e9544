"""User text made safe for a terminal, without Rich: the CLI prints problems with it,
and the terminal report every text an analyst wrote."""

from __future__ import annotations

import re

# C0 and C1 controls (tab and line feed kept), line and paragraph separators,
# bidirectional overrides and isolates
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def clean(value: object) -> str:
    """User text made safe to print: control characters shown as escapes, so that no
    input can move the cursor or recolour the terminal."""
    text = "" if value is None else str(value)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text)


_BREAK = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def one_line(value: object) -> str:
    """Text on one line: each line break a space, as Markdown and HTML show it."""
    text = "" if value is None else str(value)
    return _BREAK.sub(" ", text)


def clean_line(value: object) -> str:
    """A line to print as it is (a problem, a message): control characters and line
    breaks shown as escapes, so that no input can start a line of its own and pass
    for another problem."""
    return clean(value).replace("\n", "\\n")
