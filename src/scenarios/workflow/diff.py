"""What changed between two runs: statuses of indicators and scenarios, and the facts.

The two runs are two cases, or one case at two dates (`old_as_of`/`new_as_of`), or a
case and its counterfactual (`whatif`). Facts are compared as each run sees them (those
dated up to its as_of, `present: false` left out), by id; a fact is changed when any
of its keys differs. Each changed item names the added, removed and changed facts
among its evidence and critical facts, and the changed items its condition names.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

from ..errors import InputError
from ..run import evaluate
from ..run.known import in_run
from ..load import load_case, rulesets_for
from ..model import Case, Fact, ItemRef, walk
from ..result import RunResult
from ..values import canonical, token
from ..worlds import DEFAULT_MAX_WORLDS

# the kinds of change, in the order a report lists them
CHANGES = ("newly_triggered", "newly_contested", "cleared", "new_near_miss", "no_longer_near_miss")
FACT_FIELDS = ("type", "date", "source", "credibility", "text")


@dataclass(frozen=True)
class RunSide:
    """One side of a diff: what was run."""

    label: str  # "old", "new", "as written", "what if"
    case: str
    file: str
    as_of: str
    rulesets: tuple
    worlds: int
    facts_in_run: int
    classification: Optional[str] = None  # the case's handling marking


@dataclass(frozen=True)
class KeyChange:
    """One key of a fact that differs: its old and new values, JSON-ready (None: absent)."""

    key: str
    old: Any
    new: Any


@dataclass(frozen=True)
class FactChange:
    """A fact added, removed or changed, with what an analyst needs to recognise it."""

    id: str
    type: str
    date: Optional[str]
    text: Optional[str]
    keys: tuple = ()  # KeyChange, for a changed fact


@dataclass
class ItemChange:
    """An indicator or scenario whose status changed, and the facts behind the change."""

    id: str
    kind: str
    title: str
    ruleset: str
    change: str  # one of CHANGES
    old_status: Optional[str]  # None: not in the old run's rulesets
    new_status: Optional[str]  # None: not in the new run's rulesets
    old_near_miss: bool
    new_near_miss: bool
    holds_if: list  # new run, for a contested item
    missing: list  # new run, for a near miss
    added: list  # ids of added facts among its new evidence and critical facts
    removed: list  # ids of removed facts among its old evidence and critical facts
    changed: list  # ids of changed facts among either
    through: list  # items its condition names whose status changed too


@dataclass
class CaseDiff:
    """What changed between two runs: items and facts."""

    old: RunSide
    new: RunSide
    items: list  # ItemChange, by change (CHANGES order), scenarios first, then id
    added: list  # FactChange
    removed: list  # FactChange
    changed: list  # FactChange
    counterfactual: list = field(default_factory=list)  # what a what-if changed, in words
    warnings: list = field(default_factory=list)  # Problem
    inputs: list = field(default_factory=list)  # the files both runs read: no report is written over one

    def of(self, change: str) -> list:
        return [i for i in self.items if i.change == change]

    @property
    def unchanged(self) -> bool:
        return not (self.items or self.added or self.removed or self.changed)


# -- facts ----------------------------------------------------------------------------------


def fact_keys(fact: Fact) -> dict:
    """Every key of a fact as written, in a form equal exactly when SPEC 3.1 calls the
    values equal (so `1` and `true` differ, `1` and `1.0` do not)."""
    out: dict = {}
    for name in FACT_FIELDS:
        value = getattr(fact, name)
        if value is not None:
            out[name] = strict(value)
    for key, value in fact.attributes.items():
        out[key] = strict(value)
    for key, alternatives in fact.contested.items():
        out[key] = ("one_of", tuple((strict(a.value), a.source, a.credibility) for a in alternatives))
    return out


def strict(value: Any) -> Any:
    """A value in a form equal exactly when SPEC 3.1 calls two values equal."""
    if value is None:
        return None
    if isinstance(value, tuple):
        return ("list", tuple(token(v) for v in value))
    return token(value)


def shown(fact: Fact, key: str) -> Any:
    """A key of a fact, JSON-ready, as the analyst wrote it; None when absent."""
    if key in FACT_FIELDS:
        return canonical(getattr(fact, key))
    if key in fact.contested:
        return {"one_of": [{"value": canonical(a.value), "source": a.source, "credibility": a.credibility} for a in fact.contested[key]]}
    value = fact.attributes.get(key)
    return None if value is None else canonical(value)


def described(fact: Fact, keys: tuple = ()) -> FactChange:
    """A fact as a diff lists it."""
    return FactChange(fact.id, fact.type, fact.date.isoformat() if fact.date else None, fact.text, keys)


def compare_facts(old: list, new: list) -> tuple[list, list, list]:
    """Facts added, removed and changed (by id) from `old` to `new`, each sorted by id."""
    before = {f.id: f for f in old}
    after = {f.id: f for f in new}
    added = [described(after[i]) for i in sorted(after.keys() - before.keys())]
    removed = [described(before[i]) for i in sorted(before.keys() - after.keys())]
    changed = []
    for fid in sorted(before.keys() & after.keys()):
        a, b = fact_keys(before[fid]), fact_keys(after[fid])
        keys = tuple(
            KeyChange(k, shown(before[fid], k), shown(after[fid], k))
            for k in sorted(a.keys() | b.keys())
            if a.get(k) != b.get(k)
        )
        if keys:
            changed.append(described(after[fid], keys))
    return added, removed, changed


# -- items ----------------------------------------------------------------------------------


def change_of(old, new) -> Optional[str]:
    """The kind of change of one item between two runs (None: no change to report)."""
    o_status = old.status if old else None
    n_status = new.status if new else None
    o_near = bool(old and old.near_miss)
    n_near = bool(new and new.near_miss)
    if n_status == "triggered" and o_status != "triggered":
        return "newly_triggered"
    if n_status == "contested" and o_status != "contested":
        return "newly_contested"
    if n_status in (None, "not_triggered") and o_status in ("triggered", "contested"):
        return "cleared"
    if n_near and not o_near:
        return "new_near_miss"
    if o_near and not n_near:
        return "no_longer_near_miss"
    return None


def support(r) -> set:
    """The facts an item's verdict rests on: its evidence and critical facts."""
    return {e.id for e in r.evidence} | set(r.critical_facts) if r else set()


def references(rulesets: list) -> dict:
    """item id -> the ids of the indicators and scenarios its condition names."""
    out: dict = {}
    for rs in rulesets:
        for item in rs.items:
            out[item.id] = {c.id for c in walk(item.when) if isinstance(c, ItemRef)}
    return out


def compare_items(old: RunResult, new: RunResult, refs: dict, added: set, removed: set, changed: set) -> list:
    """The items whose status changed between two runs, and the facts behind each."""
    before = {r.id: r for r in old.items()}
    after = {r.id: r for r in new.items()}
    out = []
    for iid in sorted(before.keys() | after.keys()):
        o, n = before.get(iid), after.get(iid)
        kind = change_of(o, n)
        if kind is None:
            continue
        either = n or o
        out.append(
            ItemChange(
                id=iid,
                kind=either.kind,
                title=either.title,
                ruleset=either.ruleset,
                change=kind,
                old_status=o.status if o else None,
                new_status=n.status if n else None,
                old_near_miss=bool(o and o.near_miss),
                new_near_miss=bool(n and n.near_miss),
                holds_if=list(n.holds_if) if n else [],
                missing=list(n.missing) if n else [],
                added=sorted(support(n) & added),
                removed=sorted(support(o) & removed),
                changed=sorted((support(o) | support(n)) & changed),
                through=[],
            )
        )
    moved = {c.id for c in out if c.change in ("newly_triggered", "newly_contested", "cleared")}
    for c in out:
        c.through = sorted(refs.get(c.id, set()) & moved)
    out.sort(key=lambda c: (CHANGES.index(c.change), c.kind != "scenario", c.id))
    return out


# -- runs -----------------------------------------------------------------------------------


def side(label: str, case: Case, result: RunResult) -> RunSide:
    """One side of a diff as the report heads it."""
    return RunSide(label, case.id, case.file, result.as_of, tuple(result.rulesets), result.worlds, result.facts_in_run, result.classification)


def diff_runs(
    old_case: Case,
    new_case: Case,
    old_rulesets: list,
    new_rulesets: list,
    old_as_of: Optional[datetime.date] = None,
    new_as_of: Optional[datetime.date] = None,
    max_worlds: int = DEFAULT_MAX_WORLDS,
    labels: tuple = ("old", "new"),
) -> CaseDiff:
    """Run both cases and compare them. InputError when either cannot run."""
    problems: list = []
    results = []
    for case, rulesets, as_of in ((old_case, old_rulesets, old_as_of), (new_case, new_rulesets, new_as_of)):
        try:
            results.append(evaluate(case, rulesets, as_of=as_of, max_worlds=max_worlds))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(list(dict.fromkeys(problems)))
    old, new = results
    old_facts, _ = in_run(old_case, datetime.date.fromisoformat(old.as_of))
    new_facts, _ = in_run(new_case, datetime.date.fromisoformat(new.as_of))
    added, removed, changed = compare_facts(old_facts, new_facts)
    refs = references(old_rulesets)
    for iid, names in references(new_rulesets).items():
        refs[iid] = refs.get(iid, set()) | names
    items = compare_items(old, new, refs, {f.id for f in added}, {f.id for f in removed}, {f.id for f in changed})
    return CaseDiff(side(labels[0], old_case, old), side(labels[1], new_case, new), items, added, removed, changed)


def diff_files(
    old_path: str,
    new_path: Optional[str] = None,
    rulesets: Sequence[str] = (),
    old_as_of: Optional[datetime.date] = None,
    new_as_of: Optional[datetime.date] = None,
    max_worlds: int = DEFAULT_MAX_WORLDS,
) -> CaseDiff:
    """The diff of two case files (the same file when `new_path` is None, then compared
    at two dates). Rulesets given by path or id serve both runs; by default each case
    runs with its own `rulesets:`. InputError carrying the problems of both sides."""
    paths = (old_path, new_path or old_path)
    problems: list = []
    loaded = []
    warnings: list = []
    for path in dict.fromkeys(paths):
        try:
            case, w = load_case(path)
            found, more = rulesets_for(case, rulesets)
            loaded.append((case, found))
            warnings.extend(w + more)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(list(dict.fromkeys(problems)))
    (old_case, old_rulesets), (new_case, new_rulesets) = loaded[0], loaded[-1]
    result = diff_runs(old_case, new_case, old_rulesets, new_rulesets, old_as_of, new_as_of, max_worlds)
    result.warnings = list(dict.fromkeys(warnings))
    result.inputs = list(dict.fromkeys([*paths, *(rs.file for _, found in loaded for rs in found)]))
    return result
