"""Hostile and malformed inputs: the CLI refuses them cleanly, or runs them, and never breaks.

The contract (README, SPEC section 5): bad input gets `file:line:col: error: message`
naming where and what, exit code 2, no Python traceback, nothing partial written; no
input may crash the process, hang it, run code, or corrupt the terminal.

The inputs live in `tests/broken/` (see its README). Every run goes through
`scenarios.cli.cli` with click's CliRunner, inside a worker process that this module
starts: some inputs kill the Python process outright (durable-rules segfaults) or
never return, and pytest has to survive them to report the rest. A run that takes
more than HANG_SECONDS is a hang; a worker that dies is a crash.

Tests marked xfail(strict=True) state the behaviour the product SHOULD have and does
not have yet; each reason says what is wrong today.
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

BROKEN = Path(__file__).parent / "broken"
BUNDLED = Path(__file__).parent.parent / "src" / "scenarios" / "bundled"
HANG_SECONDS = 30.0  # a hang never ends: far beyond an honest run on a busy 2-core machine
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

# -- the worker: CliRunner in a process of its own ------------------------------------

WORKER = r"""
import json, os, sys, traceback
proto = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)  # whatever C code prints cannot garble the protocol
from click.testing import CliRunner
from scenarios.cli import cli
proto.write("READY\n")
proto.flush()
for line in sys.stdin:
    req = json.loads(line)
    os.chdir(req["cwd"])
    r = CliRunner().invoke(cli, req["args"])
    exc = None
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        exc = "".join(traceback.format_exception(type(r.exception), r.exception, r.exception.__traceback__))
    proto.write("RESULT " + json.dumps({"exit_code": r.exit_code, "stdout": r.stdout, "stderr": r.stderr, "output": r.output, "exception": exc}) + "\n")
    proto.flush()
"""


@dataclass
class Outcome:
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    output: str = ""
    exception: str | None = None
    hung: bool = False
    crashed: int | None = None  # the worker's return code (negative: killed by a signal)
    seconds: float = 0.0
    args: list = field(default_factory=list)

    def __str__(self) -> str:
        if self.hung:
            return f"scenarios {' '.join(self.args)}: no answer within {HANG_SECONDS} s (a hang)"
        if self.crashed is not None:
            return f"scenarios {' '.join(self.args)}: the process died (return code {self.crashed}: a crash)"
        text = self.output if len(self.output) < 3000 else self.output[:3000] + "..."
        return f"scenarios {' '.join(self.args)}: exit {self.exit_code} in {self.seconds:.1f} s\n{text}" + (f"\nuncaught: {self.exception}" if self.exception else "")


class Worker:
    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.lines: queue.Queue = queue.Queue()
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
            cwd=BROKEN,
        )
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, args=(self.proc, self.lines), daemon=True).start()
        ready = self.lines.get(timeout=120)
        assert ready == "READY\n", f"the worker did not start: {ready!r}"

    @staticmethod
    def _pump(proc: subprocess.Popen, lines: queue.Queue) -> None:
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def run(self, args: list, cwd: Path = BROKEN, timeout: float = HANG_SECONDS) -> Outcome:
        args = [str(a) for a in args]
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        started = time.monotonic()
        try:
            self.proc.stdin.write(json.dumps({"args": args, "cwd": str(cwd)}) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self.start()
            return self.run(args, cwd, timeout)
        deadline = started + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                self.stop()
                self.start()
                return Outcome(hung=True, seconds=time.monotonic() - started, args=args)
            if line is None:
                code = self.proc.wait()
                self.start()
                return Outcome(crashed=code, seconds=time.monotonic() - started, args=args)
            if line.startswith("RESULT "):
                return Outcome(**json.loads(line[7:]), seconds=time.monotonic() - started, args=args)


@pytest.fixture(scope="module")
def worker():
    w = Worker()
    yield w
    w.stop()


@pytest.fixture
def fresh_worker():
    """A worker of its own, so that what ran before cannot change the outcome."""
    w = Worker()
    yield w
    w.stop()


# -- what a refusal must look like --------------------------------------------------------

FILE = "file"  # a problem with the whole file: `file: error: message`
ANY = "any"  # some line and column of the file


def assert_sound(o: Outcome) -> None:
    """No hang, no crash, no traceback, no 'internal error'."""
    assert not o.hung, str(o)
    assert o.crashed is None, str(o)
    assert o.exception is None, str(o)
    assert "Traceback" not in o.output, str(o)
    assert "internal error" not in o.output, str(o)


def assert_refused(o: Outcome, file: str, loc: str, phrase: str) -> None:
    assert_sound(o)
    assert o.exit_code == 2, str(o)
    assert all(len(line) < 1200 for line in o.stderr.splitlines()), "a message echoes a huge value"
    assert o.stdout == "", f"a refused run printed a report:\n{o}"
    if loc == FILE:
        where = re.escape(file) + r": error: "
    elif loc == ANY:
        where = re.escape(file) + r":\d+:\d+: error: "
    else:
        where = re.escape(f"{file}:{loc}: error: ")
    messages = [line[m.end():] for line in o.stderr.splitlines() if (m := re.match(where, line))]
    assert messages, f"no line starting {where!r}:\n{o}"
    assert any(phrase in message for message in messages), f"no {phrase!r} in the message(s) {messages}:\n{o}"


def assert_runs_or_refused(o: Outcome, file: str) -> None:
    """Valid (if unusual) input: it runs; a refusal is acceptable only located in `file`."""
    assert_sound(o)
    assert o.exit_code in (0, 2), str(o)
    if o.exit_code == 2:
        where = re.escape(file) + r":\d+:\d+: error: "
        assert any(re.match(where, line) for line in o.stderr.splitlines()), f"refused without a location in {file}:\n{o}"


# -- the corpus -------------------------------------------------------------------------


@dataclass
class Bad:
    id: str
    args: list  # after `run`
    file: str  # the file the message must name
    loc: str  # "LINE:COL", FILE or ANY; ignored when may_run
    phrase: str = ""
    xfail: str | None = None
    may_run: bool = False  # valid input: running it is right (or a located refusal)


def case(name: str, loc: str, phrase: str, xfail: str | None = None, rules: str = "good/rules.yaml", may_run: bool = False) -> Bad:
    return Bad(f"case/{name}", [f"case/{name}", "-r", rules], f"case/{name}", loc, phrase, xfail, may_run)


def ruleset(name: str, loc: str, phrase: str, xfail: str | None = None, may_run: bool = False, extra: tuple = ()) -> Bad:
    return Bad(f"ruleset/{name}", ["good/case.yaml", "-r", f"ruleset/{name}.yaml", *extra], f"ruleset/{name}.yaml", loc, phrase, xfail, may_run)


ENGINE_LIMIT = (
    "durable-rules cannot take this many rules: depending on the memory layout the run "
    "segfaults, hangs in create_ruleset, or stops with 'the rules engine refused the "
    "compiled rules: ... error code: 108', with no file or line. A ruleset of 256+ items "
    "(or one any: of 256 matches) is valid by SPEC; it should run, or be refused at load, located"
)
EXPONENT_FLOAT = (
    "a number whose Python repr has an exponent and no '.' (1e-05, 1e+16, 1e-320, inf) "
    "reaches durable-rules as a JSON number it cannot parse: in a fact under an ordering "
    "test the process segfaults; as an operand the engine refuses the ruleset (error 202/204) "
    "with no location. These are valid numbers and should simply run"
)
BIG_INT = "a 5000-digit number hits Python's int->str limit: 'internal error (ValueError: Exceeds the limit (4300 digits)...)', no location"
RECURSION_WORDS = "the message 'invalid YAML: recursion limit exceeded' is programmer's jargon; say the input nests too deeply (as the product says elsewhere)"

CORPUS = [
    # -- YAML syntax and shape ----------------------------------------------------------
    case("yaml_unclosed_flow_mapping.yaml", "6:5", "unclosed bracket"),
    case("yaml_bad_indentation.yaml", "5:4", "invalid YAML"),
    case("yaml_tab_indentation.yaml", "4:2", "tabs"),
    case("yaml_duplicate_key_top.yaml", "3:1", "duplicate key 'case'"),
    case("yaml_duplicate_key_in_fact.yaml", "7:5", "duplicate key 'actor'"),
    case("yaml_duplicate_key_in_flow.yaml", "4:40", "duplicate key 'actor'"),
    case("yaml_duplicate_numeric_key.yaml", "7:5", "duplicate key"),
    case("root_is_list.yaml", "1:1", "must be a mapping"),
    case("root_is_scalar.yaml", "1:1", "must be a mapping"),
    case("empty.yaml", "1:1", "is empty"),
    case("comment_only.yaml", "1:1", "is empty"),
    case("whitespace_only.yaml", "1:1", "is empty"),
    case("several_documents.yaml", "1:1", "several YAML documents"),
    case("several_documents_no_leading_marker.yaml", "1:1", "several YAML documents"),
    case("crlf_line_endings.yaml", "2:8", "not a real day"),
    case("long_line_error_at_end.yaml", "4:30049", "credibility must be a whole number 1-6"),
    case("deep_nesting_flow.yaml", ANY, "deeply"),
    # refused before the fast parser reads it (20,000 levels overflowed its stack)
    case("deep_nesting_block.yaml", "7:201", "nests too deeply"),
    # -- files that are not YAML text ---------------------------------------------------
    case("not_utf8.yaml", "3:11", "not UTF-8"),
    case("binary_file.yaml", FILE, "binary"),
    case("utf16_text.yaml", FILE, "UTF-16"),
    case("folder.yaml", FILE, "folder"),
    Bad("case/missing_file", ["case/no-such-file.yaml", "-r", "good/rules.yaml"], "case/no-such-file.yaml", FILE, "no such file"),
    Bad("ruleset/missing_file", ["good/case.yaml", "-r", "ruleset/no-such-file.yaml"], "ruleset/no-such-file.yaml", FILE, "no such file"),
    Bad("ruleset/folder", ["good/case.yaml", "-r", "ruleset"], "ruleset", FILE, "folder"),
    # -- tags and aliases ---------------------------------------------------------------
    case("tag_python_object.yaml", "1:7", "'!!python/object/apply:os.system' is not allowed"),
    case("tag_python_name.yaml", "5:11", "'!!python/name:os.system' is not allowed"),
    case("tag_custom.yaml", "3:8", "'!secret' is not allowed"),
    case("tag_binary.yaml", "3:8", "'!!binary' is not allowed"),
    case("alias_bomb.yaml", "2:8", "alias bomb"),
    case("alias_of_a_4_mib_scalar.yaml", "5:34", "alias bomb"),
    case("tag_after_a_tab.yaml", "3:11", "'!!python/object/apply:os.system' is not allowed"),
    case("tag_with_del_in_a_comment.yaml", "4:4", "'!!python/object/apply:os.system' is not allowed"),
    case("tag_with_esc_in_a_comment.yaml", "5:35", "'!!python/name:os.system' is not allowed"),
    # -- what the fast parser must not see, and what PyYAML cannot read -------------------
    case("deep_nesting_20000.yaml", "4:201", "nests too deeply"),
    case("json_deep_nesting_20000.json", "1:181", "nests too deeply"),
    case("attribute_200000_digits.yaml", "6:36", "a number of 200,000 digits: at most 100,000 are read"),
    case("json_200000_digits.json", "1:89", "a number of 200,000 digits"),
    case("attribute_1e400.yaml", "6:36", "the number 1e400 is larger than a decimal number can be"),
    case("attribute_2e-400.yaml", "6:36", "the number 2e-400 is smaller than a decimal number can be"),
    case("json_1e400.json", "1:89", "the number 1e400 is larger"),
    case("attribute_underscore_number.yaml", "6:36", "'1_000' is text in YAML 1.2"),
    case("attribute_binary_number.yaml", "6:36", "'0b101' is text in YAML 1.2"),
    case("complex_key_with_a_list.yaml", "7:3", "a key must be text (or a number), not a mapping"),
    case("complex_key_mapping.yaml", "6:5", "an attribute name must be text, not a mapping"),
    case("credibility_400_digits.yaml", "6:56", "credibility must be a whole number 1-6"),
    case("esc_in_a_comment_keeps_locations.yaml", "7:56", "credibility must be a whole number 1-6"),
    case("tab_in_flow_keeps_locations.yaml", "6:56", "credibility must be a whole number 1-6"),
    case("source_key_of_a_megabyte.yaml", "6:36", "unknown source 'sssss"),
    # -- the case's own keys ----------------------------------------------------------
    case("missing_case.yaml", "1:1", "a case needs 'case'"),
    case("missing_as_of.yaml", "1:1", "a case needs 'as_of'"),
    case("missing_facts.yaml", "1:1", "a case needs 'facts'"),
    case("unknown_top_key.yaml", "3:1", "unknown key 'factz'"),
    case("case_id_invalid.yaml", "1:7", "not a valid id"),
    case("case_id_unicode.yaml", "1:7", "not a valid id"),
    case("case_id_list.yaml", "1:7", "not a list"),
    case("title_mapping.yaml", "2:8", "title must be text"),
    case("as_of_invalid_date.yaml", "2:8", "'2020-02-30' is not a real day"),
    case("as_of_not_a_date.yaml", "2:8", "YYYY-MM-DD"),
    case("as_of_datetime.yaml", "2:8", "YYYY-MM-DD"),
    case("as_of_number.yaml", "2:8", "YYYY-MM-DD"),
    case("rulesets_bad_id.yaml", "3:12", "not a valid id"),
    case("rulesets_mapping.yaml", "3:11", "rulesets must be a list"),
    Bad(
        "case/rulesets_names_missing_ruleset",
        ["case/rulesets_names_missing_ruleset.yaml"],
        "case/rulesets_names_missing_ruleset.yaml",
        "3:12",
        "no-such-ruleset",
    ),
    case("too_many_worlds.yaml", FILE, "more than --max-worlds 4096"),
    # -- sources and grades -------------------------------------------------------------
    case("sources_list.yaml", "4:3", "sources must be a mapping"),
    case("source_unknown_key.yaml", "4:24", "unknown key 'reliabilty'"),
    case("reliability_g.yaml", "4:37", "reliability must be a letter A-F"),
    case("reliability_number.yaml", "4:37", "reliability must be a letter A-F"),
    case("reliability_two_letters.yaml", "4:37", "reliability must be a letter A-F"),
    case("unknown_source.yaml", "8:13", "unknown source 'lcoal'"),
    case("unknown_source_no_sources.yaml", "6:13", "unknown source 'local'"),
    case("credibility_7.yaml", "6:56", "credibility must be a whole number 1-6"),
    case("credibility_0.yaml", "6:56", "credibility must be a whole number 1-6"),
    case("credibility_float.yaml", "6:56", "credibility must be a whole number 1-6"),
    case("credibility_text.yaml", "6:56", "credibility must be a whole number 1-6"),
    case("credibility_bool.yaml", "6:56", "credibility must be a whole number 1-6"),
    case("credibility_nan.yaml", "6:56", "credibility must be a whole number 1-6"),
    case("credibility_inf.yaml", "6:56", "credibility must be a whole number 1-6"),
    case("credibility_1e400.yaml", "6:56", "the number 1e400 is larger than a decimal number can be"),
    # -- facts --------------------------------------------------------------------------
    case("facts_mapping.yaml", "3:8", "facts must be a list"),
    case("facts_null.yaml", "3:7", "facts must be a list"),
    case("fact_scalar.yaml", "4:5", "a fact must be a mapping"),
    case("fact_missing_id.yaml", "4:5", "a fact needs 'id'"),
    case("fact_missing_type.yaml", "4:5", "a fact needs 'type'"),
    case("fact_id_list.yaml", "4:9", "not a list"),
    case("fact_id_empty.yaml", "4:9", "empty"),
    case("fact_type_mapping.yaml", "5:11", "not a mapping"),
    case("duplicate_fact_id.yaml", "5:6", "duplicate fact id 'f1'"),
    case("fact_date_invalid.yaml", "6:11", "'2020-02-30' is not a real day"),
    case("fact_date_text.yaml", "6:11", "YYYY-MM-DD"),
    case("attribute_date_invalid.yaml", "6:12", "'2021-02-29' is written as a date but is not a real day"),
    case("attribute_nan.yaml", "4:36", "not a number"),
    case("attribute_nested_list.yaml", "4:36", "not a list"),
    case("attribute_mapping.yaml", "4:35", "only {one_of: [...]} is allowed"),
    case("attribute_list_key.yaml", "4:28", "an attribute name must be text, not a list"),
    case("attribute_null_key.yaml", "4:28", "an attribute name must be text"),
    case("attribute_5000_digit_number.yaml", ANY, "", may_run=True),
    case("one_of_empty.yaml", "4:44", "one_of must be a non-empty list"),
    case("one_of_not_a_list.yaml", "4:44", "one_of must be a non-empty list"),
    case("one_of_alternative_without_value.yaml", "6:45", "an alternative needs 'value'"),
    case("one_of_unknown_source.yaml", "6:66", "unknown source 'nope'"),
    case("one_of_bad_credibility.yaml", "6:86", "credibility must be a whole number 1-6"),
    case("one_of_on_type.yaml", "4:20", "'type' cannot be contested"),
    case("present_text.yaml", "4:37", "present must be true, false"),
    case("present_one_of_text.yaml", "4:37", "present takes true or false"),
    case("number_small_float_in_ordering.yaml", ANY, "", rules="support/ordering.yaml", may_run=True),
    case("number_float_1e16_in_ordering.yaml", ANY, "", rules="support/ordering.yaml", may_run=True),
    case("number_subnormal_float_in_ordering.yaml", ANY, "", rules="support/ordering.yaml", may_run=True),
    case("number_infinity_in_ordering.yaml", ANY, "", rules="support/ordering.yaml", may_run=True),
    # -- JSON cases -----------------------------------------------------------------------
    # Python 3.13 points at the comma (4:16), earlier versions at the brace after it (5:1)
    case("json_trailing_comma.json", ANY, "invalid JSON"),
    case("json_unclosed.json", "5:1", "invalid JSON"),
    case("json_empty.json", "1:1", "invalid JSON"),
    case("json_yaml_inside.json", "1:1", "invalid JSON"),
    case("json_list.json", "1:1", "must be a mapping"),
    case("json_invalid_date.json", "3:12", "'2020-02-30' is not a real day"),
    case("json_fact_missing_type.json", "5:5", "a fact needs 'type'"),
    case("json_nan.json", "5:46", "not a number"),
    case("json_credibility_infinity.json", "6:66", "credibility must be a whole number 1-6"),
    case("json_unknown_key.json", "4:3", "unknown key 'factz'"),
    case("json_one_line.json", "1:94", "credibility must be a whole number 1-6"),
    case("json_duplicate_key.json", "4:3", "duplicate key 'case'"),
    case("json_tab_indented.json", "5:49", "credibility must be a whole number 1-6"),
    # Python 3.12 and earlier stop at the depth ("nests too deeply"); 3.13 reads it and
    # the validator refuses the nested lists: either way a located error
    case("json_deep_nesting.json", ANY, ""),
    case("json_5000_digit_number.json", ANY, "", may_run=True),
    case("json_lone_surrogate.json", ANY, "", may_run=True),
    # -- rulesets: keys and shapes --------------------------------------------------------
    ruleset("missing_ruleset_id", "1:1", "a ruleset needs 'ruleset'"),
    ruleset("missing_indicators_and_scenarios", "1:1", "a ruleset needs 'indicators' or 'scenarios'"),
    ruleset("ruleset_id_invalid", "1:10", "not a valid id"),
    ruleset("unknown_ruleset_key", "2:1", "unknown key 'indicator'"),
    ruleset("indicators_mapping", "3:3", "indicators must be a list"),
    ruleset("item_scalar", "3:5", "an indicator must be a mapping"),
    ruleset("item_missing_id", "3:5", "an indicator needs 'id'"),
    ruleset("item_missing_when", "3:5", "an indicator needs 'when'"),
    ruleset("item_unknown_key", "4:5", "unknown key 'wehn'"),
    ruleset("item_id_invalid", "3:9", "not a valid id"),
    ruleset("item_id_unicode", "3:9", "not a valid id"),
    ruleset("duplicate_item_id", "6:5", "duplicate id 'a'"),
    ruleset("duplicate_yaml_key_in_item", "5:5", "duplicate key 'when'"),
    ruleset("title_list", "2:8", "title must be text"),
    ruleset("implications_mapping", "5:19", "implications must be a list"),
    ruleset("tag_python_object", "1:10", "is not allowed"),
    ruleset("several_documents", "1:1", "several YAML documents"),
    Bad(
        "ruleset/clash_with_good_rules",
        ["good/case.yaml", "-r", "good/rules.yaml", "-r", "ruleset/clash_with_good_rules.yaml"],
        "ruleset/clash_with_good_rules.yaml",
        "3:9",
        "also used by indicator 'hts-attack' in good/rules.yaml",
    ),
    Bad("ruleset/given_a_case", ["good/case.yaml", "-r", "good/case.yaml"], "good/case.yaml", "1:1", "a ruleset needs 'ruleset'"),
    # -- conditions ---------------------------------------------------------------------
    ruleset("when_scalar", "4:11", "a condition must be a mapping"),
    ruleset("when_null", "4:10", "a condition must be a mapping"),
    ruleset("condition_without_head", "4:11", "a condition needs one of"),
    ruleset("condition_two_heads", "4:11", "not several"),
    ruleset("match_type_null", "4:18", "match takes a fact type"),
    ruleset("match_unknown_key", "4:27", "unknown key 'wher'"),
    ruleset("all_empty", "4:17", "all must be a non-empty list"),
    ruleset("not_list", "4:17", "a condition must be a mapping"),
    ruleset("within_bad", "4:35", "within takes a span"),
    ruleset("from_invalid_date", "4:33", "'2020-02-30' is not a real day"),
    ruleset("until_text", "4:34", "YYYY-MM-DD"),
    ruleset("count_without_bounds", "5:7", "a count needs at_least or at_most"),
    ruleset("count_negative", "6:17", "at_least must be a whole number"),
    ruleset("count_float", "6:17", "at_least must be a whole number"),
    ruleset("count_of_indicator", "5:14", "count takes a match"),
    ruleset("count_unknown_key", "7:7", "unknown key 'atmost'"),
    ruleset("any_expands_past_limit", "5:7", "more than 256 alternatives"),
    ruleset("deep_condition_nesting", ANY, "deeply"),
    ruleset("deep_not_300_block", "102:201", "nests too deeply"),
    ruleset("deep_not_250_flow", "4:593", "nests too deeply"),
    ruleset("tag_after_a_tab", "4:42", "'!!python/object/apply:os.system' is not allowed"),
    ruleset("gt_1e400", "4:48", "the number 1e400 is larger"),
    ruleset("where_mapping_key", "4:34", "a key in where must be text, not a mapping"),
    # -- where and operators ------------------------------------------------------------
    ruleset("where_list", "4:34", "where must be a mapping"),
    ruleset("where_bare_list_value", "4:42", "a bare list is not a value"),
    ruleset("where_null_value", "4:41", "no value for 'actor'"),
    ruleset("where_no_operator", "4:42", "no operator given"),
    ruleset("unknown_operator", "4:44", "unknown operator 'gtee'"),
    ruleset("unknown_operator_symbol", "4:44", "unknown operator '>'"),
    ruleset("in_not_a_list", "4:47", "in takes a list"),
    ruleset("gt_list", "4:48", "gt takes a single value"),
    ruleset("gt_nan", "4:48", "not a number"),
    ruleset("eq_invalid_date", "4:42", "'2020-02-30' is written as a date but is not a real day"),
    ruleset("exists_text", "4:51", "exists takes true or false"),
    ruleset("exists_reference", "7:51", "exists takes a literal"),
    ruleset("regex_not_text", "4:51", "matches takes a regular expression as text"),
    ruleset("regex_reference", "7:51", "matches takes a literal"),
    ruleset("regex_over_256_chars", "4:51", "at most 256"),
    ruleset("regex_invalid", "4:51", "invalid regular expression: missing ): (unclosed"),
    ruleset("regex_backreference", "4:51", "invalid regular expression: invalid escape sequence: \\1"),
    ruleset("gt_infinity", ANY, "", may_run=True),
    ruleset("lt_1e400", ANY, "", may_run=True),
    ruleset("gte_small_float", ANY, "", may_run=True),
    ruleset("eq_5000_digit_number", ANY, "", may_run=True),
    # -- bindings -----------------------------------------------------------------------
    ruleset("var_never_bound", "4:42", "$x is used but never bound"),
    ruleset("var_bound_only_inside_any", "9:58", "$x is used but never bound"),
    ruleset("var_bound_only_inside_not", "7:58", "$x is used but never bound"),
    ruleset("var_bound_only_inside_count", "8:58", "$x is used but never bound"),
    ruleset("var_bound_twice", "7:11", "$x is bound twice"),
    ruleset("var_without_key", "7:40", "$x"),
    ruleset("derive_var_never_bound", "5:19", "$x is not bound"),
    ruleset("derive_var_bound_only_inside_any", "8:19", "$x is not bound"),
    ruleset("derive_list", "5:13", "derive must be a mapping"),
    ruleset("as_invalid_name", "4:31", "'as' takes a name"),
    # -- references and strata ----------------------------------------------------------
    ruleset("unknown_indicator", "7:23", "unknown indicator 'akt'"),
    ruleset("unknown_scenario", "7:22", "unknown scenario 'nope'"),
    ruleset("scenario_reference_to_indicator", "7:22", "is an indicator"),
    ruleset("reference_unknown_key", "7:28", "unknown key 'within'"),
    ruleset("cycle_through_not", "3:9", "a cycle through not/count cannot be evaluated: a -> b -> a"),
    ruleset("cycle_self_not", "3:9", "a cycle through not/count cannot be evaluated: a -> a"),
    ruleset("cycle_through_count", "7:9", "a cycle through not/count cannot be evaluated"),
    # -- size ---------------------------------------------------------------------------
    ruleset("many_items_256", ANY, "", may_run=True),
    ruleset("many_items_300", ANY, "", may_run=True),
    ruleset(
        "long_positive_chain",
        ANY,
        "",
        may_run=True,
        extra=("--format", "json"),
    ),
]


def _param(b: Bad):
    marks = [pytest.mark.xfail(strict=True, reason=b.xfail)] if b.xfail else []
    return pytest.param(b, id=b.id, marks=marks)


@pytest.mark.parametrize("bad", [_param(b) for b in CORPUS])
def test_hostile_input(worker, bad: Bad):
    o = worker.run(["run", *bad.args])
    if bad.may_run:
        assert_runs_or_refused(o, bad.file)
    else:
        assert_refused(o, bad.file, bad.loc, bad.phrase)
        if "--format" not in bad.args:  # refused before any rendering: the JSON path too
            assert_refused(worker.run(["run", *bad.args, "--format", "json"]), bad.file, bad.loc, bad.phrase)


def test_every_corpus_file_is_used():
    used = {a for b in CORPUS for a in b.args if a.startswith(("case/", "ruleset/"))}
    files = {f"{d}/{p.name}" for d in ("case", "ruleset") for p in (BROKEN / d).iterdir()}
    assert files - used == set()


# -- nothing partial is written -----------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["case/credibility_7.yaml", "-r", "good/rules.yaml"],
    ["good/case.yaml", "-r", "ruleset/cycle_through_not.yaml"],
    ["good/case.yaml", "case/empty.yaml", "-r", "good/rules.yaml"],
])
@pytest.mark.parametrize("fmt", ["json", "rich"])
def test_a_refused_run_writes_no_output_file(worker, tmp_path, args, fmt):
    out = tmp_path / "report.out"
    o = worker.run(["run", *args, "--format", fmt, "-o", out])
    assert_sound(o)
    assert o.exit_code == 2, str(o)
    assert list(tmp_path.iterdir()) == [], "a refused run left a file behind"


def test_output_into_a_missing_folder(worker, tmp_path):
    out = tmp_path / "no-such-folder" / "report.json"
    o = worker.run(["run", "good/case.yaml", "-r", "good/rules.yaml", "--format", "json", "-o", out])
    assert_refused(o, str(out), FILE, "cannot be written")
    assert list(tmp_path.iterdir()) == []


# -- the terminal ----------------------------------------------------------------------


@pytest.mark.parametrize("extra", [
    pytest.param([], id="report"),
    pytest.param(["--explain", "s"], id="explain-scenario"),
    pytest.param(["--explain", "near"], id="explain-near-miss"),
    pytest.param(["--explain", "atk"], id="explain-derivation"),
])
def test_user_text_cannot_drive_the_terminal(worker, extra):
    o = worker.run(["run", "support/injection_case.yaml", "-r", "support/injection_rules.yaml", "--width", "200", *extra])
    assert_sound(o)
    assert o.exit_code == 0, str(o)
    leaked = sorted({repr(c) for c in CONTROL.findall(o.output)})
    assert not leaked, f"raw control characters reached the terminal: {leaked}"
    assert "\\x1b[2J" in o.output  # shown, escaped, as data
    assert "[bold]M[/bold]" in o.output  # Rich markup in user text is printed, not interpreted


# -- problems only a real process shows ---------------------------------------------------


def test_an_invalid_regex_prints_only_the_located_error():
    r = subprocess.run(
        [sys.executable, "-c", "from scenarios.cli import main; main()", "run", "good/case.yaml", "-r", "ruleset/regex_invalid.yaml"],
        cwd=BROKEN, capture_output=True, text=True, timeout=60, check=False,
    )
    assert r.returncode == 2
    assert r.stderr.splitlines() == [l for l in r.stderr.splitlines() if l.startswith("ruleset/regex_invalid.yaml:4:51: error: ")], r.stderr


def test_an_endless_device_is_refused():
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))

    r = subprocess.run(
        [sys.executable, "-c", "from scenarios.cli import main; main()", "run", "/dev/zero", "-r", "good/rules.yaml"],
        cwd=BROKEN, capture_output=True, text=True, timeout=60, preexec_fn=limit, check=False,
    )
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("/dev/zero: error: "), r.stderr


def test_a_fifo_is_refused_without_hanging(worker, tmp_path):
    fifo = tmp_path / "case.yaml"
    os.mkfifo(fifo)
    o = worker.run(["run", fifo, "-r", "good/rules.yaml"])
    assert_refused(o, str(fifo), FILE, "file")


def test_a_ruleset_id_is_not_shadowed_by_a_folder(worker, tmp_path):
    (tmp_path / "idlib-m4").mkdir()
    o = worker.run(["run", BUNDLED / "cases" / "idlib-m4-2020-05.yaml", "--format", "json"], cwd=tmp_path)
    assert_sound(o)
    assert o.exit_code == 0, str(o)


def test_a_modest_case_runs_in_a_few_seconds(worker):
    o = worker.run(["run", "support/slow_64_worlds.yaml", "-r", "idlib-m4", "--format", "json"])
    assert_sound(o)
    assert o.exit_code == 0, str(o)


# -- property: random damage to the bundled files -------------------------------------------

CASE_TEXT = (BUNDLED / "cases" / "idlib-m4-2020-05.yaml").read_text(encoding="utf-8")
RULES_TEXT = (BUNDLED / "rulesets" / "idlib-m4.yaml").read_text(encoding="utf-8")
ORIGINAL = {"case": yaml.safe_load(CASE_TEXT), "rules": yaml.safe_load(RULES_TEXT)}
LOCATED = re.compile(r"^(?:[^\n]*/)?(?:case|rules)\.yaml:\d+:\d+: error: ", re.MULTILINE)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 7, 2.5, 1e-05, 1e16, "", "HTS", "TAF", "$atk.actor", "$nope.x", "2020-02-30", "2020-05-29", "30d", "^(a+)+$", "(", "yes", "\x1b[31m", "[bold]x[/bold]"]),
    st.text(max_size=12),
    st.dates(min_value=datetime.date(1, 1, 1), max_value=datetime.date(9999, 12, 31)),
)
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(st.sampled_from(["one_of", "value", "match", "all", "not", "eq", "gt", "x"]), scalars, max_size=2))
edge_numbers = st.sampled_from([0, -1, 10**20, 0.5, 1e-05, 1e16, 1e-320, float("inf"), float("-inf")])
numbers = st.one_of(
    edge_numbers,
    edge_numbers,
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
)
garbage = st.text(
    alphabet=st.one_of(st.sampled_from(list(":{}[]-#&*!|>'\",?%@`$\\\t\r\n \ufeff\x1b\u202e\x85")), st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
    min_size=1,
    max_size=6,
)


def paths(node, prefix=()):
    """Every path into plain data, as tuples of keys and indexes."""
    out = []
    if isinstance(node, dict):
        for k, v in node.items():
            out.append(prefix + (k,))
            out.extend(paths(v, prefix + (k,)))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append(prefix + (i,))
            out.extend(paths(v, prefix + (i,)))
    return out


def get(node, path):
    for step in path:
        node = node[step]
    return node


@st.composite
def damaged(draw, which: str) -> str:
    """The text of a bundled file, damaged one to three times."""
    text = CASE_TEXT if which == "case" else RULES_TEXT
    data = copy.deepcopy(ORIGINAL[which])
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["delete", "retype", "swap", "garbage", "renumber", "renumber"]))
        if kind == "garbage":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(garbage) + text[at:]
            continue
        ps = paths(data)
        if kind == "renumber":
            ps = [q for q in ps if isinstance(get(data, q), (int, float)) and not isinstance(get(data, q), bool)] or ps
        p = draw(st.sampled_from(ps))
        if kind == "delete":
            del get(data, p[:-1])[p[-1]]
        elif kind == "retype":
            get(data, p[:-1])[p[-1]] = draw(values)
        elif kind == "renumber":
            get(data, p[:-1])[p[-1]] = draw(numbers)
        else:
            q = draw(st.sampled_from(ps))
            if p[: len(q)] != q and q[: len(p)] != p:
                a, b = get(data, p), get(data, q)
                get(data, p[:-1])[p[-1]], get(data, q[:-1])[q[-1]] = b, a
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return text


@settings(max_examples=100, deadline=None, derandomize=True, database=None, phases=[Phase.explicit, Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(which=st.sampled_from(["case", "rules", "both"]), data=st.data())
def test_damaged_bundled_files_are_run_or_refused_cleanly(fresh_worker, tmp_path, which, data):
    case_text = data.draw(damaged("case")) if which in ("case", "both") else CASE_TEXT
    rules_text = data.draw(damaged("rules")) if which in ("rules", "both") else RULES_TEXT
    (tmp_path / "case.yaml").write_text(case_text, encoding="utf-8")
    (tmp_path / "rules.yaml").write_text(rules_text, encoding="utf-8")
    o = fresh_worker.run(["run", "case.yaml", "-r", "rules.yaml", "--format", "json"], cwd=tmp_path)
    assert_sound(o)
    assert o.exit_code in (0, 2), str(o)
    if o.exit_code == 2:
        assert LOCATED.search(o.stderr), f"refused without file:line:col:\n{o}"
