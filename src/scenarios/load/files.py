"""Reading an input file's text: refused, with a reason, when it is not a regular
UTF-8 text file of a sane size."""

from __future__ import annotations

import errno
import os
import stat

from ..errors import InputError, Problem

MAX_BYTES = 512 * 1024 * 1024
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


def read_text(path: str, kind: str = "YAML") -> str:
    """The text of a file of `kind` (YAML, CSV); InputError when it is missing, a
    folder, not a regular file, too large, binary or not UTF-8.

    The file is opened first and its kind read from what was opened (without
    blocking: a FIFO put in its place between a look and an open would hang), so
    what is checked is what is read."""
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        raise InputError([Problem(path, _unopenable(path, exc), code="file")]) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError([Problem(path, "is a folder, not a file", code="file")])
        if not stat.S_ISREG(st.st_mode):  # a pipe or a device would block or never end
            raise InputError([Problem(path, "is not a regular file", code="file")])
        if st.st_size > MAX_BYTES:
            raise InputError([Problem(path, f"the file is {st.st_size // 2**20} MiB; at most {MAX_BYTES // 2**20} MiB are read", code="file")])
        with os.fdopen(fd, "rb", closefd=False) as f:
            raw = f.read(st.st_size + 1)  # what it holds: a buffer of the most it may hold failed under a memory limit
            while len(raw) <= MAX_BYTES:  # it grew while being read
                more = f.read(2**20)
                if not more:
                    break
                raw += more
        if len(raw) > MAX_BYTES:
            raise InputError([Problem(path, f"the file is over {MAX_BYTES // 2**20} MiB; at most {MAX_BYTES // 2**20} MiB are read", code="file")])
    except OSError as exc:
        raise InputError([Problem(path, f"cannot be read: {exc.strerror or exc}", code="file")]) from None
    finally:
        os.close(fd)
    return decoded(raw, path, kind)


def _unopenable(path: str, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "is a symbolic link that leads back to itself (a loop of links)"
    if exc.errno == errno.ENOENT:
        return "is a symbolic link to a file that does not exist" if os.path.islink(path) else "no such file"
    if exc.errno == errno.ENOTDIR:
        return "no such file (a part of the path is not a folder)"
    if exc.errno == errno.ENXIO:  # a socket
        return "is not a regular file"
    if exc.errno == errno.ENAMETOOLONG:
        return "the file name is too long"
    return f"cannot be read: {exc.strerror or exc}"


def decoded(raw: bytes, path: str, kind: str = "YAML") -> str:
    """The UTF-8 text of a file's bytes, without a byte order mark; InputError, naming
    the encoding when it is a known other one, or where the text stops being UTF-8."""
    wide = _wide_encoding(raw)
    if wide:
        raise InputError([Problem(path, f"is {wide} text: save it as UTF-8", code="encoding")])
    if b"\x00" in raw:
        raise InputError([Problem(path, f"is a binary file, not {kind} text", code="encoding")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw.count(b"\n", 0, exc.start) + 1
        column = len(raw[start: exc.start].decode("utf-8", "replace")) + 1  # characters, not bytes
        advice = "" if kind == "YAML" else f": save the export as UTF-8 {kind}"
        raise InputError([Problem(path, f"is not UTF-8 text{advice}", line, column, code="encoding")]) from None
    return text[1:] if text.startswith("\ufeff") else text


def _wide_encoding(raw: bytes) -> str:
    """UTF-16 or UTF-32 (by its byte order mark, or by the zero bytes of text that is
    mostly ASCII), or ""."""
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "UTF-32"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    sample = raw[:4096]
    if len(sample) < 8 or b"\x00" not in sample:
        return ""
    quarter = len(sample) // 4 * 4
    if all(sample[i:quarter:4].count(0) > 0.9 * (quarter // 4) for i in (1, 2, 3)) or all(sample[i:quarter:4].count(0) > 0.9 * (quarter // 4) for i in (0, 1, 2)):
        return "UTF-32"
    half = len(sample) // 2 * 2
    if sample[1:half:2].count(0) > 0.9 * (half // 2) or sample[0:half:2].count(0) > 0.9 * (half // 2):
        return "UTF-16"
    return ""
