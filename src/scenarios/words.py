"""Conditions in plain words, for reports and for what is missing."""

from __future__ import annotations

import datetime
from typing import Any

from .model import All, AnyOf, Count, ItemRef, Match, Not, Of, Ref, Regex, Test
from .values import canonical

OP_WORDS = {
    "eq": "=",
    "ne": "≠",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
    "in": "in",
    "not_in": "not in",
    "contains": "contains",
    "matches": "matches",
}


def value_text(value: Any, none: str = "(none)") -> str:
    """A value in the words of a report: `true`, `2020-05-27`, `[TAF, RU]`, `$atk.actor`,
    `/^H/`. It takes a value of the model, JSON-ready data, or plain data as a file
    holds it (`{one_of: [...]}` reads "one of A | B"); `none` stands for a value that
    is not there."""
    if value is None:
        return none
    if isinstance(value, Ref):
        return str(value)
    if isinstance(value, Regex):
        return f"/{value.text}/"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(value_text(v, none) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict) and isinstance(value.get("one_of"), list):
        return "one of " + " | ".join(value_text(a["value"] if isinstance(a, dict) and "value" in a else a, none) for a in value["one_of"])
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {value_text(v, none)}" for k, v in value.items()) + "}"
    return str(canonical(value))


def test(t: Test) -> str:
    """One `where` test in words: `actor = HTS`."""
    if t.op == "exists":
        return f"{t.key} {'is given' if t.operand else 'is not given'}"
    return f"{t.key} {OP_WORDS[t.op]} {value_text(t.operand)}"


def tests(ts) -> str:
    """Tests in words, sorted so that the order of YAML keys changes nothing."""
    return ", ".join(sorted(test(t) for t in ts))


def window(m: Match, as_of: datetime.date) -> str:
    """A match's window in words, or nothing when it has none."""
    w = m.window
    if w is None:
        return ""
    parts = []
    if w.within:
        amount, unit = w.within
        unit_word = {"d": "day", "w": "week", "m": "month", "y": "year"}[unit]
        parts.append(f"within {amount} {unit_word}{'s' if amount != 1 else ''} before {as_of.isoformat()}")
    if w.start:
        parts.append(f"from {w.start.isoformat()}")
    if w.end:
        parts.append(f"until {w.end.isoformat()}")
    return " " + ", ".join(parts)


def bounds(at_least: int | None, at_most: int | None) -> str:
    """`at least 3`, `at most 1`, `at least 1 and at most 4`."""
    parts = []
    if at_least is not None:
        parts.append(f"at least {at_least}")
    if at_most is not None:
        parts.append(f"at most {at_most}")
    return " and ".join(parts)


def condition(c, as_of: datetime.date) -> str:
    """A condition as an analyst would say it: `attack where actor = HTS within 30 days...`."""
    if isinstance(c, Match):
        where = f" where {tests(c.tests)}" if c.tests else ""
        bind = f" (as ${c.binds})" if c.binds else ""
        return f"{' or '.join(c.types)}{where}{window(c, as_of)}{bind}"
    if isinstance(c, ItemRef):
        where = f" with {tests(c.tests)}" if c.tests else ""
        return f"{c.kind} {c.id}{where}"
    if isinstance(c, Not):
        return f"not ({condition(c.condition, as_of)})"
    if isinstance(c, Count):
        return f"{bounds(c.at_least, c.at_most)} facts of type {condition(c.match, as_of)}"
    if isinstance(c, All):
        return "all of (" + "; ".join(condition(x, as_of) for x in c.conditions) + ")"
    if isinstance(c, AnyOf):
        return "any of (" + "; ".join(condition(x, as_of) for x in c.conditions) + ")"
    if isinstance(c, Of):
        return f"{bounds(c.at_least, c.at_most)} of (" + "; ".join(condition(x, as_of) for x in c.conditions) + ")"
    return str(c)


def missing(c, as_of: datetime.date, count: int | None = None) -> str:
    """What is missing when condition `c` does not hold."""
    if isinstance(c, Match):
        return f"no {condition(c, as_of)}"
    if isinstance(c, ItemRef):
        if c.tests:
            return f"{c.kind} {c.id} is not derived with {tests(c.tests)}"
        return f"{c.kind} {c.id} is not triggered"
    if isinstance(c, Not):
        inner = c.condition
        if isinstance(inner, ItemRef) and not inner.tests:
            return f"{inner.kind} {inner.id} is triggered, and must not be"
        return f"this holds, and must not: {condition(inner, as_of)}"
    if isinstance(c, Count):
        have = f"{count} found" if count is not None else "the count is off"
        return f"{have}, {bounds(c.at_least, c.at_most)} needed: {condition(c.match, as_of)}"
    if isinstance(c, AnyOf):
        return "none of these holds: " + "; ".join(condition(x, as_of) for x in c.conditions)
    if isinstance(c, Of) and count is not None:
        return f"{count} of these hold{'s' if count == 1 else ''}, {bounds(c.at_least, c.at_most)} needed: " + "; ".join(condition(x, as_of) for x in c.conditions)
    return f"does not hold: {condition(c, as_of)}"
