"""Time and peak memory of the bundled case run in more and more worlds.

Usage: python benchmarks/worlds.py [--repeat 3]

The bundled case has 4 worlds (two contested attributes). Each extra fact here has
`present: {one_of: [true, false]}` (with p, as the case gives p), doubling the worlds: 4, 64 and 1,024. Every run is
a whole process (`scenarios run CASE --format json`); peak memory is its maximum RSS.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "cases" / "idlib-m4-2020-05.yaml"
SCENARIOS = Path(sys.executable).parent / "scenarios"


def case_with(extra: int) -> str:
    text = CASE.read_text()
    facts = "".join(
        f"  - {{id: report-{i:02}, type: rumour, date: 2020-05-20, present: {{one_of: [{{value: true, p: 0.5}}, {{value: false, p: 0.5}}]}}, text: Unconfirmed report {i}}}\n"
        for i in range(extra)
    )
    return text.rstrip("\n") + "\n" + facts


def measure(path: str) -> tuple[float, float]:
    """Wall seconds and peak MiB of one whole `scenarios run` process."""
    start = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M", str(SCENARIOS), "run", path, "-r", "idlib-m4", "--format", "json"],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return elapsed, int(proc.stderr.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for extra in (0, 4, 8):
            path = os.path.join(tmp, f"case-{extra}.yaml")
            Path(path).write_text(case_with(extra))
            runs = [measure(path) for _ in range(args.repeat)]
            rows.append((4 * 2**extra, statistics.median(t for t, _ in runs), max(m for _, m in runs)))
    print("| worlds | median s | s per world | peak MiB |")
    print("| ---: | ---: | ---: | ---: |")
    for worlds, t, peak in rows:
        print(f"| {worlds:,} | {t:.2f} | {t / worlds * 1000:.1f} ms | {peak:.0f} |")


if __name__ == "__main__":
    main()
