"""Which facts of a case a run as of a day knows."""

from __future__ import annotations

import datetime

from ..model import Case


def in_run(case: Case, as_of: datetime.date, drop=frozenset()) -> tuple[list, list]:
    """The facts a run as of a day sees, and the ids of those not yet known then
    (reported, else dated, after it). SPEC 2: windows still test `date`."""
    facts, later = [], []
    for f in case.facts:
        if f.id in drop:
            continue
        known = f.reported if f.reported is not None else f.date  # Fact.known, inline: a pass over every fact
        if known is not None and known > as_of:
            later.append(f.id)  # not yet known, even one whose `present: false` leaves it out anyway
        elif f.contested and absent(f):
            continue
        else:
            facts.append(f)
    return facts, later


def absent(fact) -> bool:
    """`present: false`: the fact is left out of the run, and adds no worlds."""
    alts = fact.contested.get("present")
    return alts is not None and all(a.value is False for a in alts)
