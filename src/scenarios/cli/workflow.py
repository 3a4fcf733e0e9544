"""`scenarios test`, `diff`, `what-if` and `new`: the analyst's workflow around a run.

Thin: parse the command line, call `scenarios.workflow`, print through
`render/workflow.py`, exit. Exit codes: 0 done; 1 a ruleset test failed; 2 bad input
or usage (every input problem as `file:line:col: error: message`, nothing written).
"""

from __future__ import annotations

import json
import sys
from typing import Optional

import click

from ..workflow.templates import KINDS
from . import options
from .output import show, standard_output, write_output

SETTINGS = {"help_option_names": ["-h", "--help"]}


def emit_diff(diff, fmt: str, output: Optional[str], width: Optional[int]) -> None:
    """Print a diff (or write it to `output`, atomically; never over a file it read)."""
    from ..render import terminal
    from ..render import workflow as render

    show(diff.warnings)
    inputs = tuple(diff.inputs)
    if fmt == "json":
        write_output(json.dumps(render.diff_json(diff), ensure_ascii=False, indent=2) + "\n", output, inputs)
    elif output and output != "-":
        write_output(terminal.report_text(lambda console: render.render_diff(diff, console), width), output, inputs)
    else:
        with standard_output():
            render.render_diff(diff, terminal.stdout_console(width))


# -- scenarios test ---------------------------------------------------------------------------


@click.command("test", context_settings=SETTINGS)
@click.argument("paths", nargs=-1, metavar="[PATH]...", type=click.Path())
@click.option("-k", "keyword", metavar="TEXT", help="Run only the tests whose name contains TEXT (ignoring case).")
@click.option("--coverage", is_flag=True, help="Also list the indicators and scenarios that no test triggers.")
@click.option("-v", "--verbose", is_flag=True, help="A line per test, PASSED or FAILED, instead of a dot.")
@options.report_format("text", "json", default="text", help="The pytest-like report, or JSON for tools.")
@options.max_worlds(help="Refuse test cases with more worlds than this.")
@options.width(help="Width of the report (default: the terminal's).")
def test(paths, keyword, coverage, verbose, fmt, max_worlds, width) -> None:
    """Run ruleset tests: facts (inline or a case file) and the statuses expected.

    PATH is a test file or a folder searched for *.tests.yaml files; by default
    ./rulesets/ and ./tests/. Each failure shows the expected status against the
    actual one, with what is missing (why not) or the facts it holds on (why).
    The last line is `N passed, N failed`. Exit 0 when every test passes, 1 when
    one fails, 2 on a bad test file, ruleset or case. The format is described in
    docs/workflow.md.

    \b
    Examples:
      scenarios test
      scenarios test rulesets/idlib-m4.tests.yaml -v
      scenarios test rulesets/ -k convoy
      scenarios test --coverage
      scenarios test --format json > test-results.json
    """
    from ..render import workflow as render
    from ..render.terminal import stdout_console
    from ..workflow.ruletests import run_tests

    run = run_tests(list(paths), keyword=keyword, with_coverage=coverage, max_worlds=max_worlds)
    if keyword is not None and not run.results:
        raise click.UsageError(f"no test name contains '{keyword}' ({run.deselected} tests in {len(run.files)} files)")
    with standard_output():
        if fmt == "json":
            click.echo(json.dumps(render.test_run_json(run), ensure_ascii=False, indent=2))
        else:
            render.render_test_run(run, stdout_console(width), verbose=verbose)
    if run.failed:
        sys.exit(1)


test.__test__ = False  # a click command, not something for pytest to collect


# -- scenarios diff ---------------------------------------------------------------------------


@click.command("diff", context_settings=SETTINGS)
@click.argument("old", type=click.Path(dir_okay=False))
@click.argument("new", required=False, type=click.Path(dir_okay=False))
@options.rulesets(help="A ruleset file or id for both runs. Repeatable. Default: each case's own 'rulesets:'.")
@options.as_of("--old-as-of", help="Run OLD as of this day instead of its as_of.")
@options.as_of("--new-as-of", help="Run NEW as of this day instead of its as_of.")
@options.report_format("rich", "json", default="rich")
@options.output()
@options.max_worlds()
@options.width()
def diff(old, new, rulesets, old_as_of, new_as_of, fmt, output, max_worlds, width) -> None:
    """What changed from case OLD to case NEW: the scenarios and indicators newly
    triggered, cleared, newly contested, new near misses, and the facts added, removed
    or changed (by id) behind each change.

    With NEW left out, OLD is compared with itself at two dates: give --old-as-of
    and/or --new-as-of. Facts are compared as each run sees them, so a fact dated
    between the two days shows as added.

    \b
    Examples:
      scenarios diff cases/idlib-m4-2020-05.yaml cases/idlib-m4-2020-08.yaml
      scenarios diff cases/idlib-m4-2020-05.yaml --old-as-of 2020-03-31
      scenarios diff old.yaml new.yaml -r idlib-m4 --format json -o changes.json
    """
    from ..workflow.diff import diff_files

    if new is None and old_as_of is None and new_as_of is None:
        raise click.UsageError("give NEW, or --old-as-of / --new-as-of to compare one case at two dates")
    result = diff_files(old, new, rulesets, old_as_of=old_as_of, new_as_of=new_as_of, max_worlds=max_worlds)
    emit_diff(result, fmt, output, width)


# -- scenarios what-if ------------------------------------------------------------------------


@click.command("what-if", context_settings=SETTINGS)
@click.argument("case", type=click.Path(dir_okay=False))
@click.option("--drop", multiple=True, metavar="FACT", help="Leave this fact out. Repeatable.")
@click.option("--set", "settings", multiple=True, metavar="FACT.KEY=VALUE", help="Give a key of a fact a new value, read as YAML (10, true, HTS, [TAF, RU]; empty for none). Repeatable.")
@click.option("--add", "additions", multiple=True, metavar="FACTS.yaml", type=click.Path(dir_okay=False), help="Add the facts of this file: a list of facts, or facts: and sources:. Repeatable.")
@options.rulesets(help="A ruleset file or id. Repeatable. Default: the case's own 'rulesets:'.")
@options.as_of("--as-of", help="Run both as of this day instead of the case's as_of.")
@options.report_format("rich", "json", default="rich")
@options.output()
@options.max_worlds()
@options.width()
def what_if(case, drop, settings, additions, rulesets, as_of, fmt, output, max_worlds, width) -> None:
    """A counterfactual run of CASE, reported as a diff against the case as written.

    Facts are dropped first, then added, then keys are set. A fact id that is not in
    the case is an error that names it; a value set or a fact added is checked as it
    would be in a case file.

    \b
    Examples:
      scenarios what-if cases/idlib-m4-2020-05.yaml --drop troop-deployment
      scenarios what-if cases/idlib-m4-2020-05.yaml --set convoy-attack.actor=HTS
      scenarios what-if cases/idlib-m4-2020-05.yaml --set troop-deployment.personnel=4000 --format json
      scenarios what-if cases/idlib-m4-2020-05.yaml --add new-facts.yaml --drop hts-saa-pact
    """
    from ..workflow.whatif import what_if as run_what_if

    if not (drop or settings or additions):
        raise click.UsageError("nothing to change: give --drop FACT, --set FACT.KEY=VALUE or --add FACTS.yaml")
    result = run_what_if(case, drop, settings, additions, rulesets, as_of=as_of, max_worlds=max_worlds)
    emit_diff(result, fmt, output, width)


# -- scenarios new ----------------------------------------------------------------------------


@click.command("new", context_settings=SETTINGS)
@click.argument("kind", metavar="case|ruleset", type=click.Choice(KINDS))
@click.argument("name")
@click.option("-o", "--output", metavar="PATH", type=click.Path(dir_okay=False, allow_dash=True), help="Write to PATH instead of cases/NAME.yaml or rulesets/NAME.yaml ('-' for standard output).")
def new(kind: str, name: str, output: Optional[str]) -> None:
    """Start a case or ruleset file: a documented example that already loads.

    Writes cases/NAME.yaml or rulesets/NAME.yaml (the folder is made if need be),
    never over an existing file. The first line points editors at the JSON Schema
    (`scenarios schema case|ruleset`). The two starting files go together: the case
    triggers one scenario of the ruleset and is a near miss for the other.

    \b
    Examples:
      scenarios new case border-2024
      scenarios new ruleset border-rules
      scenarios run cases/border-2024.yaml -r border-rules
      scenarios new case quick-look -o /tmp/quick-look.yaml
    """
    from ..workflow.templates import check_name, template, write_new

    if output == "-":
        check_name(kind, name)
        with standard_output():
            click.echo(template(kind, name), nl=False)
        return
    path = write_new(kind, name, output)
    click.echo(f"{path}: new {kind} '{name}'; check it with: scenarios check {path}", err=True)
