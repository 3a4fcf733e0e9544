"""Problems located at line and column: the file is composed with PyYAML, whose nodes
carry marks, and each problem's path is followed down to its node."""

from __future__ import annotations

import dataclasses
import functools
import os
import re

import yaml_rs

from ..errors import InputError, Problem
from .files import read_text

MAX_LOCATED_DEPTH = 100
MAX_SKIPPED_DEPTH = 20_000  # beyond these, nothing is located (the problem is at 1:1)
MAX_SKIPPED_FLOW = 500


@functools.lru_cache(maxsize=None)
def pyyaml():
    """PyYAML, imported when a problem must be located (most runs never need it)."""
    import yaml

    return yaml


@functools.lru_cache(maxsize=None)
def shallow_loader() -> type:
    """PyYAML's safe loader, composing nodes no deeper than MAX_LOCATED_DEPTH: its
    composer recurses, and a file nested thousands deep would otherwise leave every
    problem in it unlocated. Deeper content becomes one empty node at its start.
    Made on first use, so that PyYAML is not imported before it is needed."""
    yaml = pyyaml()

    class ShallowLoader(yaml.SafeLoader):
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

    return ShallowLoader


def locate(text: str, problems: list[Problem]) -> list[Problem]:
    """The problems with line and column filled in from their paths."""
    if not problems or all(p.line for p in problems):
        return problems
    if problems[0].file.endswith(".json"):
        # a tab in valid JSON is whitespace between tokens (one in a string must be
        # escaped); PyYAML, which locates, refuses tabs: a space keeps every position
        text = text.replace("\t", " ")
    root = compose_anyhow(text, shallow_loader())
    return [p if p.line else _at(p, root) for p in problems]


# what PyYAML refuses to read and the fast parser takes: C0 and C1 controls but tab
# and line breaks, DEL, the surrogates and two noncharacters
_UNREADABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|\t")


def readable(text: str) -> str:
    """The text with what PyYAML cannot read (tabs, DEL, ESC and other controls) made
    spaces: every node keeps its line and column."""
    return _UNREADABLE.sub(" ", text)


def compose_anyhow(text: str, loader=None):
    """PyYAML's node tree of the text (with its line and column marks), or of the text
    made readable when PyYAML refuses it as it is; None when neither composes. One
    ESC byte in a comment used to move every problem of a file to 1:1."""
    yaml = pyyaml()
    loader = loader or shallow_loader()
    for attempt in (text, None):
        if attempt is None:
            attempt = readable(text)
            if attempt == text:
                return None
        try:
            return yaml.compose(attempt, Loader=loader)
        except (yaml.YAMLError, RecursionError):
            continue
    return None


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
    yaml = pyyaml()
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
        return dataclasses.replace(problem, line=1, column=1)
    mark = node.start_mark
    return dataclasses.replace(problem, line=mark.line + 1, column=mark.column + 1)


def _same_key(node, step) -> bool:
    yaml = pyyaml()
    if isinstance(step, (tuple, list)):  # a list used as a key
        return isinstance(node, yaml.SequenceNode) and len(node.value) == len(step) and all(_same_key(n, s) for n, s in zip(node.value, step))
    if not isinstance(node, yaml.ScalarNode):
        return False
    if step is None:  # a null key: ~, null or nothing
        return node.tag == "tag:yaml.org,2002:null"
    if isinstance(step, bool):
        return node.value.lower() == str(step).lower()
    return node.value == str(step) or (isinstance(step, str) and node.value.strip("'\"") == step)


def find_duplicate_key(text: str, key: str, plain: bool = False) -> tuple[int, int]:
    """Where the second of two equal keys of one mapping stands. With `plain`, `key`
    is a value that is not a string, and keys are compared as YAML 1.2 reads them."""
    yaml = pyyaml()
    root = compose_anyhow(text, yaml.SafeLoader)
    if root is None:
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
