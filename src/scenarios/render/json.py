"""The JSON contract of a run (`schema_version` 1), documented in README's JSON section.
It holds no time of day: the same inputs give the same bytes."""

from __future__ import annotations

import json as _json

from ..summary import bottom_line, timeline_bottom_line
from ..result import SCHEMA_VERSION, ConditionNode, Derivation, Evidence, Explanation, ItemResult, Node, RunResult, TimelineChange, TimelineResult


def evidence(e: Evidence) -> dict:
    return {
        "id": e.id,
        "type": e.type,
        "date": e.date,
        "reported": e.reported,
        "source": e.source,
        "source_name": e.source_name,
        "grade": str(e.grade),
        "text": e.text,
        "assumes": [{"key": a.key, "value": a.value, "source_name": a.source_name, "grade": str(a.grade)} for a in e.assumes],
    }


def node(n: Node) -> dict:
    out: dict = {"condition": n.label, "kind": n.kind}
    if n.kind == "match":
        out["fact"] = n.fact
    elif n.kind in ("indicator", "scenario"):
        out["derivations"] = [derivation(d) for d in n.children]
        out["more"] = n.more
    elif n.kind == "count":
        out["count"] = n.count
        out["facts"] = list(n.facts)
        out["more"] = n.more
    elif n.kind == "of":
        out["held"] = n.count
        out["facts"] = list(n.facts)
        out["derivations"] = [derivation(d) for d in n.children]
    return out


def derivation(d: Derivation) -> dict:
    return {
        "item": d.item,
        "bindings": d.bindings,
        "derived": d.derived,
        "conditions": [node(n) for n in d.conditions],
    }


def item(r: ItemResult) -> dict:
    out = {
        "id": r.id,
        "title": r.title,
        "ruleset": r.ruleset,
        "status": r.status,
        "triggered_in": r.triggered_in,
        "derivations": r.derivations,
        "holds_if": r.holds_if,
        "near_miss": r.near_miss,
        "missing": r.missing,
        "held": r.held,
        "needed": r.needed,
        "probability": r.probability,
        "likelihood": r.likelihood,
        "because": [derivation(d) for d in r.because],
        "because_world": r.because_world,
        "evidence": {
            "facts": [evidence(e) for e in r.evidence],
            "weakest": None if r.weakest is None else {"fact": r.weakest.fact, "grade": str(r.weakest.grade), "about": r.weakest.about},
        },
        "critical_facts": r.critical_facts,
        "critical_facts_checked": r.critical_checked,
        "implications": r.implications,
        "signposts": r.signposts,
    }
    return out


def condition(n: ConditionNode) -> dict:
    return {"condition": n.label, "holds": n.holds, "detail": n.detail, "children": [condition(c) for c in n.children]}


def explanation(e: Explanation) -> dict:
    return {
        "id": e.item,
        "kind": e.kind,
        "title": e.title,
        "status": e.status,
        "world": e.world,
        "hypotheses": e.hypotheses,
        "tree": condition(e.tree),
        "derivations": [derivation(d) for d in e.derivations],
        "evidence": [evidence(x) for x in e.evidence],
    }


def to_dict(result: RunResult) -> dict:
    out = {
        "schema_version": SCHEMA_VERSION,
        "case": result.case,
        "title": result.title,
        "classification": result.classification,
        "as_of": result.as_of,
        "rulesets": result.rulesets,
        "summary": bottom_line(result),
        "facts": {
            "total": result.facts_total,
            "in_run": result.facts_in_run,
            "after_as_of": result.left_out,
        },
        "worlds": result.worlds,
        "hypotheses": [
            {
                "fact": h.fact,
                "key": h.key,
                "alternatives": [
                    {"value": v, "source": s, "source_name": n, "grade": str(g), "p": h.p[i] if h.p else None}
                    for i, (v, s, n, g) in enumerate(h.alternatives)
                ],
            }
            for h in result.hypotheses
        ],
        "matrix": {
            "columns": [f"{fact}.{rest}" for fact, rest in result.matrix_columns],
            "rows": [
                {"id": iid, "cells": [list(cell) for cell in cells], "given": result.matrix_given.get(iid)}
                for iid, cells in result.matrix
            ],
        },
        "scenarios": [item(r) for r in result.scenarios],
        "indicators": [item(r) for r in result.indicators],
    }
    if result.explanation is not None:
        out["explanation"] = explanation(result.explanation)
    return out


def render(results: list) -> str:
    """One run as a JSON object; several as a JSON array of them. Ends with a newline."""
    data = to_dict(results[0]) if len(results) == 1 else [to_dict(r) for r in results]
    return _json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def timeline_dict(t: TimelineResult) -> dict:
    """The JSON contract of a timeline (SPEC 6)."""
    def change(c: TimelineChange) -> dict:
        out = {"day": c.day, "from": c.before, "to": c.after, "known": c.known, "aged_out": c.aged_out}
        if t.likelihood:
            out["probability_from"] = c.probability_before
            out["probability_to"] = c.probability_after
        return out

    return {
        "schema_version": SCHEMA_VERSION,
        "case": t.case,
        "title": t.title,
        "classification": t.classification,
        "from": t.since,
        "to": t.until,
        "every": t.every,
        "worlds": t.worlds,
        "steps": t.steps,
        "summary": timeline_bottom_line(t),
        "items": [
            {
                "id": i.id,
                "kind": i.kind,
                "title": i.title,
                "statuses": i.statuses,
                **({"probabilities": i.probabilities} if t.likelihood else {}),
                "first_triggered": i.first_triggered,
                "changes": [change(c) for c in i.changes],
            }
            for i in t.items
        ],
        "facts": [evidence(e) for _, e in sorted(t.facts.items())],
    }


def render_timeline(t: TimelineResult) -> str:
    """A timeline as a JSON object, ending with a newline."""
    return _json.dumps(timeline_dict(t), ensure_ascii=False, indent=2) + "\n"
