"""`scenarios import acled`: ACLED export rows into a case file the product runs."""

from __future__ import annotations

import datetime
import os
import random
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from scenarios.workflow.acled import acled_date, source_keys
from scenarios.api import case_from_text, ruleset_from_text
from scenarios.cli import cli
from scenarios.run import evaluate

DATA = Path(__file__).parent / "data" / "acled-idlib-2020.csv"

RULES = """\
ruleset: acled-check
indicators:
  - id: ied-on-turkish-forces
    title: An IED hits Turkish forces
    when:
      match: attack
      where: {sub_event_type: ied, actor2: "Military Forces of Turkey (2016-)"}
      within: 30d
"""


def invoke(*args: str):
    return CliRunner().invoke(cli, ["import", "acled", *map(str, args)])


def imported(tmp_path: Path, csv_text: str, *options: str, name: str = "case.yaml"):
    """Import CSV text (dedented) and return the click result and the output path."""
    source = tmp_path / "export.csv"
    source.write_text(textwrap.dedent(csv_text), encoding="utf-8", newline="")
    out = tmp_path / name
    return invoke(source, "-o", out, *options), out


def messages(result, folder: Path) -> list[str]:
    """The lines printed to stderr, file names relative to the test's folder."""
    return result.stderr.replace(str(folder) + os.sep, "").splitlines()


def facts_by_id(text: str) -> dict:
    return {f.id: f for f in case_from_text(text, "case.yaml").facts}


# -- the happy path -----------------------------------------------------------------


def test_the_import_command_writes_the_case_and_says_so(tmp_path):
    out = tmp_path / "case.yaml"
    result = CliRunner().invoke(cli, ["import", "acled", str(DATA), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"{out}: 12 events from {DATA}\n"
    assert out.exists()


def test_the_sample_export_becomes_a_case_a_ruleset_runs_on(tmp_path):
    out = tmp_path / "acled-idlib-2020.yaml"
    result = invoke(DATA, "-o", out)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=../schemas/case.schema.json"
    case = case_from_text(text, str(out))
    assert case.id == "acled-idlib-2020"
    assert case.as_of == datetime.date(2020, 8, 25)  # the latest event
    assert len(case.facts) == 12
    run = evaluate(case, [ruleset_from_text(RULES, "rules.yaml")], as_of=datetime.date(2020, 5, 29))
    (item,) = run.items()
    assert item.status == "triggered"
    assert [e.id for e in item.evidence] == ["SYR90006"]
    assert str(item.evidence[0].grade) == "F6"


def test_a_row_maps_to_a_fact_with_the_documented_attributes(tmp_path):
    out = tmp_path / "case.yaml"
    assert invoke(DATA, "-o", out).exit_code == 0
    case = case_from_text(out.read_text(encoding="utf-8"), "case.yaml")
    fact = {f.id: f for f in case.facts}["SYR90006"]
    assert (fact.type, fact.date) == ("attack", datetime.date(2020, 5, 27))
    a = fact.attributes
    assert a["sub_event_type"] == "ied"
    assert a["actor"] == "Unidentified Armed Group (Syria)"
    assert a["actor2"] == "Military Forces of Turkey (2016-)"
    assert (a["inter1"], a["inter2"]) == ("Political militia", "External/Other forces")
    assert (a["admin1"], a["admin2"], a["location"]) == ("Idleb", "Jisr Ash-Shugur", "Al Ghassaniyah")
    assert (a["latitude"], a["longitude"]) == (35.82, 36.33)
    assert a["fatalities"] == 1 and a["time_precision"] == 1
    assert a["reported_by"] == ("Syrian Observatory for Human Rights", "Russian Ministry of Defence")
    source = case.sources[fact.source]
    assert source.name == "Syrian Observatory for Human Rights; Russian Ministry of Defence"
    assert source.reliability == "F" and fact.credibility == 6


def test_event_types_map_to_fact_types(tmp_path):
    result, out = imported(tmp_path, """\
        event_id_cnty,event_date,event_type,sub_event_type
        E1,2020-01-01,Battles,Armed clash
        E2,2020-01-01,Explosions/Remote violence,Remote explosive/landmine/IED
        E3,2020-01-01,Violence against civilians,Abduction/forced disappearance
        E4,2020-01-01,Protests,Peaceful protest
        E5,2020-01-01,Riots,Mob violence
        E6,2020-01-01,Strategic developments,Agreement
        """)
    assert result.exit_code == 0, result.output
    facts = facts_by_id(out.read_text())
    assert {i: (f.type, f.attributes["sub_event_type"]) for i, f in facts.items()} == {
        "E1": ("battle", "armed-clash"),
        "E2": ("attack", "ied"),
        "E3": ("violence-against-civilians", "abduction"),
        "E4": ("protest", "peaceful-protest"),
        "E5": ("riot", "mob-violence"),
        "E6": ("strategic-development", "agreement"),
    }


def test_an_unknown_event_type_is_kept_as_its_slug_with_a_warning(tmp_path):
    result, out = imported(tmp_path, """\
        event_id_cnty,event_date,event_type
        E1,2020-01-01,Cyber Operations
        """)
    assert result.exit_code == 0, result.output
    assert "export.csv:2:3: warning: unknown ACLED event type 'Cyber Operations'" in result.stderr
    assert facts_by_id(out.read_text())["E1"].type == "cyber-operations"


def test_inter_numbers_become_the_acled_words(tmp_path):
    result, out = imported(tmp_path, """\
        event_id_cnty,event_date,event_type,inter1,inter2
        E1,2020-01-01,Battles,1,8
        E2,2020-01-01,Protests,6,0
        E3,2020-01-01,Protests,Protesters,
        """)
    assert result.exit_code == 0, result.output
    facts = facts_by_id(out.read_text())
    assert facts["E1"].attributes["inter1"] == "State forces"
    assert facts["E1"].attributes["inter2"] == "External/Other forces"
    assert facts["E2"].attributes["inter1"] == "Protesters" and "inter2" not in facts["E2"].attributes
    assert facts["E3"].attributes["inter1"] == "Protesters"


def test_associated_actors_of_both_sides_are_one_list(tmp_path):
    result, out = imported(tmp_path, """\
        event_id_cnty,event_date,event_type,assoc_actor_1,assoc_actor_2
        E1,2020-03-19,Protests,HTS: Hayat Tahrir al Sham; Hurras al Din,TIP: Turkestan Islamic Party
        """)
    assert result.exit_code == 0, result.output
    assert facts_by_id(out.read_text())["E1"].attributes["assoc_actors"] == (
        "HTS: Hayat Tahrir al Sham",
        "Hurras al Din",
        "TIP: Turkestan Islamic Party",
    )


def test_each_distinct_source_string_is_one_source(tmp_path):
    result, out = imported(tmp_path, """\
        event_id_cnty,event_date,event_type,source
        E1,2020-01-01,Battles,SOHR
        E2,2020-01-02,Battles,SOHR;  Anadolu Agency
        E3,2020-01-03,Battles,SOHR; Anadolu Agency
        E4,2020-01-04,Battles,
        """)
    assert result.exit_code == 0, result.output
    case = case_from_text(out.read_text(), "case.yaml")
    assert {k: s.name for k, s in case.sources.items()} == {"sohr": "SOHR", "sohr-anadolu-agency": "SOHR; Anadolu Agency"}
    facts = {f.id: f for f in case.facts}
    assert [facts[i].source for i in ("E1", "E2", "E3", "E4")] == ["sohr", "sohr-anadolu-agency", "sohr-anadolu-agency", None]


def test_source_keys_that_would_clash_are_numbered():
    assert source_keys(["Al-Watan", "Al Watan", "المرصد"]) == {"Al Watan": "al-watan", "Al-Watan": "al-watan-2", "المرصد": "source"}


# -- dates, encodings, quoting --------------------------------------------------------


@pytest.mark.parametrize(
    "written, day",
    [
        ("27 May 2020", "2020-05-27"),
        ("27 MAY 2020", "2020-05-27"),
        ("3 Sept 2020", "2020-09-03"),
        ("03 Mar 2020", "2020-03-03"),
        ("27-May-2020", "2020-05-27"),
        ("27-05-2020", "2020-05-27"),
        ("2020-05-27", "2020-05-27"),
    ],
)
def test_event_dates_in_each_acled_form(written, day):
    assert acled_date(written).isoformat() == day


def test_both_export_date_forms_in_one_file(tmp_path):
    result, out = imported(tmp_path, """\
        event_id_cnty,event_date,event_type
        E1,27 February 2020,Battles
        E2,05-03-2020,Battles
        E3,2020-06-04,Battles
        """)
    assert result.exit_code == 0, result.output
    facts = facts_by_id(out.read_text())
    assert [facts[i].date.isoformat() for i in ("E1", "E2", "E3")] == ["2020-02-27", "2020-03-05", "2020-06-04"]


def test_a_byte_order_mark_and_crlf_lines_give_the_same_case(tmp_path):
    plain = DATA.read_bytes()
    windows = tmp_path / "windows.csv"
    windows.write_bytes(b"\xef\xbb\xbf" + plain.replace(b"\n", b"\r\n"))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert invoke(DATA, "-o", tmp_path / "a" / "case.yaml").exit_code == 0
    result = invoke(windows, "-o", tmp_path / "b" / "case.yaml")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b" / "case.yaml").read_bytes() == (tmp_path / "a" / "case.yaml").read_bytes()


def test_quoted_notes_keep_commas_quotes_and_line_breaks(tmp_path):
    out = tmp_path / "case.yaml"
    assert invoke(DATA, "-o", out).exit_code == 0
    text = facts_by_id(out.read_text(encoding="utf-8"))["SYR90006"].text
    assert text.startswith("Sample row. On 27 May 2020, an IED hit a Turkish (TAF) convoy")
    assert 'wounding another.\nThe Russian Reconciliation Centre blamed the "Turkistan Islamic Party" (TIP)' in text


def test_strings_yaml_would_read_as_other_things_stay_strings(tmp_path):
    result, out = imported(tmp_path, '''\
        event_id_cnty,event_date,event_type,actor1,actor2,location,admin1,admin2,notes
        010,2020-01-01,Battles,yes,NO,$atk.actor,# not a comment,"key: value",2020-05-27
        ''')
    assert result.exit_code == 0, result.output
    fact = facts_by_id(out.read_text())["010"]
    a = fact.attributes
    assert (a["actor"], a["actor2"], a["location"], a["admin1"], a["admin2"]) == ("yes", "NO", "$atk.actor", "# not a comment", "key: value")
    assert fact.text == "2020-05-27"


def test_characters_yaml_does_not_allow_raw_are_escaped(tmp_path):
    result, out = imported(tmp_path, 'event_id_cnty,event_date,event_type,notes\nE1,2020-01-01,Battles,"a\x7fb\x85c\u2028d\tе"\n')
    assert result.exit_code == 0, result.output
    assert facts_by_id(out.read_text(encoding="utf-8"))["E1"].text == "a\x7fb\x85c\u2028d\tе"


# -- options --------------------------------------------------------------------------


def test_options_set_grades_id_title_and_as_of(tmp_path):
    out = tmp_path / "case.yaml"
    result = invoke(DATA, "-o", out, "--reliability", "b", "--credibility", "2", "--case-id", "m4-2020", "--title", "M4: incidents", "--as-of", "2020-05-29")
    assert result.exit_code == 0, result.output
    case = case_from_text(out.read_text(encoding="utf-8"), "case.yaml")
    assert (case.id, case.title, case.as_of) == ("m4-2020", "M4: incidents", datetime.date(2020, 5, 29))
    assert {s.reliability for s in case.sources.values()} == {"B"}
    assert {f.credibility for f in case.facts} == {2}


def test_the_default_title_names_the_countries_and_the_span(tmp_path):
    out = tmp_path / "case.yaml"
    assert invoke(DATA, "-o", out).exit_code == 0
    assert case_from_text(out.read_text(encoding="utf-8"), "case.yaml").title == "ACLED events in Syria, 2020-02-27 to 2020-08-25"


def test_a_case_id_that_is_not_an_id_is_a_usage_error(tmp_path):
    out = tmp_path / "case.yaml"
    result = invoke(DATA, "-o", out, "--case-id", "M4 2020")
    assert result.exit_code == 2
    assert "is not a case id" in result.output
    assert not out.exists()


def test_dash_writes_the_case_to_standard_output():
    result = invoke(DATA, "-o", "-", "--case-id", "idlib")
    assert result.exit_code == 0, result.output
    assert case_from_text(result.stdout, "case.yaml").id == "idlib"


# -- bad input: located, exit 2, nothing written ------------------------------------


def test_a_file_without_the_acled_columns_is_not_an_acled_export(tmp_path):
    result, out = imported(tmp_path, """\
        id,date,type
        1,2020-01-01,attack
        """)
    assert result.exit_code == 2
    assert "export.csv:1:1: error: not an ACLED export: the header row has no event_id_cnty, event_date, event_type columns" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()


def test_a_bad_date_is_named_with_its_line_and_column(tmp_path):
    result, out = imported(tmp_path, """\
        event_id_cnty,event_date,event_type,notes
        E1,27 May 2020,Battles,"two
        lines"
        E2,31-02-2020,Battles,
        E3,May 27 2020,Battles,
        """)
    assert result.exit_code == 2
    assert messages(result, tmp_path) == [
        "export.csv:4:2: error: event_date '31-02-2020' is not a real day",
        "export.csv:5:2: error: event_date 'May 27 2020' is not a date: write dd Month yyyy (27 May 2020), dd-mm-yyyy or yyyy-mm-dd",
        "2 errors",
    ]
    assert not out.exists()


def test_bad_numbers_are_named_with_their_column(tmp_path):
    result, _ = imported(tmp_path, """\
        event_id_cnty,event_date,event_type,latitude,longitude,fatalities,inter1
        E1,2020-01-01,Battles,north,36.3,1,1
        E2,2020-01-01,Battles,35.8,nan,about 10,9
        """)
    assert result.exit_code == 2
    assert messages(result, tmp_path) == [
        "export.csv:2:4: error: latitude 'north' is not a number",
        "export.csv:3:5: error: longitude 'nan' is not a number",
        "export.csv:3:6: error: fatalities 'about 10' is not a whole number 0 or more",
        "export.csv:3:7: error: inter1 '9' is not an ACLED actor kind: 1-8, or its words (State forces...)",
        "4 errors",
    ]


def test_a_duplicate_event_id_names_both_rows(tmp_path):
    result, _ = imported(tmp_path, """\
        event_id_cnty,event_date,event_type
        SYR1,2020-01-01,Battles
        SYR1,2020-01-02,Battles
        """)
    assert result.exit_code == 2
    assert "export.csv:3:1: error: duplicate event_id_cnty 'SYR1': also the event on line 2" in result.stderr


@pytest.mark.parametrize(
    "row, message",
    [
        ('E1,2020-01-01,"unclosed\nE2,2020-01-02,Battles\n', "a quoted field is never closed: the file ends inside it (a missing '\"'?)"),
        ('E1,2020-01-01,"Battles"x\n', "bad quoting: a quote inside a quoted field"),
    ],
    ids=["unclosed", "stray"],
)
def test_bad_quoting_is_an_error_not_rows_merged(tmp_path, row, message):
    result, out = imported(tmp_path, "event_id_cnty,event_date,event_type\n" + row)
    assert result.exit_code == 2
    assert messages(result, tmp_path)[0].startswith("export.csv:2:1: error: " + message)
    assert not out.exists()


def test_a_row_with_the_wrong_number_of_fields(tmp_path):
    result, _ = imported(tmp_path, """\
        event_id_cnty,event_date,event_type
        E1,2020-01-01,Battles,extra
        """)
    assert result.exit_code == 2
    assert "export.csv:2:4: error: the row has 4 fields but the header has 3" in result.stderr


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "export.csv:1:1: error: is empty: an ACLED export starts with a header row"),
        (b"\xef\xbb\xbf\r\n", "export.csv:1:1: error: is empty: an ACLED export starts with a header row"),
        (b"event_id_cnty,event_date,event_type\n", "export.csv:1:1: error: has a header row but no events"),
        (b"event_id_cnty,event_date,event_type\nE1,2020-01-01,Batailles \xe9\n", "export.csv:2:25: error: is not UTF-8 text: save the export as UTF-8 CSV"),
        (b"event_id_cnty\x00", "export.csv: error: is a binary file, not CSV text"),
    ],
    ids=["empty", "bom-only", "header-only", "latin-1", "binary"],
)
def test_files_that_hold_no_events(tmp_path, content, message):
    (tmp_path / "export.csv").write_bytes(content)
    result = invoke(tmp_path / "export.csv", "-o", tmp_path / "case.yaml")
    assert result.exit_code == 2
    assert messages(result, tmp_path) == [message]
    assert not (tmp_path / "case.yaml").exists()


def test_a_missing_file(tmp_path):
    result = invoke(tmp_path / "nope.csv", "-o", tmp_path / "case.yaml")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{tmp_path / 'nope.csv'}: error: no such file"


def test_a_failed_import_leaves_the_old_case_and_no_temporary_file(tmp_path):
    out = tmp_path / "case.yaml"
    out.write_text("the analyst's case\n")
    result, _ = imported(tmp_path, """\
        event_id_cnty,event_date,event_type
        E1,someday,Battles
        """)
    assert result.exit_code == 2
    assert out.read_text() == "the analyst's case\n"
    assert sorted(os.listdir(tmp_path)) == ["case.yaml", "export.csv"]


def test_an_output_folder_that_does_not_exist(tmp_path):
    result = invoke(DATA, "-o", tmp_path / "no" / "case.yaml")
    assert result.exit_code == 2
    assert "cannot be written: no such folder" in result.stderr


# -- determinism ----------------------------------------------------------------------


def test_the_same_export_gives_the_same_bytes_whatever_the_row_order(tmp_path):
    header, *rows = DATA.read_text(encoding="utf-8").split("\nSYR")
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    other = tmp_path / "shuffled.csv"
    other.write_text("\nSYR".join([header, *shuffled]).rstrip("\n") + "\n", encoding="utf-8")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    outputs = []
    for source, folder in ((DATA, "a"), (DATA, "b"), (other, "b")):
        out = tmp_path / folder / "case.yaml"
        assert invoke(source, "-o", out).exit_code == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
