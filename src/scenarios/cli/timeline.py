"""`scenarios timeline`: how every status evolved, the exact days it changed, and why."""

from __future__ import annotations

import sys

import click

from . import options
from .output import show, standard_output, write_output

SETTINGS = {"help_option_names": ["-h", "--help"]}


@click.command("timeline", context_settings=SETTINGS)
@click.argument("case", required=False)
@options.rulesets()
@options.as_of("--from", "since", help="The first day (default: the earliest date or reported day of the case's facts).")
@options.as_of("--to", "until", help="The last day (default: the case's as_of).")
@click.option("--every", default="1w", show_default=True, metavar="1d|1w|1m", help="A column of the picture every so many days, weeks or months; changes are exact to the day whatever it is.")
@options.report_format("rich", "json", "markdown", "html", default="rich")
@options.output()
@options.max_worlds()
@options.width()
@click.option("--fail-on", "fail_on", type=click.Choice(["changed"]), help="Exit 1 when some scenario changed status within the last column, for a weekly monitoring job.")
def timeline(case, rulesets, since, until, every, fmt, output, max_worlds, width, fail_on) -> None:
    """How every indicator and scenario of CASE (default: the bundled Idlib case)
    evolved: its status on each column's day, every exact day it changed, and the
    facts behind each change (those that became known, those that left a window).

    The status of an item on a day is exactly what `scenarios run --as-of` that day
    says.

    \b
    Examples:
      scenarios timeline cases/idlib-m4-2020.yaml
      scenarios timeline cases/idlib-m4-2020.yaml --every 1m
      scenarios timeline my-case.yaml --from 2023-07-01 --to 2023-09-30 --every 1d
      scenarios timeline my-case.yaml --format html -o timeline.html
      scenarios timeline my-case.yaml --fail-on changed --format json -o latest.json
    """
    from ..api import timeline_file
    from ..run.timeline import changed_lately
    from ..render import json as render_json
    from ..render import terminal
    from ..render import timeline as render

    result, warnings = timeline_file(case, rulesets, since=since, until=until, every=every, max_worlds=max_worlds)
    show(warnings)
    if fmt == "json":
        write_output(render_json.render_timeline(result), output, result.inputs)
    elif fmt == "markdown":
        write_output(render.render_markdown(result), output, result.inputs)
    elif fmt == "html":
        write_output(render.render_html(result), output, result.inputs)
    elif output and output != "-":
        write_output(terminal.report_text(lambda console: render.render_terminal(result, console), width), output, result.inputs)
    else:
        with standard_output():
            render.render_terminal(result, terminal.stdout_console(width))
    if fail_on and changed_lately(result):
        sys.exit(1)
