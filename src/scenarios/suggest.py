"""'Did you mean' hints for misspelt keys, operators, ids and names."""

from __future__ import annotations

import difflib


def did_you_mean(word: str, choices) -> str:
    """A hint such as "did you mean 'within'?", or "" when nothing is close."""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""
