"""The analyst's workflow around a run: ruleset tests, diffs, what-ifs, starting files.

Each module is library code over `scenarios.api` and `scenarios.evaluate`: it returns
plain results (dataclasses) or raises `InputError`; the CLI (`cli_workflow.py`) prints
them through `render/workflow.py`.
"""
