"""`scenarios check`: every problem of cases and rulesets, without running anything.

The checks are the ones `run` relies on (the same loader and compiler), plus
warnings about what is written but can never matter.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from .compile import compile_program
from .errors import InputError, Problem
from .load import find_ruleset, load_document, locate_in_files, parse_text, read_text
from .model import Case, ItemRef, Match, walk
from .load.ruletests import is_test_file, load_tests

EXTENSIONS = (".yaml", ".yml", ".json")


def files_in(paths: list) -> tuple[list, list]:
    """The files to check (folders searched recursively) and problems with the paths."""
    out, problems = [], []
    for path in paths:
        p = Path(path)
        if p.is_dir():
            found = sorted(
                str(f)
                for f in p.rglob("*")
                if f.is_file() and f.suffix in EXTENSIONS and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
            if not found:
                problems.append(Problem(path, "no .yaml, .yml or .json files in this folder", severity="warning", code="file"))
            out.extend(found)
        elif p.exists():
            out.append(path)
        else:
            problems.append(Problem(path, "no such file or folder", code="file"))
    return list(dict.fromkeys(out)), problems


_TOP_KEY = re.compile(r"""^["']?(case|ruleset)["']?[ \t]*:""", re.MULTILINE)


def case_files(paths: list) -> tuple[list, list]:
    """The case files `scenarios run` runs for `paths`: other paths as given (running
    one that is not there says so, with the problems of the other cases), and in a
    folder (searched as `check` searches it) the case files alone, skipping rulesets
    and ruleset test files. A folder with no case is a problem."""
    out, problems = [], []
    for path in paths:
        if not Path(path).is_dir():
            out.append(path)
            continue
        found, _ = files_in([path])
        cases = [f for f in found if not is_test_file(f) and is_case_file(f)]
        if not cases:
            problems.append(Problem(path, "no case file in this folder (a case file has 'case:' at its top)", code="file"))
        out.extend(cases)
    return out, problems


def is_case_file(path: str) -> bool:
    """Whether a file holds a case rather than a ruleset: by its top-level `case:` or
    `ruleset:` key, read from the text when it shows, else from the parsed document.
    A file that cannot be read counts as a case, so that running it says what is wrong."""
    try:
        text = read_text(path)
    except InputError:
        return True
    found = _TOP_KEY.search(text)
    if found:
        return found.group(1) == "case"
    try:
        data = parse_text(text, path)
    except InputError:
        return True
    return not (isinstance(data, dict) and "ruleset" in data and "case" not in data)


def check(paths: list) -> list[Problem]:
    """Every problem found in the files under `paths`, errors and warnings."""
    files, problems = files_in(paths)
    cases, rulesets = [], []
    for file in files:
        if is_test_file(file):
            try:
                load_tests(file)
            except InputError as exc:
                problems.extend(exc.problems)
            continue
        try:
            model, found = load_document(file)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        problems.extend(found)
        (cases if isinstance(model, Case) else rulesets).append(model)
    problems.extend(check_together(cases, rulesets))
    return sorted(locate_in_files(problems), key=lambda p: (p.file, p.line, p.column, p.severity, p.message))


def check_together(cases: list, rulesets: list) -> list[Problem]:
    """What only shows across files: ids, references, cycles, unused items, case rulesets."""
    problems: list = []
    program = None
    if rulesets:
        try:
            program = compile_program(rulesets, datetime.date.today())
        except InputError as exc:
            problems.extend(exc.problems)
    if program is not None:
        used = {c.id for item in program.items.values() for c in walk(item.when) if isinstance(c, ItemRef)}
        for iid, item in program.items.items():
            if item.kind == "indicator" and iid not in used:
                problems.append(Problem(item.file, f"indicator '{iid}' is used by no scenario or indicator", severity="warning", path=item.path + ("id",), code="unused"))
        if cases:
            types = {f.type for case in cases for f in case.facts}
            for iid, item in program.items.items():
                needed = sorted({t for c in walk(item.when) if isinstance(c, Match) for t in c.types} - types)
                if needed and item.kind == "scenario":
                    problems.append(
                        Problem(item.file, f"no case checked has facts of type {', '.join(needed)}, which '{iid}' matches", severity="warning", path=item.path + ("id",), code="unused")
                    )
    known = {rs.id for rs in rulesets}
    for case in cases:
        for i, rid in enumerate(case.rulesets):
            if rid in known:
                continue
            try:
                find_ruleset(rid, case.file)
            except InputError:
                problems.append(Problem(case.file, f"ruleset '{rid}' is not among the files checked, in ./rulesets/ or bundled", path=("rulesets", i), code="reference"))
    return problems
