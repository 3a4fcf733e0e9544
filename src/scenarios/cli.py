"""The `scenarios` command: parse the command line, call the library, print, exit.

Exit codes: 0 ran; 1 a --fail-on condition was met; 2 bad input or usage.
"""

from __future__ import annotations

import datetime
import io
import os
import sys
from typing import Optional

import click

from . import __version__
from .errors import EngineError, InputError, Problem
from .values import DATE_RE, parse_date
from .worlds import DEFAULT_MAX_WORLDS


class DateType(click.ParamType):
    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str) and DATE_RE.match(value):
            try:
                return parse_date(value)
            except ValueError:
                self.fail(f"'{value}' is not a real day", param, ctx)
        self.fail(f"'{value}' is not a day written YYYY-MM-DD", param, ctx)


def fail_input(problems: list) -> None:
    from .load import locate_in_files

    problems = sorted(locate_in_files(problems), key=lambda p: (p.file, p.line, p.column, p.message))
    for p in problems:
        click.echo(clean_line(str(p)), err=True)
    errors = sum(1 for p in problems if p.severity == "error")
    if errors > 1:
        click.echo(f"{errors} errors", err=True)
    sys.exit(2)


def clean_line(text: str) -> str:
    from .render.terminal import clean

    return clean(text)


def write_output(text: str, output: Optional[str]) -> None:
    """Print, or write a file atomically: a failed run leaves nothing partial."""
    if output is None or output == "-":
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:  # the reader went away (`| head`): the exit code still counts
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    import tempfile

    directory = os.path.dirname(os.path.abspath(output))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".scenarios-", dir=directory)
    except OSError as exc:
        raise InputError([Problem(output, f"cannot be written: {exc.strerror or exc}")]) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, output)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class Cli(click.Group):
    """The command group, turning every failure into a message and an exit code.

    Commands kept in their own modules are imported when used: a run should not pay
    for the import of every other command."""

    lazy = {
        "import": ("cli_import", "import_"),
        "schema": ("cli_schema", "schema"),
        "test": ("cli_workflow", "test"),
        "diff": ("cli_workflow", "diff"),
        "what-if": ("cli_workflow", "what_if"),
        "new": ("cli_workflow", "new"),
    }

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx, name):
        if name in self.lazy and name not in self.commands:
            from importlib import import_module

            module, attribute = self.lazy[name]
            self.add_command(getattr(import_module(f".{module}", __package__), attribute), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, SystemExit):
            raise
        except InputError as exc:
            fail_input(exc.problems)
        except EngineError as exc:
            click.echo(f"scenarios: {exc}", err=True)
            sys.exit(2)
        except RecursionError:
            click.echo("scenarios: the input nests too deeply to be read", err=True)
            sys.exit(2)
        except MemoryError:
            click.echo("scenarios: out of memory: the input is too large for this machine", err=True)
            sys.exit(2)
        except BrokenPipeError:
            sys.exit(0)
        except Exception as exc:  # a bug: still no traceback for the analyst
            click.echo(f"scenarios: internal error ({type(exc).__name__}: {clean_line(str(exc))}); please report it with the input that caused it", err=True)
            sys.exit(2)


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="scenarios")
def cli() -> None:
    """Indicators and scenarios over dated, sourced facts, on a Rete engine.

    \b
    Examples:
      scenarios run                      the bundled Idlib M4 case
      scenarios run cases/my-case.yaml -r my-rules --format json
      scenarios check cases/ rulesets/
    """
    # a whole number of any length is a number in a case (SPEC 3.1), read and printed
    # as such: Python refuses to read or print one of more than 4,300 digits by default
    if hasattr(sys, "set_int_max_str_digits"):
        sys.set_int_max_str_digits(0)


@cli.command()
@click.argument("cases", nargs=-1)
@click.option("-r", "--ruleset", "rulesets", multiple=True, metavar="RULESET", help="A ruleset file or id (looked up in ./rulesets/, then the bundled ones). Repeatable. Default: the case's own 'rulesets:'.")
@click.option("--format", "fmt", type=click.Choice(["rich", "json", "markdown", "html"]), default="rich", show_default=True, help="Report format: the terminal report, the JSON contract, or a briefing in Markdown or self-contained HTML.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write the report to FILE (atomically) instead of standard output.")
@click.option("--as-of", type=DateType(), help="Run as of this day instead of the case's as_of.")
@click.option("--max-worlds", type=click.IntRange(1), default=DEFAULT_MAX_WORLDS, show_default=True, help="Refuse cases with more worlds than this.")
@click.option("--explain", "explain_id", metavar="ID", help="Explain one indicator or scenario in full: its condition tree marked holds / does not hold, and every derivation with its facts.")
@click.option("--fail-on", "fail_on", multiple=True, type=click.Choice(["triggered", "contested", "near-miss"]), help="Exit 1 when some scenario is triggered / contested / a near miss (repeatable), for scheduled monitoring.")
@click.option("--width", type=click.IntRange(40, 400), help="Width of the terminal report (default: the terminal's).")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), default=1, show_default=True, help="Run several cases in this many parallel processes.")
@click.option("--dask", "dask_address", metavar="ADDRESS", help="Run on the Dask cluster whose scheduler is at ADDRESS (tcp://HOST:PORT): the cases, or the worlds of a single case, as tasks. Needs scenarios[dask]; see docs/scaling.md.")
def run(cases, rulesets, fmt, output, as_of, max_worlds, explain_id, fail_on, width, jobs, dask_address) -> None:
    """Run CASES (default: the bundled Idlib case) and report which scenarios hold, and why.

    \b
    Examples:
      scenarios run
      scenarios run cases/idlib-m4-2020-08.yaml
      scenarios run my-case.yaml -r idlib-m4 -r rulesets/extra.yaml
      scenarios run my-case.yaml --as-of 2020-03-31 --format json -o run.json
      scenarios run --explain spring-shield-restarts
      scenarios run my-case.yaml --fail-on triggered --format json -o latest.json
      scenarios run cases/*.yaml --jobs 2
      scenarios run cases/*.yaml --dask tcp://scheduler:8786
      scenarios run --format html -o briefing.html
    """
    from .batch import run_cases

    if dask_address is not None and jobs > 1:
        raise click.UsageError("--jobs and --dask cannot be used together: --dask runs the cases on the cluster's workers")
    todo = list(cases) or [None]
    with progress_bar(len(todo)) as advance:
        results, problems = run_cases(todo, rulesets, as_of=as_of, max_worlds=max_worlds, explain_id=explain_id, jobs=jobs, progress=advance, dask=dask_address)
    if problems:
        fail_input(problems)
    for r in results:
        for w in r.warnings:
            click.echo(clean_line(str(w)), err=True)
    report(results, fmt, output, width)
    if fail_on and any(met(r, fail_on) for r in results):
        sys.exit(1)


class progress_bar:
    """A progress bar on standard error for runs of several cases, when it is a terminal."""

    def __init__(self, total: int):
        self.total = total
        self.progress = None

    def __enter__(self):
        if self.total > 1 and sys.stderr.isatty():
            from rich.progress import Progress

            from rich.console import Console

            self.progress = Progress(console=Console(stderr=True), transient=True)
            self.progress.start()
            task = self.progress.add_task("cases", total=self.total)
            return lambda n: self.progress.advance(task, n)
        return lambda n: None

    def __exit__(self, *exc):
        if self.progress is not None:
            self.progress.stop()


def met(result, conditions) -> bool:
    """Whether a --fail-on condition holds for some scenario of a run."""
    for s in result.scenarios:
        if ("triggered" in conditions and s.status == "triggered") or ("contested" in conditions and s.status == "contested"):
            return True
        if "near-miss" in conditions and s.near_miss:
            return True
    return False


def report(results: list, fmt: str, output: Optional[str], width: Optional[int]) -> None:
    if fmt in ("json", "markdown", "html"):
        from importlib import import_module

        write_output(import_module(f".render.{fmt}", __package__).render(results), output)
        return
    from rich.console import Console

    from .render import terminal

    if output and output != "-":
        buffer = io.StringIO()
        console = Console(file=buffer, width=width or 100, color_system=None, force_terminal=False, highlight=False, soft_wrap=False)
        terminal.render(results, console)
        write_output(buffer.getvalue(), output)
    else:
        terminal.render(results, terminal.stdout_console(width))


@cli.command(name="check")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True, help="Problems as file:line:col lines, or as JSON for tools.")
def check_command(paths, fmt) -> None:
    """Check cases and rulesets (files or folders) without running them.

    Every problem is printed as file:line:col: error|warning: message. Silent when
    all is well. Exit 0 when there is no error, 2 when there is one.

    \b
    Examples:
      scenarios check cases/ rulesets/
      scenarios check my-case.yaml --format json
    """
    import json as _json

    from .check import check

    problems = check(list(paths))
    if fmt == "json":
        data = [
            {"file": p.file, "line": p.line, "column": p.column, "severity": p.severity, "message": p.message}
            for p in problems
        ]
        click.echo(_json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for p in problems:
            click.echo(clean_line(str(p)))
    if any(p.severity == "error" for p in problems):
        sys.exit(2)





def main() -> None:
    cli()
