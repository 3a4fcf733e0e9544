"""Options several commands share, each declared once (help text may say what it
means for one command)."""

from __future__ import annotations

import datetime

import click

from ..errors import excerpt
from ..render.plain import clean_line
from ..values import DATE_RE, parse_date
from ..worlds import DEFAULT_MAX_WORLDS


class Date(click.ParamType):
    """A day written YYYY-MM-DD that names a real day."""

    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime.date):
            return value
        shown = clean_line(excerpt(str(value), 40))  # an option's value is user text too
        if isinstance(value, str) and DATE_RE.match(value):
            try:
                return parse_date(value)
            except ValueError:
                self.fail(f"'{shown}' is not a real day", param, ctx)
        self.fail(f"'{shown}' is not a day written YYYY-MM-DD", param, ctx)


class OutputPath(click.Path):
    """A file to write: never the empty name, which wrote the terminal report to
    standard output and named no file in the message of any other format."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value.strip():
            self.fail("an empty name names no file: give the file to write, or '-' for standard output", param, ctx)
        return super().convert(value, param, ctx)


def rulesets(help: str = "A ruleset file or id (looked up in ./rulesets/, then the bundled ones). Repeatable. Default: the case's own 'rulesets:'."):
    """-r/--ruleset, repeatable: ruleset files or ids."""
    return click.option("-r", "--ruleset", "rulesets", multiple=True, metavar="RULESET", help=help)


def report_format(*choices: str, default: str, help: str = "Report format."):
    """--format, one of `choices`."""
    return click.option("--format", "fmt", type=click.Choice(list(choices)), default=default, show_default=True, help=help)


def output(help: str = "Write the report to FILE (atomically) instead of standard output."):
    """-o/--output FILE, written whole or not at all (see output.write_file)."""
    return click.option("-o", "--output", type=OutputPath(dir_okay=False, writable=True), help=help)


def width(help: str = "Width of the terminal report (default: the terminal's)."):
    """--width, in columns, for the terminal report."""
    return click.option("--width", type=click.IntRange(40, 400), help=help)


def max_worlds(help: str = "Refuse cases with more worlds than this."):
    """--max-worlds: the most worlds a case may have before it is refused."""
    return click.option("--max-worlds", type=click.IntRange(1), default=DEFAULT_MAX_WORLDS, show_default=True, help=help)


def as_of(*names: str, help: str):
    """A day option (--as-of and its kin), checked to name a real day."""
    return click.option(*names, type=Date(), help=help)
