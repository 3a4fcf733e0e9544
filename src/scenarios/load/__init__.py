"""Files -> plain data -> model, with every problem located at file:line:col.

The happy path parses with a fast YAML 1.2 parser (or `json` for `.json` files) into
plain data (`text`). Only when a problem is found is the file composed again with
PyYAML, whose nodes carry line and column marks, to point at the problem (`locate`).
Values always come from the fast parser, so what a case means never depends on which
parser read it. Everything that reads a case, a ruleset or a ruleset test file goes
through here.
"""

from __future__ import annotations

import os
from typing import Any, Optional, Sequence

from ..errors import InputError, Problem
from ..heap import gc_paused, give_back
from ..model import ID_RE, Case, Ruleset
from ..parse import build_case, build_ruleset
from .files import MAX_BYTES, read_text
from .locate import locate, locate_in_files
from .text import ALIAS_LIMITS, parse_text, parse_value, whole_numbers_of_any_length

__all__ = [
    "ALIAS_LIMITS", "BUNDLED", "MAX_BYTES", "bundled_case", "case_from_data", "case_from_text",
    "find_ruleset", "find_rulesets", "finish", "load_case", "load_case_text", "load_document",
    "load_ruleset", "load_ruleset_text", "load_rulesets", "locate", "locate_in_files",
    "no_rulesets", "parse_text", "parse_value", "read_text", "ruleset_from_data", "ruleset_from_text",
    "rulesets_for", "whole_numbers_of_any_length",
]

BUNDLED = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bundled")
RULESET_EXTENSIONS = (".yaml", ".yml", ".json")


def finish(text: str, model, problems: list[Problem], file: str):
    """(model, its warnings, located) from what a builder gave; InputError, located,
    when it found an error."""
    errors = [p for p in problems if p.severity == "error"]
    if errors or model is None:
        raise InputError(locate(text, errors) or [Problem(file, "could not be read", code="syntax")])
    return model, locate(text, problems)


def load_case(path: str) -> tuple[Case, list[Problem]]:
    """A case and its warnings; InputError carrying every error found."""
    return load_case_text(read_text(path), path)


def load_case_text(text: str, path: str) -> tuple[Case, list[Problem]]:
    """A case and its warnings from the text of the file `path`, as `load_case` reads it."""
    with gc_paused():
        data = parse_text(text, path)
        if data is None:
            raise InputError([Problem(path, "is empty: a case needs case, as_of and facts", 1, 1, code="syntax")])
        built = build_case(data, path, consume=True)
        del data
        if len(text) > 2**22:
            give_back()
        return finish(text, *built, path)


def load_ruleset(path: str) -> tuple[Ruleset, list[Problem]]:
    """A ruleset and its warnings; InputError carrying every error found."""
    return load_ruleset_text(read_text(path), path)


def load_ruleset_text(text: str, path: str) -> tuple[Ruleset, list[Problem]]:
    """A ruleset and its warnings from the text of the file `path`."""
    data = parse_text(text, path)
    if data is None:
        raise InputError([Problem(path, "is empty: a ruleset needs ruleset and indicators or scenarios", 1, 1, code="syntax")])
    return finish(text, *build_ruleset(data, path), path)


def load_document(path: str) -> tuple[Any, list[Problem]]:
    """A case or a ruleset, whichever the file holds (by its `case:` or `ruleset:`),
    and its warnings; InputError carrying every error found."""
    text = read_text(path)
    data = parse_text(text, path)
    if isinstance(data, dict) and "case" in data:
        return finish(text, *build_case(data, path), path)
    if isinstance(data, dict) and "ruleset" in data:
        return finish(text, *build_ruleset(data, path), path)
    raise InputError([Problem(path, "neither a case (no 'case:') nor a ruleset (no 'ruleset:')", 1, 1, code="syntax")])


def case_from_data(data, file: str = "<case>") -> Case:
    """A case from plain data; InputError on any problem (located by path only)."""
    return _built(*build_case(data, file), file, "not a case")


def ruleset_from_data(data, file: str = "<ruleset>") -> Ruleset:
    """A ruleset from plain data; InputError on any problem (located by path only)."""
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
    """A ruleset from YAML 1.2 text, read exactly as a ruleset file is."""
    return load_ruleset_text(text, file)[0]


def find_ruleset(name: str, near: Optional[str] = None) -> str:
    """The file of a ruleset given as a path or an id.

    An id is looked up in ./rulesets/, then beside the case (its ../rulesets/), then
    among the bundled rulesets.
    """
    if os.sep in name or name.endswith(RULESET_EXTENSIONS) or (os.path.isfile(name) and not ID_RE.match(name)):
        return name
    places = ["rulesets"]
    if near:
        places.append(os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(near))), "rulesets"))
    places.append(os.path.join(BUNDLED, "rulesets"))
    for place in places:
        for ext in RULESET_EXTENSIONS:
            candidate = os.path.join(place, f"{name}{ext}")
            if os.path.isfile(candidate):
                return candidate
    if os.path.exists(name):  # no ruleset has this id, but a file (or folder) here has this name
        return name
    raise InputError([Problem(name, "no ruleset file of that name in ./rulesets/ or among the bundled rulesets", code="reference")])


def bundled_case() -> str:
    """The file of the bundled Idlib case, the one `scenarios run` runs by default."""
    return os.path.join(BUNDLED, "cases", "idlib-m4-2020-05.yaml")


def no_rulesets(case_file: str) -> InputError:
    """The problem of a run that names no ruleset at all."""
    return InputError([Problem(case_file, "no rulesets to run: name them with -r or in the case's 'rulesets:'", code="reference")])


def find_rulesets(case_file: str, wanted: Sequence[str], named_by_case: bool) -> list[tuple[Optional[str], list]]:
    """Each ruleset of `wanted` in order, once: (its file, []), or (None, the problems
    of finding it). Reads no ruleset."""
    seen: set = set()
    out: list = []
    for i, name in enumerate(wanted):
        try:
            path = find_ruleset(name, case_file)
        except InputError as exc:
            problems = exc.problems
            if named_by_case:  # say where the case names it
                problems = [Problem(case_file, f"ruleset '{name}' is not in ./rulesets/, beside the case or bundled", path=("rulesets", i), code="reference")]
            out.append((None, problems))
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
