"""Build the PyEval_CallObject shim for durable-rules on Python 3.13 and later.

Everything else about the package is in pyproject.toml. See src/scenarios/_shim/.
"""

import sys

from setuptools import Distribution, Extension, setup


class PlatformDistribution(Distribution):
    """Tag every wheel for its Python version and platform, even one without the shim.

    A wheel built on 3.10-3.12 has no shim. Tagged py3-none-any, pip's wheel cache would
    reuse it on 3.13, where durable-rules cannot load without one.
    """

    def has_ext_modules(self):
        return True


ext_modules = []
if sys.version_info >= (3, 13):
    # Not optional: durable-rules needs the same C compiler, and a failed build should
    # stop the install rather than leave an engine that cannot load.
    ext_modules.append(
        Extension("scenarios._shim._pyeval", sources=["src/scenarios/_shim/pyeval_callobject.c"])
    )

setup(ext_modules=ext_modules, distclass=PlatformDistribution)
