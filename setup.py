"""scenarios' dependencies, computed here because one of them is a folder of the checkout.

durable-rules' PyPI release (2.0.28, its last) does not build or load on Python 3.13 with
current compilers, so scenarios depends on its own build of that release, engine/ (see
engine/setup.py). A dependency on a folder must be an absolute file URL, so it is made
from where this file is. Everything else about the package is in pyproject.toml.
"""

from pathlib import Path

from setuptools import setup

ENGINE = Path(__file__).resolve().parent / "engine"

setup(
    install_requires=[
        "click>=8.1",
        "pyyaml>=6.0",
        "rich>=13.0",
        # `==2.0.28` elsewhere still matches its version, 2.0.28+scenarios.1
        f"durable-rules @ {ENGINE.as_uri()}",
        "yaml-rs>=0.1.6",
        "google-re2>=1.1",
    ],
)
