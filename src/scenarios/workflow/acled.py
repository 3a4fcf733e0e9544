"""ACLED export rows -> case facts -> the text of a case file (SPEC 2, docs/acled.md).

`read_acled` reads an export (CSV, as the ACLED website, the API or a spreadsheet
saves it) into `Event` values, one a row, refusing with every problem located at
`file:line:column`. `to_case_yaml` writes those events as a case file whose every
string is JSON-quoted, so any YAML 1.2 reader keeps it a string, and whose bytes
depend only on the events and the options.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

from ..errors import InputError, Problem
from ..load import MAX_BYTES, read_text
from ..model import ID_RE, RELIABILITY
from ..parse import MAX_ID_LENGTH
from ..values import DATE_RE, parse_date

SCHEMA_LINE = "# yaml-language-server: $schema=../schemas/case.schema.json"
REQUIRED = ("event_id_cnty", "event_date", "event_type")

# ACLED event type -> fact type: one fact type an event type, the sub-event type kept beside it.
FACT_TYPES = {
    "battles": "battle",
    "explosions/remote violence": "attack",
    "violence against civilians": "violence-against-civilians",
    "protests": "protest",
    "riots": "riot",
    "strategic developments": "strategic-development",
}

# ACLED sub-event type -> the `sub_event_type` attribute; any other is slugified.
SUB_EVENT_TYPES = {
    "armed clash": "armed-clash",
    "government regains territory": "government-regains-territory",
    "non-state actor overtakes territory": "non-state-actor-overtakes-territory",
    "chemical weapon": "chemical-weapon",
    "air/drone strike": "airstrike",
    "suicide bomb": "suicide-bomb",
    "shelling/artillery/missile attack": "shelling",
    "remote explosive/landmine/ied": "ied",
    "grenade": "grenade",
    "sexual violence": "sexual-violence",
    "attack": "attack",
    "abduction/forced disappearance": "abduction",
    "peaceful protest": "peaceful-protest",
    "protest with intervention": "protest-with-intervention",
    "excessive force against protesters": "excessive-force",
    "violent demonstration": "violent-demonstration",
    "mob violence": "mob-violence",
    "agreement": "agreement",
    "arrests": "arrests",
    "change to group/activity": "change-to-group-activity",
    "disrupted weapons use": "disrupted-weapons-use",
    "headquarters or base established": "base-established",
    "looting/property destruction": "looting",
    "non-violent transfer of territory": "territory-transfer",
    "other": "other",
}

# `inter1`/`inter2` come as these numbers in older exports and API data.
INTER_WORDS = {
    1: "State forces",
    2: "Rebel group",
    3: "Political militia",
    4: "Identity militia",
    5: "Rioters",
    6: "Protesters",
    7: "Civilians",
    8: "External/Other forces",
}

# Older exports name some columns differently.
COLUMN_ALIASES = {"ally_actor_1": "assoc_actor_1", "ally_actor_2": "assoc_actor_2"}

_MONTH_NAMES = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december")
MONTHS = {**{m: i for i, m in enumerate(_MONTH_NAMES, 1)}, **{m[:3]: i for i, m in enumerate(_MONTH_NAMES, 1)}, "sept": 9}

_DAY_MONTH_NAME = re.compile(r"^([0-9]{1,2})[ -]+([A-Za-z]+)\.?[ -]+([0-9]{4})$")
_DAY_MONTH_YEAR = re.compile(r"^([0-9]{1,2})-([0-9]{1,2})-([0-9]{4})$")
_YEAR_MONTH_DAY = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
# Characters a YAML double-quoted scalar may not hold as they are (JSON leaves them).
_NOT_YAML_PRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Event:
    """One ACLED row as a case fact.

    `source` is the row's `source` column with its parts trimmed and joined by "; "
    (empty when the row names none); `attributes` are (key, value) pairs in the
    order the case file writes them.
    """

    line: int
    id: str
    type: str
    date: datetime.date
    source: str
    text: Optional[str]
    attributes: tuple


def read_acled(path: str) -> tuple[list[Event], list[Problem]]:
    """The events of an ACLED export and the warnings about them.

    Refuses (InputError, carrying every problem found) a missing, empty, binary or
    non-UTF-8 file, a file without the ACLED columns `event_id_cnty`, `event_date`
    and `event_type`, and any row with a bad date, number or duplicate event id.
    """
    return events_from_text(read_text(path, kind="CSV"), str(path))


def events_from_text(text: str, file: str) -> tuple[list[Event], list[Problem]]:
    """The events of ACLED CSV text; InputError carrying every error found."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise InputError([Problem(file, "is empty: an ACLED export starts with a header row", 1, 1, code="syntax")])
    # a notes cell may be long; the file's size is bounded when it is read
    csv.field_size_limit(max(csv.field_size_limit(), MAX_BYTES))
    # strict: a stray or unclosed quote is an error, not rows silently merged into one
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=delimiter(text))
    problems: list[Problem] = []
    try:
        header = next(reader)
        while not header:  # blank lines before the header
            header = next(reader)
    except StopIteration:
        raise InputError([Problem(file, "is empty: an ACLED export starts with a header row", 1, 1, code="syntax")]) from None
    except csv.Error as exc:
        raise InputError([Problem(file, csv_trouble(exc), 1, 1, code="syntax")]) from None
    header_line = reader.line_num
    columns = read_header(header, file, header_line)
    events: list[Event] = []
    first_line: dict[str, int] = {}
    line = header_line
    while True:
        start = line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(file, csv_trouble(exc), start, 1, code="syntax"))
            break
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        event, row_problems = read_row(row, columns, len(header), file, start)
        problems.extend(row_problems)
        if event is None:
            continue
        if event.id in first_line:
            problems.append(Problem(file, f"duplicate event_id_cnty {shown(event.id)}: also the event on line {first_line[event.id]}", start, columns["event_id_cnty"] + 1, code="duplicate"))
            continue
        first_line[event.id] = start
        events.append(event)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise InputError(errors)
    if not events:
        raise InputError([Problem(file, "has a header row but no events", header_line, 1, code="value")])
    return events, [p for p in problems if p.severity != "error"]


def delimiter(text: str) -> str:
    """The separator of an export: a comma, or the semicolon or tab a spreadsheet
    saves with in some locales (Excel's "CSV" in Europe, "Unicode text"), told by
    the header line, where event_id_cnty is followed by one of them."""
    header = text[: text.find("\n")] if "\n" in text else text
    for sep in (",", ";", "\t"):
        if re.search(r"event_id_cnty\s*" + re.escape(sep), header, re.IGNORECASE) or re.search(re.escape(sep) + r"\s*event_id_cnty", header, re.IGNORECASE):
            return sep
    return ","


def csv_trouble(exc: csv.Error) -> str:
    """What a CSV syntax error means for the person who saved the file."""
    if "unexpected end of data" in str(exc):
        return "a quoted field is never closed: the file ends inside it (a missing '\"'?)"
    if "expected after" in str(exc):
        return "bad quoting: a quote inside a quoted field is written twice (\"\"), and a field's closing quote comes before a comma or the end of the line"
    return f"cannot read the row as CSV: {exc}"


def read_header(header: list[str], file: str, line: int) -> dict[str, int]:
    """Column name -> index; InputError when the header is not an ACLED one."""
    columns: dict[str, int] = {}
    problems = []
    for i, raw in enumerate(header):
        name = raw.strip().lower()
        name = COLUMN_ALIASES.get(name, name)
        if not name:
            continue
        if name in columns:
            problems.append(Problem(file, f"the column {shown(name)} appears twice in the header (columns {columns[name] + 1} and {i + 1})", line, i + 1, code="duplicate"))
            continue
        columns[name] = i
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise InputError([Problem(file, f"not an ACLED export: the header row has no {', '.join(missing)} column{plural} (an ACLED export has at least event_id_cnty, event_date and event_type)", line, 1, code="missing-key")])
    if problems:
        raise InputError(problems)
    return columns


def read_row(row: list[str], columns: dict[str, int], width: int, file: str, line: int) -> tuple[Optional[Event], list[Problem]]:
    """One row as an event, or None and the problems that prevent it."""
    problems: list[Problem] = []

    def problem(column: str, message: str) -> None:
        problems.append(Problem(file, message, line, columns[column] + 1 if column in columns else 1))

    if len(row) != width:
        column = width + 1 if len(row) > width else 1
        return None, [Problem(file, f"the row has {len(row)} fields but the header has {width}", line, column, code="syntax")]

    def cell(column: str) -> str:
        i = columns.get(column)
        return row[i].strip() if i is not None else ""

    event_id = cell("event_id_cnty")
    if not event_id:
        problem("event_id_cnty", "no event_id_cnty: every ACLED event has an id")
    elif _UNPRINTABLE.search(event_id):
        problem("event_id_cnty", f"event_id_cnty {shown(event_id)} holds a control character (a line break, a tab, an escape): a fact id cannot")
    elif len(event_id) > MAX_ID_LENGTH:
        problem("event_id_cnty", f"event_id_cnty is {len(event_id):,} characters long: a fact id has at most {MAX_ID_LENGTH:,}")
    date = None
    if cell("event_date"):
        try:
            date = acled_date(cell("event_date"))
        except ValueError as exc:
            problem("event_date", f"event_date {shown(cell('event_date'))} {exc}")
    else:
        problem("event_date", "no event_date")
    event_type = cell("event_type")
    fact_type = FACT_TYPES.get(normal(event_type)) or slug(event_type)
    if not fact_type:
        problem("event_type", "no event_type")
    elif normal(event_type) not in FACT_TYPES:
        problems.append(Problem(file, f"unknown ACLED event type {shown(event_type)}: imported as fact type '{fact_type}'", line, columns["event_type"] + 1, "warning", code="value"))

    attributes: list[tuple[str, Any]] = []

    def add(key: str, value: Any) -> None:
        if value is None or value == "" or value == ():
            return
        for v in value if isinstance(value, tuple) else (value,):
            if isinstance(v, str) and DATE_RE.match(v):
                # the product reads any YYYY-MM-DD string as a date, so it must be a real day
                try:
                    parse_date(v)
                except ValueError:
                    problem(key, f"{shown(v)} is written as a date but names no real day")
                    return
        attributes.append((key, value))

    sub = cell("sub_event_type")
    add("sub_event_type", SUB_EVENT_TYPES.get(normal(sub)) or slug(sub))
    add("disorder_type", cell("disorder_type"))
    add("actor", cell("actor1"))
    add("actor2", cell("actor2"))
    add("assoc_actors", distinct(split(cell("assoc_actor_1")) + split(cell("assoc_actor_2"))))
    for column in ("inter1", "inter2"):
        try:
            add(column, inter_word(cell(column)))
        except ValueError as exc:
            problem(column, f"{column} {shown(cell(column))} {exc}")
    if cell("civilian_targeting"):
        add("civilian_targeting", True)
    for column in ("country", "admin1", "admin2", "admin3", "location"):
        add(column, cell(column))
    for column, limit in (("latitude", 90), ("longitude", 180)):
        try:
            add(column, coordinate(cell(column), limit))
        except ValueError as exc:
            problem(column, f"{column} {shown(cell(column))} {exc}")
    for column, allowed in (("fatalities", None), ("time_precision", (1, 2, 3)), ("geo_precision", (1, 2, 3))):
        try:
            add(column, count(cell(column), allowed))
        except ValueError as exc:
            problem(column, f"{column} {shown(cell(column))} {exc}")
    add("source_scale", cell("source_scale"))
    add("tags", tuple(split(cell("tags"))))
    reporters = distinct(split(cell("source")))
    add("reported_by", reporters)

    if problems and any(p.severity == "error" for p in problems):
        return None, problems
    notes = cell("notes").replace("\r\n", "\n").replace("\r", "\n")
    return Event(line, event_id, fact_type, date, "; ".join(reporters), notes or None, tuple(attributes)), problems


# -- values ---------------------------------------------------------------------------


def acled_date(text: str) -> datetime.date:
    """The day of an ACLED `event_date`: `27 May 2020`, `27-05-2020` or `2020-05-27`.

    ValueError, saying why, for anything else or a day that does not exist.
    """
    by_name, dmy, ymd = (r.match(text) for r in (_DAY_MONTH_NAME, _DAY_MONTH_YEAR, _YEAR_MONTH_DAY))
    if by_name:
        month = MONTHS.get(by_name.group(2).lower())
        if month is None:
            raise ValueError(f"names no month ({shown(by_name.group(2))})")
        parts = (int(by_name.group(3)), month, int(by_name.group(1)))
    elif dmy:
        parts = (int(dmy.group(3)), int(dmy.group(2)), int(dmy.group(1)))
    elif ymd:
        parts = (int(ymd.group(1)), int(ymd.group(2)), int(ymd.group(3)))
    else:
        raise ValueError("is not a date: write dd Month yyyy (27 May 2020), dd-mm-yyyy or yyyy-mm-dd")
    try:
        return datetime.date(*parts)
    except ValueError:
        raise ValueError("is not a real day") from None


def inter_word(text: str) -> Optional[str]:
    """The actor kind in words; numbers 1-8 as ACLED names them, 0 (no actor) as None."""
    if not _INTEGER.match(text):
        return text or None
    number = int(text)
    if number == 0:
        return None
    if number not in INTER_WORDS:
        raise ValueError("is not an ACLED actor kind: 1-8, or its words (State forces...)")
    return INTER_WORDS[number]


def coordinate(text: str, limit: int) -> Optional[float]:
    """A latitude or longitude within +-limit, or None when the cell is empty."""
    if not text:
        return None
    if not _DECIMAL.match(text):
        raise ValueError("is not a number")
    value = float(text)
    if not -limit <= value <= limit:
        raise ValueError(f"is out of range (-{limit} to {limit})")
    return value


def count(text: str, allowed: Optional[tuple]) -> Optional[int]:
    """A whole number cell, among `allowed` when given; None when empty."""
    if not text:
        return None
    if not _INTEGER.match(text) or text.startswith("-"):
        raise ValueError("is not a whole number 0 or more")
    if len(text.lstrip("+0")) > 15:  # no count of events comes near; Python reads no more than 4,300 digits by default
        raise ValueError("is not a plausible count: it has more than 15 digits")
    value = int(text)
    if allowed is not None and value not in allowed:
        raise ValueError(f"is not one of {', '.join(str(a) for a in allowed)}")
    return value


def split(text: str) -> list[str]:
    """The parts of a `;`-separated ACLED list, trimmed, empty ones dropped."""
    return [part.strip() for part in text.split(";") if part.strip()]


def distinct(items: Iterable[str]) -> tuple:
    """The items without repeats, in order."""
    return tuple(dict.fromkeys(items))


def normal(text: str) -> str:
    """Text with its spaces folded, for comparing names."""
    return " ".join(text.split()).lower()


def slug(text: str) -> str:
    """Lowercase ASCII letters and digits joined by '-': `Al-Watan Online` -> `al-watan-online`."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")


def shown(value: str, limit: int = 60) -> str:
    """A cell quoted for a message: control characters escaped, long text cut."""
    text = _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return f"'{text}'"


# -- the case file ------------------------------------------------------------------


def source_keys(names: Iterable[str]) -> dict[str, str]:
    """Source string -> a distinct key: its slug, cut to 60 characters, numbered on a clash.

    Keys are given in the sorted order of the names, so they depend on the set of
    names only.
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in sorted(set(names)):
        base = slug(name)
        if len(base) > 60:
            base = base[:61].rsplit("-", 1)[0] if "-" in base[:61] else base[:60]
        base = base or "source"
        key, n = base, 2
        while key in used:
            key, n = f"{base}-{n}", n + 1
        used.add(key)
        out[name] = key
    return out


def default_case_id(output: Optional[str]) -> str:
    """A case id from the output file's name (`cases/Idlib 2020.yaml` -> `idlib-2020`)."""
    base = slug(Path(output).stem) if output and output != "-" else ""
    return base or "acled-import"


def default_title(events: Sequence[Event]) -> str:
    """A title from the countries and the dates the events span."""
    countries = sorted({v for e in events for k, v in e.attributes if k == "country"})
    first, last = min(e.date for e in events), max(e.date for e in events)
    where = f" in {', '.join(countries)}" if 0 < len(countries) <= 3 else (f" in {len(countries)} countries" if countries else "")
    return f"ACLED events{where}, {first.isoformat()} to {last.isoformat()}"


def to_case_yaml(
    events: Sequence[Event],
    case_id: str,
    title: Optional[str] = None,
    as_of: Optional[datetime.date] = None,
    reliability: str = "F",
    credibility: Optional[int] = 6,
) -> str:
    """The text of a case file holding the events, in order of date then id.

    `as_of` defaults to the latest event date, `title` to the countries and dates
    the events span. Every source gets `reliability`, every fact `credibility`
    (none when it is None). Refuses (InputError) no events, a case id that is not
    an id, a reliability other than A-F and a credibility other than 1-6.
    """
    problems = []
    if not events:
        problems.append(Problem("<acled>", "no events to write", code="value"))
    if not ID_RE.match(case_id or ""):
        problems.append(Problem("--case-id", f"{shown(case_id or '')} is not a valid case id: use lowercase letters, digits and '-'", code="value"))
    if not (isinstance(reliability, str) and len(reliability) == 1 and reliability.upper() in RELIABILITY):
        problems.append(Problem("--reliability", f"{shown(str(reliability))} is not an Admiralty reliability A-F", code="value"))
    if credibility is not None and (isinstance(credibility, bool) or credibility not in range(1, 7)):
        problems.append(Problem("--credibility", f"{shown(str(credibility))} is not an Admiralty credibility 1-6", code="value"))
    if title is not None and _SURROGATE.search(title):
        problems.append(Problem("--title", "holds bytes that are not UTF-8 text: give the title as text", code="encoding"))
    if problems:
        raise InputError(problems)
    keys = source_keys(e.source for e in events if e.source)
    ordered = sorted(events, key=lambda e: (e.date, e.id))
    out = [
        SCHEMA_LINE,
        f"# Imported from an ACLED export by `scenarios import acled`: {len(events)} event{'s' if len(events) != 1 else ''}.",
        f"# Every source is graded {reliability.upper()}" + (f", every fact {credibility}" if credibility is not None else "") + ": grade them as you assess them.",
        f"case: {quote(case_id)}",
        f"title: {quote(title if title is not None else default_title(events))}",
        f"as_of: {(as_of or max(e.date for e in events)).isoformat()}",
    ]
    if keys:
        out.append("sources:")
        for name, key in sorted(keys.items(), key=lambda item: item[1]):
            out.append(f"  {quote(key)}: {{name: {quote(name)}, reliability: {reliability.upper()}}}")
    out.append("facts:")
    for i, e in enumerate(ordered):
        if i:
            out.append("")
        out.append(f"  - id: {quote(e.id)}")
        out.append(f"    type: {quote(e.type)}")
        out.append(f"    date: {e.date.isoformat()}")
        out.extend(f"    {key}: {scalar_or_list(value)}" for key, value in e.attributes)
        if e.source:
            out.append(f"    source: {quote(keys[e.source])}")
        if credibility is not None:
            out.append(f"    credibility: {credibility}")
        if e.text:
            out.append(f"    text: {quote(e.text)}")
    return "\n".join(out) + "\n"


def quote(text: str) -> str:
    """A JSON string that YAML 1.2 reads back as the same string."""
    return _NOT_YAML_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))


def scalar_or_list(value: Any) -> str:
    """A value as YAML: one item alone, several as a flow list."""
    if isinstance(value, tuple):
        return "[" + ", ".join(scalar_or_list(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number(value)
    return quote(value)


def number(value: float) -> str:
    """A float in plain decimal notation (no exponent), as every YAML reader takes it."""
    text = repr(value)
    if "e" in text:
        text = f"{value:.12f}".rstrip("0")
        text = text + "0" if text.endswith(".") else text
    return text
