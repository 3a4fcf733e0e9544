"""Facts that a condition's own tests select but that a run leaves out, said in words
(SPEC 4): dated outside the condition's window, or not yet reported as of the run.

Only for what `missing` and `--explain` say: statuses never come from here.
"""

from __future__ import annotations

import datetime
from typing import Optional

from ..compile import months_back
from ..model import Case, Count, Match, Ref
from ..values import MISSING, elements, passes, passes_ref, token

LISTED = 3  # facts named before "and N more"


def outside(case: Case, cond, as_of: datetime.date) -> str:
    """"; X matches but is 45 days old (the window is 30 days)" for the facts of the
    case that pass the own tests of a match (or the match of a count) but that the run
    as of `as_of` leaves out; "" when there are none."""
    match = cond.match if isinstance(cond, Count) else cond
    if not isinstance(match, Match):
        return ""
    w = match.window
    start = months_back(as_of, w.within) if w is not None and w.within is not None else None
    out = []
    for fact in candidates(case, match):
        why = _why_out(fact, match, as_of, start)  # first: most facts are in the run, and it is cheaper
        if why and selects(match, fact):
            out.append((fact.id, why))
    if not out:
        return ""
    phrases = [f"{fid} {why}" for fid, why in sorted(out)]  # by id, whatever the file's order (ids are unique)
    shown = phrases[:LISTED]
    more = f"; and {len(phrases) - LISTED} more" if len(phrases) > LISTED else ""
    return "; " + "; ".join(shown) + more


def by_type(case: Case, types: tuple) -> list:
    return [f for t in types for f in case.by_type.get(t, ())]


def candidates(case: Case, match: Match) -> list:
    """The facts of the match's types that may pass its own tests: with a literal
    equality test, only those holding its value (or holding competing values of its
    key), looked up in an index made once per case, types and key."""
    for t in match.tests:
        if t.op in ("eq", "contains") and not isinstance(t.operand, Ref):
            holding, contested = _index(case, match.types, t.key)
            return holding.get(token(t.operand), []) + contested
    return by_type(case, match.types)


def _index(case: Case, types: tuple, key: str) -> tuple:
    """(token -> the facts whose value of `key` holds it, the facts whose `key` has
    competing values) for the facts of `types`."""
    found = case.by_token.get((types, key))
    if found is None:
        holding: dict = {}
        contested: list = []
        for fact in by_type(case, types):
            if key in fact.contested:
                contested.append(fact)
                continue
            v = fact.values.get(key, MISSING)
            if v is not MISSING:
                for tok in dict.fromkeys(token(x) for x in elements(v)):
                    holding.setdefault(tok, []).append(fact)
        found = case.by_token[(types, key)] = (holding, contested)
    return found


def selects(match: Match, fact) -> bool:
    """Whether a pattern selects the fact on its own tests: its type, and its tests on
    the fact alone (not the window, nor a test against another pattern's fact), in some
    choice of the fact's own competing hypotheses where it is present."""
    for t in match.tests:
        if isinstance(t.operand, Ref):
            if t.operand.name == match.binds and not passes_ref(fact.values.get(t.key, MISSING), t.op, fact.values.get(t.operand.key, MISSING)):
                return False
            continue
        alts = fact.contested.get(t.key)
        if alts is not None:
            if not any(passes(MISSING if a.value is None else a.value, t.op, t.operand) for a in alts):
                return False
        elif not passes(fact.values.get(t.key, MISSING), t.op, t.operand):
            return False
    alts = fact.contested.get("present")
    return alts is None or any(a.value is not False for a in alts)


def _why_out(fact, match: Match, as_of: datetime.date, start: Optional[datetime.date]) -> Optional[str]:
    """Why the run leaves out a fact the match selects; `start`: the first day of the
    match's `within` window as of `as_of` (None without one)."""
    known = fact.reported if fact.reported is not None else fact.date
    if known is not None and known > as_of:
        if fact.reported is not None and fact.reported != fact.date:
            return f"matches but is reported only on {fact.reported.isoformat()}, after {as_of.isoformat()}"
        return f"matches but is dated {known.isoformat()}, after {as_of.isoformat()}"
    w = match.window
    if w is None:
        return None
    if fact.date is None:
        return "matches but has no date, and the window needs one"
    if w.within is not None:
        if fact.date < start:
            amount, unit = w.within
            span = {"d": "day", "w": "week", "m": "month", "y": "year"}[unit]
            age = (as_of - fact.date).days
            return f"matches but is {age} days old; the window is {amount} {span}{'s' if amount != 1 else ''}"
        if fact.date > as_of:
            return None
    if w.start is not None and fact.date < w.start:
        return f"matches but is dated {fact.date.isoformat()}, before {w.start.isoformat()} (from)"
    if w.end is not None and fact.date > w.end:
        return f"matches but is dated {fact.date.isoformat()}, after {w.end.isoformat()} (until)"
    return None
