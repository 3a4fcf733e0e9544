"""Time `scenarios run` plain, with `--jobs 2` and with `--dask` on a local cluster.

Usage: python benchmarks/cluster.py [--cases 200] [--medium 24] [--repeat 3]

Starts a cluster as docs/scaling.md says to start one, on this machine only
(`dask scheduler` on 127.0.0.1 and `dask worker --nworkers 2 --nthreads 1`), then
times whole `scenarios run` processes, start-up and connecting included:

- many small cases: copies of the bundled case, each under its own id and `as_of`
  (4 worlds each, the bundled idlib-m4 ruleset), plain, `--jobs 2` and `--dask`;
- fewer, larger cases: copies of the bundled case in 64 worlds, the same three ways;
- one case in 4 worlds (what `--dask` costs when there is nothing to spread) and in
  1,024 worlds (the bundled case with `one_of` facts added, as `worlds.py` builds it),
  plain and `--dask` (its worlds as tasks of 64).

Every form must give the same bytes of JSON as the plain run, or the script says so
and exits 1. Prints a Markdown table: medians and best of `--repeat` runs, the forms
taking turns so that other work on the machine falls on all of them alike.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "cases" / "idlib-m4-2020-05.yaml"
BIN = Path(sys.executable).parent
SCENARIOS = str(BIN / "scenarios")
DASK = str(BIN / "dask")

sys.path.insert(0, str(Path(__file__).resolve().parent))
from worlds import case_with  # the same many-world case as worlds.py builds


def copies(folder: Path, n: int, extra: int = 0) -> list:
    """N copies of the bundled case (in 4 * 2**extra worlds), each with its own id and
    an as_of of its own."""
    text = case_with(extra)
    start = datetime.date(2020, 5, 20)
    paths = []
    for i in range(n):
        day = start + datetime.timedelta(days=i % 40)
        body = text.replace("case: idlib-m4-2020-05", f"case: idlib-m4-copy-{i:04}").replace("as_of: 2020-05-29", f"as_of: {day}")
        path = folder / f"copy-{extra}-{i:04}.yaml"
        path.write_text(body)
        paths.append(str(path))
    return paths


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A scheduler and two one-thread workers on this machine, stopped on exit."""

    def __init__(self, workers: int = 2):
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.workers = workers
        self.processes: list = []

    def __enter__(self) -> "Cluster":
        port = self.address.rsplit(":", 1)[1]
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        self.processes.append(subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"], **quiet))
        self.processes.append(subprocess.Popen([DASK, "worker", self.address, "--nworkers", str(self.workers), "--nthreads", "1", "--no-dashboard"], **quiet))
        from distributed import Client

        with Client(self.address, timeout=30) as client:
            client.wait_for_workers(self.workers, timeout=60)
        return self

    def __exit__(self, *exc) -> None:
        for p in reversed(self.processes):
            p.terminate()
        for p in self.processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def timed(args: list) -> tuple:
    """Wall seconds and standard output of one whole `scenarios run` process."""
    start = time.perf_counter()
    proc = subprocess.run([SCENARIOS, "run", *args, "--format", "json"], capture_output=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"scenarios run {' '.join(args[-3:])} failed:\n{proc.stderr.decode()}")
    return elapsed, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200, help="small cases (4 worlds each)")
    parser.add_argument("--medium", type=int, default=24, help="larger cases (64 worlds each)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows, differ = [], []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, Cluster() as cluster:
        folder = Path(tmp)
        sets = [
            (f"{args.cases:,} cases of 4 worlds", copies(folder, args.cases)),
            (f"{args.medium:,} cases of 64 worlds", copies(folder, args.medium, 4)),
        ]
        forms = []
        for what, cases in sets:
            if not cases:
                continue
            forms.append((what, "plain", cases))
            forms.append((what, "--jobs 2", [*cases, "--jobs", "2"]))
            forms.append((what, "--dask", [*cases, "--dask", cluster.address]))
        for extra, count in ((0, 4), (8, 1024)):
            path = folder / f"worlds-{count}.yaml"
            path.write_text(case_with(extra))
            forms.append((f"1 case of {count:,} worlds", "plain", [str(path)]))
            forms.append((f"1 case of {count:,} worlds", "--dask", [str(path), "--dask", cluster.address]))
        # the forms take turns, so that other work on the machine falls on all of them
        times: dict = {k: [] for k in range(len(forms))}
        outputs: dict = {}
        for _ in range(args.repeat):
            for k, (_, _, run_args) in enumerate(forms):
                seconds, out = timed(run_args)
                times[k].append(seconds)
                outputs.setdefault(k, set()).add(out)
        plain: dict = {}
        for k, (what, how, _) in enumerate(forms):
            if how == "plain":
                plain[what] = (statistics.median(times[k]), outputs[k])
                if len(outputs[k]) != 1:
                    differ.append(f"{what} plain (from one run to the next)")
            elif outputs[k] != plain[what][1] or len(outputs[k]) != 1:
                differ.append(f"{what} {how}")
            rows.append((what, how, statistics.median(times[k]), min(times[k]), plain[what][0] / statistics.median(times[k])))
    print(
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, medians of {args.repeat} whole processes; "
        f"cluster: 1 scheduler and 2 one-thread workers on this machine; load average at start / end: {load:.1f} / {os.getloadavg()[0]:.1f}"
    )
    print()
    print("| run | how | median s | best s | speed-up on plain (medians) |")
    print("| --- | --- | ---: | ---: | ---: |")
    for what, how, seconds, best, ratio in rows:
        print(f"| {what} | {how} | {seconds:.2f} | {best:.2f} | {ratio:.2f}x |")
    if differ:
        print(f"\nNOT THE SAME BYTES as the plain run: {', '.join(differ)}")
        raise SystemExit(1)
    print("\nEvery form gave the same bytes of JSON as the plain run.")


if __name__ == "__main__":
    main()
