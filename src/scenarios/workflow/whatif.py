"""Counterfactual runs: a case with facts dropped, keys set and facts added, reported as a
diff against the case as written.

The changes are made on the case file's plain data, then the case loader builds the
counterfactual case, so a value set or a fact added is checked exactly as it would be
in a case file. Its problems point at the `--set` that caused them or at the
`file:line:col` of the added fact.
"""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from ..errors import InputError, Problem, excerpt
from ..load import finish, locate, parse_text, parse_value, read_text, rulesets_for
from ..parse import Builder, as_key, build_case, describe
from ..suggest import did_you_mean
from ..words import value_text
from ..worlds import DEFAULT_MAX_WORLDS
from .diff import CaseDiff, diff_runs

ADDITION_KEYS = ("sources", "facts")


@dataclass(frozen=True)
class Setting:
    """`--set FACT.KEY=VALUE`: one key of one fact given a new value."""

    fact: str
    key: str
    value: Any  # plain data, as a YAML 1.2 parser gives it
    text: str  # as given on the command line


@dataclass(frozen=True)
class Addition:
    """The facts (and sources) of one `--add` file, as plain data."""

    file: str
    text: str
    facts: list
    facts_path: tuple  # where the list of facts stands in the file
    sources: dict


def parse_setting(text: str, fact_ids: Sequence[str]) -> tuple:
    """(fact id, key, value) of `FACT.KEY=VALUE`; the value is read as YAML 1.2
    (`10` a number, `true` a boolean, `[TAF, RU]` a list, empty for none). The fact id
    is the longest known id before a dot, since ids may hold dots. InputError when the
    text has no `=` or no key, or the value is not YAML."""
    where, eq, raw = text.partition("=")
    if not eq or "." not in where:
        raise InputError([Problem("--set", f"'{excerpt(text, 80)}' is not FACT.KEY=VALUE (e.g. convoy-attack.actor=HTS)", code="usage")])
    known = set(fact_ids)
    splits = [i for i, ch in enumerate(where) if ch == "."]
    fact, key = where[: splits[0]], where[splits[0] + 1 :]
    for i in reversed(splits):
        if where[:i] in known:
            fact, key = where[:i], where[i + 1 :]
            break
    if not key:
        raise InputError([Problem("--set", f"'{excerpt(text, 80)}' names no key after the fact id", code="usage")])
    value = parse_value(raw, f"--set {excerpt(text, 80)}")
    return fact, key, value


def read_addition(path: str) -> Addition:
    """The facts of an `--add` file: a list of facts, or a mapping with `facts:` and
    optionally `sources:`. InputError, located, when it is neither."""
    text = read_text(path)
    data = parse_text(text, path)
    b = Builder(path)
    if isinstance(data, list):
        return Addition(path, text, data, (), {})
    if isinstance(data, dict):
        b.keys(data, ADDITION_KEYS, (), "a file of facts to add")
        facts = data.get("facts")
        if not isinstance(facts, list):
            b.error(("facts",) if "facts" in data else (), f"facts must be a list of facts, not {describe(facts)}", "type")
        sources = data.get("sources") or {}
        if not isinstance(sources, dict):
            b.error(("sources",), f"sources must be a mapping of source keys, not {describe(sources)}", "type")
        if b.problems:
            raise InputError(locate(text, b.problems))
        return Addition(path, text, facts, ("facts",), sources)
    raise InputError([Problem(path, f"a file of facts to add holds a list of facts, or facts: and sources:, not {describe(data)}", 1, 1, code="type")])


def counterfactual(
    case_path: str,
    drop: Sequence[str] = (),
    settings: Sequence[str] = (),
    additions: Sequence[str] = (),
):
    """(the case as written, the counterfactual case, the changes in words, warnings).

    Facts are dropped first, then the added facts join, then keys are set (so a
    `--set` may touch an added fact). InputError naming every unknown fact id, every
    bad value and every bad added fact."""
    text = read_text(case_path)
    data = parse_text(text, case_path)
    if data is None:
        raise InputError([Problem(case_path, "is empty: a case needs case, as_of and facts", 1, 1, code="syntax")])
    written, warnings = finish(text, *build_case(data, case_path), case_path)
    data = copy.deepcopy(data)
    raw_facts = data["facts"]
    ids = [f.id for f in written.facts]
    problems: list = []
    words: list = []

    unknown = [fid for fid in dict.fromkeys(drop) if fid not in ids]
    for fid in unknown:
        problems.append(Problem(case_path, f"--drop {fid}: no fact '{fid}' in the case", code="usage", suggestion=did_you_mean(fid, ids)))
    dropped = set(drop) - set(unknown)
    # origin of each fact of the counterfactual: ("case", index) or (Addition, index)
    origin: list = []
    facts: list = []
    for i, raw in enumerate(raw_facts):
        fid = as_key(raw.get("id")) if isinstance(raw, dict) else None
        if fid in dropped:
            continue
        facts.append(raw)
        origin.append(("case", i))
    for fid in sorted(dropped):
        words.append(f"drop {fid}")

    sources = dict(data.get("sources") or {})
    present = {as_key(f.get("id")) for f in facts}
    added_ids: set = set()
    for path in additions:
        try:
            add = read_addition(path)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        b = Builder(path)
        for key, spec in add.sources.items():
            if key in sources:
                b.error(("sources", key), f"source '{key}' is already a source of the case: use it without defining it again", "duplicate")
            else:
                sources[key] = spec
        added = []
        for j, raw in enumerate(add.facts):
            fid = as_key(raw.get("id")) if isinstance(raw, dict) else None
            if fid is not None and fid in added_ids:
                b.error(add.facts_path + (j, "id"), f"fact id '{fid}' is added twice", "duplicate")
                continue
            if fid is not None and fid in present:
                b.error(add.facts_path + (j, "id"), f"fact id '{fid}' is already in the case: --drop {fid} to replace it", "duplicate")
                continue
            present.add(fid)
            added_ids.add(fid)
            facts.append(raw)
            origin.append((add, j))
            added.append(fid or f"fact {j + 1}")
        problems.extend(locate(add.text, b.problems))
        words.append(f"add {', '.join(added)} from {path}" if added else f"add nothing from {path}")

    by_id = {as_key(f.get("id")): f for f in facts if isinstance(f, dict)}
    set_where: dict = {}
    for text_ in settings:
        try:
            fid, key, value = parse_setting(text_, list(by_id))
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if fid not in by_id:
            reason = "is dropped" if fid in dropped else "is not in the case"
            problems.append(Problem(case_path, f"--set {excerpt(text_, 80)}: fact '{fid}' {reason}", code="usage", suggestion="" if fid in dropped else did_you_mean(fid, list(by_id))))
            continue
        if key == "id":
            problems.append(Problem(case_path, f"--set {excerpt(text_, 80)}: a fact's id cannot be set; --drop it and --add the fact under its new id", code="usage"))
            continue
        by_id[fid][key] = value
        set_where[(fid, key)] = excerpt(text_, 80)
        words.append(f"set {fid}.{key} = {value_text(value)}")

    # built even when some change was refused, so that every problem is reported at once
    data["facts"] = facts
    if sources:
        data["sources"] = sources
    case, found = build_case(data, case_path)
    problems.extend(trace([p for p in found if p.severity == "error"], facts, origin, set_where, case_path, text))
    if problems or case is None:
        raise InputError(problems or [Problem(case_path, "the counterfactual case could not be built", code="value")])
    return written, case, words, warnings


def trace(problems: list, facts: list, origin: list, set_where: dict, case_path: str, case_text: str) -> list:
    """The counterfactual's problems pointed at their cause: a `--set`, a fact of an
    `--add` file, or the case file itself."""
    out: list = []
    in_case: list = []
    for p in problems:
        path = p.path
        if len(path) >= 2 and path[0] == "facts" and isinstance(path[1], int) and path[1] < len(facts):
            raw = facts[path[1]]
            fid = as_key(raw.get("id")) if isinstance(raw, dict) else None
            key = path[2] if len(path) > 2 else None
            # `reported` is judged against `date`: a --set of either can break the pair
            causes = [k for k in ((key, "date") if key == "reported" else (key,)) if (fid, k) in set_where]
            if causes:
                out.append(Problem(case_path, f"--set {set_where[(fid, causes[0])]}: {p.message}", code=p.code))
                continue
            where, j = origin[path[1]]
            if where == "case":
                in_case.append(Problem(case_path, p.message, path=("facts", j) + path[2:]))
            else:
                out.extend(locate(where.text, [Problem(where.file, p.message, path=where.facts_path + (j,) + path[2:])]))
            continue
        in_case.append(p)
    return out + locate(case_text, in_case)


def what_if(
    case_path: str,
    drop: Sequence[str] = (),
    settings: Sequence[str] = (),
    additions: Sequence[str] = (),
    rulesets: Sequence[str] = (),
    as_of: Optional[datetime.date] = None,
    max_worlds: int = DEFAULT_MAX_WORLDS,
) -> CaseDiff:
    """The counterfactual run of a case, as a diff against the case as written. Both
    runs use the same rulesets (given, else the case's own) and as_of."""
    written, changed, words, warnings = counterfactual(case_path, drop, settings, additions)
    loaded, more = rulesets_for(written, rulesets)
    result = diff_runs(written, changed, loaded, loaded, as_of, as_of, max_worlds, labels=("as written", "what if"))
    result.counterfactual = words
    result.warnings = list(dict.fromkeys(warnings + more))
    result.inputs = [case_path, *additions, *(rs.file for rs in loaded)]
    return result
