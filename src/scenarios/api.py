"""The library's front door: run a case from files or from plain data.

The CLI is a thin layer over these functions; tests and other programs call them
directly. Reading files and text is `scenarios.load`'s; the names below are the ones
a program needs.
"""

from __future__ import annotations

import datetime
from typing import Callable, Optional, Sequence

from .heap import frozen_heap
from .load import bundled_case, case_from_data, case_from_text, load_case, ruleset_from_data, ruleset_from_text, rulesets_for
from .result import RunResult
from .run import evaluate
from .worlds import DEFAULT_MAX_WORLDS

__all__ = ["case_from_data", "case_from_text", "evaluate", "ruleset_from_data", "ruleset_from_text", "run_data", "run_files", "timeline_file"]


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
        result = evaluate(case, loaded, as_of=as_of, max_worlds=max_worlds, explain_id=explain_id, map_worlds=map_worlds, warnings=warnings + more)
    result.inputs = [case.file, *(rs.file for rs in loaded)]
    return result


def run_data(case: dict, rulesets: list, as_of: Optional[datetime.date] = None, max_worlds: int = DEFAULT_MAX_WORLDS) -> RunResult:
    """Run plain data: a case mapping and ruleset mappings, as YAML 1.2 would give them."""
    return evaluate(case_from_data(case), [ruleset_from_data(r, f"<ruleset {i}>") for i, r in enumerate(rulesets)], as_of=as_of, max_worlds=max_worlds)


def timeline_file(
    case_path: Optional[str] = None,
    rulesets: Sequence[str] = (),
    since: Optional[datetime.date] = None,
    until: Optional[datetime.date] = None,
    every: str = "1w",
    max_worlds: int = DEFAULT_MAX_WORLDS,
):
    """The timeline of a case file (the bundled case when none) and the warnings of
    reading it; see `run.timeline.timeline`."""
    from .run.timeline import timeline

    case, warnings = load_case(case_path or bundled_case())
    loaded, more = rulesets_for(case, rulesets)
    with frozen_heap():
        result = timeline(case, loaded, since=since, until=until, every=every, max_worlds=max_worlds)
    result.inputs = [case.file, *(rs.file for rs in loaded)]
    return result, warnings + more
