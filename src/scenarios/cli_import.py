"""`scenarios import`: other formats into case files. Thin: parse, call the library, write, exit.

Exit codes: 0 written; 2 bad input or usage (nothing written).
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import Optional

import click

from .workflow.acled import default_case_id, read_acled, to_case_yaml
from .errors import InputError, Problem
from .model import ID_RE
from .values import DATE_RE, parse_date

MAX_SHOWN = 100


def as_of_day(ctx, param, value):
    if value is None:
        return None
    if DATE_RE.match(value):
        try:
            return parse_date(value)
        except ValueError:
            pass
    raise click.BadParameter(f"'{value}' is not a day written YYYY-MM-DD")


def case_id_option(ctx, param, value):
    if value is not None and not ID_RE.match(value):
        raise click.BadParameter(f"'{value}' is not a case id: use lowercase letters, digits and '-'")
    return value


def show(problems: list[Problem]) -> None:
    """Print the first MAX_SHOWN problems, and how many more there are."""
    for p in problems[:MAX_SHOWN]:
        click.echo(str(p), err=True)
    if len(problems) > MAX_SHOWN:
        click.echo(f"... and {len(problems) - MAX_SHOWN} more", err=True)


def fail(problems: list[Problem]) -> None:
    """Print the problems and exit 2."""
    show(problems)
    errors = sum(1 for p in problems if p.severity == "error")
    if errors > 1:
        click.echo(f"{errors} errors", err=True)
    sys.exit(2)


def write_atomically(text: str, output: str) -> None:
    """Write the file whole or not at all: a temporary file beside it, then os.replace."""
    directory = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(directory):
        raise InputError([Problem(output, "cannot be written: no such folder")])
    if os.path.isdir(output):
        raise InputError([Problem(output, "is a folder: give the case file's name")])
    try:
        fd, tmp = tempfile.mkstemp(prefix=".scenarios-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError([Problem(output, f"cannot be written: {exc.strerror or exc}")]) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        # mkstemp makes the file private; give it the mode a new file would have
        mode = os.stat(output).st_mode & 0o777 if os.path.exists(output) else 0o666 & ~current_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, output)
    except OSError as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise InputError([Problem(output, f"cannot be written: {exc.strerror or exc}")]) from None
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@click.group("import", context_settings={"help_option_names": ["-h", "--help"]})
def import_() -> None:
    """Turn other formats into case files.

    \b
    Example:
      scenarios import acled idlib-2020.csv -o cases/acled-idlib-2020.yaml
    """


@import_.command("acled")
@click.argument("csv_file", metavar="FILE.csv", type=click.Path())
@click.option("-o", "--output", required=True, metavar="CASE.yaml", type=click.Path(allow_dash=True), help="The case file to write (atomically; '-' for standard output).")
@click.option("--reliability", type=click.Choice(list("ABCDEF"), case_sensitive=False), metavar="A-F", default="F", show_default=True, help="Admiralty reliability given to every source (F: cannot be judged).")
@click.option("--credibility", type=click.IntRange(1, 6), metavar="1-6", default=6, show_default=True, help="Admiralty credibility given to every fact (6: truth cannot be judged).")
@click.option("--case-id", callback=case_id_option, help="The case id (default: from the output file's name).")
@click.option("--title", help="The case title (default: the countries and dates the events span).")
@click.option("--as-of", "as_of", callback=as_of_day, metavar="DATE", help="The case's as_of, YYYY-MM-DD (default: the latest event date).")
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
    try:
        if output != "-" and os.path.exists(output) and os.path.exists(csv_file) and os.path.samefile(output, csv_file):
            raise InputError([Problem(output, "is the ACLED file itself: write the case to another file")])
        events, warnings = read_acled(csv_file)
        text = to_case_yaml(
            events,
            case_id=case_id or default_case_id(output),
            title=title,
            as_of=as_of,
            reliability=reliability.upper(),
            credibility=credibility,
        )
        show(warnings)
        if output == "-":
            click.echo(text, nl=False)
        else:
            write_atomically(text, output)
    except InputError as exc:
        fail(exc.problems)
    if output != "-":
        click.echo(f"{output}: {len(events)} event{'s' if len(events) != 1 else ''} from {csv_file}", err=True)
