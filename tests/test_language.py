"""What analysts could not say before (SPEC 2, 3, 3.1): `of`, lists of types, `reported`,
and the analyst's probabilities, one behaviour a test, on the smallest input."""

import pytest

from helpers import case_of, one_indicator, run, status, statuses
from scenarios.errors import InputError

FIVE = """
- {id: a, type: attack}
- {id: b, type: protest}
- {id: c, type: deployment}
"""


def signposts(at_least=None, at_most=None, types=("attack", "protest", "deployment", "agreement", "strike")) -> str:
    bounds = "".join(f"\n{k}: {v}" for k, v in (("at_least", at_least), ("at_most", at_most)) if v is not None)
    return one_indicator("of:\n" + "".join(f"  - match: {t}\n" for t in types) + bounds.lstrip("\n"))


# -- of: N of M conditions -----------------------------------------------------------


@pytest.mark.parametrize(
    "at_least, at_most, expected",
    [(3, None, "triggered"), (4, None, "not_triggered"), (None, 3, "triggered"), (None, 2, "not_triggered"), (2, 3, "triggered"), (0, 0, "not_triggered")],
)
def test_of_holds_when_the_number_of_conditions_holding_is_within_its_bounds(at_least, at_most, expected):
    assert status(run(case_of(FIVE), signposts(at_least, at_most)), "x") == expected


def test_an_of_below_its_threshold_is_a_near_miss_that_says_how_many_hold_and_what_is_missing():
    x = run(case_of(FIVE), signposts(4)).find("x")
    assert (x.status, x.near_miss, x.held, x.needed) == ("not_triggered", True, 3, 4)
    assert x.missing == ["no agreement", "no strike"]


def test_an_of_with_nothing_holding_is_no_near_miss():
    x = run(case_of("- {id: z, type: other}"), signposts(2)).find("x")
    assert (x.near_miss, x.held, x.needed, x.missing) == (False, None, None, [])


def test_each_condition_of_an_of_is_judged_on_its_own_with_the_outer_binding():
    rules = """
    ruleset: t
    indicators:
      - id: x
        when:
          all:
            - {match: attack, as: atk}
            - of:
                - {match: claim, where: {by: $atk.actor}}
                - {match: arrest, where: {of: $atk.actor}}
                - {match: arrest, as: c, where: {of: HTS}}
              at_least: 2
    """
    case = case_of("""
    - {id: a, type: attack, actor: TIP}
    - {id: c, type: claim, by: TIP}
    - {id: r, type: arrest, of: HTS}
    """)
    assert status(run(case, rules), "x") == "triggered"  # the claim by TIP, and the arrest bound as `c`
    assert status(run(case.replace("by: TIP", "by: KSB"), rules), "x") == "not_triggered"


def test_a_name_bound_inside_an_of_is_not_visible_outside_it():
    rules = one_indicator("all:\n  - of:\n      - {match: attack, as: a}\n    at_least: 1\n  - {match: claim, where: {by: $a.actor}}")
    with pytest.raises(InputError, match=r"\$a is used but never bound"):
        run(case_of(FIVE), rules)


def test_of_counts_indicators_and_negations():
    rules = """
    ruleset: t
    indicators:
      - {id: attacked, when: {match: attack}}
      - {id: calm, when: {match: ceasefire}}
      - id: x
        when:
          of:
            - {indicator: attacked}
            - {not: {indicator: calm}}
            - {match: strike}
          at_least: 2
    """
    assert status(run(case_of(FIVE), rules), "x") == "triggered"
    assert status(run(case_of(FIVE + "- {id: q, type: ceasefire}"), rules), "x") == "not_triggered"


def test_an_of_inside_an_of():
    rules = one_indicator("of:\n  - of: [{match: attack}, {match: strike}]\n    at_least: 2\n  - {match: protest}\nat_least: 2")
    assert status(run(case_of(FIVE), rules), "x") == "not_triggered"
    assert status(run(case_of(FIVE + "- {id: s, type: strike}"), rules), "x") == "triggered"


def test_a_positive_of_may_count_an_item_of_its_own_cycle():
    # a positive cycle is allowed (SPEC 3.1): y holds through x, and x through y's of
    rules = """
    ruleset: t
    indicators:
      - {id: x, when: {any: [{match: attack}, {indicator: y}]}}
      - id: y
        when:
          of: [{indicator: x}, {match: protest}]
          at_least: 2
    """
    assert statuses(run(case_of(FIVE), rules)) == {"x": "triggered", "y": "triggered"}


@pytest.mark.parametrize("order", ["x first", "y first"])
def test_an_of_sees_what_its_own_stratum_derives_after_it_first_looked(order):
    # both fire on their stratum's marker; whichever is checked first, y must see x
    x = "  - id: x\n    when: {of: [{match: attack}, {match: protest}], at_least: 2}\n"
    y = "  - id: y\n    when: {of: [{indicator: x}, {match: deployment}], at_least: 2}\n"
    rules = "ruleset: t\nindicators:\n" + (x + y if order == "x first" else y + x)
    assert statuses(run(case_of(FIVE), rules)) == {"x": "triggered", "y": "triggered"}


def test_an_of_with_at_most_is_stratified_like_not():
    rules = """
    ruleset: t
    indicators:
      - id: x
        when:
          of: [{indicator: x}, {match: attack}]
          at_most: 1
    """
    with pytest.raises(InputError, match=r"a cycle through not/count cannot be evaluated: x -> x \(.x. uses .x. under not, count or an of with at_most\)"):
        run(case_of(FIVE), rules)


@pytest.mark.parametrize(
    "bounds, message",
    [
        ("", "an of needs at_least or at_most beside it"),
        ("at_least: 6", "at_least 6 is more than the 5 conditions listed"),
        ("at_least: 3\nat_most: 2", "at_least 3 is more than at_most 2"),
        ("at_least: -1", "at_least must be a whole number 0 or more"),
        ("at_least: 2.0", "at_least must be a whole number 0 or more"),
        ("at_least: true", "at_least must be a whole number 0 or more"),
    ],
)
def test_bad_bounds_of_an_of_are_errors(bounds, message):
    rules = one_indicator("of:\n" + "".join(f"  - match: t{i}\n" for i in range(5)) + bounds)
    with pytest.raises(InputError, match=message):
        run(case_of(FIVE), rules)


def test_a_misspelt_bound_gets_a_suggestion():
    rules = one_indicator("of: [{match: attack}]\natleast: 1")
    with pytest.raises(InputError) as caught:
        run(case_of(FIVE), rules)
    assert any(p.code == "unknown-key" and p.suggestion == "did you mean 'at_least'?" for p in caught.value.problems)


# -- match: [TYPE, ...] ---------------------------------------------------------------


def test_match_takes_a_list_of_types():
    rules = one_indicator("match: [battle, attack]\nwhere: {actor: HTS}")
    assert status(run(case_of("- {id: a, type: attack, actor: HTS}"), rules), "x") == "triggered"
    assert status(run(case_of("- {id: a, type: battle, actor: HTS}"), rules), "x") == "triggered"
    assert status(run(case_of("- {id: a, type: protest, actor: HTS}"), rules), "x") == "not_triggered"


def test_a_count_over_a_list_of_types_counts_each_fact_once():
    rules = one_indicator("count: {match: [attack, battle], where: {target: TAF}}\nat_least: 3")
    facts = "- {id: a, type: attack, target: TAF}\n- {id: b, type: battle, target: TAF}\n- {id: c, type: attack, target: RU}"
    assert status(run(case_of(facts), rules), "x") == "not_triggered"
    assert status(run(case_of(facts + "\n- {id: d, type: battle, target: [TAF, RU]}"), rules), "x") == "triggered"


def test_a_list_of_one_type_is_the_bare_type():
    case = case_of("- {id: a, type: attack, actor: HTS}\n- {id: b, type: group, name: HTS}")
    listed = run(case, one_indicator("all:\n  - {match: [attack], as: x}\n  - {match: group, where: {name: $x.actor}}"))
    bare = run(case, one_indicator("all:\n  - {match: attack, as: x}\n  - {match: group, where: {name: $x.actor}}"))
    assert status(listed, "x") == status(bare, "x") == "triggered"


def test_one_fact_may_satisfy_a_listed_type_and_its_bare_type_in_one_all():
    rules = one_indicator("all:\n  - {match: attack, where: {actor: HTS}}\n  - {match: [attack, battle], where: {target: TAF}}")
    assert status(run(case_of("- {id: a, type: attack, actor: HTS, target: TAF}"), rules), "x") == "triggered"


def test_an_empty_list_of_types_is_an_error():
    with pytest.raises(InputError, match="not an empty list"):
        run(case_of(FIVE), one_indicator("match: []"))


# -- reported: when the analyst could know ----------------------------------------------


def test_a_fact_reported_after_the_run_day_is_left_out_though_it_happened_before():
    rules = one_indicator("match: deployment\nwithin: 1y")
    case = case_of("- {id: troops, type: deployment, date: 2020-02-02, reported: 2020-05-31}")
    before = run(case, rules, as_of="2020-05-30")
    assert (status(before, "x"), before.left_out) == ("not_triggered", ["troops"])
    after = run(case, rules, as_of="2020-05-31")
    assert (status(after, "x"), after.left_out) == ("triggered", [])


def test_windows_test_the_day_it_happened_not_the_day_it_was_reported():
    rules = one_indicator("match: attack\nwithin: 30d")
    case = case_of("- {id: a, type: attack, date: 2020-03-01, reported: 2020-05-20}")
    assert status(run(case, rules), "x") == "not_triggered"  # known, but 89 days old


def test_where_sees_reported_as_written():
    rules = one_indicator("match: attack\nwhere: {reported: {gte: 2020-05-01}}")
    assert status(run(case_of("- {id: a, type: attack, date: 2020-04-01, reported: 2020-05-02}"), rules), "x") == "triggered"
    assert status(run(case_of("- {id: a, type: attack, date: 2020-05-02}"), rules), "x") == "not_triggered"  # missing fails


def test_reported_before_the_day_it_happened_is_an_error():
    with pytest.raises(InputError, match="reported 2020-05-01 is earlier than date 2020-05-02"):
        run(case_of("- {id: a, type: attack, date: 2020-05-02, reported: 2020-05-01}"), one_indicator("match: attack"))


def test_an_undated_fact_joins_on_its_reported_day():
    rules = one_indicator("match: attack")
    case = case_of("- {id: a, type: attack, reported: 2020-05-30}")
    assert status(run(case, rules), "x") == "not_triggered"
    assert status(run(case, rules, as_of="2020-05-30"), "x") == "triggered"


# -- why not: facts the tests select but the run leaves out (SPEC 4) ---------------------


def test_a_missing_condition_names_the_fact_that_aged_out_of_its_window():
    rules = one_indicator("all:\n  - {match: attack}\n  - {match: agreement, where: {status: terminated}, within: 30d}")
    case = case_of("- {id: a, type: attack}\n- {id: ru-ends-deal, type: agreement, status: terminated, date: 2020-04-14}")
    (line,) = run(case, rules).find("x").missing
    assert line.endswith("ru-ends-deal matches but is 45 days old; the window is 30 days")


def test_a_missing_condition_names_the_fact_not_yet_reported():
    rules = one_indicator("all:\n  - {match: attack}\n  - {match: deployment}")
    case = case_of("- {id: a, type: attack}\n- {id: troops, type: deployment, date: 2020-02-02, reported: 2020-05-31}")
    (line,) = run(case, rules).find("x").missing
    assert line.endswith("troops matches but is reported only on 2020-05-31, after 2020-05-29")


# -- likelihood: the analyst's p --------------------------------------------------------

CONTESTED = """
- id: convoy-attack
  type: attack
  actor:
    one_of:
      - {value: TIP, p: 0.38}
      - {value: HTS, p: 0.62}
- id: depot
  type: explosion
  cause:
    one_of:
      - {value: strike, p: 0.5}
      - {value: accident, p: 0.5}
"""
BY_HTS = """
ruleset: t
scenarios:
  - {id: hts, when: {match: attack, where: {actor: HTS}}}
  - {id: hts-and-strike, when: {all: [{match: attack, where: {actor: HTS}}, {match: explosion, where: {cause: strike}}]}}
  - {id: any-attack, when: {match: attack}}
"""


def test_a_contested_item_gets_its_probability_and_its_icd_203_word():
    result = run(case_of(CONTESTED), BY_HTS)
    hts, both, every = result.find("hts"), result.find("hts-and-strike"), result.find("any-attack")
    assert (hts.status, hts.probability, hts.likelihood) == ("contested", 0.62, "likely")
    assert (both.probability, both.likelihood) == (0.31, "unlikely")
    assert (every.status, every.probability, every.likelihood) == ("triggered", 1.0, None)  # the status says it


def test_without_p_nothing_is_assumed():
    result = run(case_of(CONTESTED.replace(", p: 0.38", "").replace(", p: 0.62", "").replace(", p: 0.5", "")), BY_HTS)
    assert (result.find("hts").probability, result.find("hts").likelihood) == (None, None)


def test_p_within_a_thousandth_of_one_is_divided_by_its_sum():
    result = run(case_of(CONTESTED.replace("0.38", "0.3805").replace("0.62", "0.6200")), BY_HTS)
    assert result.find("hts").probability == round(0.62 / 1.0005, 6)


def test_a_partial_set_of_p_is_an_error_naming_the_key():
    with pytest.raises(InputError, match=r"depot\.cause: this alternative has no p"):
        run(case_of(CONTESTED.replace("{value: strike, p: 0.5}", "{value: strike}")), BY_HTS)


def test_p_that_do_not_sum_to_one_are_an_error_naming_the_key():
    with pytest.raises(InputError, match=r"convoy-attack\.actor: the p of its alternatives sum to 1\.1"):
        run(case_of(CONTESTED.replace("0.38", "0.48")), BY_HTS)


@pytest.mark.parametrize("p", ["1.4", "-0.1", "high", "true"])
def test_p_must_be_a_probability(p):
    with pytest.raises(InputError, match="p must be a probability"):
        run(case_of(CONTESTED.replace("0.38", p)), BY_HTS)


@pytest.mark.parametrize(
    "p, word",
    [("0.04", "almost no chance"), ("0.05", "very unlikely"), ("0.2", "unlikely"), ("0.45", "roughly even chance"),
     ("0.55", "roughly even chance"), ("0.8", "likely"), ("0.95", "very likely"), ("0.96", "almost certain")],
)
def test_the_words_follow_the_thresholds_of_spec_3_1(p, word):
    q = 1 - float(p)
    case = CONTESTED.replace("0.62", p).replace("0.38", f"{q:.2f}")
    assert run(case_of(case), BY_HTS).find("hts").likelihood == word


def test_the_matrix_says_how_likely_each_scenario_is_given_each_hypothesis():
    result = run(case_of(CONTESTED), BY_HTS)
    columns = [f"{fact}.{rest}" for fact, rest in result.matrix_columns]
    given = dict(zip(columns, result.matrix_given["hts-and-strike"]))
    assert given == {"convoy-attack.actor = TIP": 0.0, "convoy-attack.actor = HTS": 0.5, "depot.cause = strike": 0.62, "depot.cause = accident": 0.0}


def test_present_may_carry_p():
    case = case_of("- id: a\n  type: attack\n  present:\n    one_of: [{value: true, p: 0.7}, {value: false, p: 0.3}]")
    x = run(case, one_indicator("match: attack")).find("x")
    assert (x.status, x.probability, x.likelihood) == ("contested", 0.7, "likely")


# -- critical facts of an of (SPEC 3.1: the facts whose removal alone un-triggers it) --


@pytest.mark.parametrize(
    "facts, critical",
    [
        ("- {id: a1, type: a}\n- {id: b1, type: b}", ["a1", "b1"]),  # 2 of 2 needed: each
        ("- {id: a1, type: a}\n- {id: b1, type: b}\n- {id: c1, type: c}", []),  # one to spare
        ("- {id: a1, type: a}\n- {id: a2, type: a}\n- {id: b1, type: b}", ["b1"]),  # a holds on a2 without a1
    ],
)
def test_the_critical_facts_of_an_of_are_those_that_leave_too_few_conditions(facts, critical):
    rules = one_indicator("of: [{match: a}, {match: b}, {match: c}]\nat_least: 2")
    assert run(case_of(facts), rules).find("x").critical_facts == critical


def test_a_fact_behind_two_conditions_of_an_of_is_critical_with_one_to_spare():
    rules = """
    ruleset: t
    indicators:
      - {id: p, when: {match: report, where: {about: a}}}
      - {id: q, when: {match: report, where: {about: b}}}
      - id: x
        when:
          of: [{indicator: p}, {indicator: q}, {match: c}]
          at_least: 2
    """
    facts = "- {id: r, type: report, about: [a, b]}\n- {id: c1, type: c}"
    assert run(case_of(facts), rules).find("x").critical_facts == ["r"]
