"""A long case is read in two halves at once (`load.text.in_halves`): whatever the
text, the halves give exactly what reading the whole gives, or the whole is read."""

from __future__ import annotations

import yaml_rs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios.load import text as reading
from scenarios.load import case_from_text

from bigcase import generate


def whole(text: str):
    """What the parser makes of the text read as one, or the exception it raises."""
    try:
        return yaml_rs.loads(text, parse_datetime=False)
    except Exception as exc:  # noqa: BLE001 - any refusal counts as one
        return type(exc)


HEADERS = [
    "case: c\nas_of: 2020-05-31\n",
    "case: c\ntitle: 'one line'\nas_of: 2020-05-31\n",
    # `facts:` inside a quoted title: not the key
    'case: c\ntitle: "a\nfacts:\n  - b"\nas_of: 2020-05-31\n',
    "case: c\ntitle: [a,\nfacts: x]\n",
    "# a comment\ncase: c\n",
    "",
    "case: c\nfacts_seen: 1\n",
    '"facts": []\ncase: c\n',
]

# items at indentation {indent}; each one a line or more
ITEMS = [
    "{p}- {{id: a{n}, type: attack, actor: HTS}}\n",
    "{p}- id: b{n}\n{p}  type: attack\n{p}  text: plain\n",
    # a block scalar whose lines look like items, more indented
    "{p}- id: c{n}\n{p}  type: note\n{p}  text: |\n{p}    - id: fake\n{p}    facts:\n",
    # a quoted value across lines, its second line looking like an item
    '{p}- {{id: d{n}, type: note, text: "x\n{p}- {{id: fake}}"}}\n',
    "{p}- id: e{n}\n{p}  type: note\n{p}  text: 'a\n{p}- b'\n",
    # a bracketed list across lines
    "{p}- {{id: f{n}, type: note, tags: [a,\n{p}- b]}}\n",
    "{p}  # a comment within the list\n",
    "#{p}- a comment at the start of a line\n",
    "\n",
    "{p}-\n{p}  id: g{n}\n{p}  type: note\n",
]
# lines that leave the list: a key, a key that starts with '-', an alias, documents
LEAVING = [
    "x{n}: 1\n",
    "-k{n}: 1\n",
    "{p}- {{id: h{n}, type: note, who: &a{n} x, again: *a{n}}}\n",
    "{p}-- {{id: i{n}}}\n",
    "---\n",
    "...\n",
]

AFTER = ["", "sources: {s: x}\n", "case: again\n", "facts: []\n", "zzz:\n  - 1\n"]


@st.composite
def case_texts(draw) -> str:
    indent = draw(st.sampled_from([0, 1, 2, 4]))
    p = " " * indent
    parts = [draw(st.sampled_from(HEADERS)), draw(st.sampled_from(["facts:\n", "facts:  \n", "facts: # c\n", "facts: []\n"]))]
    for n in range(draw(st.integers(1, 12))):
        choices = ITEMS[:2] if n == 0 else ITEMS * 4 + LEAVING
        parts.append(draw(st.sampled_from(choices)).format(p=p, n=n))
    parts.append(draw(st.sampled_from(AFTER)))
    return "".join(parts)


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case_texts())
def test_halves_read_as_the_whole(text):
    split_from, reading.SPLIT_FROM = reading.SPLIT_FROM, 0
    try:
        halves = reading.in_halves(text)
    finally:
        reading.SPLIT_FROM = split_from
    if halves is not None:
        assert halves == whole(text)
        assert list(halves) == list(whole(text))  # keys in the file's order


def test_a_long_case_is_read_in_halves_and_gives_the_same_case():
    text = generate(30_000)[0]
    assert len(text) > reading.SPLIT_FROM
    halves = reading.in_halves(text)
    assert halves is not None
    assert halves == whole(text)
    case = case_from_text(text)
    assert [f.id for f in case.facts] == [f["id"] for f in whole(text)["facts"]]


def test_a_long_case_with_an_error_in_its_second_half_is_located_as_before():
    text = generate(30_000)[0]
    cut = text.rindex("\n  - ") + 1
    bad = text[:cut] + "  - {id: broken, type: attack, actor: [HTS}\n" + text[cut:]
    assert reading.in_halves(bad) is None
    try:
        case_from_text(bad, "big.yaml")
    except Exception as exc:  # InputError
        problems = getattr(exc, "problems", [])
        assert problems and problems[0].line == bad[:cut].count("\n") + 1
    else:
        raise AssertionError("a broken case was read")


def test_a_long_case_is_read_whole_when_no_thread_can_be_started(monkeypatch):
    import threading

    def refuse(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    text = generate(30_000)[0]
    assert reading.in_halves(text) is None
    assert len(case_from_text(text).facts) == len(whole(text)["facts"])
