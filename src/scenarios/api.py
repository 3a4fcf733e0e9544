"""The library's front door: run a case from files or from plain data.

The CLI is a thin layer over these functions; tests and other programs call them
directly.
"""

from __future__ import annotations

import datetime
import os
from typing import Callable, Optional, Sequence

from .errors import InputError, Problem
from .run import evaluate
from .heap import frozen_heap
from .load import bundled_case, find_ruleset, load_case, load_case_text, load_ruleset, load_ruleset_text
from .model import Case, Ruleset
from .parse import build_case, build_ruleset
from .result import RunResult
from .worlds import DEFAULT_MAX_WORLDS


def case_from_data(data, file: str = "<case>") -> Case:
    """A case from plain data; InputError on any problem (located by path only)."""
    return _built(*build_case(data, file), file, "not a case")


def ruleset_from_data(data, file: str = "<ruleset>") -> Ruleset:
    return _built(*build_ruleset(data, file), file, "not a ruleset")


def _built(model, problems: list, file: str, otherwise: str):
    errors = [p for p in problems if p.severity == "error"]
    if errors or model is None:
        raise InputError(errors or [Problem(file, otherwise)])
    return model


def case_from_text(text: str, file: str = "<case>") -> Case:
    """A case from YAML 1.2 text, read exactly as a case file is."""
    return load_case_text(text, file)[0]


def ruleset_from_text(text: str, file: str = "<ruleset>") -> Ruleset:
    return load_ruleset_text(text, file)[0]


def no_rulesets(case_file: str) -> InputError:
    return InputError([Problem(case_file, "no rulesets to run: name them with -r or in the case's 'rulesets:'")])


def find_rulesets(case_file: str, wanted: Sequence[str], named_by_case: bool) -> list[tuple[Optional[str], list]]:
    """Each ruleset of `wanted` in order, once: (its file, []), or (None, the problems
    of finding it). Reads no ruleset."""
    seen: set = set()
    out: list = []
    for i, name in enumerate(wanted):
        try:
            path = find_ruleset(name, case_file)
        except InputError as exc:
            if named_by_case:  # say where the case names it
                exc = InputError([Problem(case_file, f"ruleset '{name}' is not in ./rulesets/, beside the case or bundled", path=("rulesets", i))])
            out.append((None, exc.problems))
            continue
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            out.append((path, []))
    return out


def rulesets_for(case: Case, names: Sequence[str]) -> tuple[list, list]:
    """The rulesets a run uses (given, else the case's own) and their warnings."""
    wanted = list(names) or list(case.rulesets)
    if not wanted:
        raise no_rulesets(case.file)
    problems: list = []
    paths = []
    for path, found in find_rulesets(case.file, wanted, not names):
        problems.extend(found)
        if path is not None:
            paths.append((path, None))
    out, warnings = load_rulesets(paths, problems)
    if problems:
        raise InputError(problems)
    return out, warnings


def load_rulesets(sources, problems: list) -> tuple[list, list]:
    """The rulesets of (file, text) pairs, in order, and their warnings; a text of
    None is read from its file. The problems of each are added to `problems`."""
    out, warnings = [], []
    for file, text in sources:
        try:
            ruleset, w = load_ruleset(file) if text is None else load_ruleset_text(text, file)
            out.append(ruleset)
            warnings.extend(w)
        except InputError as exc:
            problems.extend(exc.problems)
    return out, warnings


def run_files(
    case_path: Optional[str] = None,
    rulesets: Sequence[str] = (),
    as_of: Optional[datetime.date] = None,
    max_worlds: int = DEFAULT_MAX_WORLDS,
    explain_id: Optional[str] = None,
    map_worlds: Optional[Callable] = None,
) -> RunResult:
    """Run a case file (the bundled case when none) with rulesets given by path or id;
    `map_worlds` as in `evaluate`."""
    case, warnings = load_case(case_path or bundled_case())
    loaded, more = rulesets_for(case, rulesets)
    with frozen_heap():
        result = evaluate(case, loaded, as_of=as_of, max_worlds=max_worlds, explain_id=explain_id, map_worlds=map_worlds)
    result.warnings = warnings + more
    return result


def run_data(case: dict, rulesets: list, as_of: Optional[datetime.date] = None, max_worlds: int = DEFAULT_MAX_WORLDS) -> RunResult:
    """Run plain data: a case mapping and ruleset mappings, as YAML 1.2 would give them."""
    return evaluate(case_from_data(case), [ruleset_from_data(r, f"<ruleset {i}>") for i, r in enumerate(rulesets)], as_of=as_of, max_worlds=max_worlds)
