"""Reading an input file's text: refused, with a reason, when it is not a regular
UTF-8 text file of a sane size."""

from __future__ import annotations

import os

from ..errors import InputError, Problem

MAX_BYTES = 512 * 1024 * 1024


def read_text(path: str, kind: str = "YAML") -> str:
    """The text of a file of `kind` (YAML, CSV); InputError when it is missing, a
    folder, not a regular file, too large, binary or not UTF-8."""
    if not os.path.exists(path):
        raise InputError([Problem(path, "no such file", code="file")])
    if os.path.isdir(path):
        raise InputError([Problem(path, "is a folder, not a file", code="file")])
    if not os.path.isfile(path):  # a pipe or a device would block or never end
        raise InputError([Problem(path, "is not a regular file", code="file")])
    try:
        size = os.stat(path).st_size
        if size > MAX_BYTES:
            raise InputError([Problem(path, f"the file is {size // 2**20} MiB; at most {MAX_BYTES // 2**20} MiB are read", code="file")])
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise InputError([Problem(path, f"cannot be read: {exc.strerror or exc}", code="file")]) from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError([Problem(path, "is UTF-16 text: save it as UTF-8", code="encoding")])
    if b"\x00" in raw:
        raise InputError([Problem(path, f"is a binary file, not {kind} text", code="encoding")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        advice = "" if kind == "YAML" else f": save the export as UTF-8 {kind}"
        raise InputError([Problem(path, f"is not UTF-8 text{advice}", line, column, code="encoding")]) from None
    return text[1:] if text.startswith("\ufeff") else text
