"""A daily timeline over a year of a generated case against one run of the same case.

    .venv/bin/python benchmarks/timeline.py [--facts 10k] [--rules 10] [--repeat 3]

Both are whole processes of the product (start-up included): `scenarios run CASE` on
its last day, and `scenarios timeline CASE --from (last day - 364) --every 1d`, 365
days judged exactly. Prints the medians, their ratio (the goal: at most 10x) and what
a run a day would have cost (the run's median times 365).
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

SCENARIOS = str(Path(sys.executable).with_name("scenarios"))


def timed(argv: list) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.decode()[-2000:]}")
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facts", default="10k")
    parser.add_argument("--rules", type=int, default=10)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    n = generate.parse_size(args.facts)
    case, rules, _ = generate.generate(n, args.rules, args.seed, HERE / "out")
    since = (generate.AS_OF - datetime.timedelta(days=args.days - 1)).isoformat()
    run = [SCENARIOS, "run", str(case), "-r", str(rules), "--format", "json"]
    line = [SCENARIOS, "timeline", str(case), "-r", str(rules), "--from", since, "--every", "1d", "--format", "json"]
    runs, lines = [], []
    for _ in range(args.repeat):
        runs.append(timed(run))
        lines.append(timed(line))
    one, whole = statistics.median(runs), statistics.median(lines)
    print(f"{generate.size_label(n)} facts x {args.rules} rules, a timeline of {args.days} days, medians of {args.repeat} (whole processes)")
    print("| what | seconds | x one run |")
    print("| --- | ---: | ---: |")
    print(f"| scenarios run (the last day) | {one:.2f} | 1.00 |")
    print(f"| scenarios timeline, every day exact | {whole:.2f} | {whole / one:.2f} |")
    print(f"| a run a day ({args.days} runs, estimated) | {one * args.days:.1f} | {args.days:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
