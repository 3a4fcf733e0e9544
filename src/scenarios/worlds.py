"""Competing hypotheses -> worlds, in a fixed order, and each fact as a world sees it."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Optional
from typing import Iterator

from .errors import InputError, Problem, excerpt
from .values import MISSING, whole_number_text

DEFAULT_MAX_WORLDS = 4096


@dataclass(frozen=True)
class Choice:
    """One contested key: which fact, which key, how many alternatives."""

    fact: str
    key: str
    alternatives: tuple


def choices(facts) -> list[Choice]:
    """The contested keys of the facts in a run, by fact id then key."""
    out = []
    for fact in sorted((f for f in facts if f.contested), key=lambda f: f.id):
        for key in sorted(fact.contested):
            alts = fact.contested[key]
            if len(alts) > 1:
                out.append(Choice(fact.id, key, alts))
    return out


def count_worlds(cs: list[Choice]) -> int:
    """The number of worlds the contested keys make."""
    n = 1
    for c in cs:
        n *= len(c.alternatives)
    return n


def check_world_count(cs: list[Choice], limit: int, file: str) -> None:
    """InputError naming the keys that multiply the worlds, when there are more than `limit`."""
    n = count_worlds(cs)
    if n > limit:
        worst = sorted(cs, key=lambda c: (-len(c.alternatives), c.fact, c.key))[:5]
        names = ", ".join(f"{c.fact}.{c.key} ({len(c.alternatives)})" for c in worst)
        raise InputError([Problem(file, f"the case has {count_text(n)} worlds, more than --max-worlds {limit}; contested keys that multiply them: {excerpt(names, 400)}", code="limit")])


def count_text(n: int) -> str:
    """A count in words a message can hold: 1024, or about 10^3000 (never its
    3,000 digits)."""
    if n < 10**15:
        return str(n)
    return f"about 10^{len(whole_number_text(n)) - 1}"


def enumerate_worlds(cs: list[Choice]) -> Iterator[tuple]:
    """Each world as a tuple of alternative indexes, the first key varying slowest."""
    return itertools.product(*(range(len(c.alternatives)) for c in cs))


def views(facts, cs: list[Choice], world: tuple, base: Optional[dict] = None) -> dict:
    """fact id -> the values `where` sees on it in this world; absent facts left out.

    `base` (from `visible`) saves rebuilding the values of uncontested facts in each
    world; they are shared, and nobody writes to them.
    """
    if base is not None and len(base) == len(facts):
        return base  # no fact is contested: every world sees the same values
    chosen: dict = {}
    for c, i in zip(cs, world):
        chosen[(c.fact, c.key)] = c.alternatives[i].value
    out = {}
    for fact in facts:
        if not fact.contested:
            out[fact.id] = base[fact.id] if base is not None else fact.values
            continue
        values = fact.visible()
        absent = False
        for key, alts in fact.contested.items():
            value = chosen.get((fact.id, key), alts[0].value)
            if key == "present":
                absent = value is False
            elif value is None:
                values.pop(key, None)
            else:
                values[key] = value
        if not absent:
            out[fact.id] = values
    return out


def visible(facts) -> dict:
    """fact id -> the values `where` sees on an uncontested fact, in every world."""
    return {f.id: f.values for f in facts if not f.contested}


def get(values: dict, key: str):
    """A fact's value of `key` as `where` sees it, MISSING when absent."""
    return values.get(key, MISSING)
