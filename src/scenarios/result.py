"""The plain result of a run: all that renderers read, and nothing they compute."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .model import Grade

SCHEMA_VERSION = 1
ANNEX_FACTS = 1000  # the most facts a run lists for a briefing's annex


@dataclass(frozen=True)
class Evidence:
    """A case fact as it stands behind a verdict, with its Admiralty grade."""

    id: str
    type: str
    date: Optional[str]
    source: Optional[str]
    source_name: Optional[str]
    grade: Grade
    text: Optional[str]
    assumes: tuple = ()  # Assumption: contested values of this fact in the world shown
    reported: Optional[str] = None  # when it could first be known, when not its date


@dataclass(frozen=True)
class Assumption:
    """A competing hypothesis a piece of evidence rests on, with its own grade."""

    key: str
    value: str
    source_name: Optional[str]
    grade: Grade


@dataclass(frozen=True)
class Weakest:
    """The least solid link of a verdict: a fact, or a hypothesis about one of its keys."""

    fact: str
    grade: Grade
    about: Optional[str] = None  # e.g. "actor = HTS" when the weak link is a hypothesis


@dataclass
class Node:
    """One condition of a derivation: the fact or derivations that satisfy it."""

    label: str  # the condition in words
    kind: str  # match | indicator | scenario | not | count
    fact: Optional[str] = None  # a case fact id (match)
    children: list = field(default_factory=list)  # Derivation trees (indicator/scenario)
    more: int = 0  # derivations or facts not listed
    count: Optional[int] = None  # for count: how many facts
    facts: list = field(default_factory=list)  # for count: the first few fact ids


@dataclass
class Derivation:
    """Why an item holds once: the conditions of one conjunction and what satisfied them."""

    item: str
    bindings: dict  # name -> fact id
    derived: dict  # attribute -> value (JSON-ready)
    conditions: list  # Node


@dataclass
class ItemResult:
    """What a run says of one indicator or scenario."""

    kind: str  # indicator | scenario
    id: str
    title: str
    ruleset: str
    status: str  # triggered | contested | not_triggered
    triggered_in: int
    derivations: int  # how many times it was derived, in the first world where it holds
    holds_if: list  # ways it holds, any one enough: ["convoy-attack.actor = HTS", ...]
    near_miss: bool
    missing: list  # plain-language lines
    because: list  # Derivation, in the first world where the item holds
    evidence: list  # Evidence, the leaf facts of `because`
    weakest: Optional[Weakest]
    critical_facts: list
    implications: list
    signposts: list
    description: Optional[str] = None
    held: Optional[int] = None  # for a near miss: how many of its top-level conditions hold,
    needed: Optional[int] = None  # and how many are needed (all of an all, at_least of an of)
    probability: Optional[float] = None  # with the analyst's p: the sum over the worlds where it holds
    likelihood: Optional[str] = None  # its ICD 203 word; None when there is no p, or it is 0 or 1
    because_world: list = field(default_factory=list)  # hypotheses of the world `because` shows
    critical_checked: bool = True  # False: too many candidate facts to re-run


@dataclass
class Hypothesis:
    """A contested key and its alternatives, as the report lists them."""

    fact: str
    key: str
    alternatives: list  # (value JSON-ready, source key, source name, Grade)
    p: Optional[list] = None  # with p: each alternative's probability, the key's p divided by their sum


@dataclass
class ConditionNode:
    """A condition of `--explain`'s tree, marked as it stands in one world."""

    label: str
    holds: Optional[bool]  # None: depends on names bound elsewhere in the tree
    detail: str = ""
    children: list = field(default_factory=list)


@dataclass
class Explanation:
    """Everything about one item in one world: its condition tree and derivations."""

    item: str
    kind: str
    title: str
    status: str
    world: int  # index of the world described
    hypotheses: list  # the choices of that world, e.g. "convoy-attack.actor = HTS"
    tree: ConditionNode
    derivations: list  # Derivation, every one in that world
    evidence: list  # Evidence at their leaves


@dataclass
class RunResult:
    """Everything a run of one case says: the result all renderers read."""

    case: str
    title: str
    as_of: str
    rulesets: list
    facts_total: int
    facts_in_run: int
    left_out: list  # ids of facts not yet known: dated, or reported, after as_of
    worlds: int
    hypotheses: list
    scenarios: list  # ItemResult
    indicators: list  # ItemResult
    sources: dict = field(default_factory=dict)  # key -> (name, reliability)
    classification: Optional[str] = None  # the case's handling marking
    likelihood: bool = False  # whether the case gives p: items then have a probability
    warnings: list = field(default_factory=list)
    inputs: list = field(default_factory=list)  # the files the run read: no report is written over one
    explanation: Optional[Explanation] = None
    matrix_columns: list = field(default_factory=list)  # "fact.key = value", one a hypothesis
    matrix: list = field(default_factory=list)  # (item id, [(worlds holding, worlds) per column])
    matrix_given: dict = field(default_factory=dict)  # with p: item id -> [probability given each column's hypothesis]
    facts: list = field(default_factory=list)  # Evidence: every fact in the run by date, undated last; empty past ANNEX_FACTS

    def items(self) -> list:
        return self.scenarios + self.indicators

    def find(self, item_id: str) -> Optional[ItemResult]:
        return next((i for i in self.items() if i.id == item_id), None)



@dataclass(frozen=True)
class TimelineChange:
    """A day on which an item's status (or, with p, its probability) differs from the
    day before, and the facts behind it."""

    day: str
    before: str
    after: str
    known: list  # ids of the facts that became known that day
    aged_out: list  # ids of the facts that left a window that day
    probability_before: Optional[float] = None
    probability_after: Optional[float] = None


@dataclass(frozen=True)
class TimelineItem:
    """An indicator or scenario over the days of a timeline."""

    id: str
    kind: str
    title: str
    statuses: list  # on each step day
    probabilities: Optional[list]  # on each step day, with p
    first_triggered: Optional[str]  # the first day on which it is triggered
    changes: list  # TimelineChange, oldest first


@dataclass
class TimelineResult:
    """How every status of a case evolved from one day to another (SPEC 6)."""

    case: str
    title: str
    classification: Optional[str]
    since: str
    until: str
    every: str
    steps: list  # the days of the picture's columns
    items: list  # TimelineItem, scenarios first
    likelihood: bool = False
    worlds: int = 1
    facts: dict = field(default_factory=dict)  # id -> Evidence, every fact a change names
    inputs: list = field(default_factory=list)  # the files the timeline read: no report is written over one


def leaf_fact_ids(derivations: list) -> set:
    """Every case fact at the leaves of derivation trees (Derivation or Node)."""
    out: set = set()
    stack = list(derivations)
    while stack:
        d = stack.pop()
        for n in d.conditions:
            if n.fact:
                out.add(n.fact)
            out.update(n.facts)
            stack.extend(n.children)
    return out
