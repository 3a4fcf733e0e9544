"""JSON Schemas (draft 2020-12) of case and ruleset files, for editors and validators.

`parse.py` is the authority on what a file may hold: these schemas accept everything it
accepts, and reject what it rejects wherever a schema can say so. What a schema cannot
say is left to `scenarios check`: that a `source` is a key of `sources`, that a fact id
is unique, that `$name` is bound, that a `YYYY-MM-DD` value names a real day, that a
`matches` pattern compiles, and that a number written `3.0` is not a whole count.

Plain dicts only: this module needs nothing beyond the standard library.
"""

from __future__ import annotations

import json

from .model import ID_PATTERN as _ID, RELIABILITY
from .parse import MAX_PATTERN, NAME_PATTERN as _NAME
from .values import DATE_PATTERN as _DATE

DRAFT = "https://json-schema.org/draft/2020-12/schema"

ID_PATTERN = f"^{_ID}$"
NAME_PATTERN = f"^{_NAME}$"
REF_PATTERN = rf"^\${_NAME}\.[\s\S]+$"
DATE_PATTERN = f"^{_DATE}$"
# parse.py strips the text before matching ^[0-9]+\s*[dwmy]$
WITHIN_PATTERN = r"^\s*[0-9]+\s*[dwmy]\s*$"


def doc(title: str, description: str, **schema) -> dict:
    """A schema with the title and description editors show."""
    return {"title": title, "description": description, **schema}


def ref(name: str, title: str, description: str) -> dict:
    return doc(title, description, **{"$ref": f"#/$defs/{name}"})


# -- shared definitions ---------------------------------------------------------------


def common_defs() -> dict:
    return {
        "id": doc(
            "Id",
            "Lowercase letters, digits and '-', starting with a letter or digit "
            "(e.g. idlib-m4). Ids are always text: a plain number such as 2020 is read as '2020'.",
            anyOf=[
                {"type": "string", "pattern": ID_PATTERN},
                {"type": "integer", "minimum": 0},
                {"type": "boolean"},
            ],
        ),
        "key": doc(
            "Key",
            "A name written as text (a plain number or true/false is read as its text).",
            anyOf=[
                {"type": "string", "minLength": 1},
                {"type": "integer"},
                {"type": "boolean"},
            ],
        ),
        "text": doc(
            "Text",
            "Free text (a number is read as its text); null is the same as leaving it out.",
            type=["string", "number", "null"],
        ),
        "date": doc(
            "Date",
            "A day written YYYY-MM-DD, e.g. 2020-05-29; it must name a real day.",
            type="string",
            pattern=DATE_PATTERN,
            format="date",
        ),
        "scalar": doc(
            "Scalar",
            "A string, number or boolean. A string of the exact form YYYY-MM-DD is a date "
            "(and must name a real day). Equality is strict about kinds: 1 equals 1.0, a "
            "boolean is not a number, a date is not a string.",
            type=["string", "number", "boolean"],
        ),
        "value": doc(
            "Value",
            "A scalar or a list of scalars (e.g. target: [TAF, RU]).",
            type=["string", "number", "boolean", "array"],
            items={"$ref": "#/$defs/scalar"},
        ),
    }


# -- case files --------------------------------------------------------------------------


def credibility_def() -> dict:
    return doc(
        "Credibility",
        "Admiralty information credibility (STANAG 2511): 1 confirmed, 2 probably true, "
        "3 possibly true, 4 doubtful, 5 improbable, 6 truth cannot be judged.",
        type="integer",
        minimum=1,
        maximum=6,
    )


def case_defs() -> dict:
    defs = common_defs()
    optional_credibility = {
        "title": "Credibility",
        "description": "Admiralty information credibility 1-6 (1 confirmed ... 6 cannot be judged).",
        "anyOf": [{"$ref": "#/$defs/credibility"}, {"type": "null"}],
    }
    optional_source = {
        "title": "Source",
        "description": "A key of the case's `sources`.",
        "anyOf": [{"$ref": "#/$defs/key"}, {"type": "null"}],
    }
    defs.update(
        {
            "credibility": credibility_def(),
            "reliability": doc(
                "Reliability",
                "Admiralty source reliability (STANAG 2511): A completely reliable, B usually "
                "reliable, C fairly reliable, D not usually reliable, E unreliable, F cannot be judged. "
                "A lowercase letter is read as the uppercase one.",
                anyOf=[
                    {"enum": list(RELIABILITY)},
                    {"enum": list(RELIABILITY.lower())},
                ],
            ),
            "source": doc(
                "Source",
                "A source: its name as text, or {name, reliability}.",
                anyOf=[
                    {"type": "string"},
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "name": ref("text", "Name", "The source's name, e.g. Syrian Observatory for Human Rights (default: its key)."),
                            "reliability": doc(
                                "Reliability",
                                "Admiralty source reliability A-F.",
                                anyOf=[{"$ref": "#/$defs/reliability"}, {"type": "null"}],
                            ),
                        },
                    },
                ],
            ),
            "p": doc(
                "Probability",
                "The analyst's probability of this alternative, 0 to 1. Once any alternative of "
                "the case gives p, every alternative of every contested key must, each key's p "
                "summing to 1 (within 0.001).",
                type="number",
                minimum=0,
                maximum=1,
            ),
            "alternative": doc(
                "Alternative",
                "One competing hypothesis: a bare value, or {value, source, credibility, p}.",
                anyOf=[
                    {"$ref": "#/$defs/value"},
                    {"type": "null"},
                    {
                        "type": "object",
                        "required": ["value"],
                        "additionalProperties": False,
                        "properties": {
                            "value": doc(
                                "Value",
                                "The value of the attribute in the worlds of this hypothesis (null: missing).",
                                anyOf=[{"$ref": "#/$defs/value"}, {"type": "null"}],
                            ),
                            "source": optional_source,
                            "credibility": optional_credibility,
                            "p": ref("p", "Probability", "The analyst's probability of this alternative, 0 to 1."),
                        },
                    },
                ],
            ),
            "contested": doc(
                "Contested attribute",
                "Competing hypotheses: each alternative makes its own worlds, and the engine "
                "evaluates every world.",
                type="object",
                required=["one_of"],
                additionalProperties=False,
                properties={
                    "one_of": doc(
                        "One of",
                        "The alternatives, in the order written (a non-empty list).",
                        type="array",
                        minItems=1,
                        items={"$ref": "#/$defs/alternative"},
                    )
                },
            ),
            "attribute": doc(
                "Attribute",
                "Any key of a fact that is not reserved is an attribute: a scalar, a list of "
                "scalars, or {one_of: [...]} (contested). null counts as missing.",
                anyOf=[
                    {"$ref": "#/$defs/value"},
                    {"$ref": "#/$defs/contested"},
                    {"type": "null"},
                ],
            ),
            "present": doc(
                "Present",
                "false leaves the fact out; {one_of: [true, false]} makes it exist in some worlds only.",
                # the object keywords apply to {one_of: [...]} only
                type=["boolean", "null", "object"],
                required=["one_of"],
                additionalProperties=False,
                properties={
                    "one_of": doc(
                        "One of",
                        "Whether the fact exists, per hypothesis: true or false, bare or as {value, source, credibility}.",
                        type="array",
                        minItems=1,
                        items={
                            "type": ["boolean", "object"],
                            "required": ["value"],
                            "additionalProperties": False,
                            "properties": {
                                "value": doc("Value", "true: the fact exists in these worlds; false: it does not.", type="boolean"),
                                "source": optional_source,
                                "credibility": optional_credibility,
                                "p": ref("p", "Probability", "The analyst's probability of this alternative, 0 to 1."),
                            },
                        },
                    )
                },
            ),
            "fact": doc(
                "Fact",
                "A dated, sourced fact. Reserved keys: id, type, date, reported, source, "
                "credibility, text (and present); every other key is an attribute.",
                type="object",
                required=["id", "type"],
                properties={
                    "id": ref("key", "Id", "The fact's id, unique within the case."),
                    "type": ref("key", "Type", "What `match:` tests, e.g. attack, deployment, agreement."),
                    "date": doc(
                        "Date",
                        "The day it happened, YYYY-MM-DD (optional); what windows test.",
                        anyOf=[{"$ref": "#/$defs/date"}, {"type": "null"}],
                    ),
                    "reported": doc(
                        "Reported",
                        "The day the analyst could first know of it, YYYY-MM-DD (default: date; not "
                        "before it). A run as of an earlier day leaves the fact out.",
                        anyOf=[{"$ref": "#/$defs/date"}, {"type": "null"}],
                    ),
                    "source": optional_source,
                    "credibility": optional_credibility,
                    "text": ref("text", "Text", "What the source says, in a sentence."),
                    "present": ref("present", "Present", "false leaves the fact out; {one_of: [true, false]} makes it exist in some worlds only."),
                },
                additionalProperties={"$ref": "#/$defs/attribute"},
            ),
        }
    )
    return defs


def case_schema() -> dict:
    """The JSON Schema of a case file (SPEC section 2)."""
    return {
        "$schema": DRAFT,
        "title": "scenarios case",
        "description": "A situation as dated, sourced facts (scenarios case file).",
        "type": "object",
        "required": ["case", "as_of", "facts"],
        "additionalProperties": False,
        "properties": {
            "case": ref("id", "Case id", "The case's id: lowercase letters, digits and '-'."),
            "title": ref("text", "Title", "A one-line title (default: the case id)."),
            "classification": ref("text", "Classification", "The case's handling marking, such as UNCLASSIFIED//FOR TRAINING: every report prints it at its top and bottom."),
            "as_of": ref("date", "As of", "The day the analysis is made, YYYY-MM-DD; windows count back from it."),
            "rulesets": doc(
                "Rulesets",
                "Default rulesets, by id, looked up in rulesets/.",
                # a single id is read as a list of one; only text is, not a number
                type=["string", "array", "null"],
                pattern=ID_PATTERN,
                items={"$ref": "#/$defs/id"},
            ),
            "sources": doc(
                "Sources",
                "The sources facts cite, by key, with their Admiralty reliability A-F.",
                type=["object", "null"],
                additionalProperties={"$ref": "#/$defs/source"},
            ),
            "facts": doc("Facts", "The facts of the case.", type="array", items={"$ref": "#/$defs/fact"}),
        },
        "$defs": case_defs(),
    }


# -- rulesets ------------------------------------------------------------------------------


def operator_defs() -> dict:
    operand = {"$ref": "#/$defs/operand"}
    operand_list = {"$ref": "#/$defs/operand_list"}
    return {
        "eq": doc("Equals", "Equal to the value (on a list attribute: some element is).", **operand),
        "ne": doc("Not equal", "Not equal to the value (on a list attribute: no element is).", **operand),
        "gt": doc("Greater than", "Greater than the value: numbers, strings (code point order) or dates.", **operand),
        "gte": doc("At least", "Greater than or equal to the value: numbers, strings or dates.", **operand),
        "lt": doc("Less than", "Less than the value: numbers, strings or dates.", **operand),
        "lte": doc("At most", "Less than or equal to the value: numbers, strings or dates.", **operand),
        "in": doc("In", "One of these values (a list, or $name.KEY naming a list).", **operand_list),
        "not_in": doc("Not in", "None of these values (a list, or $name.KEY naming a list).", **operand_list),
        "contains": doc("Contains", "The list attribute holds the value (on a scalar: equality).", **operand),
        "matches": doc(
            "Matches",
            f"A regular expression (RE2 syntax, at most {MAX_PATTERN} characters) found somewhere "
            "in the text; case-sensitive; anchor it with ^ and $ for the whole text. Never holds on a non-string.",
            type="string",
            maxLength=MAX_PATTERN,
            **{"not": {"pattern": REF_PATTERN}},
        ),
        "exists": doc("Exists", "true: the fact has the key (not null); false: it does not.", type="boolean"),
    }


def ruleset_defs() -> dict:
    defs = common_defs()
    where = ref("where", "Where", "Tests on attributes: KEY: VALUE (equality) or KEY: {OPERATOR: VALUE, ...}.")
    binds = ref("name", "As", "Binds the matched fact (or derivation) to a name, read as $NAME.KEY.")
    defs.update(
        {
            "name": doc("Name", "A name for a bound fact: letters, digits, '_' and '-'.", type="string", pattern=NAME_PATTERN),
            "within": doc(
                "Within",
                "A window back from as_of: 30d, 12w, 6m or 1y (both ends included; m and y are calendar "
                "months and years). A fact with no date is never within a window.",
                type="string",
                pattern=WITHIN_PATTERN,
            ),
            "texts": doc(
                "Texts",
                "A text or a list of texts.",
                type=["string", "array", "null"],
                items={"type": ["string", "number", "null"]},
            ),
            "ref": doc(
                "Reference",
                "$NAME.KEY: the KEY of the fact bound with `as: NAME`.",
                type="string",
                pattern=REF_PATTERN,
            ),
            "operand": doc(
                "Operand",
                "A scalar, or $NAME.KEY (a key of a bound fact).",
                anyOf=[{"$ref": "#/$defs/ref"}, {"$ref": "#/$defs/scalar"}],
            ),
            "operand_list": doc(
                "Operand list",
                "A list of scalars, or $NAME.KEY (a key of a bound fact).",
                anyOf=[
                    {"$ref": "#/$defs/ref"},
                    {"type": "array", "items": {"$ref": "#/$defs/scalar"}},
                ],
            ),
            "operators": doc(
                "Operators",
                "One or more operators; all must hold (e.g. {gte: 1, lte: 5}).",
                type="object",
                minProperties=1,
                additionalProperties=False,
                properties=operator_defs(),
            ),
            "test": doc(
                "Test",
                "A scalar (equality) or {OPERATOR: VALUE, ...}. A bare list is not a test: say in: [...] or contains: X.",
                anyOf=[{"$ref": "#/$defs/operand"}, {"$ref": "#/$defs/operators"}],
            ),
            "where": doc(
                "Where",
                "Tests on a fact's attributes (and its id, date, source, credibility, text), or on derived attributes.",
                type=["object", "null"],
                additionalProperties={"$ref": "#/$defs/test"},
            ),
            "match": doc(
                "Match",
                "Some fact of TYPE (or of any of a list of types) whose attributes pass `where` and whose date is in the window.",
                type="object",
                required=["match"],
                additionalProperties=False,
                properties={
                    "match": doc(
                        "Match",
                        "The fact type, e.g. attack, or a non-empty list of them: [attack, battle].",
                        anyOf=[{"$ref": "#/$defs/key"}, {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/key"}}],
                    ),
                    "where": where,
                    "within": ref("within", "Within", "A window back from as_of: 30d, 12w, 6m or 1y."),
                    "from": ref("date", "From", "The earliest date, YYYY-MM-DD, included."),
                    "until": ref("date", "Until", "The latest date, YYYY-MM-DD, included."),
                    "as": binds,
                },
            ),
            "indicator_ref": doc(
                "Indicator reference",
                "That indicator is derived (with `where`: some derivation's derived attributes pass).",
                type="object",
                required=["indicator"],
                additionalProperties=False,
                properties={
                    "indicator": ref("id", "Indicator", "The indicator's id."),
                    "where": where,
                    "as": binds,
                },
            ),
            "scenario_ref": doc(
                "Scenario reference",
                "That scenario is derived (with `where`: some derivation's derived attributes pass).",
                type="object",
                required=["scenario"],
                additionalProperties=False,
                properties={
                    "scenario": ref("id", "Scenario", "The scenario's id."),
                    "where": where,
                    "as": binds,
                },
            ),
            "all": doc(
                "All",
                "Every condition holds (a conjunction; order does not matter).",
                type="object",
                required=["all"],
                additionalProperties=False,
                properties={
                    "all": doc("All", "The conditions, all of which must hold (a non-empty list).", type="array", minItems=1, items={"$ref": "#/$defs/condition"})
                },
            ),
            "any": doc(
                "Any",
                "At least one condition holds (a disjunction).",
                type="object",
                required=["any"],
                additionalProperties=False,
                properties={
                    "any": doc("Any", "The conditions, one of which must hold (a non-empty list).", type="array", minItems=1, items={"$ref": "#/$defs/condition"})
                },
            ),
            "not": doc(
                "Not",
                "The condition does not hold (negation as failure over the complete lower layer).",
                type="object",
                required=["not"],
                additionalProperties=False,
                properties={"not": ref("condition", "Not", "The condition that must not hold.")},
            ),
            "count": doc(
                "Count",
                "The number of distinct facts (by id) matching `count` is within at_least / at_most.",
                type="object",
                required=["count"],
                anyOf=[{"required": ["at_least"]}, {"required": ["at_most"]}],
                additionalProperties=False,
                properties={
                    "count": ref("match", "Count", "The facts to count: {match: TYPE, where: ..., within: ...}."),
                    "at_least": doc("At least", "Holds when at least this many distinct facts match.", type="integer", minimum=0),
                    "at_most": doc("At most", "Holds when at most this many distinct facts match (also when none do).", type="integer", minimum=0),
                },
            ),
            "of": doc(
                "Of",
                "How many of the conditions hold, each judged on its own, is within at_least / at_most "
                "(\"3 of these 5 signposts\"): 0 <= at_least <= the number of conditions, at_least <= at_most.",
                type="object",
                required=["of"],
                anyOf=[{"required": ["at_least"]}, {"required": ["at_most"]}],
                additionalProperties=False,
                properties={
                    "of": doc("Of", "The conditions whose holding is counted.", type="array", items={"$ref": "#/$defs/condition"}),
                    "at_least": doc("At least", "Holds when at least this many of the conditions hold.", type="integer", minimum=0),
                    "at_most": doc("At most", "Holds when at most this many of the conditions hold.", type="integer", minimum=0),
                },
            ),
            "condition": doc(
                "Condition",
                "Exactly one of: match, indicator, scenario, all, any, not, count, of.",
                oneOf=[
                    {"$ref": "#/$defs/match"},
                    {"$ref": "#/$defs/indicator_ref"},
                    {"$ref": "#/$defs/scenario_ref"},
                    {"$ref": "#/$defs/all"},
                    {"$ref": "#/$defs/any"},
                    {"$ref": "#/$defs/not"},
                    {"$ref": "#/$defs/count"},
                    {"$ref": "#/$defs/of"},
                ],
            ),
            "derived": doc(
                "Derived attribute",
                "$NAME.KEY of a fact bound at the top of `when` (missing when that key is), or a literal value.",
                anyOf=[{"$ref": "#/$defs/ref"}, {"$ref": "#/$defs/value"}, {"type": "null"}],
            ),
            "item": doc(
                "Item",
                "An indicator or a scenario: triggered when `when` holds.",
                type="object",
                required=["id", "when"],
                additionalProperties=False,
                properties={
                    "id": ref("id", "Id", "Unique across the indicators and scenarios of every ruleset of a run."),
                    "title": ref("text", "Title", "A one-line title (default: the id)."),
                    "description": ref("text", "Description", "A longer description."),
                    "when": ref("condition", "When", "The condition under which it is derived."),
                    "derive": doc(
                        "Derive",
                        "Attributes carried by each derivation, which later conditions can test with `where`.",
                        type=["object", "null"],
                        additionalProperties={"$ref": "#/$defs/derived"},
                    ),
                    "implications": ref("texts", "Implications", "What follows when it is triggered."),
                    "signposts": ref("texts", "Signposts", "What to watch for."),
                },
            ),
        }
    )
    return defs


def ruleset_schema() -> dict:
    """The JSON Schema of a ruleset file (SPEC section 3)."""
    return {
        "$schema": DRAFT,
        "title": "scenarios ruleset",
        "description": "Indicators derived from facts and scenarios triggered by facts and indicators (scenarios ruleset file).",
        "type": "object",
        "required": ["ruleset"],
        "anyOf": [{"required": ["indicators"]}, {"required": ["scenarios"]}],
        "additionalProperties": False,
        "properties": {
            "ruleset": ref("id", "Ruleset id", "The ruleset's id: lowercase letters, digits and '-'."),
            "title": ref("text", "Title", "A one-line title (default: the ruleset id)."),
            # parse.py accepts the key but neither checks nor keeps its value
            "description": doc("Description", "A longer description of the ruleset."),
            "indicators": doc(
                "Indicators",
                "Indicators: derived from facts (and other indicators).",
                type=["array", "null"],
                items={"$ref": "#/$defs/item"},
            ),
            "scenarios": doc(
                "Scenarios",
                "Scenarios: triggered by facts, indicators and other scenarios.",
                type=["array", "null"],
                items={"$ref": "#/$defs/item"},
            ),
        },
        "$defs": ruleset_defs(),
    }


SCHEMAS = {"case": case_schema, "ruleset": ruleset_schema}


def schema_text(kind: str) -> str:
    """The schema of `case` or `ruleset` as printed by `scenarios schema`: JSON,
    indented by 2, keys sorted, with a trailing newline."""
    return json.dumps(SCHEMAS[kind](), indent=2, sort_keys=True) + "\n"
