"""What durable-rules 2.0.28 can hold, checked on a compiled program before the engine
sees it.

The engine has fixed tables, and past them it does not always say so: a node with
512 children makes it loop forever (in create_ruleset or in the first assert, where
Ctrl-C cannot stop it), 4,097 rules and 257 rules on one pattern are errors without a
location, and a rule of 17 patterns fails only once facts arrive. Here the engine's
network is built again in miniature from the program's definition, the way rete.c
builds it (which nodes it shares, which table each child goes to), and every table is
counted. A program that passes runs; one that does not is refused at once, naming the
indicator or scenario that went past the limit and the limit itself (code "limit").

The limits (src/rules in the durable-rules sdist):
- an alpha node's children that test a value: one table of 512 slots whose probe never
  stops when it is full (rules.h NEXT_BUCKET_LENGTH, rete.c findAlpha, events.c
  handleAlpha): at most 511;
- its children that test for absence ($nex): 128 (NEXT_LIST_LENGTH, error 107);
- patterns of rules ending at one node: 256 (BETA_LIST_LENGTH, error 108);
- rules in a ruleset: 4,096 (MAX_ACTIONS, error 106);
- expressions of one pattern (and/or markers, joins): 31 (MAX_SEQUENCE_EXPRESSIONS,
  error 113);
- patterns in one rule: 16 (MAX_MESSAGE_FRAMES, error 304 when facts arrive);
- properties of one fact: 255 (MAX_OBJECT_PROPERTIES, error 302);
- nodes pending while one fact goes through the network: 64 (MAX_STACK_SIZE, error
  303), bounded here by the worst case: every child that may pass does.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Optional

from .errors import InputError, Problem

MAX_VALUE_CHILDREN = 511
# Root slots held back: the product's sink rule took two (a test of `fid`, a type
# `!never`) until the engine was called directly. Past compile.TYPES_AT_ROOT types,
# patterns test a type bucket first (compile.bucket_types), and the root holds those.
ROOT_RESERVED = 2
MAX_ABSENCE_CHILDREN = 127
MAX_BETAS = 255
MAX_RULES = 4096
MAX_EXPRESSIONS = 31
MAX_PATTERNS = 16
MAX_PROPERTIES = 255
MAX_PENDING = 64
MAX_PROPERTY_BYTES = 2**24 - 1  # a fact's value of 16 MiB or more crashed a join (MAX_OBJECT_PROPERTY_SIZE)

_ORDER = {"$lt", "$lte", "$gt", "$gte"}
_unique = itertools.count()


@dataclass
class _Node:
    """One alpha node of the miniature network."""

    property: str = ""
    equality: bool = False  # tests a literal for equality: one child of a property at most passes
    valued: dict = field(default_factory=dict)  # key -> _Node, children testing a value
    absent: dict = field(default_factory=dict)  # key -> _Node, children testing absence ($nex)
    array_valued: list = field(default_factory=list)  # inside $iany/$iall
    array_absent: list = field(default_factory=list)
    betas: int = 0


class _Over(Exception):
    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


class Network:
    """The engine's alpha network of a definition, in miniature, counted as it grows."""

    def __init__(self) -> None:
        self.root = _Node()
        self.expressions = 0

    def add_rule(self, rule: dict) -> None:
        """The patterns of one engine rule; _Over when a table overflows."""
        patterns = rule["all"]
        if len(patterns) > MAX_PATTERNS:
            raise _Over(f"{len(patterns)} conditions that match facts or items in one rule; the engine takes at most {MAX_PATTERNS}")
        for pattern in patterns:
            expr = next(iter(pattern.values()))
            self.expressions = 0
            end = self._create(self.root, expr, in_array=False)
            if self.expressions > MAX_EXPRESSIONS:
                raise _Over(f"a pattern of {self.expressions} engine expressions; the engine takes at most {MAX_EXPRESSIONS} (fewer joins, or fewer ne and not_in tests, in one condition)")
            end.betas += 1
            if end.betas > MAX_BETAS:
                raise _Over(f"more than {MAX_BETAS} rules sharing one pattern; the engine takes at most {MAX_BETAS}")

    def _create(self, parent: _Node, expr: dict, in_array: bool) -> _Node:
        (op, body), = expr.items()
        if op == "$and":
            self.expressions += 2
            node = parent
            for i, part in enumerate(body):
                node = self._create(node, part, in_array and i == 0)
            return node
        if op == "$or":
            self.expressions += 2
            forward = _Node("$forward")
            for part in body:
                end = self._create(parent, part, in_array)
                self._link(end, forward, absent=True, shared=False)
            return forward
        if op in ("$iany", "$iall"):
            (prop, inner), = body.items()
            node = self._link(parent, _Node(prop), absent=False, shared=False, in_array=in_array)
            self._create(node, inner, in_array=True)
            return node
        if op in ("$nex", "$ex") or op in _ORDER or op == "$neq":
            (prop, value), = body.items()
            return self._child(parent, prop, op, value, in_array, absent=op == "$nex")
        prop, value = op, body
        if isinstance(value, dict) and not (len(value) == 1 and next(iter(value)).startswith("$")):
            self.expressions += 1  # a join: a test against another pattern's fact
            return self._link(parent, _Node(prop), absent=False, shared=False, in_array=in_array)
        if isinstance(value, dict):  # {"$i": v} inside $iany
            (sub, v), = value.items()
            return self._child(parent, prop, "$eq", v, in_array, absent=False)
        return self._child(parent, prop, "$eq", value, in_array, absent=False)

    def _child(self, parent: _Node, prop: str, op: str, value, in_array: bool, absent: bool) -> _Node:
        key = (prop, op, repr(value))
        if not in_array:
            found = (parent.absent if absent else parent.valued).get(key)
            if found is not None:
                return found
        node = _Node(prop, equality=op == "$eq")
        return self._link(parent, node, absent=absent, shared=not in_array, in_array=in_array, key=key)

    def _link(self, parent: _Node, child: _Node, absent: bool, shared: bool, in_array: bool = False, key=None) -> _Node:
        if in_array:
            table = parent.array_absent if absent else parent.array_valued
            table.append(child)
            size = len(table)
        else:
            table = parent.absent if absent else parent.valued
            table[key if shared and key is not None else next(_unique)] = child
            size = len(table)
        if absent and size > MAX_ABSENCE_CHILDREN:
            raise _Over(f"more than {MAX_ABSENCE_CHILDREN} absence tests under one engine node; the engine takes at most {MAX_ABSENCE_CHILDREN}")
        if not absent and size > MAX_VALUE_CHILDREN - (ROOT_RESERVED if parent is self.root else 0):
            if parent is self.root:
                raise _Over(f"more than {MAX_VALUE_CHILDREN - 3} tests at the root of the engine's network in one run (one for each type list `match: [a, b]`, and one for each distinct fact type and referenced item, or past 384 of those one for each of their 256 buckets); the engine takes at most {MAX_VALUE_CHILDREN} tests under one node (beyond, it hangs)")
            raise _Over(f"more than {MAX_VALUE_CHILDREN} tests under one engine node (many values of one key, or many in: values); the engine hangs beyond {MAX_VALUE_CHILDREN}")
        return child

    def pending(self) -> int:
        """The most nodes a fact can leave pending at once (every child that may pass
        does; of a property's equality tests against literals, one passes at most)."""
        best: dict = {}
        stack = [(self.root, False)]
        while stack:  # post-order, without recursion: chains of 500 items are deep
            node, done = stack.pop()
            if id(node) in best:
                continue
            children = list(node.valued.values()) + list(node.absent.values())
            if not done:
                stack.append((node, True))
                stack.extend((c, False) for c in children if id(c) not in best)
                continue
            equal_props = {c.property for c in node.valued.values() if c.equality}
            others = sum(1 for c in node.valued.values() if not c.equality)
            passing = len(equal_props) + others + len(node.absent)
            deepest = max((best[id(c)] for c in children), default=0)
            best[id(node)] = max(passing, passing - 1 + deepest) if passing else 0
        return best[id(self.root)]


def check(definition: dict, owner, plans: dict, place) -> None:
    """InputError when the engine cannot hold the program: the problem names the
    indicator or scenario that goes past a limit (`owner(rule)` gives the item of an
    engine rule, `place(item id)` its problem) and the limit. `plans` give the
    properties each fact type's facts carry at most."""
    if len(definition) > MAX_RULES:
        rules = list(definition.values())
        raise InputError([place(owner(rules[MAX_RULES]), f"the rulesets need {len(definition):,} engine rules; the engine (durable-rules) takes at most {MAX_RULES:,}")])
    network = Network()
    for rule in definition.values():
        try:
            network.add_rule(rule)
        except _Over as over:
            raise InputError([place(owner(rule), over.what)]) from None
    pending = network.pending()
    if pending > MAX_PENDING:
        last = list(definition.values())[-1]
        raise InputError([place(owner(last), f"a fact may leave {pending} engine tests pending at once; the engine takes at most {MAX_PENDING} (too many patterns of one type that a fact can pass together)")])
    for ty, (count, item) in plans.items():
        if count > MAX_PROPERTIES:
            raise InputError([place(item, f"facts of type '{ty.split(':', 1)[1]}' would carry {count} engine properties; the engine takes at most {MAX_PROPERTIES} (too many keys tested on one type)")])


def first_owner(runs: tuple) -> Optional[str]:
    """The item an engine rule's actions belong to (a collector's or a body's)."""
    for run in runs:
        if run[0] == "body":
            return run[1]
    return None
