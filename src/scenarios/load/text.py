"""Text -> plain data: YAML 1.2 with a fast parser (JSON for `.json` files), every
syntax problem, tag, duplicate key and alias bomb refused with its location."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import sys
import threading
from typing import Any, Iterator

import yaml_rs

from ..errors import InputError, Problem, excerpt
from .locate import compose_anyhow, find_duplicate_key, locate, pyyaml, readable
from .scan import MAX_DIGITS, Structure, may_expand, out_of_range, position, screen

ALIAS_LIMITS = yaml_rs.AliasLimits(max_total_replayed_events=2_000_000, max_replay_stack_depth=64)
_POSITION = re.compile(r"line (\d+),? column (\d+)")
_DOCUMENT = re.compile(r"^---(?=[ \t\r\n]|\Z)", re.MULTILINE)
_SURROGATE = re.compile("[\ud800-\udfff]")
_CORE_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map")}


@contextlib.contextmanager
def whole_numbers_of_any_length() -> Iterator[None]:
    """Python refuses to read an integer of more than 4,300 digits; in a case it is a
    number like any other (SPEC 3.1 orders numbers exactly). Scoped to the parse: the
    CLI lifts the limit for a whole command, as printing such a number needs too."""
    get = getattr(sys, "get_int_max_str_digits", None)
    if get is None:
        yield
        return
    before = get()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(before)


def parse_text(text: str, file: str) -> Any:
    """Plain data from YAML 1.2 (or JSON, for a `.json` file); InputError on a syntax
    error, a tag, an alias bomb, nesting past MAX_DEPTH or a number the fast parser
    would read unlike YAML 1.2 (see `scan`), each located."""
    if file.endswith(".json"):
        return _parse_json(text, file)
    problems = screen(text, file)
    if problems:
        raise InputError(problems)
    try:
        with whole_numbers_of_any_length():
            data = in_halves(text)
            if data is None:
                data = yaml_rs.loads(text, parse_datetime=False, alias_limits=ALIAS_LIMITS)
    except yaml_rs.YAMLDecodeError as exc:
        if "tag" in str(exc).lower():
            refuse_tags(text, file)  # says where the tag stands
        raise InputError([syntax_problem(text, file, str(exc))]) from None
    except TypeError:  # a mapping key that holds a list: `? {a: [1]}`
        raise InputError([complex_key(text, file)]) from None
    except (ValueError, OverflowError, RecursionError) as exc:
        raise InputError([Problem(file, f"invalid YAML: {exc}", code="syntax")]) from None
    if _has_tag(text):
        refuse_tags(text, file)
    if isinstance(data, list) and documents(text) > 1:
        raise InputError([Problem(file, "holds several YAML documents; a case or ruleset is one document", 1, 1, code="syntax")])
    return data


SPLIT_FROM = 2**20  # characters: a case this long is read in two halves at once
_FACTS_LINE = re.compile(r"^facts:[ ]*\n", re.MULTILINE)
_FIRST_ITEM = re.compile(r"( *)- ")


def in_halves(text: str) -> Any:
    """The data of a long case, read as two texts at once, one on another thread: the
    parser lets go of the interpreter while it reads, so that two cores read a case
    in about half the time. None when the text cannot be cut where this can prove the
    halves read as the whole does, or when a half does not read: the whole is then
    read as one, which says what is wrong.

    The cut is at the start of a line that starts an item of the `facts:` list as its
    first item does (the same indentation and "- "), past the middle of the text.
    What comes before `facts:` must read on its own, so that `facts:` is a key, not
    text within a quoted or bracketed value. The first half must read, and end with
    `facts` holding a list: all that follows `facts:` up to the cut is then within
    that list (a line that left it would be another key, or unreadable), a quoted or
    bracketed value open at the cut would leave the first half unread, and a block or
    plain value ends at a line as little indented as the cut. So the cut line starts
    the list's next item, and the second half, read as `facts:` and the rest, gives
    the rest of the list and the keys after it (a key given in both halves: the whole
    says what is wrong). Not cut: a text with aliases (an anchor may be in the other
    half), several documents, or line ends other than LF.
    """
    if len(text) < SPLIT_FROM or "\r" in text or may_expand(text) or _line_starting(text, "---", " \t\n") != -1 or _line_starting(text, "...", " \t\n") != -1:
        return None
    at = _line_starting(text, "facts:", " \n")
    if at == -1 or _line_starting(text, "facts:", " \n", at + 1) != -1:
        return None
    found = _FACTS_LINE.match(text, at)
    if found is None:
        return None
    start = found.end()
    item = _FIRST_ITEM.match(text, start)
    if item is None:
        return None
    cut = text.find("\n" + item.group(0), max(start, len(text) // 2))
    if cut == -1:
        return None
    cut += 1
    try:
        header = yaml_rs.loads(text[: found.start()], parse_datetime=False, alias_limits=ALIAS_LIMITS)
    except Exception:
        return None
    if header is not None and (type(header) is not dict or "facts" in header):
        return None
    second: dict = {}

    def read_second() -> None:
        try:
            second["data"] = yaml_rs.loads("facts:\n" + text[cut:], parse_datetime=False, alias_limits=ALIAS_LIMITS)
        except Exception:
            pass

    worker = threading.Thread(target=read_second, name="read-second-half", daemon=True)
    try:
        worker.start()
    except RuntimeError:  # no thread to be had (a process limit): read the whole
        return None
    try:
        first = yaml_rs.loads(text[:cut], parse_datetime=False, alias_limits=ALIAS_LIMITS)
    except Exception:
        first = None
    worker.join()
    rest = second.get("data")
    if type(first) is not dict or type(rest) is not dict or type(first.get("facts")) is not list or type(rest.get("facts")) is not list:
        return None
    if next(iter(reversed(first))) != "facts" or any(key in first for key in rest if key != "facts"):
        return None  # a key before `facts:` again after it: the whole says which
    first["facts"].extend(rest.pop("facts"))
    first.update(rest)
    return first


def _line_starting(text: str, prefix: str, then: str, start: int = 0) -> int:
    """Where the first line from `start` on that is `prefix` followed by a character of
    `then` (or the end) starts; -1 when none is. str.find, not a regular expression
    with ^: measured 100 times faster over a 9 MB case."""
    if start == 0 and text.startswith(prefix):
        at = 0
    else:
        at = text.find("\n" + prefix, max(start - 1, 0))
        at = -1 if at == -1 else at + 1
    while at != -1:
        after = at + len(prefix)
        if after == len(text) or text[after] in then:
            return at
        at = text.find("\n" + prefix, after)
        at = -1 if at == -1 else at + 1
    return -1


def parse_value(text: str, where: str) -> Any:
    """A value given on the command line (`--set FACT.KEY=VALUE`), read as YAML 1.2
    exactly as a file is: tags, aliases, nesting and numbers refused alike.
    InputError naming `where` (the option and its text)."""
    try:
        return parse_text(text, "<value>")
    except InputError as exc:
        reasons = "; ".join(p.message for p in exc.problems)
        raise InputError([Problem(where, f"the value is not a plain YAML value: {reasons}", code=exc.problems[0].code)]) from None


def documents(text: str) -> int:
    """The number of YAML documents of a text: a `---` that only comments, blank
    lines and directives precede starts the first one."""
    markers = [m.start() for m in _DOCUMENT.finditer(text)]
    if not markers:
        return 1
    head = text[: markers[0]]
    explicit = all(not line.strip() or line.lstrip().startswith("#") or line.startswith("%") for line in head.splitlines())
    return len(markers) + (0 if explicit else 1)


def _parse_json(text: str, file: str) -> Any:
    problems = screen(text, file, numbers=False)
    if problems:
        raise InputError(problems)
    try:
        with whole_numbers_of_any_length():
            data = json.loads(text, object_pairs_hook=_unique_keys, parse_int=_json_int, parse_float=_json_float)
    except json.JSONDecodeError as exc:
        raise InputError([Problem(file, f"invalid JSON: {exc.msg}", exc.lineno, exc.colno, code="syntax")]) from None
    except _DuplicateKey as exc:
        line, column = find_duplicate_key(text, exc.key)
        raise InputError([Problem(file, f"duplicate key '{exc.key}'", line, column, code="duplicate-key")]) from None
    except _BadNumber as exc:
        at = text.find(exc.token)
        line, column = position(text, at) if at != -1 else (1, 1)
        raise InputError([dataclasses.replace(exc.problem, file=file, line=line, column=column)]) from None
    except RecursionError:
        raise InputError([Problem(file, "invalid JSON: it nests too deeply (lists or objects inside each other)", 1, 1, code="syntax")]) from None
    except ValueError as exc:
        raise InputError([Problem(file, f"invalid JSON: {exc}", 1, 1, code="syntax")]) from None
    bad = _lone_surrogate(data, ())
    if bad is not None:
        raise InputError(locate(text, [Problem(file, "holds a lone surrogate (\\ud800-\\udfff), which is not text", path=bad, code="encoding")]))
    return data


class _BadNumber(ValueError):
    def __init__(self, token: str, problem: Problem):
        super().__init__(token)
        self.token = token
        self.problem = problem


def _json_int(token: str) -> int:
    if len(token.lstrip("-")) > MAX_DIGITS:
        raise _BadNumber(token, Problem("", f"a number of {len(token.lstrip('-')):,} digits: at most {MAX_DIGITS:,} are read", code="limit"))
    return int(token)


def _json_float(token: str) -> float:
    problems = out_of_range(token, "")
    if problems:
        raise _BadNumber(token, problems[0])
    return float(token)


def complex_key(text: str, file: str) -> Problem:
    """The problem of a mapping key that is itself a list or a mapping, located."""
    yaml = pyyaml()
    root = compose_anyhow(text)
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop(0)
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, (yaml.MappingNode, yaml.SequenceNode)):
                    mark = k.start_mark
                    return Problem(file, f"a key must be text (or a number), not a {'mapping' if isinstance(k, yaml.MappingNode) else 'list'}", mark.line + 1, mark.column + 1, code="type")
                stack.extend((k, v))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return Problem(file, "a key must be text (or a number), not a list or a mapping", 1, 1, code="type")


def _has_tag(text: str) -> bool:
    """Whether a `!` stands where a tag could start: at the start, or after whitespace,
    a flow indicator, ':', '?' or '-'. A regular expression over the whole text took
    1.7 s on a 99 MB case, `str.find` milliseconds; past many `!` (a text of them),
    a simpler expression takes over from where the search stands."""
    i = text.find("!")
    for _ in range(1000):
        if i == -1:
            return False
        if i == 0 or text[i - 1] in _BEFORE_TAG:
            return True
        i = text.find("!", i + 1)
    return i != -1 and _TAG_START.search(text, i - 1) is not None


_TAG_START = re.compile(r"[\s\[\{,:?-]!")
_BEFORE_TAG = frozenset(" \t\r\n\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000[{,:?-")


def refuse_tags(text: str, file: str) -> None:
    """InputError for any explicit tag but the core ones: `!!python/...` is never run,
    and silently reading it as plain data would hide what the file asked for.

    PyYAML says where each tag stands. It refuses some text the fast parser reads (a
    tab after a colon, a DEL or ESC byte even in a comment): it then reads the text
    with those characters made spaces, and failing that, the shape reader finds
    every '!' where a node starts."""
    yaml = pyyaml()
    for attempt in (text, readable(text)):
        problems = []
        try:
            for event in yaml.parse(attempt, Loader=yaml.SafeLoader):
                tag = getattr(event, "tag", None)
                if tag is None or tag == "!" or tag in _CORE_TAGS:
                    continue
                shown = "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag
                mark = event.start_mark
                problems.append(_tag(file, shown, mark.line + 1, mark.column + 1))
        except yaml.YAMLError:
            continue
        if problems:
            raise InputError(problems)
        return
    problems = [_tag(file, tag, line, column) for line, column, tag in Structure(text).tags if tag != "!"]
    if problems:
        raise InputError(problems)


def _tag(file: str, shown: str, line: int, column: int) -> Problem:
    return Problem(file, f"the tag '{excerpt(shown, 80)}' is not allowed: cases and rulesets are plain YAML data", line, column, code="tag")


class _DuplicateKey(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list) -> dict:
    """A JSON object; two equal keys are an error, as in YAML (json keeps the last)."""
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _lone_surrogate(data, path: tuple):
    """The path of the first string holding a lone surrogate, or None."""
    stack = [(data, path)]
    while stack:
        value, at = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                return at
        elif isinstance(value, dict):
            for k, v in value.items():
                if _SURROGATE.search(k):
                    return at + (k,)
                stack.append((v, at + (k,)))
        elif isinstance(value, list):
            stack.extend((v, at + (i,)) for i, v in enumerate(value))
    return None


def syntax_problem(text: str, file: str, message: str) -> Problem:
    """A YAML syntax error, located by the fast parser or else by PyYAML."""
    yaml = pyyaml()
    lines = [line for line in message.splitlines() if line.strip()]
    found = _POSITION.search(message)
    what = lines[-1].strip() if lines else message
    if "|" in what or "^" in what:
        what = lines[0]
    what = re.sub(r"^YAML parse error at line \d+, column \d+:?\s*", "", what) or "invalid YAML"
    if "alias" in message and "limit" in message:
        return Problem(file, "too many aliases expanded (an alias bomb?): refused", 1, 1, code="alias")
    if "recursion limit" in what:
        what = "it nests too deeply (lists or mappings inside each other)"
    if found:
        return Problem(file, f"invalid YAML: {what}", int(found.group(1)), int(found.group(2)), code="syntax")
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            return Problem(file, f"invalid YAML: {what}", mark.line + 1, mark.column + 1, code="syntax")
    except yaml.YAMLError:
        pass
    key = re.search(r"duplicate mapping key: '(.*)'", message)
    if key:
        line, column = find_duplicate_key(text, key.group(1))
        return Problem(file, f"duplicate key '{key.group(1)}'", line, column, code="duplicate-key")
    key = re.search(r"duplicate mapping key: (.+)", what)
    if key:  # not a string (10 and 010 are both ten in YAML 1.2)
        shown = key.group(1).strip()
        shown = {"True": "true", "False": "false", "None": "null"}.get(shown, shown)  # the parser speaks Python
        line, column = find_duplicate_key(text, shown, plain=True)
        return Problem(file, f"duplicate key {shown} (keys that YAML 1.2 reads as the same value)", line, column, code="duplicate-key")
    return Problem(file, f"invalid YAML: {what}", code="syntax")
