"""Build durable-rules 2.0.28 from its PyPI release, so that it compiles and loads everywhere.

durable-rules' last release (2.0.28, 2020; PyPI has only its sdist) calls
PyEval_CallObject, which Python 3.13 removed from its headers and its library. With
gcc 12 it builds an engine that cannot be imported ("undefined symbol: PyEval_CallObject");
gcc 14 and Clang 16+ refuse to compile it (implicit declaration, then int-conversion).
Its setup.py overwrites CFLAGS, so a user cannot pass a flag to fix it.

This builds the same `durable` package and `durable_rules_engine` extension from the
same release, fetched at build time (nothing of its source is kept in this repository)
and checked against its sha256. On Python 3.13 and later, PyEval_CallObject is defined
as the call it stood for, PyObject_CallObject (a call without keyword arguments); on
3.10-3.12 the code compiles as upstream's does.

Only building the wheel needs the sources: metadata needs no download. The release is
fetched with `python -m pip download`, so pip's configuration (index, proxy,
certificates) applies. Without access to an index, put durable_rules-2.0.28.tar.gz
(from https://pypi.org/project/durable-rules/2.0.28/#files) in this folder: it is used
instead, after the same sha256 check.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext as _build_ext
from setuptools.command.build_py import build_py as _build_py

HERE = Path(__file__).resolve().parent
RELEASE = "durable-rules==2.0.28"
SDIST = "durable_rules-2.0.28.tar.gz"
SHA256 = "053b26f5e48d312d4fa27995243f954671be6eece477f150c059c364eb4d7d61"
TOP = "durable_rules-2.0.28"  # the folder the sdist unpacks to
# Where the sources go, relative to this folder (setuptools wants relative paths);
# build/ is where setuptools builds anyway, and it is ignored by git.
SRC = f"build/{TOP}"

_fetched = False


def fetch_sources() -> None:
    """Unpack the verified upstream sdist into SRC, once per build."""
    global _fetched
    if _fetched:
        return
    with tempfile.TemporaryDirectory(prefix="durable-rules-") as tmp:
        archive = HERE / SDIST
        if not archive.is_file():
            archive = _download(Path(tmp))
        digest = hashlib.sha256(archive.read_bytes()).hexdigest()
        if digest != SHA256:
            sys.exit(f"{archive}: sha256 {digest}, expected {SHA256} ({RELEASE} from PyPI)")
        target = HERE / SRC
        shutil.rmtree(target, ignore_errors=True)
        _extract(archive, target.parent)
    # Upstream's MIT notice goes with the package it covers.
    shutil.copyfile(HERE / SRC / "LICENSE", HERE / SRC / "libpy/durable/LICENSE")
    _fetched = True


def _download(dest: Path) -> Path:
    requirements = dest / "requirements.txt"
    requirements.write_text(f"{RELEASE} --hash=sha256:{SHA256}\n")
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
        # pip reads the sdist's metadata; the setuptools of this build does for that
        "--no-build-isolation",
        "--require-hashes", "--requirement", str(requirements), "--dest", str(dest),
        "--disable-pip-version-check", "--no-input", "--progress-bar", "off",
    ]
    print("fetching", RELEASE, "with:", " ".join(command), flush=True)
    if subprocess.run(command).returncode != 0:
        sys.exit(
            f"could not download {RELEASE} (see pip's message above); without access to "
            f"an index, put {SDIST} from PyPI in {HERE} and install again"
        )
    return dest / SDIST


def _extract(archive: Path, dest: Path) -> None:
    """Extract the sdist's regular files and folders, refusing any path that leaves it."""
    with tarfile.open(archive) as tar:
        members = []
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if member.name.startswith("/") or ".." in parts or not parts or parts[0] != TOP:
                sys.exit(f"{archive}: unexpected path {member.name!r}")
            if member.isfile() or member.isdir():
                members.append(member)
        if hasattr(tarfile, "data_filter"):  # 3.12, and 3.10.12 / 3.11.4 onwards
            tar.extractall(dest, members=members, filter="data")
        else:
            tar.extractall(dest, members=members)


class build_py(_build_py):
    def run(self):
        fetch_sources()
        super().run()

    def get_source_files(self):
        # Metadata (egg_info) lists the sources; before a build fetched them, there are none.
        return super().get_source_files() if (HERE / SRC).is_dir() else []


class build_ext(_build_ext):
    def run(self):
        fetch_sources()
        super().run()

    def build_extensions(self):
        if self.compiler.compiler_type != "msvc":
            for ext in self.extensions:
                # What upstream's setup.py puts in CFLAGS (which it overwrites), as
                # arguments: the user's CFLAGS still apply.
                ext.extra_compile_args[:0] = ["-std=c99"] + (["-fcommon"] if sys.platform == "darwin" else [])
        super().build_extensions()


define_macros = [("_GNU_SOURCE", None)]
if sys.version_info >= (3, 13):
    # Removed in 3.13. Up to 3.12 Python.h still defines it (as a call without keyword
    # arguments too), and defining it again there would only warn.
    define_macros.append(("PyEval_CallObject", "PyObject_CallObject"))

engine = Extension(
    "durable_rules_engine",
    sources=[f"{SRC}/src/rules/{name}.c" for name in ("json", "rete", "state", "events", "regex")]
    + [f"{SRC}/src/rulespy/rules.c"],
    include_dirs=[f"{SRC}/src/rules"],
    define_macros=define_macros,
)

setup(
    packages=["durable"],
    package_dir={"durable": f"{SRC}/libpy/durable"},
    package_data={"durable": ["LICENSE"]},
    ext_modules=[engine],
    cmdclass={"build_py": build_py, "build_ext": build_ext},
    # Compile every time: build/ stays in this folder between installs, and an object
    # built by another compiler or an earlier version of this file must not be reused.
    options={"build": {"force": True}},
)
