"""What an analyst writes: cases of sourced facts, and rulesets of indicators and scenarios."""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Optional, Union

from .values import token

RELIABILITY = "ABCDEF"  # Admiralty source reliability, A (completely reliable) to F (cannot be judged)
CREDIBILITY = range(1, 7)  # Admiralty information credibility, 1 (confirmed) to 6 (cannot be judged)
# ICD 203's words of likelihood, least likely first (SPEC 3.1 gives their thresholds)
LIKELIHOOD_WORDS = ("almost no chance", "very unlikely", "unlikely", "roughly even chance", "likely", "very likely", "almost certain")
ID_PATTERN = "[a-z0-9][a-z0-9-]*"  # ids of cases, rulesets, indicators and scenarios
ID_RE = re.compile(ID_PATTERN + r"\Z")
RESERVED_FACT_KEYS = ("id", "type", "date", "reported", "source", "credibility", "text")
VISIBLE_RESERVED = ("id", "date", "reported", "source", "credibility", "text")


@dataclass(frozen=True)
class Source:
    """Who reported a fact, with the Admiralty reliability of that source (A-F)."""

    key: str
    name: str
    reliability: Optional[str]


@dataclass(frozen=True)
class Grade:
    """An Admiralty grade: source reliability A-F and information credibility 1-6,
    each unknown when not given (shown `?`)."""

    reliability: Optional[str] = None
    credibility: Optional[int] = None

    def __str__(self) -> str:
        return f"{self.reliability or '?'}{self.credibility if self.credibility is not None else '?'}"

    @property
    def shaky(self) -> bool:
        """A D/E source or credibility 4-5: evidence an analyst should treat with care."""
        return (self.reliability or "") in ("D", "E") or (self.credibility or 0) in (4, 5)

    @property
    def rank(self) -> Optional[tuple]:
        """How weak the grade is, worse being larger; None when it cannot be judged at
        all (F and 6, or nothing given): such a grade is never ranked as the worst."""
        r = RELIABILITY.index(self.reliability) if self.reliability and self.reliability != "F" else -1
        c = self.credibility if self.credibility and self.credibility != 6 else 0
        return None if (r, c) == (-1, 0) else (r, c)

    @property
    def meaning(self) -> str:
        """The grade in words: `source usually reliable; information probably true`."""
        source = RELIABILITY_WORDS[self.reliability] if self.reliability else NOT_GIVEN
        information = CREDIBILITY_WORDS[self.credibility] if self.credibility is not None else NOT_GIVEN
        return f"source {source}; information {information}"


# The Admiralty scale in words (STANAG 2511): every report says a grade with these.
RELIABILITY_WORDS = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
CREDIBILITY_WORDS = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}
NOT_GIVEN = "not graded"  # what `?` stands for in a grade
SHAKY_WORDS = "a D or E source, or information graded 4 or 5: treat with care"
UNGRADED_WORDS = "no link of its evidence can be graded (sources F or not rated, credibility 6 or not given)"


@dataclass(frozen=True)
class Alternative:
    """One competing hypothesis for a contested attribute."""

    value: Any  # a Value, or None for "missing in this world"
    source: Optional[str] = None
    credibility: Optional[int] = None
    p: Optional[Fraction] = None  # the analyst's probability, exactly as written (0.1 is 1/10)


@dataclass(slots=True)  # not frozen: a frozen dataclass is slow to build 100,000 times
class Fact:
    """A dated, sourced statement of the case. `contested` keys vary by world."""

    id: str
    type: str
    date: Optional[datetime.date]
    source: Optional[str]
    credibility: Optional[int]
    text: Optional[str]
    values: dict  # what `where` sees in every world: uncontested attributes, id, date...
    contested: dict  # key -> tuple[Alternative, ...]; "present" may be among them
    path: tuple = ()
    reported: Optional[datetime.date] = None  # when the analyst could first know of it

    @property
    def known(self) -> Optional[datetime.date]:
        """The day a run can first see the fact: its `reported` day, else its `date`;
        None for a fact with neither, which every run sees."""
        return self.reported if self.reported is not None else self.date

    @property
    def attributes(self) -> dict:
        """The uncontested attributes alone: a new dict."""
        return {k: v for k, v in self.values.items() if k not in _VISIBLE_RESERVED}

    def visible(self) -> dict:
        """The keys `where` sees on this fact (contested ones excluded): a new dict."""
        return dict(self.values)


def fact_values(attributes: dict, fid: str, date, source, credibility, text, reported=None) -> dict:
    """`attributes` (taken, not copied) with the reserved keys `where` sees: a Fact's
    `values`. One dict a fact: a million-fact case holds no second copy."""
    attributes["id"] = fid
    if date is not None:
        attributes["date"] = date
    if reported is not None:
        attributes["reported"] = reported
    if source is not None:
        attributes["source"] = source
    if credibility is not None:
        attributes["credibility"] = credibility
    if text is not None:
        attributes["text"] = text
    return attributes


_VISIBLE_RESERVED = frozenset(VISIBLE_RESERVED)


@dataclass(frozen=True)
class Case:
    """A case file: the facts known about a situation as of a day, and their sources."""

    id: str
    title: str
    as_of: datetime.date
    rulesets: tuple
    sources: dict  # key -> Source
    facts: tuple  # Fact, in file order
    file: str
    classification: Optional[str] = None  # the handling marking every report prints at its top and bottom
    likelihood: bool = False  # whether the analyst gave p: then every alternative has one
    index: Optional[dict] = field(default=None, repr=False, compare=False)  # by_id, when made already

    @functools.cached_property
    def by_type(self) -> dict:
        """fact type -> its facts, in file order, made once."""
        out: dict = {}
        for f in self.facts:
            out.setdefault(f.type, []).append(f)
        return out

    @functools.cached_property
    def by_token(self) -> dict:
        """(fact types, key) -> its index of facts by token, filled as `run.aging` asks."""
        return {}

    @functools.cached_property
    def by_id(self) -> dict:
        """fact id -> Fact, made once (a case may hold a million facts)."""
        return self.index if self.index is not None else {f.id: f for f in self.facts}


# -- conditions ------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """`$name.KEY`: the value of KEY on the fact bound to `name`."""

    name: str
    key: str

    def __str__(self) -> str:
        return f"${self.name}.{self.key}"


MATCHED_TEXT = 2**20  # characters of a value that `matches` reads: the first mebibyte


@dataclass(frozen=True)
class Regex:
    """A `matches` pattern, compiled once with a linear-time engine. It reads at most
    MATCHED_TEXT characters of a value (linear, but up to about 1.5 us a character
    for the worst patterns of 256 characters: a 15 MB text took minutes); a run warns
    of longer values."""

    text: str
    compiled: Any = field(compare=False, hash=False, repr=False)

    def search(self, value: str):
        return self.compiled.search(value if len(value) <= MATCHED_TEXT else value[:MATCHED_TEXT])


@dataclass(frozen=True, eq=False)
class Test:
    """One operator on one key of a `where`: `key op operand`.

    Two tests are equal only when their operands are equal by SPEC 3.1 and of the
    same kind (Python alone would call `1` and `true` equal).
    """

    key: str
    op: str
    operand: Any  # scalar, tuple (in/not_in), Regex (matches), bool (exists), or Ref

    def identity(self) -> tuple:
        return (self.key, self.op, _strict(self.operand))

    def __eq__(self, other) -> bool:
        return isinstance(other, Test) and self.identity() == other.identity()

    def __hash__(self) -> int:
        return hash(self.identity())


def _strict(operand: Any) -> Any:
    if isinstance(operand, tuple):
        return tuple(_strict(v) for v in operand)
    if isinstance(operand, (Ref, Regex)):
        return operand
    return token(operand)


@dataclass(frozen=True)
class Window:
    """Date bounds of a `match`: `within` counts back from as_of; from/until are days."""

    within: Optional[tuple] = None  # (amount, unit) with unit in d w m y
    start: Optional[datetime.date] = None
    end: Optional[datetime.date] = None


@dataclass(frozen=True)
class Match:
    """`match: TYPE` (or a list of types) with `where` tests, a window and an optional
    `as` name."""

    types: tuple  # the fact types it matches, sorted; one most of the time
    tests: tuple = ()
    window: Optional[Window] = None
    binds: Optional[str] = None
    path: tuple = field(default=(), compare=False)


@dataclass(frozen=True)
class ItemRef:
    """`indicator: ID` or `scenario: ID`, optionally with `where` on derived attributes."""

    kind: str
    id: str
    tests: tuple = ()
    binds: Optional[str] = None
    path: tuple = field(default=(), compare=False)


@dataclass(frozen=True)
class All:
    """`all: [...]`: every condition holds."""

    conditions: tuple
    path: tuple = field(default=(), compare=False)


@dataclass(frozen=True)
class AnyOf:
    """`any: [...]`: at least one condition holds."""

    conditions: tuple
    path: tuple = field(default=(), compare=False)


@dataclass(frozen=True)
class Not:
    """`not: ...`: the condition does not hold (negation as failure)."""

    condition: Any
    path: tuple = field(default=(), compare=False)


class Bounded:
    """What a count and an of share: at_least / at_most, one or both."""

    at_least: Optional[int]
    at_most: Optional[int]

    def within(self, n: int) -> bool:
        """Whether `n` (facts counted, conditions holding) is within the bounds."""
        return (self.at_least is None or n >= self.at_least) and (self.at_most is None or n <= self.at_most)


@dataclass(frozen=True)
class Count(Bounded):
    """`count: {match...}` with bounds: the number of distinct matching facts."""

    match: Match
    at_least: Optional[int] = None
    at_most: Optional[int] = None
    path: tuple = field(default=(), compare=False)


@dataclass(frozen=True)
class Of(Bounded):
    """`of: [...]` with bounds: how many of the conditions hold, each judged on its own."""

    conditions: tuple
    at_least: Optional[int] = None
    at_most: Optional[int] = None
    path: tuple = field(default=(), compare=False)


Condition = Union[Match, ItemRef, All, AnyOf, Not, Count, Of]


@dataclass(frozen=True)
class Item:
    """An indicator or a scenario: what holds `when`, and what it derives."""

    kind: str  # "indicator" or "scenario"
    id: str
    title: str
    when: Any
    derive: tuple = ()  # ((key, Ref or Value), ...)
    implications: tuple = ()
    signposts: tuple = ()
    description: Optional[str] = None
    ruleset: str = ""
    file: str = ""
    path: tuple = ()


@dataclass(frozen=True)
class Ruleset:
    """A ruleset file: indicators and scenarios under one id."""

    id: str
    title: str
    items: tuple  # Item: indicators first, then scenarios, in file order
    file: str


def walk(condition) -> list:
    """Every condition of a tree, the root first."""
    out = [condition]
    if isinstance(condition, (All, AnyOf, Of)):
        for c in condition.conditions:
            out.extend(walk(c))
    elif isinstance(condition, Not):
        out.extend(walk(condition.condition))
    elif isinstance(condition, Count):
        out.extend(walk(condition.match))
    return out


def refs_of(condition) -> set:
    """The names `$name` used anywhere in a condition."""
    names = set()
    for c in walk(condition):
        for t in getattr(c, "tests", ()):
            if isinstance(t.operand, Ref):
                names.add(t.operand.name)
    return names


def binds_of(condition) -> set:
    """The names a condition binds that are visible beside it in an `all`."""
    if isinstance(condition, (Match, ItemRef)):
        return {condition.binds} if condition.binds else set()
    if isinstance(condition, All):
        out = set()
        for c in condition.conditions:
            out |= binds_of(c)
        return out
    return set()
