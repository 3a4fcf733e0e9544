"""Same inputs, same bytes of JSON: whatever the order of facts, rules or YAML keys."""

import random

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scenarios.api import case_from_data, run_data, ruleset_from_data
from scenarios.errors import InputError
from scenarios.run import evaluate
from scenarios.load import bundled_case, find_ruleset, parse_text, read_text
from scenarios.render import json as json_render
from strategies import shuffled_inputs

CASE = parse_text(read_text(bundled_case()), "case.yaml")
RULES = parse_text(read_text(find_ruleset("idlib-m4")), "rules.yaml")


def shuffle_keys(data, rng):
    """The same data with every mapping's keys in a random order."""
    if isinstance(data, dict):
        items = list(data.items())
        rng.shuffle(items)
        return {k: shuffle_keys(v, rng) for k, v in items}
    if isinstance(data, list):
        return [shuffle_keys(v, rng) for v in data]
    return data


def report(case, rules) -> str:
    return json_render.render([evaluate(case_from_data(case, "case.yaml"), [ruleset_from_data(rules, "rules.yaml")])])


BASELINE = report(CASE, RULES)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_shuffled_facts_rules_and_keys_give_identical_json(rng: random.Random):
    case = shuffle_keys(CASE, rng)
    rules = shuffle_keys(RULES, rng)
    rng.shuffle(case["facts"])
    rng.shuffle(rules["indicators"])
    rng.shuffle(rules["scenarios"])
    assert report(case, rules) == BASELINE


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(shuffled_inputs())
def test_generated_inputs_reordered_give_identical_json(pair):
    (case, rules), (case2, rules2) = pair
    try:
        first = json_render.render([run_data(case, rules)])
    except InputError:
        with pytest.raises(InputError):
            run_data(case2, rules2)
        return
    assert json_render.render([run_data(case2, rules2)]) == first
