"""What commands print and write: problems on standard error, reports on standard
output or into a file. One writer for every command's `-o`."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from typing import Iterator, NoReturn, Optional

import click

from ..errors import InputError, Problem
from ..render.plain import clean, clean_line

__all__ = ["clean_line", "fail", "say", "show", "standard_output", "write_file", "write_output"]


def say(line: str) -> None:
    """A line on standard error. Never raises: when standard error cannot be written
    (a full disk, a closed descriptor) the line is lost, not the exit code."""
    try:
        click.echo(line, err=True)
    except (OSError, ValueError):
        pass


def show(problems: list, limit: Optional[int] = None) -> None:
    """Problems on standard error, one `file:line:col: severity: message` a line, in
    file order; with `limit`, the first ones and how many more there are."""
    from ..load import locate_in_files

    problems = sorted(locate_in_files(problems), key=lambda p: (p.file, p.line, p.column, p.message))
    shown = problems if limit is None else problems[:limit]
    for p in shown:
        say(clean_line(str(p)))
    if len(problems) > len(shown):
        say(f"... and {len(problems) - len(shown)} more")


def fail(problems: list, limit: Optional[int] = None) -> NoReturn:
    """Print the problems of bad input and exit 2."""
    show(problems, limit)
    errors = sum(1 for p in problems if p.severity == "error")
    if errors > 1:
        say(f"{errors} errors")
    sys.exit(2)


STDOUT = "standard output"


@contextlib.contextmanager
def standard_output() -> Iterator[None]:
    """Around what prints a report: a reader that went away (`| head`) ends the
    printing quietly, the exit code unchanged; a standard output that cannot be
    written (closed, a full disk) is an InputError naming it, never a traceback."""
    try:
        yield
        sys.stdout.flush()
    except BrokenPipeError:
        _discard_stdout()
    except OSError as exc:
        _discard_stdout()
        raise InputError([Problem(STDOUT, f"cannot be written: {_reason(exc)}", code="file")]) from None


def _reason(exc: OSError) -> str:
    if exc.errno == errno.EBADF:
        return "it is closed"
    return exc.strerror or str(exc)


def _discard_stdout() -> None:
    """Whatever is still to print goes nowhere, so that the interpreter's last flush
    cannot fail (it would change the exit code)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    except OSError:
        pass
    sys.stdout = open(os.devnull, "w", encoding="utf-8")


def write_output(text: str, output: Optional[str], inputs: tuple = ()) -> None:
    """Print `text`, or write it to the file `output` ('-' is standard output), which
    may not be one of `inputs` (the files the command read)."""
    if output is None or output == "-":
        with standard_output():
            sys.stdout.write(text)
        return
    write_file(text, output, inputs)


def write_file(text: str, path: str, inputs: tuple = ()) -> None:
    """Write a file whole or not at all, and never replace what the user did not mean
    to replace. InputError, naming the path, when it cannot be written or is one of
    `inputs` (the files the command read: a report never lands on its own case).

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
    if st is not None and stat.S_ISREG(st.st_mode):
        refuse_inputs(path, st, inputs)
    if st is not None and (not stat.S_ISREG(st.st_mode) or st.st_nlink > 1):
        _write_into(target, data, path)
        return
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise InputError([Problem(path, "cannot be written: no such folder", code="file")])
    import tempfile  # only when a file is written: 7 ms of every run's start-up otherwise

    try:
        fd, tmp = tempfile.mkstemp(prefix=".scenarios-", suffix=".tmp", dir=directory)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            # the file itself may be writable: say why it is still not written
            raise InputError([Problem(path, f"cannot be written: {exc.strerror} in its folder, where the new file is made whole before it replaces the old one", code="file")]) from None
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


def refuse_inputs(path: str, st: os.stat_result, inputs) -> None:
    """InputError when `path` (whose status is `st`) is one of the files `inputs`,
    however it is named (another path, a symbolic link, a hard link)."""
    for name in inputs:
        if not name:
            continue
        try:
            other = os.stat(name)
        except (OSError, ValueError):
            continue
        if (other.st_dev, other.st_ino) == (st.st_dev, st.st_ino):
            same = "" if os.path.abspath(path) == os.path.abspath(name) else f" (the same file as {clean_line(name)})"
            raise InputError([Problem(path, f"is a file this command reads{same}: write the report to another file", code="file")])


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
