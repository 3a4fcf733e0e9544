"""`scenarios check`: every problem of cases and rulesets, without running anything.

The checks are the ones `run` relies on (the same loader and compiler), plus
warnings about what is written but can never matter.
"""

from __future__ import annotations

import datetime
import os
import re

from .compile import compile_program
from .errors import InputError, Problem
from .load import find_ruleset, load_document, locate_in_files, parse_text, read_text
from .model import Case, ItemRef, Match, walk
from .load.ruletests import is_test_file, load_tests
from .run.notices import keys_read

EXTENSIONS = (".yaml", ".yml", ".json")


def files_in(paths: list) -> tuple[list, list]:
    """The files to check (folders searched recursively) and problems with the paths.
    A file named twice (`a.yaml ./a.yaml`, a link to it) is checked once: twice, its
    ids would clash with themselves. A folder that cannot be read is said, not skipped."""
    out, problems = [], []
    for path in paths:
        if os.path.isdir(path):
            found = []

            def unreadable(exc: OSError) -> None:
                problems.append(Problem(exc.filename or path, f"cannot be read: {exc.strerror or exc}: its files are not checked", code="file"))

            for folder, subfolders, names in os.walk(path, onerror=unreadable):
                subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
                # a FIFO, a dangling link or a loop of links named .yaml is read, so that
                # it is said: skipped, a case the analyst meant to check was left out
                found.extend(os.path.join(folder, n) for n in names if not n.startswith(".") and n.endswith(EXTENSIONS) and not os.path.isdir(os.path.join(folder, n)))
            if not found and not any(p.file.startswith(path) for p in problems):
                problems.append(Problem(path, "no .yaml, .yml or .json files in this folder", severity="warning", code="file"))
            out.extend(sorted(found))
        elif os.path.lexists(path):
            out.append(path)  # reading it says what is wrong with it (a loop of links, a FIFO)
        else:
            problems.append(Problem(path, "no such file or folder", code="file"))
    return once(out), problems


def once(files: list) -> list:
    """`files` with each file once, in order, whatever path names it."""
    seen: set = set()
    unique = []
    for file in files:
        real = os.path.realpath(file)
        if real not in seen:
            seen.add(real)
            unique.append(file)
    return unique


_TOP_KEY = re.compile(r"""^["']?(case|ruleset)["']?[ \t]*:""", re.MULTILINE)


def case_files(paths: list) -> tuple[list, list]:
    """The case files `scenarios run` runs for `paths`: other paths as given (running
    one that is not there says so, with the problems of the other cases), and in a
    folder (searched as `check` searches it) the case files alone, skipping rulesets
    and ruleset test files. A folder with no case is a problem."""
    out, problems = [], []
    for path in paths:
        if not os.path.isdir(path):
            out.append(path)
            continue
        found, _ = files_in([path])
        cases = [f for f in found if not is_test_file(f) and is_case_file(f)]
        if not cases:
            problems.append(Problem(path, "no case file in this folder (a case file has 'case:' at its top)", code="file"))
        out.extend(cases)
    return once(out), problems  # a case named twice (a file and its folder) is run once


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
    if rulesets:  # a key a rule reads is no slip of a reserved one
        read = keys_read(item for rs in rulesets for item in rs.items)
        problems = [p for p in problems if not (p.code == "unknown-key" and p.severity == "warning" and p.path and p.path[-1] in read)]
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
