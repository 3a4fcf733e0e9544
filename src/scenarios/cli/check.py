"""`scenarios check`: every problem of cases, rulesets and test files, without running."""

from __future__ import annotations

import json
import os
import sys

import click

from . import options
from .output import clean_line, standard_output

SETTINGS = {"help_option_names": ["-h", "--help"]}


@click.command("check", context_settings=SETTINGS)
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@options.report_format("text", "json", default="text", help="Problems as file:line:col lines, or as JSON for tools.")
def check(paths, fmt) -> None:
    """Check cases and rulesets (files or folders) without running them.

    Every problem is printed as file:line:col: error|warning: message. Silent when
    all is well. Exit 0 when there is no error, 2 when there is one.

    \b
    Examples:
      scenarios check cases/ rulesets/
      scenarios check my-case.yaml --format json
    """
    from ..check import check as check_files

    problems = check_files(list(paths))
    with standard_output():
        if fmt == "json":
            data = [
                {"file": shown_name(p.file), "line": p.line, "column": p.column, "severity": p.severity, "code": p.code, "message": p.message, "suggestion": p.suggestion or None}
                for p in problems
            ]
            click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        else:
            for p in problems:
                click.echo(clean_line(str(p)))
    if any(p.severity == "error" for p in problems):
        sys.exit(2)


def shown_name(file: str) -> str:
    """A file name as UTF-8 text: the bytes of a name that is not UTF-8 (which Python
    holds as lone surrogates) are shown escaped, so that the JSON stays UTF-8."""
    try:
        file.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(file).decode("utf-8", "backslashreplace")
    return file
