"""`scenarios import`: other formats into case files. Thin: parse, call the library, write, exit.

Exit codes: 0 written; 2 bad input or usage (nothing written).
"""

from __future__ import annotations

import os
from typing import Optional

import click

from ..errors import InputError, Problem, excerpt
from ..model import ID_RE, RELIABILITY
from ..render.plain import clean_line
from . import options
from .output import fail, show, standard_output, write_file

MAX_SHOWN = 100  # an export of thousands of bad rows: the first ones say enough


def case_id_option(ctx, param, value):
    """A --case-id that is an id, or a usage error that says what ids look like."""
    if value is not None and not ID_RE.match(value):
        raise click.BadParameter(f"'{clean_line(excerpt(value, 40))}' is not a case id: use lowercase letters, digits and '-'")
    return value


@click.group("import", context_settings={"help_option_names": ["-h", "--help"]})
def import_() -> None:
    """Turn other formats into case files.

    \b
    Example:
      scenarios import acled idlib-2020.csv -o cases/acled-idlib-2020.yaml
    """


@import_.command("acled")
@click.argument("csv_file", metavar="FILE.csv", type=click.Path())
@click.option("-o", "--output", required=True, metavar="CASE.yaml", type=options.OutputPath(allow_dash=True), help="The case file to write (atomically; '-' for standard output).")
@click.option("--reliability", type=click.Choice(list(RELIABILITY), case_sensitive=False), metavar="A-F", default="F", show_default=True, help="Admiralty reliability given to every source (F: cannot be judged).")
@click.option("--credibility", type=click.IntRange(1, 6), metavar="1-6", default=6, show_default=True, help="Admiralty credibility given to every fact (6: truth cannot be judged).")
@click.option("--case-id", callback=case_id_option, help="The case id (default: from the output file's name).")
@click.option("--title", help="The case title (default: the countries and dates the events span).")
@options.as_of("--as-of", "as_of", help="The case's as_of, YYYY-MM-DD (default: the latest event date).")
def acled(csv_file: str, output: str, reliability: str, credibility: int, case_id: Optional[str], title: Optional[str], as_of) -> None:
    """Turn the rows of an ACLED export (FILE.csv) into a case file.

    Each row becomes one fact: its id is the event_id_cnty, its type comes from the
    event type (battle, attack, violence-against-civilians, protest, riot,
    strategic-development), the sub-event type, actors, place, fatalities and notes
    become attributes. Each distinct `source` string becomes one source of the case.
    Nothing is written when any row is bad; every bad row is named FILE:LINE:COLUMN.
    See docs/acled.md for the whole mapping.

    \b
    Examples:
      scenarios import acled idlib-2020.csv -o cases/acled-idlib-2020.yaml
      scenarios import acled export.csv -o cases/m4.yaml --reliability B --credibility 2 \\
          --case-id m4-2020 --title "M4 incidents, 2020" --as-of 2020-08-31
    """
    from ..workflow.acled import default_case_id, read_acled, to_case_yaml

    try:
        if output != "-" and os.path.exists(output) and os.path.exists(csv_file) and os.path.samefile(output, csv_file):
            raise InputError([Problem(output, "is the ACLED file itself: write the case to another file", code="file")])
        events, warnings = read_acled(csv_file)
        text = to_case_yaml(
            events,
            case_id=case_id or default_case_id(output),
            title=title,
            as_of=as_of,
            reliability=reliability.upper(),
            credibility=credibility,
        )
        show(warnings, MAX_SHOWN)
        if output == "-":
            with standard_output():
                click.echo(text, nl=False)
        else:
            write_file(text, output)
    except InputError as exc:
        fail(exc.problems, MAX_SHOWN)
    if output != "-":
        click.echo(f"{output}: {len(events)} event{'s' if len(events) != 1 else ''} from {csv_file}", err=True)
