"""How solid a verdict is: the case facts at the leaves of its derivations, with their
Admiralty grades, the hypotheses they rest on, and the weakest link; and the facts of
a run as a briefing's annex lists them."""

from __future__ import annotations

import datetime
from typing import Optional

from .. import words
from ..model import Case, Grade
from ..result import ANNEX_FACTS, Assumption, Evidence, Weakest, leaf_fact_ids


def annex(case: Case, facts: list, limit: int = ANNEX_FACTS) -> list:
    """The facts of a run as a briefing's annex lists them: Evidence by date then id,
    undated last; none when there are more than `limit` (a large case's facts are
    not a briefing's annex, and a million would cost the run time for nothing)."""
    if len(facts) > limit:
        return []
    ordered = sorted(facts, key=lambda f: (f.date is None, f.date or datetime.date.min, f.id))
    return [as_evidence(f, case) for f in ordered]


def as_evidence(f, case: Case, assumes: tuple = ()) -> Evidence:
    """A case fact as a report shows it, with its Admiralty grade."""
    src = case.sources.get(f.source) if f.source else None
    return Evidence(
        id=f.id,
        type=f.type,
        date=f.date.isoformat() if f.date else None,
        source=f.source,
        source_name=src.name if src else None,
        grade=Grade(src.reliability if src else None, f.credibility),
        text=f.text,
        assumes=assumes,
        reported=f.reported.isoformat() if f.reported is not None and f.reported != f.date else None,
    )


def leaf_evidence(trees: list, case: Case, assumed: Optional[dict] = None) -> list:
    """The case facts at the leaves of derivation trees, each once, by date then id;
    `assumed` gives each fact's contested values in the world the trees come from."""
    ids = leaf_fact_ids(trees)
    out = []
    for fid in ids:
        f = case.by_id.get(fid)
        if f is None:
            continue
        out.append(as_evidence(f, case, tuple((assumed or {}).get(fid, ()))))
    return sorted(out, key=lambda e: (e.date or "", e.id))


def assumptions(case: Case, cs: list, world: tuple) -> dict:
    """fact id -> the hypotheses (contested values, with their grades) a world takes."""
    out: dict = {}
    for c, i in zip(cs, world):
        alt = c.alternatives[i]
        src = case.sources.get(alt.source) if alt.source else None
        out.setdefault(c.fact, []).append(
            Assumption(c.key, words.value_text(alt.value), src.name if src else None, Grade(src.reliability if src else None, alt.credibility))
        )
    return out


def weakest(evidence: list) -> Optional[Weakest]:
    """The least solid graded link: worst reliability, then worst credibility, over the
    facts and the hypotheses they rest on. F and 6 mean "cannot be judged": they are
    flagged as ungraded elsewhere, never ranked as worst."""
    links = []
    for e in evidence:
        links.append((e.grade.rank, e.id, e.grade, None))
        for a in e.assumes:
            links.append((a.grade.rank, e.id, a.grade, f"{a.key} = {a.value}"))
    graded = [link for link in links if link[0] is not None]
    if not graded:
        return None
    rank, fid, grade, about = max(graded, key=lambda link: (link[0], link[1], link[3] or ""))
    return Weakest(fid, grade, about)
