"""Time `scenarios run` on rulesets of many fact types and long chains of indicators.

    .venv/bin/python benchmarks/many_types.py [--types 1000,2000] [--repeat 3]

For each number of types T: a case of 10 facts of each type (`t0`..`t{T-1}`, attribute
`x` from 0 to 9) and a ruleset of T indicators (`i{k}`: a fact of type `t{k}` with
`x: k % 10`, within 365 days), a scenario over every tenth indicator, and a chain of T
indicators each referring to the one before (`c0` on `t0`). Past 508 types durable-rules'
root node would be full (it hangs at 512 tests under one node): the product puts the
types under buckets (`compile.bucket_types`). The statuses are checked against what
the case says plainly (every `i` and `c` triggered, the scenario too), then the wall
time of whole processes is printed, median of `--repeat` runs. No peer: the CLIPS and
durable-rules peers are written for the benchmark's attack/group rules.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCENARIOS = str(Path(sys.executable).parent / "scenarios")


def case_text(types: int) -> str:
    lines = ["case: many-types", "as_of: 2020-12-31", "facts:"]
    for k in range(types):
        for x in range(10):
            lines.append(f"  - {{id: f{k}-{x}, type: t{k}, date: 2020-{1 + x:02d}-15, x: {x}}}")
    return "\n".join(lines) + "\n"


def rules_text(types: int) -> str:
    lines = ["ruleset: many-types", "indicators:"]
    for k in range(types):
        lines.append(f"  - {{id: i{k}, when: {{match: t{k}, where: {{x: {k % 10}}}, within: 365d}}}}")
    lines.append("  - {id: c0, when: {match: t0}}")
    for k in range(1, types):
        lines.append(f"  - {{id: c{k}, when: {{indicator: c{k - 1}}}}}")
    lines.append("scenarios:")
    lines.append("  - id: every-tenth")
    lines.append("    when:")
    lines.append("      all:")
    for k in range(0, types, max(1, types // 10)):
        lines.append(f"        - {{indicator: i{k}}}")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--types", default="1000,2000")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for types in (int(t) for t in args.types.split(",")):
            case, rules = Path(tmp, f"case-{types}.yaml"), Path(tmp, f"rules-{types}.yaml")
            case.write_text(case_text(types))
            rules.write_text(rules_text(types))
            walls = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                done = subprocess.run([SCENARIOS, "run", str(case), "-r", str(rules), "--format", "json"], capture_output=True, text=True)
                walls.append(time.perf_counter() - started)
                if done.returncode not in (0, 1):
                    print(done.stderr[-2000:], file=sys.stderr)
                    return 1
            data = json.loads(done.stdout)
            got = {i["id"]: i["status"] for i in data["indicators"] + data["scenarios"]}
            wrong = [iid for iid, status in got.items() if status != "triggered"]
            rows.append((types, len(got), types * 10, statistics.median(walls), "agree" if not wrong and len(got) == 2 * types + 1 else f"DISAGREE: {wrong[:5]}"))
    print("| fact types | items | facts | `scenarios run`, wall median | statuses |")
    print("|---:|---:|---:|---:|---|")
    for types, items, facts, wall, verdict in rows:
        print(f"| {types:,} | {items:,} | {facts:,} | {wall:.2f} s | {verdict} |")
    return 0 if all(r[4] == "agree" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
