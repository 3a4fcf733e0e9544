"""Attribute values and what the `where` operators mean on them (SPEC 3.1).

A value is a str, an int or float, a bool, a `datetime.date`, or a tuple of those
(a list attribute). A missing key is `MISSING`. These functions are the one Python
statement of the value semantics; the compiler states the same semantics as
durable-rules expressions over `tokens()` and `ordered()`.
"""

from __future__ import annotations

import datetime
import math
import re
import sys
from decimal import Decimal
from typing import Any, Iterable, Union

Scalar = Union[str, int, float, bool, datetime.date]
Value = Union[Scalar, tuple]

MISSING = object()

DATE_PATTERN = r"\d{4}-\d{2}-\d{2}"  # a date as analysts write it: YYYY-MM-DD
DATE_RE = re.compile(DATE_PATTERN + r"\Z", re.ASCII)

OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains", "matches", "exists")
ORDERING = ("gt", "gte", "lt", "lte")


def parse_date(text: str) -> datetime.date:
    """The day a `YYYY-MM-DD` string names; ValueError when it names no real day."""
    year, month, day = int(text[0:4]), int(text[5:7]), int(text[8:10])
    return datetime.date(year, month, day)


def kind(value: Scalar) -> str:
    """`str`, `num`, `bool` or `date`: the kinds between which equality is strict."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "num"
    if isinstance(value, datetime.date):
        return "date"
    return "str"


def token(value: Scalar) -> str:
    """A string equal for two scalars exactly when SPEC 3.1 calls them equal."""
    if type(value) is str:
        return "s" + value
    k = kind(value)
    if k == "bool":
        return "b1" if value else "b0"
    if k == "num":
        if isinstance(value, float) and value.is_integer():
            return "n" + str(int(value))
        return "n" + repr(value)
    if k == "date":
        return "d" + value.isoformat()
    return "s" + value


def elements(value: Value) -> tuple:
    """The elements a test looks at: the list itself, or the scalar alone."""
    return value if isinstance(value, tuple) else (value,)


def equal(a: Scalar, b: Scalar) -> bool:
    """Equality as SPEC 3.1 means it: strict about kinds, `1` equal to `1.0`."""
    return kind(a) == kind(b) and a == b


def ordered(a: Scalar, b: Scalar, op: str) -> bool:
    """`a op b` for gt/gte/lt/lte; never holds between different kinds or on booleans."""
    ka = kind(a)
    if ka != kind(b) or ka == "bool":
        return False
    if op == "gt":
        return a > b
    if op == "gte":
        return a >= b
    if op == "lt":
        return a < b
    return a <= b


def _scalar_passes(element: Scalar, op: str, operand: Any) -> bool:
    if op in ("eq", "contains"):
        return equal(element, operand)
    if op in ORDERING:
        return ordered(element, operand, op)
    if op == "in":
        return any(equal(element, o) for o in operand)
    if op == "matches":
        return isinstance(element, str) and operand.search(element) is not None
    raise ValueError(op)


def passes(value: Any, op: str, operand: Any) -> bool:
    """Whether a fact's value passes `op operand` with a literal operand.

    `operand` is a scalar, a tuple for `in`/`not_in`, a compiled pattern for `matches`
    and a bool for `exists`. A missing value fails every test but `exists: false`.
    """
    if type(value) is str:  # the common case: a text equals only a text (so == says it)
        if op == "eq" or op == "contains":
            return value == operand
        if op == "in":
            return value in operand
        if op == "ne":
            return value != operand
        if op == "not_in":
            return value not in operand
    if op == "exists":
        return (value is not MISSING) == operand
    if value is MISSING:
        return False
    items = elements(value)
    if op == "ne":
        return not any(equal(e, operand) for e in items)
    if op == "not_in":
        return not any(equal(e, o) for e in items for o in operand)
    return any(_scalar_passes(e, op, operand) for e in items)


def passes_ref(value: Any, op: str, ref_value: Any) -> bool:
    """Whether a value passes `op $name.KEY`, the bound fact's value being `ref_value`.

    A list on the reference side is the list of `in`/`not_in`; for the other
    operators the test holds when it holds for at least one of its elements (`ne`:
    for every one). A missing value on either side fails.
    """
    if value is MISSING or ref_value is MISSING:
        return False
    if op in ("in", "not_in"):
        return passes(value, op, elements(ref_value))
    refs = elements(ref_value)
    if op == "ne":
        return all(passes(value, "ne", r) for r in refs)
    return any(passes(value, op, r) for r in refs)


MAX_DIGITS = 100_000  # a number written with more digits is refused at load: reading it takes minutes


def whole_number_text(n: int) -> str:
    """The decimal digits of a whole number of any size (Python refuses to write one of
    more than 4,300 digits unless told)."""
    get = getattr(sys, "get_int_max_str_digits", None)
    if get is None or get() == 0 or n.bit_length() < 14_000:
        return str(n)
    before = get()
    sys.set_int_max_str_digits(0)
    try:
        return str(n)
    finally:
        sys.set_int_max_str_digits(before)


def number_key(x: Union[int, float]) -> str:
    """A number as text whose code point order is exactly the numbers' order, for
    every whole number and every double, infinities included (SPEC 3.1: ordering
    between two numbers holds exactly: 2**53 + 1 > 2**53, 10**401 < 10**402).

    A finite number other than 0 is 0.DIGITS x 10**E, DIGITS without trailing zeros:
    the key is its sign, E at a fixed width (offset, so that it stays positive) and
    DIGITS; a negative number's key is that of its magnitude with each digit
    complemented and a terminator that sorts after every digit, which reverses the
    order. Dates and text never get one: ordering holds only within a kind.
    """
    if type(x) is int and -_SMALL < x < _SMALL:
        key = _SMALL_KEYS.get(x)
        if key is None:
            key = _SMALL_KEYS[x] = _number_key(x)
        return key
    return _number_key(x)


_SMALL = 1 << 20  # whole numbers whose keys are kept once made: counts, fatalities, years
_SMALL_KEYS: dict = {}


def _number_key(x: Union[int, float]) -> str:
    if isinstance(x, float):
        if math.isnan(x):
            raise ValueError("nan has no place in an order")
        if math.isinf(x):
            return "4" if x > 0 else "0"
        if x == 0:
            return "2"
        sign, digits_, exponent = Decimal(x).as_tuple()  # exact: a double is a finite decimal
        digits = "".join(map(str, digits_)).lstrip("0")
        e = len(digits) + exponent
        negative = x < 0
    else:
        if x == 0:
            return "2"
        negative = x < 0
        text = whole_number_text(-x if negative else x)
        e = len(text)
        digits = text
    digits = digits.rstrip("0")
    body = f"{e + _EXPONENT_OFFSET:012d}" + digits
    if not negative:
        return "3" + body
    return "1" + body.translate(_COMPLEMENT) + "~"


_EXPONENT_OFFSET = 10**11  # exponents from -10**11 to 10**11: far beyond MAX_DIGITS and any double
_COMPLEMENT = str.maketrans("0123456789", "9876543210")


def one_form(value: Any) -> Any:
    """The one form of a value among those SPEC 3.1 calls equal: a whole float is its
    whole number (1.0 is 1, -0.0 is 0). What several facts give one derived attribute
    is kept in this form, so the bytes of a report never depend on which came first."""
    if isinstance(value, tuple):
        return tuple(one_form(v) for v in value)
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def canonical(value: Any) -> Any:
    """A JSON-ready form of a value: dates as ISO strings, tuples as lists."""
    if isinstance(value, tuple):
        return [canonical(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # JSON has no infinity
    return value


def sort_key(value: Any) -> tuple:
    """A total order over values of any kind, for deterministic output."""
    if isinstance(value, tuple):
        return (5, tuple(sort_key(v) for v in value))
    k = kind(value)
    if k == "bool":
        return (0, int(value))
    if k == "num":
        return (1, value)
    if k == "date":
        return (2, value.toordinal())
    return (3, value)


def is_finite_number(value: Any) -> bool:
    """A number that is neither a boolean, an infinity nor .nan."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and (
        isinstance(value, int) or math.isfinite(value)
    )


def unique(values: Iterable[Scalar]) -> tuple:
    """The values without repeats (by SPEC equality), first occurrence kept."""
    seen: set[str] = set()
    out = []
    for v in values:
        t = token(v)
        if t not in seen:
            seen.add(t)
            out.append(v)
    return tuple(out)
