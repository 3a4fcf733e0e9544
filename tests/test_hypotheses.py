"""Competing hypotheses (SPEC 2 and 3.1): worlds, holds_if, and the ACH-style matrix."""

from helpers import case_of, run

CASE = case_of(
    """
    - id: convoy
      type: attack
      target: TAF
      actor: {one_of: [TIP, HTS, HaD]}
    - id: depot
      type: explosion
      cause: {one_of: [strike, accident]}
    """
)

RULES = """
ruleset: t
scenarios:
  - {id: hts, when: {match: attack, where: {actor: HTS}}}
  - {id: jihadist, when: {match: attack, where: {actor: {in: [HTS, HaD]}}}}
  - id: both
    when:
      all:
        - {match: attack, where: {actor: HTS}}
        - {match: explosion, where: {cause: strike}}
  - id: either
    when:
      any:
        - {match: attack, where: {actor: TIP}}
        - {match: explosion, where: {cause: strike}}
"""


def test_holds_if_says_the_hypotheses_simply():
    result = run(CASE, RULES)
    assert result.worlds == 6
    assert result.find("hts").holds_if == ["convoy.actor = HTS"]
    assert result.find("jihadist").holds_if == ["convoy.actor = HTS", "convoy.actor = HaD"]
    assert result.find("both").holds_if == ["convoy.actor = HTS and depot.cause = strike"]
    assert result.find("either").holds_if == ["convoy.actor = TIP", "depot.cause = strike"]


def test_matrix_counts_worlds_per_hypothesis():
    result = run(CASE, RULES)
    columns = [f"{fact}.{rest}" for fact, rest in result.matrix_columns]
    assert columns == [
        "convoy.actor = TIP",
        "convoy.actor = HTS",
        "convoy.actor = HaD",
        "depot.cause = strike",
        "depot.cause = accident",
    ]
    rows = dict(result.matrix)
    assert rows["hts"] == [(0, 2), (2, 2), (0, 2), (1, 3), (1, 3)]
    assert rows["either"] == [(2, 2), (1, 2), (1, 2), (3, 3), (1, 3)]


def test_many_worlds_run_each_in_its_own_session():
    facts = "\n".join(f"- {{id: f{i}, type: report, credible: {{one_of: [true, false]}}}}" for i in range(10))
    rules = "ruleset: t\nscenarios:\n  - {id: all-credible, when: {count: {match: report, where: {credible: true}}, at_least: 10}}\n"
    result = run(case_of(facts), rules)
    assert result.worlds == 1024
    assert result.find("all-credible").triggered_in == 1
