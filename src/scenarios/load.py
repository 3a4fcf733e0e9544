"""Files -> plain data -> model, with every problem located at file:line:col.

The happy path parses with a fast YAML 1.2 parser (or `json` for `.json` files) into
plain data. Only when a problem is found is the file composed again with PyYAML,
whose nodes carry line and column marks, to point at the problem. Values always come
from the fast parser, so what a case means never depends on which parser read it.
"""

from __future__ import annotations

import json
import os
import re
import sys
from typing import Any, Optional

import yaml_rs

from .errors import InputError, Problem
from .heap import gc_paused, give_back
from .model import ID_RE, Case, Ruleset
from .parse import build_case, build_ruleset

class _OnFirstUse:
    """PyYAML, imported when a problem must be located (most runs never need it)."""

    def __getattr__(self, name: str):
        import yaml as module

        globals()["yaml"] = module
        return getattr(module, name)


yaml = _OnFirstUse()

MAX_BYTES = 512 * 1024 * 1024
if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)  # a whole number of any length is a number, not an error
ALIAS_LIMITS = yaml_rs.AliasLimits(max_total_replayed_events=2_000_000, max_replay_stack_depth=64)
BUNDLED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bundled")
_POSITION = re.compile(r"line (\d+),? column (\d+)")
_DOCUMENT = re.compile(r"^---(?:[ \t]|$)", re.MULTILINE)
_SURROGATE = re.compile("[\ud800-\udfff]")
_CORE_TAGS = {f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "seq", "map")}


def read_text(path: str) -> str:
    """The text of a file; InputError when it is missing, a folder, binary or not UTF-8."""
    if not os.path.exists(path):
        raise InputError([Problem(path, "no such file")])
    if os.path.isdir(path):
        raise InputError([Problem(path, "is a folder, not a file")])
    if not os.path.isfile(path):  # a pipe or a device would block or never end
        raise InputError([Problem(path, "is not a regular file")])
    try:
        size = os.stat(path).st_size
        if size > MAX_BYTES:
            raise InputError([Problem(path, f"the file is {size // 2**20} MiB; at most {MAX_BYTES // 2**20} MiB are read")])
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise InputError([Problem(path, f"cannot be read: {exc.strerror or exc}")]) from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError([Problem(path, "is UTF-16 text: save it as UTF-8")])
    if b"\x00" in raw:
        raise InputError([Problem(path, "is a binary file, not YAML text")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError([Problem(path, "is not UTF-8 text", line, column)]) from None
    return text[1:] if text.startswith("\ufeff") else text


def parse_text(text: str, file: str) -> Any:
    """Plain data from YAML 1.2 (or JSON, for a `.json` file); InputError on a syntax error."""
    if file.endswith(".json"):
        try:
            data = json.loads(text, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as exc:
            raise InputError([Problem(file, f"invalid JSON: {exc.msg}", exc.lineno, exc.colno)]) from None
        except _DuplicateKey as exc:
            line, column = find_duplicate_key(text, exc.key)
            raise InputError([Problem(file, f"duplicate key '{exc.key}'", line, column)]) from None
        except RecursionError:
            raise InputError([Problem(file, "invalid JSON: it nests too deeply (lists or objects inside each other)", 1, 1)]) from None
        except ValueError as exc:
            raise InputError([Problem(file, f"invalid JSON: {exc}", 1, 1)]) from None
        bad = _lone_surrogate(data, ())
        if bad is not None:
            raise InputError(locate(text, [Problem(file, "holds a lone surrogate (\\ud800-\\udfff), which is not text", path=bad)]))
        return data
    try:
        data = yaml_rs.loads(text, parse_datetime=False, alias_limits=ALIAS_LIMITS)
    except yaml_rs.YAMLDecodeError as exc:
        if "tag" in str(exc).lower():
            refuse_tags(text, file)  # says where the tag stands
        raise InputError([syntax_problem(text, file, str(exc))]) from None
    except (ValueError, OverflowError, RecursionError) as exc:
        raise InputError([Problem(file, f"invalid YAML: {exc}")]) from None
    if _has_tag(text):
        refuse_tags(text, file)
    if isinstance(data, list):
        separators = [m.start() for m in _DOCUMENT.finditer(text)]
        documents = len(separators) + (0 if text.lstrip().startswith("---") else 1)
        if documents > 1:
            raise InputError([Problem(file, "holds several YAML documents; a case or ruleset is one document", 1, 1)])
    return data


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
    and silently reading it as plain data would hide what the file asked for."""
    problems = []
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            tag = getattr(event, "tag", None)
            if tag is None or tag == "!" or tag in _CORE_TAGS:
                continue
            shown = "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag
            mark = event.start_mark
            problems.append(Problem(file, f"the tag '{shown}' is not allowed: cases and rulesets are plain YAML data", mark.line + 1, mark.column + 1))
    except yaml.YAMLError:
        return
    if problems:
        raise InputError(problems)


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
    lines = [line for line in message.splitlines() if line.strip()]
    found = _POSITION.search(message)
    what = lines[-1].strip() if lines else message
    if "|" in what or "^" in what:
        what = lines[0]
    what = re.sub(r"^YAML parse error at line \d+, column \d+:?\s*", "", what) or "invalid YAML"
    if "alias" in message and "limit" in message:
        return Problem(file, "too many aliases expanded (an alias bomb?): refused", 1, 1)
    if "recursion limit" in what:
        what = "it nests too deeply (lists or mappings inside each other)"
    if found:
        return Problem(file, f"invalid YAML: {what}", int(found.group(1)), int(found.group(2)))
    try:
        yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            return Problem(file, f"invalid YAML: {what}", mark.line + 1, mark.column + 1)
    except yaml.YAMLError:
        pass
    key = re.search(r"duplicate mapping key: '(.*)'", message)
    if key:
        line, column = find_duplicate_key(text, key.group(1))
        return Problem(file, f"duplicate key '{key.group(1)}'", line, column)
    key = re.search(r"duplicate mapping key: (.+)", what)
    if key:  # not a string (10 and 010 are both ten in YAML 1.2)
        shown = key.group(1).strip()
        shown = {"True": "true", "False": "false", "None": "null"}.get(shown, shown)  # the parser speaks Python
        line, column = find_duplicate_key(text, shown, plain=True)
        return Problem(file, f"duplicate key {shown} (keys that YAML 1.2 reads as the same value)", line, column)
    return Problem(file, f"invalid YAML: {what}")


def find_duplicate_key(text: str, key: str, plain: bool = False) -> tuple[int, int]:
    """Where the second of two equal keys of one mapping stands. With `plain`, `key`
    is a value that is not a string, and keys are compared as YAML 1.2 reads them."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return 0, 0
    wanted = _plain_value(key) if plain else key
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: list = []
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    value = _plain_value(k.value) if plain and k.style is None else k.value
                    if value in seen and value == wanted:
                        return k.start_mark.line + 1, k.start_mark.column + 1
                    seen.append(value)
                stack.append(v)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return 0, 0


def _plain_value(text: str):
    """A plain scalar as YAML 1.2 reads it (010 is ten); the text when it is not one."""
    try:
        value = yaml_rs.loads(f"k: {text}\n", parse_datetime=False)["k"]
    except Exception:  # not a scalar yaml_rs reads on its own: compare the text
        return text
    return (type(value), value)


class _ShallowLoader(yaml.SafeLoader):
    """PyYAML's safe loader, composing nodes no deeper than MAX_LOCATED_DEPTH: its
    composer recurses, and a file nested thousands deep would otherwise leave every
    problem in it unlocated. Deeper content becomes one empty node at its start."""

    depth = 0

    def compose_node(self, parent, index):
        if self.depth >= MAX_LOCATED_DEPTH and self.check_event(yaml.SequenceStartEvent, yaml.MappingStartEvent):
            start = self.get_event()
            open_ = 1
            while open_:
                event = self.get_event()
                if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                    open_ += 1
                    # PyYAML's scanner slows down with each flow level it is in
                    if open_ > (MAX_SKIPPED_FLOW if event.flow_style else MAX_SKIPPED_DEPTH):
                        raise yaml.YAMLError("nested too deeply to locate")
                elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                    open_ -= 1
            return yaml.ScalarNode("tag:yaml.org,2002:str", "", start.start_mark, event.end_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


MAX_LOCATED_DEPTH = 100
MAX_SKIPPED_DEPTH = 20_000  # beyond these, nothing is located (the problem is at 1:1)
MAX_SKIPPED_FLOW = 500


def locate(text: str, problems: list[Problem]) -> list[Problem]:
    """The problems with line and column filled in from their paths."""
    if not problems or all(p.line for p in problems):
        return problems
    if problems[0].file.endswith(".json"):
        # a tab in valid JSON is whitespace between tokens (one in a string must be
        # escaped); PyYAML, which locates, refuses tabs: a space keeps every position
        text = text.replace("\t", " ")
    try:
        root = yaml.compose(text, Loader=_ShallowLoader)
    except (yaml.YAMLError, RecursionError):
        root = None
    return [p if p.line else _at(p, root) for p in problems]


def locate_in_files(problems: list[Problem]) -> list[Problem]:
    """Problems found after loading (ids, references, cycles) located in their files."""
    out = []
    by_file: dict = {}
    for p in problems:
        by_file.setdefault(p.file, []).append(p)
    for file, group in by_file.items():
        if any(not p.line and p.path for p in group) and os.path.isfile(file):
            try:
                group = locate(read_text(file), group)
            except InputError:
                pass
        out.extend(group)
    return out


def _at(problem: Problem, root) -> Problem:
    node = root
    key_node = None
    for step in problem.path:
        child = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if _same_key(k, step):
                    child, key_node = v, k
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            child, key_node = node.value[step], None
        if child is None:
            break
        node = child
    else:
        # an unknown or duplicate key is best pointed at by the key itself
        if key_node is not None and any(w in problem.message for w in ("unknown key", "duplicate", "unknown operator", "attribute name")):
            node = key_node
    if node is None:
        return Problem(problem.file, problem.message, 1, 1, problem.severity, problem.path)
    mark = node.start_mark
    return Problem(problem.file, problem.message, mark.line + 1, mark.column + 1, problem.severity, problem.path)


def _same_key(node, step) -> bool:
    if isinstance(step, (tuple, list)):  # a list used as a key
        return isinstance(node, yaml.SequenceNode) and len(node.value) == len(step) and all(_same_key(n, s) for n, s in zip(node.value, step))
    if not isinstance(node, yaml.ScalarNode):
        return False
    if step is None:  # a null key: ~, null or nothing
        return node.tag == "tag:yaml.org,2002:null"
    if isinstance(step, bool):
        return node.value.lower() == str(step).lower()
    return node.value == str(step) or (isinstance(step, str) and node.value.strip("'\"") == step)


def _finish(text: str, model, problems: list[Problem], file: str):
    errors = [p for p in problems if p.severity == "error"]
    if errors or model is None:
        raise InputError(locate(text, errors) or [Problem(file, "could not be read")])
    return model, locate(text, problems)


def load_case(path: str) -> tuple[Case, list[Problem]]:
    """A case and its warnings; InputError carrying every error found."""
    return load_case_text(read_text(path), path)


def load_case_text(text: str, path: str) -> tuple[Case, list[Problem]]:
    """A case and its warnings from the text of the file `path`, as `load_case` reads it."""
    with gc_paused():
        data = parse_text(text, path)
        if data is None:
            raise InputError([Problem(path, "is empty: a case needs case, as_of and facts", 1, 1)])
        built = build_case(data, path, consume=True)
        del data
        if len(text) > 2**22:
            give_back()
        return _finish(text, *built, path)


def load_ruleset(path: str) -> tuple[Ruleset, list[Problem]]:
    """A ruleset and its warnings; InputError carrying every error found."""
    return load_ruleset_text(read_text(path), path)


def load_ruleset_text(text: str, path: str) -> tuple[Ruleset, list[Problem]]:
    """A ruleset and its warnings from the text of the file `path`."""
    data = parse_text(text, path)
    if data is None:
        raise InputError([Problem(path, "is empty: a ruleset needs ruleset and indicators or scenarios", 1, 1)])
    return _finish(text, *build_ruleset(data, path), path)


def find_ruleset(name: str, near: Optional[str] = None) -> str:
    """The file of a ruleset given as a path or an id.

    An id is looked up in ./rulesets/, then beside the case (its ../rulesets/), then
    among the bundled rulesets.
    """
    if os.sep in name or name.endswith((".yaml", ".yml", ".json")) or (os.path.isfile(name) and not ID_RE.match(name)):
        return name
    places = ["rulesets"]
    if near:
        places.append(os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(near))), "rulesets"))
    places.append(os.path.join(BUNDLED, "rulesets"))
    for place in places:
        for ext in (".yaml", ".yml", ".json"):
            candidate = os.path.join(place, f"{name}{ext}")
            if os.path.isfile(candidate):
                return candidate
    if os.path.exists(name):  # no ruleset has this id, but a file (or folder) here has this name
        return name
    raise InputError([Problem(name, "no ruleset file of that name in ./rulesets/ or among the bundled rulesets")])


def bundled_case() -> str:
    return os.path.join(BUNDLED, "cases", "idlib-m4-2020-05.yaml")
