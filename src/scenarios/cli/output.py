"""What commands print and write: problems on standard error, reports on standard
output or into a file. One writer for every command's `-o`."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from typing import NoReturn, Optional

import click

from ..errors import InputError, Problem
from ..render.plain import clean


def clean_line(text: str) -> str:
    """A line of text safe to print to a terminal."""
    return clean(text)


def show(problems: list, limit: Optional[int] = None) -> None:
    """Problems on standard error, one `file:line:col: severity: message` a line, in
    file order; with `limit`, the first ones and how many more there are."""
    from ..load import locate_in_files

    problems = sorted(locate_in_files(problems), key=lambda p: (p.file, p.line, p.column, p.message))
    shown = problems if limit is None else problems[:limit]
    for p in shown:
        click.echo(clean(str(p)), err=True)
    if len(problems) > len(shown):
        click.echo(f"... and {len(problems) - len(shown)} more", err=True)


def fail(problems: list, limit: Optional[int] = None) -> NoReturn:
    """Print the problems of bad input and exit 2."""
    show(problems, limit)
    errors = sum(1 for p in problems if p.severity == "error")
    if errors > 1:
        click.echo(f"{errors} errors", err=True)
    sys.exit(2)


def write_output(text: str, output: Optional[str]) -> None:
    """Print `text`, or write it to the file `output` ('-' is standard output)."""
    if output is None or output == "-":
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:  # the reader went away (`| head`): the exit code still counts
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    write_file(text, output)


def write_file(text: str, path: str) -> None:
    """Write a file whole or not at all, and never replace what the user did not mean
    to replace. InputError, naming the path, when it cannot be written.

    - A new or regular file is written beside itself and moved into place, with the
      mode (and owner) it had, or the usual mode of a new file.
    - A symbolic link is followed: the file it points to is written.
    - A device, a FIFO or a socket is written into, as a shell's `>` would.
    - A file with several hard links is written into, so that they stay linked.
    """
    data = _encoded(text, path)
    target = os.path.realpath(path)
    try:
        st: Optional[os.stat_result] = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise _unwritable(path, exc) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InputError([Problem(path, "is a folder: give the name of a file to write", code="file")])
    if st is not None and (not stat.S_ISREG(st.st_mode) or st.st_nlink > 1):
        _write_into(target, data, path)
        return
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise InputError([Problem(path, "cannot be written: no such folder", code="file")])
    try:
        fd, tmp = tempfile.mkstemp(prefix=".scenarios-", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise _unwritable(path, exc) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        # mkstemp makes the file private: give it the mode the file had, or a new file's
        os.chmod(tmp, stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask())
        if st is not None and hasattr(os, "chown"):
            try:
                os.chown(tmp, st.st_uid, st.st_gid)
            except OSError:  # only root may give a file away; the mode still holds
                pass
        os.replace(tmp, target)
    except OSError as exc:
        _remove(tmp)
        raise _unwritable(path, exc) from None
    except BaseException:
        _remove(tmp)
        raise


def _encoded(text: str, path: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError([Problem(path, f"cannot be written: the text holds a lone surrogate (\\u{ord(text[exc.start]):04x}), which is not Unicode text", code="encoding")]) from None


def _write_into(target: str, data: bytes, path: str) -> None:
    try:
        with open(target, "wb") as f:
            f.write(data)
    except OSError as exc:
        raise _unwritable(path, exc) from None


def _unwritable(path: str, exc: OSError) -> InputError:
    return InputError([Problem(path, f"cannot be written: {exc.strerror or exc}", code="file")])


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
