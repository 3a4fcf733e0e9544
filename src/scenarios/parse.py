"""Plain data (as a YAML 1.2 or JSON parser gives it) -> the typed model.

Every problem is collected as a `Problem` with the path of the offending node; the
loader turns paths into line and column. Nothing here raises on bad input: callers
get the model and the list of problems, and refuse to go on when it is not empty.
"""

from __future__ import annotations

import datetime
import functools
import math
import re
from fractions import Fraction
from sys import intern
from typing import Any, Optional


from . import suggest
from .errors import Problem, excerpt
from .model import (
    ID_RE,
    RELIABILITY,
    All,
    Alternative,
    AnyOf,
    Case,
    Count,
    Fact,
    Item,
    ItemRef,
    Match,
    Not,
    Of,
    Ref,
    Regex,
    Ruleset,
    Source,
    Test,
    Window,
    binds_of,
    fact_values,
)
from .values import DATE_RE, OPERATORS, parse_date, whole_number_text

NAME_PATTERN = "[A-Za-z_][A-Za-z0-9_-]*"  # a name bound with `as:`
NAME_RE = re.compile(NAME_PATTERN + r"\Z")
REF_RE = re.compile(r"\$(" + NAME_PATTERN + r")\.(.+)\Z", re.S)  # $name.KEY
NAME_REF_RE = re.compile(r"\$" + NAME_PATTERN + r"\Z")
WITHIN_RE = re.compile(r"([0-9]+)\s*([dwmy])\Z")
MAX_PATTERN = 256


@functools.lru_cache(maxsize=None)
def _re2() -> tuple:
    """RE2 and its options, imported when a ruleset first uses `matches` (a run
    without one does not pay for the import)."""
    import re2

    options = re2.Options()
    options.log_errors = False  # the reason is ours to say, not printed by RE2 itself
    options.never_capture = True  # only whether it matches counts: tracking groups took 5 s a megabyte
    return re2, options
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
MAX_ID_LENGTH = 1000  # ids and fact types reach the engine, whose values must stay far below 16 MiB

RESERVED_AND_PRESENT = frozenset(("id", "type", "date", "reported", "source", "credibility", "text", "present"))
CASE_KEYS = ("case", "title", "classification", "as_of", "rulesets", "sources", "facts")
SOURCE_KEYS = ("name", "reliability")
RULESET_KEYS = ("ruleset", "title", "description", "indicators", "scenarios")
ITEM_KEYS = ("id", "title", "description", "when", "derive", "implications", "signposts")
HEADS = ("match", "indicator", "scenario", "all", "any", "not", "count", "of")
MATCH_KEYS = ("match", "where", "within", "from", "until", "as")
REF_KEYS = ("where", "as")
COUNT_KEYS = ("count", "at_least", "at_most")
OF_KEYS = ("of", "at_least", "at_most")


class Builder:
    """Collects problems for one file while its model is built."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []

    def error(self, path: tuple, message: str, code: str, suggestion: str = "") -> None:
        self.problems.append(Problem(self.file, message, code=code, suggestion=suggestion, path=tuple(path)))

    def warn(self, path: tuple, message: str, code: str, suggestion: str = "") -> None:
        self.problems.append(Problem(self.file, message, severity="warning", code=code, suggestion=suggestion, path=tuple(path)))

    # -- shapes ----------------------------------------------------------------

    def mapping(self, data: Any, path: tuple, what: str) -> Optional[dict]:
        if isinstance(data, dict):
            return data
        # a whole file that is not a mapping may be any file at all (a test file can
        # name one): it is described, never quoted
        shown = describe(data) if path or not isinstance(data, str) else "text"
        self.error(path, f"{what} must be a mapping of keys to values, not {shown}", "type")
        return None

    def keys(self, data: dict, allowed: tuple, path: tuple, what: str) -> None:
        for key in data:
            if not isinstance(key, str) or key not in allowed:
                self.error(path + (key,), f"unknown key '{excerpt(str(key))}' in {what}; allowed: {', '.join(allowed)}", "unknown-key", suggest.did_you_mean(str(key), allowed))

    def ident(self, value: Any, path: tuple, what: str) -> Optional[str]:
        text = as_key(value)
        if text is None:
            self.error(path, f"{what} must be an id (lowercase letters, digits and '-'), not {describe(value)}", "type")
            return None
        if not ID_RE.match(text):
            self.error(path, f"{what} '{excerpt(text)}' is not a valid id: use lowercase letters, digits and '-'", "value")
            return None
        if len(text) > MAX_ID_LENGTH:
            self.error(path, f"{what} is {len(text):,} characters long: at most {MAX_ID_LENGTH:,}", "limit")
            return None
        return text

    def text(self, value: Any, path: tuple, what: str) -> Optional[str]:
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        self.error(path, f"{what} must be text, not {describe(value)}", "type")
        return None

    def texts(self, value: Any, path: tuple, what: str) -> tuple:
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list):
            self.error(path, f"{what} must be a list of text, not {describe(value)}", "type")
            return ()
        out = []
        for i, v in enumerate(value):
            t = self.text(v, path + (i,), f"each of {what}")
            if t is not None:
                out.append(t)
        return tuple(out)

    def date(self, value: Any, path: tuple, what: str) -> Optional[datetime.date]:
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return value
        if isinstance(value, str) and DATE_RE.match(value):
            try:
                return parse_date(value)
            except ValueError:
                self.error(path, f"{what} '{value}' is not a real day", "value")
                return None
        self.error(path, f"{what} must be a date written YYYY-MM-DD, not {describe(value)}", "type")
        return None

    def scalar(self, value: Any, path: tuple, what: str) -> Any:
        """A scalar attribute value or operand; dates recognised; None when invalid."""
        if isinstance(value, bool) or isinstance(value, int):
            return value
        if isinstance(value, float):
            if math.isnan(value):
                self.error(path, f"{what} is not a number (.nan cannot be compared)", "value")
                return None
            return value
        if isinstance(value, str):
            if DATE_RE.match(value):
                try:
                    return parse_date(value)
                except ValueError:
                    self.error(path, f"'{value}' is written as a date but is not a real day", "value")
                    return None
            return value
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return value
        self.error(path, f"{what} must be a string, number, boolean or date, not {describe(value)}", "type")
        return None

    def value(self, value: Any, path: tuple, what: str) -> Any:
        """An attribute value: a scalar or a list of scalars (a tuple)."""
        if isinstance(value, list):
            out = []
            ok = True
            for i, v in enumerate(value):
                s = self.scalar(v, path + (i,), f"each element of {what}")
                if s is None:
                    ok = False
                out.append(s)
            return tuple(out) if ok else None
        return self.scalar(value, path, what)


def as_key(value: Any) -> Optional[str]:
    """An id or key as text: ids and keys are always strings."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return None


def describe(value: Any) -> str:
    """A value in words, for a message: `the number 3`, `a list`."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {excerpt(whole_number_text(value) if isinstance(value, int) else repr(value), 40)}"
    if isinstance(value, str):
        return f"the text '{excerpt(value, 40)}'"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, (dict, frozenset)):  # a mapping used as a key reads as a frozenset
        return "a mapping"
    if isinstance(value, datetime.date):
        return f"the date {value.isoformat()}"
    return type(value).__name__


# -- cases -------------------------------------------------------------------------


def build_case(data: Any, file: str, consume: bool = False) -> tuple[Optional[Case], list[Problem]]:
    """The case of plain data and every problem found in it (None when one is an error)."""
    b = Builder(file)
    root = b.mapping(data, (), "a case file")
    if root is None:
        return None, b.problems
    b.keys(root, CASE_KEYS, (), "a case")
    for key in ("case", "as_of", "facts"):
        if key not in root:
            b.error((), f"a case needs '{key}'", "missing-key")
    case_id = b.ident(root["case"], ("case",), "the case id") if "case" in root else None
    title = b.text(root.get("title"), ("title",), "title") if root.get("title") is not None else None
    classification = b.text(root.get("classification"), ("classification",), "classification")
    as_of = b.date(root["as_of"], ("as_of",), "as_of") if "as_of" in root else None
    rulesets: tuple = ()
    if root.get("rulesets") is not None:
        raw = root["rulesets"]
        raw = [raw] if isinstance(raw, str) else raw
        if isinstance(raw, list):
            ids = [b.ident(r, ("rulesets", i), "a ruleset id") for i, r in enumerate(raw)]
            rulesets = tuple(r for r in ids if r is not None)
        else:
            b.error(("rulesets",), f"rulesets must be a list of ruleset ids, not {describe(raw)}", "type")
    sources = build_sources(b, root.get("sources"))
    facts, index = build_facts(b, root.get("facts"), sources, consume) if "facts" in root else ((), {})
    contested = [f for f in facts if f.contested]  # few facts of a large case: looked at once here
    likelihood = check_likelihood(b, contested)
    cited = {f.source for f in facts} | {
        a.source for f in contested for alts in f.contested.values() for a in alts
    }
    for key in sources:
        if key not in cited:
            b.warn(("sources", key), f"source '{excerpt(key)}' is not cited by any fact", "unused")
    if any(p.severity == "error" for p in b.problems):
        return None, b.problems
    case = Case(
        id=case_id,
        title=title or case_id,
        classification=classification or None,
        likelihood=likelihood,
        as_of=as_of,
        rulesets=rulesets,
        sources=sources,
        facts=tuple(facts),
        file=file,
        index=index,
    )
    return case, b.problems


def build_sources(b: Builder, data: Any) -> dict:
    """The `sources:` of a case: key -> Source."""
    if data is None:
        return {}
    root = b.mapping(data, ("sources",), "sources")
    if root is None:
        return {}
    out = {}
    for raw_key, spec in root.items():
        key = as_key(raw_key)
        path = ("sources", raw_key)
        if key is None:
            b.error(path, f"a source key must be text, not {describe(raw_key)}", "type")
            continue
        if isinstance(spec, str):
            out[key] = Source(key, spec, None)
            continue
        m = b.mapping(spec, path, f"source '{key}'")
        if m is None:
            continue
        b.keys(m, SOURCE_KEYS, path, f"source '{key}'")
        name = b.text(m.get("name"), path + ("name",), "a source name") or key
        reliability = m.get("reliability")
        if reliability is not None:
            if not (isinstance(reliability, str) and len(reliability) == 1 and reliability.upper() in RELIABILITY):
                b.error(path + ("reliability",), f"reliability must be a letter A-F (Admiralty code), not {describe(reliability)}", "type")
                reliability = None
            else:
                reliability = reliability.upper()
        out[key] = Source(key, name, reliability)
    return out


def credibility(b: Builder, value: Any, path: tuple) -> Optional[int]:
    """An Admiralty credibility 1-6, or None (with a problem when it is not one)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= 6 or value != int(value):
        b.error(path, f"credibility must be a whole number 1-6 (Admiralty code), not {describe(value)}", "type")
        return None
    return int(value)


def probability(b: Builder, value: Any, path: tuple) -> Optional[Fraction]:
    """An alternative's `p`, a number from 0 to 1, exactly as the analyst wrote it (0.1
    is 1/10, not the float nearest to it)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (isinstance(value, float) and not math.isfinite(value)):
        b.error(path, f"p must be a probability, a number from 0 to 1, not {describe(value)}", "type")
        return None
    exact = Fraction(value) if isinstance(value, int) else Fraction(repr(value))
    if not 0 <= exact <= 1:
        b.error(path, f"p must be a probability from 0 to 1, not {describe(value)}", "value")
        return None
    return exact


P_TOLERANCE = Fraction(1, 1000)  # how far from 1 the p of one key may sum


def check_likelihood(b: Builder, facts: list) -> bool:
    """Whether the case gives p, after checking SPEC 3.1's rule: once any alternative
    gives p, every alternative of every contested key does, and each key's p sum to 1
    (within 0.001). A problem names the key (`fact.key`)."""
    if not any(a.p is not None for f in facts for alts in f.contested.values() for a in alts):
        return False
    for f in facts:
        for key, alts in f.contested.items():
            if key == "present" and len(alts) == 1 and alts[0].value is False and alts[0].p is None:
                continue  # `present: false` written plainly: no hypothesis
            where = f.path + (key,)
            lacking = [j for j, a in enumerate(alts) if a.p is None]
            for j in lacking:
                b.error(where + ("one_of", j), f"{f.id}.{key}: this alternative has no p; once an alternative of the case gives p, every alternative of every contested key must ({{value: ..., p: 0.4}})", "missing-key")
            if lacking:
                continue
            total = sum(a.p for a in alts)
            if abs(total - 1) > P_TOLERANCE:
                b.error(where, f"{f.id}.{key}: the p of its alternatives sum to {float(total):g}; they must sum to 1", "value")
    return True


def source_key(b: Builder, value: Any, path: tuple, sources: dict) -> Optional[str]:
    """A fact's `source:`, which must be a key of the case's sources."""
    if value is None:
        return None
    key = as_key(value)
    if key is None:
        b.error(path, f"source must be a key of 'sources', not {describe(value)}", "reference")
        return None
    if key not in sources:
        known = f"; known sources: {', '.join(sources)}" if sources else "; the case has no 'sources'"
        b.error(path, f"unknown source '{excerpt(key)}'{excerpt(known, 200)}", "reference", suggest.did_you_mean(key, tuple(sources)))
        return None
    return key


def build_facts(b: Builder, data: Any, sources: dict, consume: bool = False) -> tuple[list, dict]:
    """The facts of a case; `consume` frees each raw fact once built (so the raw data
    and the model of a large case are not held at once)."""
    if not isinstance(data, list):
        b.error(("facts",), f"facts must be a list of facts, not {describe(data)}", "type")
        return [], {}
    facts = []
    seen: dict = {}  # fact id -> Fact: the case's index
    strings: dict = {}  # short texts read many times over, kept once
    for i, raw in enumerate(data):
        path = ("facts", i)
        m = b.mapping(raw, path, "a fact")
        if m is None:
            continue
        fact = build_fact(b, m, path, sources, strings)
        if consume:
            data[i] = None
        if fact is None:
            continue
        first = seen.get(fact.id)
        if first is not None:
            b.error(path + ("id",), f"duplicate fact id '{fact.id}' (first used by fact {first.path[1] + 1})", "duplicate")
            continue
        seen[fact.id] = fact
        facts.append(fact)
    return facts, seen


@functools.lru_cache(maxsize=65536)
def _day(text: str) -> Optional[datetime.date]:
    """The day a `YYYY-MM-DD` text names; None for any other text."""
    if not DATE_RE.match(text):
        return None
    try:
        return parse_date(text)
    except ValueError:
        return None


def _plain(value: Any) -> Any:
    """A plain attribute value as it stands, or `_SLOW` for the validator to look at."""
    t = type(value)
    if t is str:
        if len(value) == 10 and DATE_RE.match(value):
            return _day(value) or _SLOW
        return value
    if t is int or t is bool:
        return value
    if t is float:
        return value if math.isfinite(value) or not math.isnan(value) else _SLOW
    return _SLOW


_SLOW = object()


def fast_fact(m: dict, path: tuple, sources: dict, strings: Optional[dict] = None) -> Optional[Fact]:
    """The common, valid fact, built without the validator; None sends it there.

    Measured: most of the load time of a 100,000-fact case went to the validator's
    generality. Anything unusual (contested keys, nulls, odd types) takes the slow
    path, which says precisely what is wrong.
    """
    fid = m.get("id")
    ftype = m.get("type")
    if type(fid) is not str or not fid or type(ftype) is not str or not ftype or CONTROL_RE.search(fid) or len(fid) > MAX_ID_LENGTH or len(ftype) > MAX_ID_LENGTH or ftype != ftype.strip():
        return None
    if strings is None:
        strings = {}
    ftype = strings.setdefault(ftype, ftype)
    date = m.get("date")
    if date is not None:
        if type(date) is not str or len(date) != 10:
            return None
        date = _day(date)
        if date is None:
            return None
    reported = m.get("reported")
    if reported is not None:
        if type(reported) is not str or len(reported) != 10:
            return None
        reported = _day(reported)
        if reported is None or date is None or reported < date:
            return None
    src = m.get("source")
    if src is not None:
        if type(src) is not str or src not in sources:
            return None
        src = strings.setdefault(src, src)
    cred = m.get("credibility")
    if cred is not None and (type(cred) is not int or not 1 <= cred <= 6):
        return None
    text = m.get("text")
    if text is not None and type(text) is not str:
        return None
    attributes = {}
    names = _ATTRIBUTE_NAMES
    for key, value in m.items():
        name = names.get(key)
        if name is None:
            name = attribute_name(key)
            if name is None:
                return None
        if not name:
            continue
        t = type(value)
        if (t is str and len(value) != 10) or t is int:
            # the common case, inline: measured hot at 100k facts. The parser makes a
            # new string for every key and value it reads; shared ones save 0.3 GB at 1M
            if t is str and len(value) <= 32:
                value = strings.setdefault(value, value)
            attributes[name] = value
            continue
        if t is list:
            items = []
            for x in value:
                if type(x) is str and len(x) != 10:
                    items.append(strings.setdefault(x, x) if len(x) <= 32 else x)
                    continue
                x = _plain(x)
                if x is _SLOW:
                    return None
                items.append(x)
            attributes[name] = tuple(items)
            continue
        v = _plain(value)
        if v is _SLOW:
            return None
        attributes[name] = v
    return Fact(fid, ftype, date, src, cred, text, fact_values(attributes, fid, date, src, cred, text, reported), {}, path, reported)


_ATTRIBUTE_NAMES: dict = {}  # key of a fact -> its name, interned, or "" for a reserved key


def attribute_name(key: Any) -> Optional[str]:
    """What `fast_fact` makes of a key of a fact (see _ATTRIBUTE_NAMES), remembered for
    the next fact; None for a key the validator must look at."""
    if type(key) is not str or key == "present":
        return None
    if key in RESERVED_AND_PRESENT:
        name = ""
    elif key_trouble(key):
        return None
    else:
        name = intern(key)
    if len(_ATTRIBUTE_NAMES) < 65536:  # bounded: a case with a million distinct keys only pays more
        _ATTRIBUTE_NAMES[key] = name
    return name


@functools.lru_cache(maxsize=65536)
def key_trouble(key: str) -> str:
    """What is wrong with an attribute name: "bad" (empty, blank, control
    characters), the reserved key it is likely a slip of ("dat": "date"), or ""."""
    if not key.strip() or CONTROL_RE.search(key):
        return "bad"
    return suggest.reserved_slip(key)


def build_fact(b: Builder, m: dict, path: tuple, sources: dict, strings: Optional[dict] = None) -> Optional[Fact]:
    """One fact of a case, or None when it holds an error (each one recorded)."""
    fact = fast_fact(m, path, sources, strings)
    if fact is not None:
        return fact
    ok = True
    for key in ("id", "type"):
        if m.get(key) is None:
            b.error(path, f"a fact needs '{key}'", "missing-key")
            ok = False
    fid = as_key(m.get("id")) if m.get("id") is not None else None
    if fid == "":
        b.error(path + ("id",), "a fact id may not be empty", "value")
        ok = False
    elif m.get("id") is not None and fid is None:
        b.error(path + ("id",), f"a fact id must be text, not {describe(m.get('id'))}", "type")
        ok = False
    elif fid is not None and CONTROL_RE.search(fid):
        b.error(path + ("id",), "a fact id may not hold control characters (tabs, line breaks, escapes)", "value")
        ok = False
    elif fid is not None and len(fid) > MAX_ID_LENGTH:
        b.error(path + ("id",), f"a fact id is {len(fid):,} characters long: at most {MAX_ID_LENGTH:,}", "limit")
        ok = False
    ftype = as_key(m.get("type")) if m.get("type") is not None else None
    if m.get("type") is not None and not ftype:
        b.error(path + ("type",), f"a fact type must be text, not {describe(m.get('type'))}", "type")
        ok = False
    elif ftype is not None and len(ftype) > MAX_ID_LENGTH:
        b.error(path + ("type",), f"a fact type is {len(ftype):,} characters long: at most {MAX_ID_LENGTH:,}", "limit")
        ok = False
    elif ftype is not None and ftype != ftype.strip():
        b.warn(path + ("type",), f"the fact type '{excerpt(ftype)}' begins or ends with a space, so match: {excerpt(ftype.strip())} never selects it", "value")
    date = b.date(m["date"], path + ("date",), "date") if m.get("date") is not None else None
    if m.get("date") is not None and date is None:
        ok = False
    reported = b.date(m["reported"], path + ("reported",), "reported") if m.get("reported") is not None else None
    if m.get("reported") is not None and reported is None:
        ok = False
    elif reported is not None and date is not None and reported < date:
        b.error(path + ("reported",), f"reported {reported.isoformat()} is earlier than date {date.isoformat()}: a fact cannot be known before it happens", "value")
        ok = False
    src = source_key(b, m.get("source"), path + ("source",), sources)
    cred = credibility(b, m.get("credibility"), path + ("credibility",))
    text = b.text(m.get("text"), path + ("text",), "text")
    attributes: dict = {}
    contested: dict = {}
    for raw_key, raw in m.items():
        if type(raw_key) is str and raw_key not in RESERVED_AND_PRESENT and key_trouble(raw_key):
            trouble = key_trouble(raw_key)
            if trouble == "bad":
                b.error(path + (raw_key,), "an attribute name may not be empty or blank, nor hold control characters (tabs, line breaks, escapes)", "value")
                ok = False
                continue
            b.warn(path + (raw_key,), f"the attribute name '{excerpt(raw_key)}' is none of a fact's own keys (id, type, date, reported, source, credibility, text, present)", "unknown-key", f"did you mean '{trouble}'?")
        # the common case first: a text key with a plain text, whole-number or boolean value
        kind_ = type(raw)
        if type(raw_key) is str and raw_key not in RESERVED_AND_PRESENT:
            if (kind_ is str and len(raw) != 10) or kind_ is int or kind_ is bool:
                attributes[raw_key] = raw
                continue
        key = as_key(raw_key)
        if key is None:
            b.error(path + (raw_key,), f"an attribute name must be text, not {describe(raw_key)}", "type")
            ok = False
            continue
        if key in ("id", "type", "date", "reported", "source", "credibility", "text"):
            if isinstance(raw, dict) and "one_of" in raw:
                b.error(path + (raw_key,), f"'{excerpt(key)}' cannot be contested: only attributes and 'present' take one_of", "value")
                ok = False
            continue
        apath = path + (raw_key,)
        if isinstance(raw, dict):
            alts = build_one_of(b, raw, apath, key, sources)
            if alts is None:
                ok = False
            elif key == "present" and any(not isinstance(a.value, bool) for a in alts):
                b.error(apath, "present takes true or false", "operator")
                ok = False
            else:
                contested[key] = alts
            continue
        if raw is None:
            continue  # a null value counts as missing
        if key == "present":
            if not isinstance(raw, bool):
                b.error(apath, f"present must be true, false or one_of them, not {describe(raw)}", "type")
                ok = False
            elif raw is False:
                contested[key] = (Alternative(False),)
            continue
        v = b.value(raw, apath, f"attribute '{excerpt(key)}'")
        if v is None:
            ok = False
        else:
            attributes[key] = v
    if not ok:
        return None
    return Fact(fid, ftype, date, src, cred, text, fact_values(attributes, fid, date, src, cred, text, reported), contested, path, reported)


def build_one_of(b: Builder, raw: dict, path: tuple, key: str, sources: dict) -> Optional[tuple]:
    """The alternatives of a contested attribute, or None when one is wrong."""
    if set(raw) != {"one_of"}:
        b.error(path, f"attribute '{excerpt(key)}' is a mapping: only {{one_of: [...]}} is allowed there (a value is a scalar or a list)", "type")
        return None
    alts_raw = raw["one_of"]
    if not isinstance(alts_raw, list) or not alts_raw:
        b.error(path + ("one_of",), "one_of must be a non-empty list of alternatives", "type")
        return None
    alts = []
    ok = True
    for j, alt in enumerate(alts_raw):
        apath = path + ("one_of", j)
        if isinstance(alt, dict):
            b.keys(alt, ("value", "source", "credibility", "p"), apath, "an alternative")
            if "value" not in alt:
                b.error(apath, "an alternative needs 'value'", "missing-key")
                ok = False
                continue
            value = None if alt["value"] is None else b.value(alt["value"], apath + ("value",), f"alternative of '{excerpt(key)}'")
            if alt["value"] is not None and value is None:
                ok = False
                continue
            source = source_key(b, alt.get("source"), apath + ("source",), sources)
            grade = credibility(b, alt.get("credibility"), apath + ("credibility",))
            p = probability(b, alt["p"], apath + ("p",)) if "p" in alt else None
            if "p" in alt and p is None:
                ok = False  # said once: a p written wrong is not also a p missing
                continue
            alts.append(Alternative(value, source, grade, p))
        else:
            value = None if alt is None else b.value(alt, apath, f"alternative of '{excerpt(key)}'")
            if alt is not None and value is None:
                ok = False
                continue
            alts.append(Alternative(value))
    return tuple(alts) if ok else None


# -- rulesets ---------------------------------------------------------------------------


def build_ruleset(data: Any, file: str) -> tuple[Optional[Ruleset], list[Problem]]:
    """The ruleset of plain data and every problem found in it (None when one is an error)."""
    b = Builder(file)
    root = b.mapping(data, (), "a ruleset file")
    if root is None:
        return None, b.problems
    b.keys(root, RULESET_KEYS, (), "a ruleset")
    if "ruleset" not in root:
        b.error((), "a ruleset needs 'ruleset' (its id)", "missing-key")
    if "indicators" not in root and "scenarios" not in root:
        b.error((), "a ruleset needs 'indicators' or 'scenarios'", "missing-key")
    rid = b.ident(root["ruleset"], ("ruleset",), "the ruleset id") if "ruleset" in root else None
    title = b.text(root.get("title"), ("title",), "title")
    items = []
    seen: dict[str, tuple] = {}
    for section, kind in (("indicators", "indicator"), ("scenarios", "scenario")):
        raw = root.get(section)
        if raw is None:
            continue
        if not isinstance(raw, list):
            b.error((section,), f"{section} must be a list, not {describe(raw)}", "type")
            continue
        for i, spec in enumerate(raw):
            item = build_item(b, spec, (section, i), kind, rid or "", file)
            if item is None:
                continue
            if item.id in seen:
                b.error((section, i, "id"), f"duplicate id '{item.id}': also used at {seen[item.id][0]} {seen[item.id][1] + 1}", "duplicate")
                continue
            seen[item.id] = (section[:-1], i)
            items.append(item)
    if any(p.severity == "error" for p in b.problems):
        return None, b.problems
    return Ruleset(rid, title or rid, tuple(items), file), b.problems


def build_item(b: Builder, spec: Any, path: tuple, kind: str, ruleset: str, file: str) -> Optional[Item]:
    """One indicator or scenario, or None when it holds an error."""
    m = b.mapping(spec, path, f"an {kind}" if kind == "indicator" else f"a {kind}")
    if m is None:
        return None
    b.keys(m, ITEM_KEYS, path, f"an {kind}" if kind == "indicator" else f"a {kind}")
    before = len(b.problems)
    for key in ("id", "when"):
        if key not in m:
            b.error(path, f"an {kind} needs '{key}'" if kind == "indicator" else f"a {kind} needs '{key}'", "missing-key")
    iid = b.ident(m["id"], path + ("id",), f"the {kind} id") if "id" in m else None
    title = b.text(m.get("title"), path + ("title",), "title")
    when = build_condition(b, m["when"], path + ("when",), frozenset()) if "when" in m else None
    derive: list = []
    if m.get("derive") is not None:
        d = b.mapping(m["derive"], path + ("derive",), "derive")
        visible = binds_of(when) if when is not None else set()
        for raw_key, raw in (d or {}).items():
            key = as_key(raw_key)
            dpath = path + ("derive", raw_key)
            if key is None:
                b.error(dpath, f"a derived attribute name must be text, not {describe(raw_key)}", "type")
                continue
            ref = parse_ref(raw)
            if ref is None and isinstance(raw, str) and NAME_REF_RE.match(raw.rstrip(".")):
                b.error(dpath, f"'{excerpt(raw)}' names a bound fact but no key: write ${excerpt(raw.rstrip('.')[1:])}.KEY", "reference")
                continue
            if ref is not None:
                if ref.name not in visible:
                    b.error(dpath, f"${ref.name} is not bound at the top of 'when'", "reference", bound_hint(ref.name, visible))
                    continue
                if ref.key in ("type", "present"):
                    b.warn(dpath, f"'{ref.key}' is not a value of a fact a rule can read, so ${ref.name}.{ref.key} is always missing", "unused")
                derive.append((key, ref))
            elif raw is not None:
                v = b.value(raw, dpath, f"derived attribute '{excerpt(key)}'")
                if v is not None:
                    derive.append((key, v))
    implications = b.texts(m.get("implications"), path + ("implications",), "implications")
    signposts = b.texts(m.get("signposts"), path + ("signposts",), "signposts")
    description = b.text(m.get("description"), path + ("description",), "description")
    if len([p for p in b.problems[before:] if p.severity == "error"]) or iid is None or when is None:
        return None
    return Item(
        kind=kind,
        id=iid,
        title=title or iid,
        when=when,
        derive=tuple(derive),
        implications=implications,
        signposts=signposts,
        description=description,
        ruleset=ruleset,
        file=file,
        path=path,
    )


def bound_hint(name: str, visible) -> str:
    """What to say when a $name is not bound: the close bound name, or the names bound."""
    if not visible:
        return "bind a fact with 'as:' first"
    return suggest.did_you_mean(name, tuple(sorted(visible))) or f"bound names: {', '.join(sorted(visible))}"


def parse_ref(raw: Any) -> Optional[Ref]:
    """`$name.KEY` as a Ref, or None when the value is not one."""
    if isinstance(raw, str):
        m = REF_RE.match(raw)
        if m:
            return Ref(m.group(1), m.group(2))
    return None


def build_condition(b: Builder, raw: Any, path: tuple, outer: frozenset):
    """A condition tree; `outer` holds the names bound around it."""
    m = b.mapping(raw, path, "a condition")
    if m is None:
        return None
    heads = [h for h in HEADS if h in m]
    if not heads:
        hint = next((h for h in (suggest.did_you_mean(str(key), HEADS) for key in m) if h), "")
        b.error(path, f"a condition needs one of: {', '.join(HEADS)}", "missing-key", hint)
        return None
    if len(heads) > 1:
        b.error(path, f"a condition takes one of {', '.join(HEADS)}, not several ({', '.join(heads)}); combine them with all: or any:", "value")
        return None
    head = heads[0]
    if head == "match":
        return build_match(b, m, path, outer)
    if head in ("indicator", "scenario"):
        b.keys(m, (head,) + REF_KEYS, path, f"an {head} reference" if head == "indicator" else "a scenario reference")
        iid = b.ident(m[head], path + (head,), f"the {head} id")
        binds = build_binds(b, m, path, outer)
        tests = build_where(b, m.get("where"), path + ("where",), outer) if "where" in m else ()
        if iid is None or tests is None:
            return None
        return ItemRef(head, iid, tests, binds, path)
    if head in ("all", "any"):
        b.keys(m, (head,), path, f"an {head}")
        conds = m[head]
        if not isinstance(conds, list) or not conds:
            b.error(path + (head,), f"{head} must be a non-empty list of conditions", "type")
            return None
        if head == "all":
            # names bound by the conditions of an all are visible to all of them
            inner = outer | frozenset(visible_binds(conds))
        else:
            inner = outer
        built = [build_condition(b, c, path + (head, i), inner) for i, c in enumerate(conds)]
        if any(c is None for c in built):
            return None
        if head == "all":
            seen: dict = {}
            for i, c in enumerate(built):
                for name in binds_of(c):
                    if name in seen:
                        b.error(path + (head, i), f"${name} is bound twice; give each 'as:' its own name", "duplicate")
                        return None
                    seen[name] = i
            return All(tuple(built), path)
        return AnyOf(tuple(built), path)
    if head == "not":
        b.keys(m, ("not",), path, "a not")
        inner = build_condition(b, m["not"], path + ("not",), outer)
        return None if inner is None else Not(inner, path)
    if head == "of":
        return build_of(b, m, path, outer)
    # count
    b.keys(m, COUNT_KEYS, path, "a count")
    bounds = build_bounds(b, m, path, "a count", "facts")
    if bounds is None:
        return None
    inner_raw = m["count"]
    if not (isinstance(inner_raw, dict) and "match" in inner_raw):
        b.error(path + ("count",), "count takes a match: {match: TYPE, where: ..., within: ...}", "operator")
        return None
    inner = build_match(b, inner_raw, path + ("count",), outer)
    if inner is None:
        return None
    return Count(inner, bounds.get("at_least"), bounds.get("at_most"), path)


def build_bounds(b: Builder, m: dict, path: tuple, what: str, counted: str, most: Optional[int] = None) -> Optional[dict]:
    """The at_least / at_most of a count or an of: one or both, whole numbers 0 or
    more, at_least no more than at_most (nor than `most`, the conditions an of has)."""
    if "at_least" not in m and "at_most" not in m:
        b.error(path, f"{what} needs at_least or at_most beside it", "missing-key")
        return None
    bounds = {}
    for key in ("at_least", "at_most"):
        if key in m:
            v = m[key]
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                b.error(path + (key,), f"{key} must be a whole number 0 or more, not {describe(v)}", "type")
                return None
            bounds[key] = v
    if most is not None and bounds.get("at_least", 0) > most:
        b.error(path + ("at_least",), f"at_least {bounds['at_least']} is more than the {most} condition{'s' if most != 1 else ''} listed: it can never hold", "value")
        return None
    if bounds.get("at_least", 0) > bounds.get("at_most", bounds.get("at_least", 0)):
        message = f"at_least {bounds['at_least']} is more than at_most {bounds['at_most']}: no number of {counted} is both"
        if most is not None:  # SPEC 3.1 makes it an error for an of
            b.error(path + ("at_least",), message, "value")
            return None
        b.warn(path + ("at_least",), message + ", so it never holds", "value")
    return bounds


def build_of(b: Builder, m: dict, path: tuple, outer: frozenset) -> Optional[Of]:
    """`of: [...]` with bounds. Each condition is judged on its own, like a branch of
    `any`: it sees the names bound around the `of`, and names it binds stay inside it."""
    b.keys(m, OF_KEYS, path, "an of")
    conds = m["of"]
    if not isinstance(conds, list):
        b.error(path + ("of",), f"of must be a list of conditions, not {describe(conds)}", "type")
        return None
    built = [build_condition(b, c, path + ("of", i), outer) for i, c in enumerate(conds)]
    bounds = build_bounds(b, m, path, "an of", "conditions", most=len(conds))
    if bounds is None or any(c is None for c in built):
        return None
    return Of(tuple(built), bounds.get("at_least"), bounds.get("at_most"), path)


def visible_binds(conds: list) -> list:
    """Names bound by the raw conditions of an `all` (through nested alls)."""
    out = []
    for c in conds:
        if not isinstance(c, dict):
            continue
        if isinstance(c.get("as"), str) and any(h in c for h in ("match", "indicator", "scenario")):
            out.append(c["as"])
        if isinstance(c.get("all"), list):
            out.extend(visible_binds(c["all"]))
    return out


def build_binds(b: Builder, m: dict, path: tuple, outer) -> Optional[str]:
    """The name an `as:` binds, or None."""
    if "as" not in m:
        return None
    name = m["as"]
    if not isinstance(name, str) or not NAME_RE.match(name):
        b.error(path + ("as",), f"'as' takes a name (letters, digits, '_' and '-'), not {describe(name)}", "operator")
        return None
    return name


def build_match(b: Builder, m: dict, path: tuple, outer: frozenset) -> Optional[Match]:
    """A `match` condition, or None when it holds an error."""
    b.keys(m, MATCH_KEYS, path, "a match")
    raw = m.get("match")
    if isinstance(raw, list):
        if not raw:
            b.error(path + ("match",), "match takes a fact type or a non-empty list of them, not an empty list", "value")
            return None
        types = [as_key(t) for t in raw]
        for i, (t, r) in enumerate(zip(types, raw)):
            if not t:
                b.error(path + ("match", i), f"each type of match must be a fact type, not {describe(r)}", "type")
        if not all(types):
            return None
        for i, t in enumerate(types):
            if t != t.strip():
                b.warn(path + ("match", i), f"the fact type '{excerpt(t)}' begins or ends with a space: it matches no fact of type '{excerpt(t.strip())}'", "value")
        types = tuple(sorted(set(types)))
    else:
        ftype = as_key(raw)
        if not ftype:
            b.error(path + ("match",), f"match takes a fact type or a list of them, not {describe(raw)}", "operator")
            return None
        if ftype != ftype.strip():
            b.warn(path + ("match",), f"the fact type '{excerpt(ftype)}' begins or ends with a space: it matches no fact of type '{excerpt(ftype.strip())}'", "value")
        types = (ftype,)
    binds = build_binds(b, m, path, outer)
    tests = build_where(b, m.get("where"), path + ("where",), outer) if "where" in m else ()
    within = None
    if "within" in m:
        raw = m["within"]
        w = WITHIN_RE.match(raw.strip()) if isinstance(raw, str) else None
        if w is None:
            b.error(path + ("within",), f"within takes a span like 30d, 12w, 6m or 1y, not {describe(raw)}", "operator")
            return None
        within = (int(w.group(1)), w.group(2))
    start = b.date(m["from"], path + ("from",), "from") if "from" in m else None
    end = b.date(m["until"], path + ("until",), "until") if "until" in m else None
    if ("from" in m and start is None) or ("until" in m and end is None) or tests is None:
        return None
    if start is not None and end is not None and start > end:
        b.error(path + ("until",), f"until {end.isoformat()} is before from {start.isoformat()}: no fact can match", "value")
        return None
    window = Window(within, start, end) if (within or start or end) else None
    return Match(types, tests, window, binds, path)


def build_where(b: Builder, raw: Any, path: tuple, outer: frozenset) -> Optional[tuple]:
    """The tests of a `where`, or None when one holds an error."""
    if raw is None:
        return ()
    m = b.mapping(raw, path, "where")
    if m is None:
        return None
    tests = []
    ok = True
    for raw_key, spec in m.items():
        key = as_key(raw_key)
        kpath = path + (raw_key,)
        if key is None:
            b.error(kpath, f"a key in where must be text, not {describe(raw_key)}", "type")
            ok = False
            continue
        if key in ("type", "present"):
            # not an error: SPEC 3.1 makes a test of a key a fact lacks simply fail
            b.warn(kpath, f"'{excerpt(key)}' is not visible to where, so this test holds only as exists: false" + (" (match: tests the type)" if key == "type" else ""), "unused")
        if isinstance(spec, dict):
            if not spec:
                b.error(kpath, f"no operator given for '{excerpt(key)}'", "operator")
                ok = False
            for op, operand in spec.items():
                t = build_test(b, key, op, operand, kpath + (op,), outer)
                if t is None:
                    ok = False
                else:
                    tests.append(t)
        elif isinstance(spec, list):
            b.error(kpath, f"a bare list is not a value for '{excerpt(key)}': say in: [...] (one of these) or contains: X", "operator")
            ok = False
        elif spec is None:
            b.error(kpath, f"no value for '{excerpt(key)}': to test that it is missing, say exists: false", "operator")
            ok = False
        else:
            t = build_test(b, key, "eq", spec, kpath, outer)
            if t is None:
                ok = False
            else:
                tests.append(t)
    return tuple(tests) if ok else None


def build_test(b: Builder, key: str, op: Any, operand: Any, path: tuple, outer: frozenset) -> Optional[Test]:
    """One operator on one key of a `where`, or None when it is wrong."""
    if op not in OPERATORS:
        b.error(path, f"unknown operator '{excerpt(str(op))}'; operators: {', '.join(OPERATORS)}", "operator", suggest.did_you_mean(str(op), OPERATORS))
        return None
    ref = parse_ref(operand)
    if ref is None and isinstance(operand, str) and NAME_REF_RE.match(operand.rstrip(".")):
        b.error(path, f"'{excerpt(operand)}' names a bound fact but no key: write ${excerpt(operand.rstrip('.')[1:])}.KEY", "reference")
        return None
    if ref is not None:
        if op in ("matches", "exists"):
            b.error(path, f"{op} takes a literal, not a reference to a bound fact", "operator")
            return None
        if ref.name not in outer:
            b.error(path, f"${ref.name} is used but never bound", "reference", bound_hint(ref.name, outer))
            return None
        return Test(key, op, ref)
    if op == "exists":
        if not isinstance(operand, bool):
            b.error(path, f"exists takes true or false, not {describe(operand)}", "operator")
            return None
        return Test(key, op, operand)
    if op == "matches":
        if not isinstance(operand, str):
            b.error(path, f"matches takes a regular expression as text, not {describe(operand)}", "operator")
            return None
        if len(operand) > MAX_PATTERN:
            b.error(path, f"the pattern is {len(operand)} characters long; at most {MAX_PATTERN} are allowed", "value")
            return None
        try:
            re2, options = _re2()
            compiled = re2.compile(operand, options)
        except Exception as exc:  # re2 raises its own error type, varying by version
            reason = exc.args[0] if exc.args else exc
            if isinstance(reason, bytes):
                reason = reason.decode("utf-8", "replace")
            b.error(path, f"invalid regular expression: {reason}", "value")
            return None
        return Test(key, op, Regex(operand, compiled))
    if op in ("in", "not_in"):
        if not isinstance(operand, list):
            b.error(path, f"{op} takes a list of values, not {describe(operand)}", "operator")
            return None
        values = [b.scalar(v, path + (i,), f"each value of {op}") for i, v in enumerate(operand)]
        if any(v is None for v in values):
            return None
        return Test(key, op, tuple(values))
    if isinstance(operand, (list, dict)) or operand is None:
        b.error(path, f"{op} takes a single value, not {describe(operand)}", "operator")
        return None
    value = b.scalar(operand, path, f"the value of {op}")
    if value is None:
        return None
    return Test(key, op, value)
