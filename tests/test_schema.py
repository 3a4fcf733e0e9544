"""`scenarios schema`: the JSON Schemas of case and ruleset files.

The schemas are checked with a real validator (jsonschema, draft 2020-12) against the
bundled files and against small documents, and every small document is also given to
parse.py, the authority: the schema and the product must agree on each of them.
"""

import copy
import json
import random
import re
import textwrap
from pathlib import Path

import pytest
import yaml_rs
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from scenarios.cli import cli
from scenarios.parse import build_case, build_ruleset
from scenarios.schema import DRAFT, case_schema, ruleset_schema, schema_text

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = {"case": case_schema, "ruleset": ruleset_schema}
BUILD = {"case": build_case, "ruleset": build_ruleset}


def load(text: str):
    return yaml_rs.loads(textwrap.dedent(text), parse_datetime=False)


def validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(SCHEMAS[kind]())


def schema_errors(kind: str, data) -> list:
    return [e.message for e in validator(kind).iter_errors(data)]


def parse_errors(kind: str, data) -> list:
    _, problems = BUILD[kind](data, f"t.{kind}.yaml")
    return [p.message for p in problems if p.severity == "error"]


CASE_HEAD = """\
case: small
as_of: 2020-05-29
sources:
  local: {name: Local sources, reliability: D}
"""

RULESET_HEAD = "ruleset: small-rules\n"


def case(facts: str = "facts: []\n", head: str = CASE_HEAD) -> str:
    return head + facts


def rule(when: str, extra: str = "") -> str:
    """A ruleset of one indicator whose `when` is the given flow YAML."""
    return RULESET_HEAD + f"indicators:\n  - id: it\n    when: {when}\n{extra}"


# -- the schemas themselves ----------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_schema_is_valid_draft_2020_12(kind):
    s = SCHEMAS[kind]()
    assert s["$schema"] == DRAFT
    Draft202012Validator.check_schema(s)


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_every_property_and_definition_has_a_title_and_a_description(kind):
    missing = []

    def walk(node, path):
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                if not (sub.get("title") and sub.get("description")):
                    missing.append(f"{path}/properties/{name}")
            for name, sub in node.get("$defs", {}).items():
                if not (sub.get("title") and sub.get("description")):
                    missing.append(f"{path}/$defs/{name}")
            for key, sub in node.items():
                walk(sub, f"{path}/{key}")
        elif isinstance(node, list):
            for i, sub in enumerate(node):
                walk(sub, f"{path}/{i}")

    walk(SCHEMAS[kind](), "#")
    assert missing == []


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_the_schema_files_in_the_repository_are_the_generated_ones(kind):
    path = ROOT / "schemas" / f"{kind}.schema.json"
    assert path.read_text(encoding="utf-8") == schema_text(kind), (
        f"{path} is out of date: run `scenarios schema {kind} > schemas/{kind}.schema.json`"
    )


def test_the_schema_text_is_sorted_indented_json_with_a_trailing_newline():
    text = schema_text("case")
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
    assert json.loads(text) == case_schema()


def test_the_schemas_are_plain_data_that_need_no_parser_or_engine():
    import subprocess
    import sys

    # the patterns come from the model, so they cannot drift from what the loader checks;
    # printing a schema still loads no parser, engine or terminal library
    code = "import sys, scenarios.schema; print(sorted(m for m in ('yaml', 'yaml_rs', 're2', 'rich', 'click', 'durable') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- the bundled files ---------------------------------------------------------------------------


BUNDLED = sorted((ROOT / "cases").glob("*.yaml")) + sorted(p for p in (ROOT / "rulesets").glob("*.yaml") if not p.name.endswith(".tests.yaml"))


def test_there_are_bundled_files():
    assert any(p.parent.name == "cases" for p in BUNDLED)
    assert any(p.parent.name == "rulesets" for p in BUNDLED)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_bundled_files_validate(path):
    kind = "case" if path.parent.name == "cases" else "ruleset"
    text = path.read_text(encoding="utf-8")
    assert text.startswith(f"# yaml-language-server: $schema=../schemas/{kind}.schema.json\n")
    data = yaml_rs.loads(text, parse_datetime=False)
    assert schema_errors(kind, data) == []


# -- small documents: the schema and parse.py agree -----------------------------------------------

INVALID = {
    # the ones the brief names
    "missing case": ("case", "as_of: 2020-05-29\nfacts: []\n"),
    "credibility 7": ("case", case("facts:\n  - {id: a, type: attack, credibility: 7}\n")),
    "reliability G": ("case", "case: x\nas_of: 2020-05-29\nsources: {s: {name: S, reliability: G}}\nfacts: []\n"),
    "unknown operator": ("ruleset", rule("{match: attack, where: {personnel: {greater: 5}}}")),
    "bare list in where": ("ruleset", rule("{match: attack, where: {target: [TAF, RU]}}")),
    "within 30 days": ("ruleset", rule("{match: attack, within: 30 days}")),
    "two heads": ("ruleset", rule("{match: attack, indicator: other}")),
    "bad id Foo_Bar": ("ruleset", RULESET_HEAD + "indicators:\n  - {id: Foo_Bar, when: {match: attack}}\n"),
    # more cases
    "missing as_of": ("case", "case: x\nfacts: []\n"),
    "missing facts": ("case", "case: x\nas_of: 2020-05-29\n"),
    "unknown case key": ("case", case("facts: []\nnotes: hello\n")),
    "as_of not a date": ("case", "case: x\nas_of: May 2020\nfacts: []\n"),
    "bad case id": ("case", "case: Idlib M4\nas_of: 2020-05-29\nfacts: []\n"),
    "facts a mapping": ("case", case("facts: {a: 1}\n")),
    "fact without type": ("case", case("facts:\n  - {id: a}\n")),
    "fact without id": ("case", case("facts:\n  - {type: attack}\n")),
    "credibility 0": ("case", case("facts:\n  - {id: a, type: attack, credibility: 0}\n")),
    "credibility text": ("case", case("facts:\n  - {id: a, type: attack, credibility: high}\n")),
    "bad fact date": ("case", case("facts:\n  - {id: a, type: attack, date: 27 May}\n")),
    "unknown source key": ("case", case("sources: {s: {name: S, rating: B}}\nfacts: []\n", head="case: x\nas_of: 2020-05-29\n")),
    "source a number": ("case", case("sources: {s: 5}\nfacts: []\n", head="case: x\nas_of: 2020-05-29\n")),
    "nested list attribute": ("case", case("facts:\n  - {id: a, type: attack, target: [[TAF]]}\n")),
    "null in a list attribute": ("case", case("facts:\n  - {id: a, type: attack, target: [TAF, null]}\n")),
    "mapping attribute": ("case", case("facts:\n  - {id: a, type: attack, target: {name: TAF}}\n")),
    "one_of empty": ("case", case("facts:\n  - {id: a, type: attack, actor: {one_of: []}}\n")),
    "one_of with another key": ("case", case("facts:\n  - {id: a, type: attack, actor: {one_of: [HTS], note: x}}\n")),
    "alternative without value": ("case", case("facts:\n  - {id: a, type: attack, actor: {one_of: [{source: local}]}}\n")),
    "alternative unknown key": ("case", case("facts:\n  - {id: a, type: attack, actor: {one_of: [{value: HTS, weight: 2}]}}\n")),
    "alternative credibility 9": ("case", case("facts:\n  - {id: a, type: attack, actor: {one_of: [{value: HTS, credibility: 9}]}}\n")),
    "reserved key contested": ("case", case("facts:\n  - {id: a, type: attack, date: {one_of: [2020-05-01, 2020-05-02]}}\n")),
    "present yes": ("case", case("facts:\n  - {id: a, type: attack, present: yes}\n")),
    "present one_of a string": ("case", case("facts:\n  - {id: a, type: attack, present: {one_of: [true, maybe]}}\n")),
    "present one_of null": ("case", case("facts:\n  - {id: a, type: attack, present: {one_of: [true, null]}}\n")),
    "text a boolean": ("case", case("facts:\n  - {id: a, type: attack, text: true}\n")),
    "rulesets a number": ("case", case("rulesets: 5\nfacts: []\n")),
    "ruleset id bad": ("case", case("rulesets: [Idlib]\nfacts: []\n")),
    "missing ruleset": ("ruleset", "indicators: []\n"),
    "neither indicators nor scenarios": ("ruleset", RULESET_HEAD + "title: Nothing\n"),
    "unknown ruleset key": ("ruleset", rule("{match: attack}", extra="author: me\n")),
    "unknown item key": ("ruleset", RULESET_HEAD + "indicators:\n  - {id: it, when: {match: attack}, weight: 2}\n"),
    "item without when": ("ruleset", RULESET_HEAD + "indicators:\n  - {id: it}\n"),
    "item without id": ("ruleset", RULESET_HEAD + "scenarios:\n  - {when: {match: attack}}\n"),
    "indicators a mapping": ("ruleset", RULESET_HEAD + "indicators: {it: {match: attack}}\n"),
    "no head": ("ruleset", rule("{where: {actor: HTS}}")),
    "all empty": ("ruleset", rule("{all: []}")),
    "any not a list": ("ruleset", rule("{any: {match: attack}}")),
    "not with a key beside it": ("ruleset", rule("{not: {match: attack}, within: 30d}")),
    "count without bounds": ("ruleset", rule("{count: {match: attack}}")),
    "count negative": ("ruleset", rule("{count: {match: attack}, at_least: -1}")),
    "count text": ("ruleset", rule("{count: {match: attack}, at_least: three}")),
    "count of an indicator": ("ruleset", rule("{count: {indicator: other}, at_least: 1}")),
    "match unknown key": ("ruleset", rule("{match: attack, since: 2020-01-01}")),
    "within a number": ("ruleset", rule("{match: attack, within: 30}")),
    "within in hours": ("ruleset", rule("{match: attack, within: 30h}")),
    "from not a date": ("ruleset", rule("{match: attack, from: last week}")),
    "as with a space": ("ruleset", rule("{match: attack, as: the attack}")),
    "as a number": ("ruleset", rule("{match: attack, as: 1}")),
    "where a list": ("ruleset", rule("{match: attack, where: [actor]}")),
    "where value null": ("ruleset", rule("{match: attack, where: {actor: null}}")),
    "no operator": ("ruleset", rule("{match: attack, where: {actor: {}}}")),
    "in a scalar": ("ruleset", rule("{match: attack, where: {actor: {in: HTS}}}")),
    "in with a null": ("ruleset", rule("{match: attack, where: {actor: {in: [HTS, null]}}}")),
    "eq a list": ("ruleset", rule("{match: attack, where: {actor: {eq: [HTS]}}}")),
    "gt null": ("ruleset", rule("{match: attack, where: {killed: {gt: null}}}")),
    "exists text": ("ruleset", rule("{match: attack, where: {actor: {exists: 'yes'}}}")),
    "matches a number": ("ruleset", rule("{match: attack, where: {actor: {matches: 5}}}")),
    "matches too long": ("ruleset", rule("{match: attack, where: {actor: {matches: '" + "a" * 257 + "'}}}")),
    "matches a reference": ("ruleset", rule("{all: [{match: attack, as: atk}, {match: claim, where: {actor: {matches: $atk.actor}}}]}")),
    "indicator ref unknown key": ("ruleset", rule("{indicator: other, within: 30d}")),
    "indicator ref bad id": ("ruleset", rule("{indicator: Other}")),
    "derive a list": ("ruleset", rule("{match: attack}", extra="    derive: [actor]\n")),
    "implications a number": ("ruleset", rule("{match: attack}", extra="    implications: 5\n")),
    "title a boolean": ("ruleset", RULESET_HEAD + "title: true\nindicators: []\n"),
    "of without bounds": ("ruleset", rule("{of: [{match: attack}]}")),
    "of a mapping": ("ruleset", rule("{of: {match: attack}, at_least: 1}")),
    "of at_least negative": ("ruleset", rule("{of: [{match: attack}], at_least: -1}")),
    "match an empty list": ("ruleset", rule("{match: []}")),
    "p above 1": ("case", case("facts:\n  - {id: a, type: attack, actor: {one_of: [{value: TIP, p: 1.4}, {value: HTS, p: 0}]}}\n")),
    "p a word": ("case", case("facts:\n  - {id: a, type: attack, actor: {one_of: [{value: TIP, p: high}, {value: HTS, p: 0}]}}\n")),
    "reported not a date": ("case", case("facts:\n  - {id: a, type: attack, date: 2020-05-01, reported: soon}\n")),
}

VALID = {
    # the ones the brief names
    "one_of with bare values": ("case", case("facts:\n  - {id: a, type: attack, actor: {one_of: [TIP, HTS]}}\n")),
    "present one_of": ("case", case("facts:\n  - {id: a, type: attack, present: {one_of: [true, false]}}\n")),
    "count with at_most only": ("ruleset", rule("{count: {match: attack, where: {target: TAF}, within: 30d}, at_most: 2}")),
    "of": ("ruleset", rule("{of: [{match: attack}, {indicator: other}, {not: {match: truce}}], at_least: 2, at_most: 3}")),
    "match a list of types": ("ruleset", rule("{count: {match: [attack, battle], where: {target: TAF}}, at_least: 3}")),
    "reported": ("case", case("facts:\n  - {id: a, type: deployment, date: 2020-02-02, reported: 2020-05-31}\n")),
    "p": ("case", case("facts:\n  - {id: a, type: attack, actor: {one_of: [{value: TIP, p: 0.6}, {value: HTS, p: 0.4}]}, present: {one_of: [{value: true, p: 1}, {value: false, p: 0}]}}\n")),
    "classification": ("case", case("classification: UNCLASSIFIED//FOR TRAINING\nfacts: []\n")),
    "derive": (
        "ruleset",
        rule(
            "{all: [{match: attack, as: atk, where: {target: TAF}}, {match: agreement, where: {parties: {contains: $atk.actor}}}]}",
            extra="    derive: {actor: $atk.actor, level: 2, tags: [a, b], none: null}\n",
        ),
    ),
    # the SPEC examples
    "the SPEC case": (
        "case",
        """\
        case: idlib-m4-2020-05
        title: Turkey tightens security on the M4 after a convoy attack
        as_of: 2020-05-29
        rulesets: [idlib-m4]
        sources:
          sohr:  {name: Syrian Observatory for Human Rights, reliability: B}
          local: {name: Local sources, reliability: D}
        facts:
          - id: convoy-attack
            type: attack
            date: 2020-05-27
            target: TAF
            location: M4
            actor:
              one_of:
                - {value: TIP, source: local, credibility: 3}
                - {value: HTS, source: local, credibility: 4}
            source: local
            credibility: 3
            text: IED against a TAF convoy on the M4 near Jisr al-Shughur.
          - {id: report, type: count, source: sohr, troops: 10400}
        """,
    ),
    "the SPEC ruleset": (
        "ruleset",
        """\
        ruleset: idlib-m4
        title: Turkey in Idlib after the Moscow protocol
        indicators:
          - id: hts-escalation
            title: HTS escalates against Turkish forces
            when:
              match: attack
              where: {actor: HTS, target: TAF}
              within: 30d
          - id: attack-surge
            when:
              count: {match: attack, where: {target: TAF}, within: 30d}
              at_least: 3
          - id: aligned-attacker
            when:
              all:
                - {match: attack, as: atk, where: {target: TAF}}
                - {match: agreement, where: {parties: {contains: $atk.actor}, against: TAF}}
            derive: {actor: $atk.actor}
        scenarios:
          - id: press-the-jihadists
            title: Turkey presses HTS before an asymmetric war starts near the border
            when:
              all:
                - indicator: hts-escalation
                - {match: deployment, where: {actor: TAF, personnel: {gte: 5000}}}
                - not: {scenario: truce-collapse}
            implications: [Turkish strikes on HTS positions along the M4]
            signposts: [HTS checkpoints on the M4 corridor, TAF artillery moves to Jabal al-Zawiya]
        """,
    ),
    # what else parse.py accepts
    "title defaults": ("case", "case: x\nas_of: 2020-05-29\nfacts: []\n"),
    "null title and sources": ("case", "case: x\ntitle: null\nas_of: 2020-05-29\nsources: null\nfacts: []\n"),
    "numeric title": ("case", "case: x\ntitle: 2020\nas_of: 2020-05-29\nfacts: []\n"),
    "a number as the case id": ("case", "case: 2020\nas_of: 2020-05-29\nfacts: []\n"),
    "one ruleset as text": ("case", case("rulesets: idlib-m4\nfacts: []\n")),
    "a source as its name": ("case", case("sources: {s: Some source}\nfacts: []\n", head="case: x\nas_of: 2020-05-29\n")),
    "a source without reliability": ("case", case("sources: {s: {name: S}}\nfacts: []\n", head="case: x\nas_of: 2020-05-29\n")),
    "lowercase reliability": ("case", case("sources: {s: {name: S, reliability: b}}\nfacts: []\n", head="case: x\nas_of: 2020-05-29\n")),
    "fact id and type not ids": ("case", case("facts:\n  - {id: Event_12, type: Armed clash}\n  - {id: 17, type: 3}\n")),
    "nulls count as missing": ("case", case("facts:\n  - {id: a, type: attack, date: null, source: null, credibility: null, text: null, actor: null}\n")),
    "scalars and lists": ("case", case("facts:\n  - {id: a, type: attack, killed: 3, ratio: 0.5, claimed: false, day: 2020-05-01, target: [TAF, 1, true, 2020-05-02], tags: []}\n")),
    "credibility 3.0": ("case", case("facts:\n  - {id: a, type: attack, credibility: 3.0}\n")),
    "present false": ("case", case("facts:\n  - {id: a, type: attack, present: false}\n")),
    "present one_of with sources": ("case", case("facts:\n  - {id: a, type: attack, present: {one_of: [{value: true, source: local, credibility: 2}, false]}}\n")),
    "contested list and null": ("case", case("facts:\n  - {id: a, type: attack, target: {one_of: [[TAF, RU], {value: null}, null, {value: [TAF]}]}}\n")),
    "status contested": ("case", case("facts:\n  - {id: a, type: truce, status: {one_of: [holding, collapsed]}}\n")),
    "scenarios only": ("ruleset", RULESET_HEAD + "scenarios:\n  - {id: s, when: {match: attack}}\n"),
    "indicators null beside scenarios": ("ruleset", RULESET_HEAD + "indicators: null\nscenarios: []\n"),
    "empty indicators": ("ruleset", RULESET_HEAD + "indicators: []\n"),
    "a ruleset description": ("ruleset", RULESET_HEAD + "description: Rules for the M4.\nindicators: []\n"),
    "item description and texts": (
        "ruleset",
        rule("{match: attack}", extra="    title: 12\n    description: Some words.\n    implications: One thing\n    signposts: [a, 2, null]\n"),
    ),
    "every operator": (
        "ruleset",
        rule(
            "{match: attack, where: {a: {eq: 1, ne: 2.5, gt: 2020-01-01, gte: x, lt: true, lte: 9, in: [a, 1], not_in: [], "
            "contains: TAF, matches: '^H(TS)?$', exists: false}}}"
        ),
    ),
    "references as operands": (
        "ruleset",
        rule("{all: [{match: attack, as: atk}, {match: claim, where: {actor: $atk.actor, group: {in: $atk.parties, not_in: $atk.enemies, ne: $atk.target}}}]}"),
    ),
    "windows": ("ruleset", rule("{match: attack, within: 12 w, from: 2020-01-01, until: 2020-12-31}")),
    "within with spaces around": ("ruleset", rule("{match: attack, within: ' 6m '}")),
    "where null": ("ruleset", rule("{match: attack, where: null}")),
    "where on type and present": ("ruleset", rule("{match: attack, where: {type: attack, present: true}}")),
    "refs with where and as": ("ruleset", rule("{all: [{indicator: other, as: o, where: {actor: HTS}}, {scenario: s2, where: {level: {gte: $o.level}}}]}")),
    "nested any and not": ("ruleset", rule("{any: [{not: {match: attack}}, {all: [{match: a}, {not: {not: {indicator: b}}}]}]}")),
    "count with both bounds and a binding": ("ruleset", rule("{count: {match: attack, as: x}, at_least: 0, at_most: 5}")),
    "a number as a fact type": ("ruleset", rule("{match: 12}")),
    "a mixed-case name": ("ruleset", rule("{match: attack, as: Atk_1-b}")),
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_documents_are_rejected_by_the_schema_and_by_parse(name):
    kind, text = INVALID[name]
    data = load(text)
    assert schema_errors(kind, data), f"the {kind} schema accepts: {name}"
    assert parse_errors(kind, data), f"parse.py accepts: {name} (the example is wrong)"


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_documents_are_accepted_by_the_schema_and_by_parse(name):
    kind, text = VALID[name]
    data = load(text)
    assert parse_errors(kind, data) == [], f"parse.py rejects: {name} (the example is wrong)"
    assert schema_errors(kind, data) == []


def test_a_case_is_not_a_ruleset_and_a_ruleset_is_not_a_case():
    assert schema_errors("ruleset", load(VALID["the SPEC case"][1]))
    assert schema_errors("case", load(VALID["the SPEC ruleset"][1]))


def test_the_schema_says_where_a_two_headed_condition_is():
    kind, text = INVALID["two heads"]
    errors = list(validator(kind).iter_errors(load(text)))
    assert [list(e.absolute_path) for e in errors] == [["indicators", 0, "when"]]



# -- many more documents: random edits of the ones above --------------------------------------------

JUNK = [
    None, True, False, 0, 1, -1, 7, 2.5, "", "x", "Foo_Bar", "a-b", "2020-05-01", "30d", "30 days", " 6m ",
    "$atk.actor", "B", "b", "G", [], ["a"], [1, None], [["a"]], {}, {"one_of": []}, {"one_of": ["a", "b"]},
    {"one_of": [True, False]}, {"value": 1}, {"match": "attack"}, {"indicator": "x"}, {"all": []},
    {"all": [{"match": "a"}]}, {"not": {"match": "a"}}, {"count": {"match": "a"}, "at_most": 1}, {"in": ["a"]},
    {"eq": 1}, {"matches": "a"}, {"exists": 1}, {"gte": 5}, {"name": "S", "reliability": "C"}, {"id": "f", "type": "t"},
]
JUNK_KEYS = [
    "id", "type", "when", "where", "as", "within", "from", "until", "match", "count", "at_least", "at_most", "one_of",
    "value", "source", "credibility", "present", "text", "date", "derive", "title", "description", "indicators",
    "scenarios", "rulesets", "sources", "facts", "case", "as_of", "ruleset", "eq", "in", "matches", "exists", "actor",
    "bogus", "not", "any",
]
# what parse.py refuses and a schema cannot say (scenarios check says it)
BEYOND_A_SCHEMA = re.compile(
    r"never bound|not bound at the top|bound twice|unknown source|duplicate|not a real day|invalid regular expression"
    # rules across keys or across the whole case: the p of a case, dates, bounds
    r"|has no p|p of its alternatives sum|earlier than date|is more than the \d+ condition|is more than at_most"
)


def nodes(data, path=()):
    yield path, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from nodes(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from nodes(v, path + (i,))


def edit(data, rng):
    data = copy.deepcopy(data)
    for _ in range(rng.randint(1, 3)):
        path, node = rng.choice(list(nodes(data)))
        if not path:
            continue
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        r = rng.random()
        if r < 0.5:
            parent[path[-1]] = copy.deepcopy(rng.choice(JUNK))
        elif r < 0.7 and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(node, dict):
            node[rng.choice(JUNK_KEYS)] = copy.deepcopy(rng.choice(JUNK))
        elif isinstance(node, list):
            node.append(copy.deepcopy(rng.choice(JUNK)))
    return data


def test_the_schema_and_parse_agree_on_random_edits():
    """Each edit is accepted by both or rejected by both, except where only
    `scenarios check` can tell (an unknown source, an unbound $name...)."""
    seeds = [(kind, load(text)) for kind, text in list(VALID.values()) + list(INVALID.values())]
    for path in BUNDLED:
        kind = "case" if path.parent.name == "cases" else "ruleset"
        seeds.append((kind, yaml_rs.loads(path.read_text(encoding="utf-8"), parse_datetime=False)))
    rng = random.Random(2020)
    validators = {kind: validator(kind) for kind in SCHEMAS}
    disagreements = []
    for _ in range(2000):
        kind, data = rng.choice(seeds)
        data = edit(data, rng)
        parsed = parse_errors(kind, data)
        valid = validators[kind].is_valid(data)
        if parsed and valid and all(BEYOND_A_SCHEMA.search(m) for m in parsed):
            continue
        if bool(parsed) == (not valid):
            continue
        disagreements.append((kind, data, parsed))
    assert disagreements[:3] == []

# -- the command ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(SCHEMAS))
def test_the_command_prints_the_schema(kind):
    result = CliRunner().invoke(cli, ["schema", kind])
    assert result.exit_code == 0, result.output
    assert result.output == schema_text(kind)
    assert json.loads(result.output) == SCHEMAS[kind]()


def test_the_command_refuses_another_kind():
    result = CliRunner().invoke(cli, ["schema", "report"])
    assert result.exit_code == 2
    assert "report" in result.output
    assert "Traceback" not in result.output


def test_the_command_needs_a_kind():
    result = CliRunner().invoke(cli, ["schema"])
    assert result.exit_code == 2


def test_the_command_help_shows_an_example():
    result = CliRunner().invoke(cli, ["schema", "--help"])
    assert result.exit_code == 0
    assert "scenarios schema case > schemas/case.schema.json" in result.output
