"""What a run says about its case beside the statuses: warnings that only the rulesets
of the run make meaningful."""

from __future__ import annotations

from ..errors import Problem, excerpt
from ..model import MATCHED_TEXT, ItemRef, Match, Ref, walk
from ..suggest import close_key


def keys_read(items) -> set:
    """Every attribute key a condition tests, a `$name.KEY` reads or a derive copies."""
    keys: set = set()
    for item in items:
        for c in walk(item.when):
            if isinstance(c, (Match, ItemRef)):
                for t in c.tests:
                    keys.add(t.key)
                    if isinstance(t.operand, Ref):
                        keys.add(t.operand.key)
        for _, value in item.derive:
            if isinstance(value, Ref):
                keys.add(value.key)
    return keys


def notices(case, program, facts: list, load_warnings: list) -> list[Problem]:
    """The warnings of a run: those of loading the case, less the slips of reserved
    keys that a rule reads on purpose; values longer than `matches` reads; and the
    attribute keys that no rule reads but that are a slip away from one it does
    ("actr" where the rules test "actor")."""
    read = keys_read(program.items.values())
    out = [w for w in load_warnings if not (w.code == "unknown-key" and w.file == case.file and w.path and w.path[-1] in read)]
    matched = {t.key for item in program.items.values() for c in walk(item.when) if isinstance(c, (Match, ItemRef)) for t in c.tests if t.op == "matches"}
    known = tuple(sorted(read))
    unused = {key for key in attribute_keys(facts) if key not in read and key not in _NOT_ATTRIBUTES and close_key(key, known)}
    if not matched and not unused:  # most runs: no pass over the facts, key by key
        return out
    said: set = set()
    for fact in facts:
        for key, value in fact.values.items():
            if key in matched and (key, "long") not in said and any(isinstance(v, str) and len(v) > MATCHED_TEXT for v in (value if isinstance(value, tuple) else (value,))):
                said.add((key, "long"))
                out.append(Problem(case.file, f"'{excerpt(key)}' of fact '{excerpt(fact.id)}' is longer than {MATCHED_TEXT:,} characters: matches reads only that many", path=fact.path + (key,), severity="warning", code="limit"))
        for key in list(fact.values) + list(fact.contested):
            if key in unused and key not in said:
                said.add(key)
                out.append(Problem(case.file, f"the attribute name '{excerpt(key)}' is read by no rule of this run", path=fact.path + (key,), severity="warning", code="unused", suggestion=f"did you mean '{close_key(key, known)}'?"))
    return out


_NOT_ATTRIBUTES = frozenset(("id", "date", "source", "credibility", "text", "present"))


def attribute_keys(facts: list) -> set:
    """Every key the facts hold, contested ones included."""
    keys: set = set()
    for fact in facts:
        keys.update(fact.values)
        if fact.contested:
            keys.update(fact.contested)
    return keys
