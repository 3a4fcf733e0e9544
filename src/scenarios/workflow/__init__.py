"""The analyst's workflow around a run: ruleset tests, diffs, what-ifs, starting files,
ACLED imports.

Each module is library code over `scenarios.load` and `scenarios.run`: it returns plain
results (dataclasses) or raises `InputError`; the CLI (`cli/workflow.py`,
`cli/importers.py`) prints them through `render/workflow.py`.
"""
