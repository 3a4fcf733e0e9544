"""Every value operator of SPEC 3 and 3.1, as the engine evaluates it on one fact."""

import pytest

from helpers import case_of, one_indicator, run, status

# (the fact's `v` as YAML or None for no key, the where value as YAML, whether it holds)
CASES = [
    # scalar equality, strict about kinds
    ("TAF", "TAF", True),
    ("TAF", "RU", False),
    ("1", "1.0", True),
    ("1.0", "1", True),
    ("true", "1", False),
    ("1", "true", False),
    ("'1'", "1", False),
    ("yes", "'yes'", True),  # YAML 1.2: yes is a string
    ("yes", "true", False),
    ("010", "10", True),  # YAML 1.2: 010 is ten
    ("2020-05-27", "'2020-05-27'", True),  # a date, quoted or not
    ("'2020-05-27'", "2020-05-27", True),
    ("2020-05-27", "{eq: 2020-05-27}", True),
    ("NO", "'NO'", True),
    # lists: a positive test holds when one element passes
    ("[TAF, RU]", "TAF", True),
    ("[TAF, RU]", "{contains: RU}", True),
    ("[TAF, RU]", "{contains: SAA}", False),
    ("TAF", "{contains: TAF}", True),  # contains on a scalar is equality
    ("[]", "{contains: TAF}", False),
    # ne / not_in hold when no element fails
    ("TAF", "{ne: RU}", True),
    ("TAF", "{ne: TAF}", False),
    ("[TAF, RU]", "{ne: RU}", False),
    ("[TAF, RU]", "{ne: SAA}", True),
    ("[]", "{ne: TAF}", True),
    ("1", "{ne: '1'}", True),
    ("[TAF, RU]", "{not_in: [SAA, HTS]}", True),
    ("[TAF, RU]", "{not_in: [SAA, RU]}", False),
    ("[]", "{not_in: [SAA]}", True),
    # in
    ("HTS", "{in: [HTS, TIP]}", True),
    ("SAA", "{in: [HTS, TIP]}", False),
    ("[SAA, TIP]", "{in: [HTS, TIP]}", True),
    ("1", "{in: [1.0, x]}", True),
    ("HTS", "{in: []}", False),
    # ordering: numbers, strings (code point order), dates; never across kinds
    ("5000", "{gte: 5000}", True),
    ("4999.5", "{gte: 5000}", False),
    ("10400", "{gt: 5000, lt: 20000}", True),
    ("10400", "{gt: 5000, lt: 10000}", False),
    ("'5001'", "{gt: 5000}", False),
    ("true", "{gt: 0}", False),
    ("b", "{gt: a}", True),
    ("B", "{gt: a}", False),
    ("é", "{gt: z}", True),
    ("2020-05-27", "{lt: 2020-06-01}", True),
    ("2020-05-27", "{lt: '2020-05-01'}", False),
    ("2020-05-27", "{gt: 5}", False),
    ("[1, 50]", "{gt: 10}", True),
    ("[1, 5]", "{gt: 10}", False),
    ("[a, 50]", "{lte: 50}", True),
    # matches: search, case-sensitive, never on a non-string
    ("al-Ghassaniyah", "{matches: Ghass}", True),
    ("al-Ghassaniyah", "{matches: ghass}", False),
    ("al-Ghassaniyah", "{matches: '^Ghass'}", False),
    ("al-Ghassaniyah", "{matches: '^al-.*h$'}", True),
    ("123", "{matches: '1'}", False),
    ("[x, Jisr]", "{matches: '^J'}", True),
    ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "{matches: '^(a+)+$'}", False),
    # exists and missing keys
    (None, "{exists: false}", True),
    (None, "{exists: true}", False),
    ("[]", "{exists: true}", True),
    ("~", "{exists: false}", True),  # null counts as missing
    (None, "{ne: TAF}", False),  # a missing key fails whatever the operator
    (None, "{not_in: [TAF]}", False),
    ("~", "{ne: TAF}", False),
    # several operators on one key must all hold
    ("3", "{gte: 1, lte: 5}", True),
    ("7", "{gte: 1, lte: 5}", False),
]


@pytest.mark.parametrize("value, where, expected", CASES)
def test_operator(value, where, expected):
    fact = "- {id: f, type: e" + (f", v: {value}" if value is not None else "") + "}"
    result = run(case_of(fact), one_indicator(f"match: e\nwhere: {{v: {where}}}"))
    assert status(result, "x") == ("triggered" if expected else "not_triggered")


@pytest.mark.parametrize(
    "key, where, expected",
    [
        ("id", "f", True),
        ("source", "sohr", True),
        ("credibility", "{lte: 2}", True),
        ("credibility", "{gte: 3}", False),
        ("text", "{matches: convoy}", True),
        ("date", "{gte: 2020-05-27}", True),
        ("date", "2020-05-27", True),
    ],
)
def test_where_sees_reserved_keys(key, where, expected):
    case = case_of(
        "- {id: f, type: e, date: 2020-05-27, source: sohr, credibility: 2, text: an IED hits a convoy}",
        extra="sources: {sohr: {name: SOHR, reliability: B}}\n",
    )
    result = run(case, one_indicator(f"match: e\nwhere: {{{key}: {where}}}"))
    assert status(result, "x") == ("triggered" if expected else "not_triggered")


def test_match_tests_the_type():
    result = run(case_of("- {id: f, type: attack}"), one_indicator("match: protest"))
    assert status(result, "x") == "not_triggered"
