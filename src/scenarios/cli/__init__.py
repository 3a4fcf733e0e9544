"""The `scenarios` command: parse the command line, call the library, print, exit.

Thin: each command is a module of its own (run, check, workflow, importers, schema),
imported when it is used, so that a run does not pay for the others. Options that
several commands share are declared once (`options`); problems are printed and files
written one way (`output`). Only the renderers import Rich.

Exit codes: 0 ran; 1 a --fail-on condition was met or a ruleset test failed; 2 bad
input or usage; 130 interrupted (Ctrl-C), 143 terminated (SIGTERM), as shells expect.
"""

from __future__ import annotations

import io
import os
import signal
import sys
from importlib import import_module

import click

from .. import __version__
from ..errors import EngineError, InputError
from .output import clean_line, fail, say

INTERRUPTED = 128 + signal.SIGINT
TERMINATED = 128 + signal.SIGTERM


class Cli(click.Group):
    """The command group: commands imported when used, and every failure turned into
    a message and an exit code, never a traceback."""

    lazy = {
        "run": ("run", "run"),
        "check": ("check", "check"),
        "import": ("importers", "import_"),
        "schema": ("schema", "schema"),
        "test": ("workflow", "test"),
        "diff": ("workflow", "diff"),
        "what-if": ("workflow", "what_if"),
        "new": ("workflow", "new"),
        "timeline": ("timeline", "timeline"),
    }

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self.lazy))

    def get_command(self, ctx, name):
        if name in self.lazy and name not in self.commands:
            module, attribute = self.lazy[name]
            self.add_command(getattr(import_module(f".{module}", __package__), attribute), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, SystemExit):
            raise
        except InputError as exc:
            fail(exc.problems)
        except EngineError as exc:
            say(f"scenarios: {clean_line(str(exc))}")
            sys.exit(2)
        except KeyboardInterrupt:  # click would say "Aborted!" and exit 1, the code of --fail-on
            say("scenarios: interrupted")
            sys.exit(INTERRUPTED)
        except RecursionError:
            say("scenarios: the input nests too deeply to be read")
            sys.exit(2)
        except MemoryError:
            say("scenarios: out of memory: the input is too large for this machine")
            sys.exit(2)
        except BrokenPipeError:
            sys.exit(0)
        except OSError as exc:  # the machine, not the input: a full disk, a lost stream
            where = f"{clean_line(exc.filename)}: " if isinstance(exc.filename, str) else ""
            say(f"scenarios: {where}{clean_line(exc.strerror or str(exc))}")
            sys.exit(2)
        except Exception as exc:  # a bug: still no traceback for the analyst
            say(f"scenarios: internal error ({type(exc).__name__}: {clean_line(str(exc))[:500]}); please report it with the input that caused it")
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


def main() -> None:
    """The console script: run the command line, exit with its code.

    SIGTERM (what `timeout`, schedulers and `kill` send) ends the command as an exit
    would, so that what it was writing is cleaned up (no temporary file is left).
    Text that the output encoding cannot hold is shown escaped, not a crash halfway
    through a report; a closed standard output is said, not ignored."""
    signal.signal(signal.SIGTERM, _terminated)
    signal.signal(signal.SIGINT, _interrupted)
    if sys.stdout is None or not _open(1):
        sys.stdout = io.TextIOWrapper(_Closed(), encoding="utf-8", write_through=True)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, OSError, ValueError):
            pass
    try:
        cli()
    except _Interrupted:
        say("scenarios: interrupted")
        sys.exit(INTERRUPTED)


class _Interrupted(BaseException):
    """Ctrl-C in the console script: not a KeyboardInterrupt, which click turns into
    "Aborted!" and exit 1 wherever it comes (while options are read, say)."""


def _interrupted(signum, frame) -> None:
    raise _Interrupted()


def _terminated(signum, frame) -> None:
    raise SystemExit(TERMINATED)


def _open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


class _Closed(io.RawIOBase):
    """Standard output when the shell closed it (`>&-`): every write fails, so that
    the report that cannot be delivered is an error, not a silent success."""

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        raise OSError(9, "Bad file descriptor")
