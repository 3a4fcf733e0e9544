"""'Did you mean' hints for misspelt keys, operators, ids and names."""

from __future__ import annotations

import functools

# the keys SPEC 2 reserves on a fact, `reported` among them
RESERVED_KEYS = ("id", "type", "date", "reported", "source", "credibility", "text", "present")


def did_you_mean(word: str, choices) -> str:
    """A hint such as "did you mean 'within'?", or "" when nothing is close."""
    # a ratio of 0.6 needs lengths within a factor of 7/3: a 5 MB word (a value given
    # where an id belongs) took difflib 20 s to compare with words it can never be near
    near = [str(c) for c in choices if 3 * len(word) <= 7 * len(str(c)) and 3 * len(str(c)) <= 7 * len(word)]
    if not near:
        return ""
    import difflib  # only when a hint is needed: most runs need none

    close = difflib.get_close_matches(word, near, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def edits(a: str, b: str, most: int) -> int:
    """The number of single-character edits (insert, delete, replace, swap two
    neighbours) from `a` to `b`, or most + 1 when it is more than `most`."""
    if abs(len(a) - len(b)) > most:
        return most + 1
    previous2: list = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > most:
            return most + 1
        previous2, previous = previous, current
    return min(previous[-1], most + 1)


def close_key(key: str, known) -> str:
    """The key of `known` that `key` is likely a slip of: the same first letter (case
    aside), and within one edit of a key of up to five letters, two of a longer one.
    "" when none is (or `key` is one of them)."""
    if not key or key in known:
        return ""
    best = ""
    for k in known:
        if key[:1].lower() != k[:1].lower():
            continue
        most = 1 if len(k) <= 5 else 2
        if edits(key.lower(), k, most) <= most and (not best or edits(key.lower(), k, most) < edits(key.lower(), best, most)):
            best = k
    return best


@functools.lru_cache(maxsize=4096)
def reserved_slip(key: str) -> str:
    """The reserved fact key `key` is likely a slip of ("dat" -> "date"), or ""."""
    if key in RESERVED_KEYS or len(key) > 40:
        return ""
    if key.lower() == "id":
        return "id"
    return close_key(key, tuple(k for k in RESERVED_KEYS if k != "id"))
