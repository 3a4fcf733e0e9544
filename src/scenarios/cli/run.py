"""`scenarios run`: the main job."""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Optional

import click

from . import options
from .output import fail, show, standard_output, write_output

SETTINGS = {"help_option_names": ["-h", "--help"]}


@click.command("run", context_settings=SETTINGS)
@click.argument("cases", nargs=-1, metavar="[CASE|FOLDER]...")
@options.rulesets()
@options.report_format("rich", "json", "markdown", "html", default="rich", help="Report format: the terminal report, the JSON contract, or a briefing in Markdown or self-contained HTML.")
@options.output()
@options.as_of("--as-of", help="Run as of this day instead of the case's as_of.")
@options.max_worlds()
@click.option("--explain", "explain_id", metavar="ID", help="Explain one indicator or scenario in full: its condition tree marked holds / does not hold, and every derivation with its facts.")
@click.option("--fail-on", "fail_on", multiple=True, type=click.Choice(["triggered", "contested", "near-miss"]), help="Exit 1 when some scenario is triggered / contested / a near miss (repeatable), for scheduled monitoring.")
@options.width()
@click.option("-j", "--jobs", type=click.IntRange(1, 256), default=1, show_default=True, help="Run several cases in this many parallel processes.")
@click.option("--dask", "dask_address", metavar="ADDRESS", help="Run on the Dask cluster whose scheduler is at ADDRESS (tcp://HOST:PORT): the cases, or the worlds of a single case, as tasks. Needs scenarios[dask]; see docs/scaling.md.")
def run(cases, rulesets, fmt, output, as_of, max_worlds, explain_id, fail_on, width, jobs, dask_address) -> None:
    """Run cases (default: the bundled Idlib case) and report which scenarios hold, and why.

    A FOLDER runs every case file in it (searched as `scenarios check` searches it;
    rulesets and ruleset tests in it are skipped). Several cases open with a board of
    what holds in each.

    \b
    Examples:
      scenarios run
      scenarios run cases/idlib-m4-2020-08.yaml
      scenarios run my-case.yaml -r idlib-m4 -r rulesets/extra.yaml
      scenarios run my-case.yaml --as-of 2020-03-31 --format json -o run.json
      scenarios run --explain spring-shield-restarts
      scenarios run my-case.yaml --fail-on triggered --format json -o latest.json
      scenarios run cases/ --jobs 2
      scenarios run cases/*.yaml --dask tcp://scheduler:8786
      scenarios run --format html -o briefing.html
    """
    from ..batch import run_cases
    from ..check import case_files
    from ..render.progress import progress

    if dask_address is not None and jobs > 1:
        raise click.UsageError("--jobs and --dask cannot be used together: --dask runs the cases on the cluster's workers")
    todo, problems = case_files(list(cases)) if cases else ([None], [])
    with progress(len(todo)) as advance:
        results, found = run_cases(todo, rulesets, as_of=as_of, max_worlds=max_worlds, explain_id=explain_id, jobs=jobs, progress=advance, dask=dask_address)
    if problems or found:
        fail(problems + found)  # every problem at once, and nothing written
    show([w for r in results for w in r.warnings])
    report(results, fmt, output, width, inputs=tuple(f for r in results for f in r.inputs))
    if fail_on and any(met(r, fail_on) for r in results):
        sys.exit(1)


def met(result, conditions) -> bool:
    """Whether a --fail-on condition holds for some scenario of a run."""
    for s in result.scenarios:
        if ("triggered" in conditions and s.status == "triggered") or ("contested" in conditions and s.status == "contested"):
            return True
        if "near-miss" in conditions and s.near_miss:
            return True
    return False


def report(results: list, fmt: str, output: Optional[str], width: Optional[int], inputs: tuple = ()) -> None:
    """Print the reports of `results` in `fmt`, or write them to `output`, which may
    not be one of `inputs` (the files the run read)."""
    if fmt in ("json", "markdown", "html"):
        write_output(import_module(f"..render.{fmt}", __package__).render(results), output, inputs)
        return
    from ..render import terminal

    if output and output != "-":
        write_output(terminal.report_text(lambda console: terminal.render(results, console), width), output, inputs)
    else:
        with standard_output():
            terminal.render(results, terminal.stdout_console(width))
