"""A C shim that lets durable-rules 2.0.28 load on Python 3.13 and later.

`pyeval_callobject.c` defines `PyEval_CallObject`, removed in 3.13. setup.py builds it
as `_pyeval` only on 3.13+, and `scenarios.engine` loads it before durable-rules.
"""
