"""YAML text looked at before a parser reads it: how deeply it nests, what its aliases
expand to, and the plain scalars the fast parser reads unlike YAML 1.2.

The fast parser recurses once a level (a file of `- - - ... x` 20,000 deep overflowed
its stack), expands aliases without counting bytes (a 4 MiB scalar aliased 1,500
times took 6 GB), reads a number of millions of digits in minutes, and reads `1e400`
as an infinity, `1_000` and `0b101` as numbers. Each is refused here, located, before
the parser sees the text.

Cheap tests look first (a few passes of `str` methods and regular expressions over
the text); only a file they cannot clear is read line by line (`Structure`), which
follows block indentation, flow brackets, quotes, comments and block scalars without
building anything.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field
from typing import Optional

from ..errors import Problem, excerpt

MAX_DEPTH = 100  # lists and mappings inside each other; a real case or ruleset needs 10-20
MAX_ALIAS_BYTES = 64 * 2**20  # what aliases may add to a file, beyond twice its own size
MAX_DIGITS = 100_000  # a number of more digits is refused: reading it takes minutes

_LEAD = 40  # a line whose content starts past this many spaces and - ? : may nest deep
_FLOW_BUDGET = MAX_DEPTH - 2 * (_LEAD + 1)  # brackets open at once that need no closer look


def _table(classes: dict, other: bytes) -> bytes:
    table = bytearray(other * 256)
    for chars, to in classes.items():
        for c in chars:
            table[c] = to[0]
    return bytes(table)


# Skeletons of the text, one byte a byte, read with `bytes.find` (regular expressions
# over a 100 MB case took seconds): its shape (indentation and indicators, line
# breaks, brackets), and the characters numbers are written with.
_SHAPE = _table({b" \t-?:": b"s", b"\n\r": b"n", b"[{": b"(", b"]}": b")"}, b".")
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")
_NUMBER = _table({b"0123456789": b"0", b"_eEbxo": b"Z"}, b" ")
# a digit before _ e b x o starts every number form to look at (1_000, 1e400, 0b1,
# +0x1F); 309 digits start a decimal too long for a double
_NUMBER_HINTS = (b"0Z", b"0" * 309)

_ANCHOR = re.compile(r"&(?:(?<=[\s\[{,]&)|(?<=^&))[^\s\[\]{},]", re.M)
_ALIAS = re.compile(r"\*(?:(?<=[\s\[{,]\*)|(?<=^\*))[^\s\[\]{},]", re.M)
_TOKEN_CHARS = re.compile(r"[\w.+-]*")


def screen(text: str, file: str, numbers: bool = True) -> list[Problem]:
    """What must stop a file before the fast parser reads it: nesting past MAX_DEPTH,
    aliases that expand past MAX_ALIAS_BYTES, numbers of more than MAX_DIGITS digits,
    plain numbers that YAML 1.2 reads as text (with `numbers`). Located; empty when
    all is well."""
    raw = text.encode("utf-8", "surrogatepass")
    problems = []
    if may_nest_deeply(raw) or may_expand(text):
        structure = Structure(text)
        if structure.too_deep is not None:
            line, column = structure.too_deep
            problems.append(Problem(file, f"nests too deeply: more than {MAX_DEPTH} levels of lists and mappings inside each other", line, column, code="limit"))
            return problems  # the rest of the reading is not to be trusted
        added = structure.alias_bytes()
        if added > MAX_ALIAS_BYTES + 2 * len(text):
            line, column = structure.first_alias
            problems.append(Problem(file, f"its aliases expand to about {added // 2**20:,} MiB more than the file (an alias bomb?): at most {MAX_ALIAS_BYTES // 2**20} MiB beyond twice its size", line, column, code="alias"))
    skeleton = raw.translate(_NUMBER)
    at = skeleton.find(b"0" * (MAX_DIGITS + 1))
    if at != -1:
        start = _char_offset(text, raw, at)
        if plain_token(text, start):
            length = len(re.match(r"[0-9]*", text[start:start + 10**9]).group())
            line, column = position(text, start)
            problems.append(Problem(file, f"a number of {length:,} digits: at most {MAX_DIGITS:,} are read", line, column, code="limit"))
    if numbers:
        for start, token in _candidates(text, raw, skeleton):
            line, column = position(text, start)
            if misread(token):
                problems.append(Problem(file, f"'{excerpt(token, 40)}' is text in YAML 1.2 but a number to some parsers: quote it if it is text, or write the number in decimal without '_'", line, column, code="value"))
            elif decimal(token) and any(c in token for c in ".eE"):  # a whole number of any size is exact
                problems.extend(out_of_range(token, file, line, column))
    return problems


def out_of_range(token: str, file: str, line: int = 0, column: int = 0) -> list[Problem]:
    """The problem of a decimal number a double cannot hold: 1e400 (read as an
    infinity) or 2e-400 (read as 0), which would compare wrongly; none when it fits."""
    value = float(token)
    if math.isinf(value) or (value == 0 and re.search(r"[1-9]", re.split(r"[eE]", token)[0])):
        what = "larger" if math.isinf(value) else "smaller"
        return [Problem(file, f"the number {excerpt(token, 40)} is {what} than a decimal number can be here (about 1e308 to 1e-308): write it within that range, or as a whole number", line, column, code="value")]
    return []


def decimal(token: str) -> bool:
    """Whether a token is a YAML 1.2 core int or float in decimal (12, -1.5, .5e3),
    told with string methods: a regular expression backtracked for minutes over a
    number of 200,000 digits."""
    t = token[1:] if token[:1] in "+-" else token
    mantissa, e, exponent = t.replace("E", "e").partition("e")
    if e:
        exponent = exponent[1:] if exponent[:1] in "+-" else exponent
        if not (exponent.isascii() and exponent.isdigit()):
            return False
    if mantissa.count(".") > 1:
        return False
    digits = mantissa.replace(".", "")
    return bool(digits) and digits.isascii() and digits.isdigit()


def misread(token: str) -> bool:
    """Whether the fast parser reads as a number a plain token that YAML 1.2 reads as
    text: `1_000`, `0b101`, `+0x1F`, `0x1_F`."""
    signed = token[:1] in "+-"
    t = token[1:] if signed else token
    base, rest = t[:2], t[2:]
    if base == "0b":
        return bool(rest) and set(rest) <= set("01_")
    if base in ("0x", "0o"):
        allowed = set("0123456789abcdefABCDEF_") if base == "0x" else set("01234567_")
        return bool(rest) and set(rest) <= allowed and (signed or "_" in rest)
    return "_" in t and t[:1].isdigit() and decimal(t.replace("_", ""))


def _candidates(text: str, raw: bytes, skeleton: bytes) -> list:
    """(offset, token) of each whole plain token a number skeleton points at."""
    tokens = {}
    for hint in _NUMBER_HINTS:
        i = skeleton.find(hint)
        while i != -1:
            start = _token_start(text, _char_offset(text, raw, i))
            token = _TOKEN_CHARS.match(text, start).group()
            tokens[start] = token
            i = skeleton.find(hint, i + max(len(token.encode("utf-8", "surrogatepass")), 1))  # past the token: each is looked at once
    return [(start, token) for start, token in sorted(tokens.items()) if token and plain_token(text, start)]


def _token_start(text: str, at: int) -> int:
    while at > 0 and (text[at - 1].isalnum() or text[at - 1] in "_.+-"):
        at -= 1
    return at


def _char_offset(text: str, raw: bytes, at: int) -> int:
    return at if len(raw) == len(text) else len(raw[:at].decode("utf-8", "surrogatepass"))


def may_nest_deeply(raw: bytes) -> bool:
    """False when the text surely nests less than MAX_DEPTH deep: no line's content
    starts past _LEAD columns of indentation and indicators (block nesting takes at
    most two levels a column), and few brackets stand open at once."""
    shape = raw.translate(_SHAPE)
    lead = b"s" * _LEAD
    if shape.startswith(lead) or b"n" + lead in shape:
        return True
    if raw.count(b"[") + raw.count(b"{") <= _FLOW_BUDGET:
        return False
    only = raw.translate(_SHAPE, _NOT_BRACKETS)
    depth = 0
    while b"()" in only:
        only = only.replace(b"()", b"")
        depth += 1
        if depth > _FLOW_BUDGET:
            return True
    return depth + (1 if b"(" in only else 0) > _FLOW_BUDGET


def may_expand(text: str) -> bool:
    """False when the text surely has no alias of an anchor."""
    return "&" in text and "*" in text and _ANCHOR.search(text) is not None and _ALIAS.search(text) is not None


def position(text: str, offset: int) -> tuple[int, int]:
    """Line and column (from 1) of an offset."""
    start = max(text.rfind("\n", 0, offset), text.rfind("\r", 0, offset)) + 1
    return text.count("\n", 0, offset) + 1, offset - start + 1


def plain_token(text: str, at: int) -> bool:
    """Whether a token starting at `at` stands where a plain scalar starts (after a
    key, a dash, a bracket or a comma, or at the start of a line), outside quotes
    and comments on its line, and ends where a plain scalar ends: a number there is
    read as a number."""
    start = max(text.rfind("\n", 0, at), text.rfind("\r", 0, at)) + 1
    before = text[start:at]
    stripped = before.rstrip(" \t")
    if stripped:
        last = stripped[-1]
        if last not in "[{,:-?":
            return False
        if last in ":-?" and len(stripped) == len(before):
            return False  # no space after it: part of a longer token (a:1, x-1)
        if last in "-?" and len(stripped) > 1 and stripped[-2] not in " \t[{,":
            return False
    if re.search(r"(?:^|\s)#", before):
        return False
    if (before.count('"') - before.count('\\"')) % 2 or before.count("'") % 2:
        return False
    end = at + len(_TOKEN_CHARS.match(text, at).group())
    after = text[end:end + 2]
    return after[:1] in ("", "\n", "\r", ",", "]", "}") or after[:1] in " \t" or after in (": ", ":\n", ":\r") or after == ":"


@dataclass
class _Anchor:
    name: str
    start: int
    indent: int
    end: Optional[int] = None


@dataclass
class Structure:
    """A YAML text read line by line for its shape: the deepest nesting (where it first
    passes MAX_DEPTH), anchors with an upper bound of what each spans, aliases, tags."""

    text: str
    too_deep: Optional[tuple] = None
    anchors: list = field(default_factory=list)
    aliases: list = field(default_factory=list)  # (name, offset)
    tags: list = field(default_factory=list)  # (line, column, tag)
    first_alias: tuple = (1, 1)

    def __post_init__(self) -> None:
        self._read()

    # -- reading ------------------------------------------------------------------

    def _read(self) -> None:
        text = self.text
        self.blocks: list = []  # (column, kind) of open block collections
        self.flow = 0
        self.quote: Optional[str] = None
        self.block_scalar: Optional[int] = None  # content is indented past this column
        self.open_anchors: list = []
        self.base_indent = 0  # of the last line read at block level
        offset = 0
        for number, raw in enumerate(re.split(r"\r\n|\r|\n", text), 1):
            self.line = number
            self.offset = offset
            self._line(raw)
            offset += len(raw) + 1
            if self.too_deep is not None:
                return
        for a in self.open_anchors:
            a.end = len(text)

    def _line(self, line: str) -> None:
        indent = len(line) - len(line.lstrip(" "))
        body = line[indent:]
        if self.block_scalar is not None:
            if not body or indent > self.block_scalar:
                return
            self.block_scalar = None
        if self.quote is not None:
            pos = self._close_quote(line, 0)
            if pos is None:
                return
            self._tokens(line, pos, flow_only=self.flow > 0)
            return
        if self.flow:
            self._tokens(line, 0, flow_only=True)
            return
        if not body or body.startswith("#"):
            return
        # a line at block level: what was opened further right is closed
        self.base_indent = indent
        for a in [a for a in self.open_anchors if a.indent >= indent]:
            a.end = self.offset
            self.open_anchors.remove(a)
        if indent == 0 and (line.startswith(("---", "...")) and (len(line) == 3 or line[3] in " \t")):
            self.blocks = []
            self._tokens(line, 3, flow_only=False)
            return
        if indent == 0 and line.startswith("%"):
            return
        while self.blocks and self.blocks[-1][0] > indent:
            self.blocks.pop()
        self._tokens(line, indent, flow_only=False)

    def _open_block(self, column: int, kind: str) -> None:
        while self.blocks and self.blocks[-1][0] > column:
            self.blocks.pop()
        if kind == "map" and self.blocks and self.blocks[-1] == (column, "seq") and len(self.blocks) > 1 and self.blocks[-2] == (column, "map"):
            self.blocks.pop()  # a key after `key:` and its list at the same indentation
        if self.blocks and self.blocks[-1] == (column, kind):
            return
        self.blocks.append((column, kind))
        self._depth(column)

    def _depth(self, column: int) -> None:
        if self.too_deep is None and len(self.blocks) + self.flow > MAX_DEPTH:
            self.too_deep = (self.line, column + 1)

    def _close_quote(self, line: str, pos: int) -> Optional[int]:
        """The position after the closing quote on this line, or None (it goes on)."""
        q = self.quote
        i = pos
        while True:
            j = line.find(q, i)
            if j == -1:
                return None
            if q == "'":
                if line.startswith("''", j):
                    i = j + 2
                    continue
            else:
                backslashes = len(line[:j]) - len(line[:j].rstrip("\\"))
                if backslashes % 2:
                    i = j + 1
                    continue
            self.quote = None
            return j + 1

    def _tokens(self, line: str, pos: int, flow_only: bool) -> None:
        n = len(line)
        node = True  # at a place where a node (with its tag and anchor) may start
        while pos < n:
            c = line[pos]
            if c in " \t":
                pos += 1
                continue
            if c == "#" and (pos == 0 or line[pos - 1] in " \t"):
                return
            in_flow = self.flow > 0
            if not in_flow and node and c in "-?:" and (pos + 1 == n or line[pos + 1] in " \t"):
                self._open_block(pos, "seq" if c == "-" else "map")
                pos += 1
                continue
            if in_flow and c in "?:" and (pos + 1 == n or line[pos + 1] in " \t,[]{}"):
                pos += 1
                node = True
                continue
            if c == "!":
                end = _token_end(line, pos, in_flow)
                self.tags.append((self.line, pos + 1, line[pos:end]))
                pos = end
                continue
            if c == "&":
                end = _token_end(line, pos, in_flow)
                self.open_anchors.append(_Anchor(line[pos + 1:end], self.offset + pos, self._anchor_indent(line)))
                self.anchors.append(self.open_anchors[-1])
                pos = end
                continue
            if c == "*":
                end = _token_end(line, pos, in_flow)
                if not self.aliases:
                    self.first_alias = (self.line, pos + 1)
                self.aliases.append((line[pos + 1:end], self.offset + pos))
                pos = end
                node = False
                continue
            if c in "[{":
                self.flow += 1
                self._depth(pos)
                pos += 1
                node = True
                continue
            if c in "]}":
                self.flow = max(0, self.flow - 1)
                pos += 1
                node = False
                continue
            if c == ",":
                pos += 1
                node = True
                continue
            if c in "\"'":
                start = pos
                self.quote = c
                end = self._close_quote(line, pos + 1)
                if end is None:
                    return
                pos = self._after_scalar(line, start, end, in_flow)
                node = pos < n and line[pos - 1] == ":"
                continue
            if not in_flow and c in "|>":
                self.block_scalar = self.blocks[-1][0] if self.blocks else -1
                return
            if c == ":" and (pos + 1 == n or line[pos + 1] in " \t" or (in_flow and line[pos + 1] in ",[]{}")):
                if not in_flow:
                    self._open_block(pos, "map")
                pos += 1
                node = True
                continue
            # a plain scalar: to ': ', ' #' or the end of the line (or a flow indicator)
            end = _plain_end(line, pos, in_flow)
            pos = self._after_scalar(line, pos, end, in_flow)
            node = pos <= n and pos > 0 and line[pos - 1] == ":"

    def _after_scalar(self, line: str, start: int, end: int, in_flow: bool) -> int:
        """After a scalar: when a ':' follows it, it was a key of a mapping."""
        i = end
        while i < len(line) and line[i] in " \t":
            i += 1
        if i < len(line) and line[i] == ":" and (i + 1 == len(line) or line[i + 1] in " \t" or (in_flow and line[i + 1] in ",[]{}")):
            if not in_flow:
                self._open_block(start, "map")
            return i + 1
        return end

    def _anchor_indent(self, line: str) -> int:
        return self.base_indent  # a node starting on a line ends before the next line indented no deeper

    # -- what aliases expand to ----------------------------------------------------

    def alias_bytes(self) -> int:
        """An upper bound of the characters the aliases add, each expanded as far as
        its anchor spans (to the next line indented no deeper than the anchor's line),
        aliases inside an anchor included."""
        if not self.aliases:
            return 0
        anchors: dict = {}
        events = sorted([(a.start, 0, a) for a in self.anchors] + [(offset, 1, name) for name, offset in self.aliases], key=lambda e: (e[0], e[1]))
        positions: list = []
        totals: list = [0]  # added characters of the aliases before each position
        added = 0
        for offset, kind, what in events:
            if kind == 0:
                anchors[what.name] = what
                continue
            anchor = anchors.get(what)
            if anchor is None or anchor.end is None or anchor.end > offset:
                continue  # unknown, or an alias inside its own anchor (the parser refuses it)
            inside = totals[bisect.bisect_left(positions, anchor.end)] - totals[bisect.bisect_left(positions, anchor.start)]
            size = anchor.end - anchor.start + inside
            positions.append(offset)
            totals.append(totals[-1] + size)
            added += size
            if added > 2**62:
                break
        return added


def _token_end(line: str, pos: int, in_flow: bool) -> int:
    end = pos + 1
    stops = " \t,[]{}" if in_flow else " \t"
    while end < len(line) and line[end] not in stops:
        end += 1
    return end


def _plain_end(line: str, pos: int, in_flow: bool) -> int:
    pattern = _PLAIN_FLOW_END if in_flow else _PLAIN_BLOCK_END
    m = pattern.search(line, pos + 1)
    if m is None:
        return len(line)
    return m.start() + (1 if line[m.start()] in " \t" else 0)


_PLAIN_BLOCK_END = re.compile(r"[ \t]#|:(?=[ \t]|$)")
_PLAIN_FLOW_END = re.compile(r"[ \t]#|:(?=[ \t,\[\]{}]|$)|[,\[\]{}]")
