"""Benchmark `scenarios run` against hand-written CLIPS and durable-rules peers.

    .venv/bin/python benchmarks/run.py [--sizes 1k,10k,100k] [--rules 10,100] [--repeat 3]

For each size and rule count: generate a case and a ruleset into `benchmarks/out/`
(`generate.py`, in a process of its own), then time whole processes (wall time, and peak RSS
from `/usr/bin/time`, GNU time's "Maximum resident set size"):

- the product: `scenarios run CASE -r RULES --format json`;
- `peer_clips.py --loader pyyaml` and `--loader yaml_rs` (CLIPS via clipspy);
- `peer_durable.py` (durable-rules, tuned as ENGINE-NOTES describes).

Each is run `--repeat` times (the order rotates between repeats) and the medians are
reported. All four must give every item the same status: otherwise DISAGREE is
printed and the exit status is 1. When the product disagrees with both peers (and the
peers agree), the input is shrunk and saved under `benchmarks/out/disagree-*`.

Also measured: CLI latency on the bundled case against a bare interpreter importing
the product's libraries. The tables go to `docs/benchmarks.md`, between the
`<!-- results -->` and `<!-- /results -->` markers, one block per distinct command
(a re-run of the same command replaces its block; `--fresh` drops the others).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402

BIN = Path(sys.executable).parent
PY = str(BIN / "python") if (BIN / "python").exists() else sys.executable
SCENARIOS = str(BIN / "scenarios")
DOC = ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- results -->", "<!-- /results -->"

TOOLS = [
    ("product", "scenarios run"),
    ("clips-pyyaml", "CLIPS + PyYAML"),
    ("clips-yaml_rs", "CLIPS + yaml_rs"),
    ("durable", "durable-rules"),
]


def command(tool: str, case: Path, rules: Path) -> list[str]:
    if tool == "product":
        return [SCENARIOS, "run", str(case), "-r", str(rules), "--format", "json"]
    if tool.startswith("clips-"):
        return [PY, str(HERE / "peer_clips.py"), str(case), str(rules), "--loader", tool.split("-", 1)[1]]
    if tool == "durable":
        return [PY, str(HERE / "peer_durable.py"), str(case), str(rules)]
    raise ValueError(tool)


@dataclass
class Proc:
    wall: float
    rss_mib: float
    rc: int
    stdout: str
    stderr: str
    timed_out: bool = False


TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def measure(argv: list[str], timeout: float) -> Proc:
    """Run argv as a whole process: wall time, and its peak RSS.

    The peak RSS comes from `/usr/bin/time -f %M` (GNU time, the same figure as `-v`'s
    "Maximum resident set size"). Taking it from this process's own `wait4` would not
    do: Python starts children with vfork, and Linux then carries this (larger)
    process's peak over into the child's `ru_maxrss` at exec. Without GNU time, wait4's
    figure is used, which is a floor of this process's own peak."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile("r") as rss:
        full = [TIME, "-f", "%M", "-o", rss.name, *argv] if TIME else argv
        t0 = time.perf_counter()
        proc = subprocess.Popen(full, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT, start_new_session=True)
        killed = []

        def kill():
            killed.append(True)
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the group of the process started here
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        rss_mib = usage.ru_maxrss / 1024
        if TIME:
            lines = [ln for ln in rss.read().splitlines() if ln.strip()]
            rss_mib = int(lines[-1]) / 1024 if lines and lines[-1].strip().isdigit() else float("nan")
        out.seek(0)
        err.seek(0)
        return Proc(wall, rss_mib, proc.returncode, out.read().decode(), err.read().decode(), bool(killed))


def statuses(tool: str, p: Proc) -> dict | None:
    if p.rc != 0 or p.timed_out:
        return None
    data = json.loads(p.stdout)
    if tool == "product":
        return {i["id"]: i["status"] for i in data["scenarios"] + data["indicators"]}
    return data


@dataclass
class Config:
    facts: int
    rules: int
    case: Path
    ruleset: Path
    expected: dict
    seed: int = 1
    runs: dict = field(default_factory=dict)  # tool -> [Proc]
    results: dict = field(default_factory=dict)  # tool -> statuses (None: failed)
    problems: list = field(default_factory=list)

    label_suffix: str = ""

    @property
    def label(self) -> str:
        return f"{generate.size_label(self.facts)} facts x {self.rules} rules" + self.label_suffix

    def median(self, tool: str, attr: str) -> float | None:
        runs = [p for p in self.runs.get(tool, []) if p.rc == 0 and not p.timed_out]
        if not runs:
            return None
        return statistics.median(getattr(p, attr) for p in runs)


def generate_files(n_facts: int, n_rules: int, seed: int, out: Path) -> tuple[Path, Path, Path]:
    """generate.py in a process of its own, so that this one stays small."""
    res = subprocess.run(
        [PY, str(HERE / "generate.py"), "--facts", str(n_facts), "--rules", str(n_rules), "--seed", str(seed), "-o", str(out), "--force"],
        capture_output=True, text=True, check=True,
    )
    case, ruleset, expected = (Path(p) for p in res.stdout.split())
    return case, ruleset, expected


# --- agreement ---------------------------------------------------------------------


def differences(a: dict, b: dict) -> list[str]:
    keys = sorted(set(a) | set(b))
    return [k for k in keys if a.get(k) != b.get(k)]


def check(cfg: Config) -> None:
    """Fill cfg.results and cfg.problems (DISAGREE, failures, nondeterminism)."""
    for tool, _ in TOOLS:
        outs = []
        for p in cfg.runs[tool]:
            if p.timed_out:
                cfg.problems.append(f"{tool}: timed out after {p.wall:.0f} s")
            elif p.rc != 0:
                cfg.problems.append(f"{tool}: exit status {p.rc}: {p.stderr.strip()[-2000:]}")
            else:
                outs.append(statuses(tool, p))
        cfg.results[tool] = outs[0] if outs else None
        if any(o != outs[0] for o in outs[1:]):
            cfg.problems.append(f"DISAGREE: {tool} gave different statuses in different repeats")
    got = {t: r for t, r in cfg.results.items() if r is not None}
    ref_tool = "clips-yaml_rs" if "clips-yaml_rs" in got else next(iter(got), None)
    for tool, res in got.items():
        if tool == ref_tool:
            continue
        diff = differences(got[ref_tool], res)
        if diff:
            cfg.problems.append(
                f"DISAGREE: {tool} vs {ref_tool} on {len(diff)} item(s): "
                + ", ".join(f"{k} ({res.get(k)} vs {got[ref_tool].get(k)}; plain-Python reference: {cfg.expected.get(k)})" for k in diff)
            )


def product_disagrees(case: Path, ruleset: Path, timeout: float) -> list[str] | None:
    """What is wrong with the product while both peers agree: the items whose status
    differs, or ["exit N: message"] when the product fails. None when nothing is wrong,
    or when the peers themselves fail or disagree."""
    res, procs = {}, {}
    for tool in ("clips-yaml_rs", "durable", "product"):
        procs[tool] = p = measure(command(tool, case, ruleset), timeout)
        res[tool] = statuses(tool, p)
        if res[tool] is None and tool != "product":
            return None
    if res["clips-yaml_rs"] != res["durable"]:
        return None
    if res["product"] is None:
        p = procs["product"]
        return [f"product {'timed out' if p.timed_out else f'exit {p.rc}'}: {p.stderr.strip()[-300:]}"]
    return differences(res["product"], res["durable"]) or None


def ddmin(units: list, still_bad, deadline: float) -> list:
    """Zeller's delta debugging, simplified: drop chunks of units while still_bad holds."""
    n = 2
    while len(units) >= 2 and time.monotonic() < deadline:
        chunk = max(len(units) // n, 1)
        for start in range(0, len(units), chunk):
            if time.monotonic() >= deadline:
                return units
            candidate = units[:start] + units[start + chunk :]
            if candidate and still_bad(candidate):
                units = candidate
                n = max(n - 1, 2)
                break
        else:
            if chunk == 1:
                break
            n = min(n * 2, len(units))
    return units


def shrink(cfg: Config, timeout: float, budget_s: float) -> Path:
    """Save the smallest input found (within a time budget) on which the product
    disagrees with both peers, or fails where they do not: first the items involved,
    then delta debugging over facts, over items, and over facts again."""
    import yaml

    stem = f"disagree-{generate.size_label(cfg.facts)}-r{cfg.rules}-s{cfg.seed}"
    work = HERE / "out" / stem
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    deadline = time.monotonic() + budget_s
    raw_rules = yaml.safe_load(cfg.ruleset.read_text())
    case_lines = cfg.case.read_text().splitlines()
    head = [ln for ln in case_lines if not ln.startswith("  - ")]
    facts = [ln for ln in case_lines if ln.startswith("  - ")]
    rules_path, case_path = work / "rules.yaml", work / "case.yaml"
    items = [("indicators", i) for i in raw_rules.get("indicators") or []] + [("scenarios", i) for i in raw_rules.get("scenarios") or []]

    def refs(item) -> set:
        out = set()
        for c in (item["when"].get("all") or []) if isinstance(item["when"], dict) else []:
            ref = c.get("indicator") or (c.get("not") or {}).get("indicator")
            if ref:
                out.add(ref)
        return out

    def ruleset_of(chosen) -> dict:
        ids = {i["id"] for _k, i in chosen}
        chosen = [(k, i) for k, i in chosen if refs(i) <= ids]  # keep references valid
        rules = {k: v for k, v in raw_rules.items() if k not in ("indicators", "scenarios")}
        for key in ("indicators", "scenarios"):
            rules[key] = [i for k, i in chosen if k == key]
        if not rules["scenarios"]:
            del rules["scenarios"]
        if not rules["indicators"]:
            del rules["indicators"]
        return rules

    def write(chosen, fact_lines):
        rules_path.write_text(yaml.safe_dump(ruleset_of(chosen), sort_keys=False, default_flow_style=None, width=200))
        case_path.write_text("\n".join(head + fact_lines) + "\n")

    def bad(chosen, fact_lines) -> bool:
        write(chosen, fact_lines)
        return bool(product_disagrees(case_path, rules_path, timeout))

    write(items, facts)
    diff = product_disagrees(case_path, rules_path, timeout)
    if not diff:
        (work / "NOTE.txt").write_text("the disagreement did not reproduce when re-run\n")
        return work
    involved = {d for d in diff if not d.startswith("product ")}
    if involved:  # the items that differ, and the indicators they refer to
        keep = set(involved)
        for _k, i in items:
            if i["id"] in involved:
                keep |= refs(i)
        small = [(k, i) for k, i in items if i["id"] in keep]
        if bad(small, facts):
            items = small
    facts = ddmin(facts, lambda f: bad(items, f), deadline)
    items = ddmin(items, lambda c: bad(c, facts), deadline)
    facts = ddmin(facts, lambda f: bad(items, f), deadline)
    write(items, facts)
    diff = product_disagrees(case_path, rules_path, timeout) or []
    if not diff:
        (work / "NOTE.txt").write_text(
            f"The problem seen on {cfg.label} stopped reproducing while it was being shrunk "
            "(did the product's source change?). The inputs here are the last ones tried.\n"
        )
        return work
    for tool in ("product", "clips-yaml_rs", "durable"):
        p = measure(command(tool, case_path, rules_path), timeout)
        (work / f"{tool}.out").write_text(p.stdout + ("\n--- stderr\n" + p.stderr if p.stderr else ""))
    what = "fails where both peers agree" if any(d.startswith("product ") for d in diff) else "disagrees with both peers"
    (work / "NOTE.txt").write_text(
        f"The product {what}: {'; '.join(diff)}\n"
        f"Shrunk from {cfg.label} to {len(items)} item(s) and {len(facts)} fact(s)"
        f"{' (time budget reached: maybe not minimal)' if time.monotonic() >= deadline else ''}; reproduce with\n"
        f"  .venv/bin/scenarios run {case_path.relative_to(ROOT)} -r {rules_path.relative_to(ROOT)} --format json\n"
        f"  .venv/bin/python benchmarks/peer_clips.py {case_path.relative_to(ROOT)} {rules_path.relative_to(ROOT)}\n"
        f"  .venv/bin/python benchmarks/peer_durable.py {case_path.relative_to(ROOT)} {rules_path.relative_to(ROOT)}\n"
    )
    return work


# --- reporting ----------------------------------------------------------------------


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    from importlib import metadata

    versions = {}
    for dist in ("durable_rules", "clipspy", "yaml_rs", "PyYAML"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "-"
    try:
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"], capture_output=True, text=True).stdout.strip()
        rev = rev + (" + uncommitted changes in src/" if dirty else "")
    except OSError:
        rev = "unknown"
    return {
        "nproc": os.cpu_count(),
        "memory": mem,
        "cpu": cpu,
        "python": platform.python_version(),
        "versions": versions,
        "commit": rev,
    }


def source_digest() -> str:
    """A digest of the product's source, to notice it changing during a run (it is
    installed editable, and others work on it at the same time)."""
    import hashlib

    h = hashlib.sha1()
    for path in sorted((ROOT / "src").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(str(path.relative_to(ROOT)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


def fmt_s(v):
    return "-" if v is None else (f"{v:.2f} s" if v < 10 else f"{v:.1f} s")


def fmt_mib(v):
    return "-" if v is None else f"{v:.0f} MiB"


def fmt_ratio(a, b):
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}"


def tables(configs: list[Config]) -> str:
    peers = TOOLS[1:]
    head = ["case"] + [name for _, name in TOOLS] + [f"product / {name}" for _, name in peers] + ["statuses"]
    rows_t, rows_m = [], []
    for c in configs:
        failed = [t for t, r in c.results.items() if r is None]
        agree = "DISAGREE" if any(p.startswith("DISAGREE") for p in c.problems) else (
            "agree" if not failed else ("peers agree, " if "product" in failed and len(failed) == 1 else "") + " and ".join(failed) + " failed"
        )
        res = c.results.get("product") or c.results.get("clips-yaml_rs") or {}
        trig = sum(v == "triggered" for v in res.values())
        status = f"{agree} ({trig}/{len(res)} triggered)"
        t = {tool: c.median(tool, "wall") for tool, _ in TOOLS}
        m = {tool: c.median(tool, "rss_mib") for tool, _ in TOOLS}
        rows_t.append([c.label] + [fmt_s(t[x]) for x, _ in TOOLS] + [fmt_ratio(t["product"], t[x]) for x, _ in peers] + [status])
        rows_m.append([c.label] + [fmt_mib(m[x]) for x, _ in TOOLS] + [fmt_ratio(m["product"], m[x]) for x, _ in peers] + [status])

    def md(title, rows):
        lines = [title, "", "| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 2) + ["---"]) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(lines)

    return md("Wall time, median of whole-process runs (ratios: product / peer; above 1 the product is slower)", rows_t) + "\n\n" + md(
        "Peak resident memory (`/usr/bin/time` maximum resident set size), median", rows_m
    )


def latency(n: int) -> dict:
    # The package byte-compiled, as `pip install .` (the README's first command) leaves
    # it: an editable install under PYTHONDONTWRITEBYTECODE compiles every module on
    # every run (about 30 ms here), which the dependencies, installed compiled, never do.
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "src" / "scenarios")], check=True, capture_output=True)
    prod = [measure([SCENARIOS, "run", "--format", "json"], 120) for _ in range(n)]
    rich = [measure([SCENARIOS, "run", "--width", "100"], 120) for _ in range(n)]
    bare = [measure([PY, "-c", "import click, yaml, rich, durable.lang"], 120) for _ in range(n)]
    for p in prod + rich + bare:
        if p.rc != 0:
            raise SystemExit(f"latency run failed: {p.stderr}")
    return {
        "n": n,
        "product": statistics.median(p.wall for p in prod),
        "rich": statistics.median(p.wall for p in rich),
        "bare": statistics.median(p.wall for p in bare),
        "product_rss": statistics.median(p.rss_mib for p in prod),
        "rich_rss": statistics.median(p.rss_mib for p in rich),
        "bare_rss": statistics.median(p.rss_mib for p in bare),
    }


def latency_table(lat: dict) -> str:
    return "\n".join(
        [
            f"CLI latency, median of {lat['n']} runs",
            "",
            "| command | wall | peak RSS |",
            "|---|---:|---:|",
            f"| `scenarios run --format json` (bundled Idlib case) | {lat['product'] * 1000:.0f} ms | {lat['product_rss']:.0f} MiB |",
            f"| `scenarios run` (the terminal report, Rich) | {lat['rich'] * 1000:.0f} ms | {lat['rich_rss']:.0f} MiB |",
            f"| `python -c \"import click, yaml, rich, durable.lang\"` | {lat['bare'] * 1000:.0f} ms | {lat['bare_rss']:.0f} MiB |",
            f"| ratio to the bare imports: JSON, terminal | {lat['product'] / lat['bare']:.2f}x, {lat['rich'] / lat['bare']:.2f}x | |",
        ]
    )


def block(cmdline: str, mach: dict, started: str, load: tuple, configs: list[Config], lat: dict | None, notes: list[str], extra: str = "") -> str:
    v = mach["versions"]
    lines = [
        f"### `{cmdline}`",
        "",
        f"Run {started}, product at commit {mach['commit']}. Machine: {mach['nproc']} CPUs "
        f"({mach['cpu']}), {mach['memory']} memory, Python {mach['python']}; durable_rules {v['durable_rules']}, "
        f"clipspy {v['clipspy']}, yaml_rs {v['yaml_rs']}, PyYAML {v['PyYAML']}. "
        f"Peak RSS by {'GNU time' if TIME else 'wait4'}. Load average at start / end: {load[0]:.1f} / {load[1]:.1f} (other work on the machine inflates absolute "
        "times: compare the ratios, taken within one run).",
        "",
        tables(configs),
    ]
    if lat:
        lines += ["", latency_table(lat)]
    if extra:
        lines += ["", extra]
    if notes:
        lines += ["", "Problems:", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines)


def write_doc(key: str, text: str, fresh: bool) -> None:
    DOC.parent.mkdir(exist_ok=True)
    if DOC.exists():
        doc = DOC.read_text()
    else:
        doc = "# Benchmarks\n\nSee `benchmarks/run.py`.\n\n" + BEGIN + "\n" + END + "\n"
    if BEGIN not in doc or END not in doc:
        doc = doc.rstrip("\n") + "\n\n" + BEGIN + "\n" + END + "\n"
    pre, rest = doc.split(BEGIN, 1)
    section, post = rest.split(END, 1)
    blocks = re.findall(r"<!-- run: (.*?) -->\n(.*?)<!-- /run -->\n", section, flags=re.S)
    kept = [] if fresh else [(k, b) for k, b in blocks if k != key]
    kept.append((key, text.rstrip("\n") + "\n"))
    body = "".join(f"<!-- run: {k} -->\n{b}<!-- /run -->\n" for k, b in kept)
    DOC.write_text(pre + BEGIN + "\n" + body + END + post)


# --- main ---------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1k,10k,100k", help="numbers of facts (comma-separated; k and m suffixes)")
    ap.add_argument("--rules", default="10", help="numbers of rules (comma-separated)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=900, help="seconds per process")
    ap.add_argument("--latency-runs", type=int, default=10, help="0 to skip the CLI latency measurement")
    ap.add_argument("--shrink-budget", type=float, default=300, help="seconds spent shrinking a disagreement")
    ap.add_argument("--check-seeds", type=int, default=0, metavar="N",
                    help="before timing, also check the product against both peers (untimed) on N more seeds "
                         "of the smallest size, for every rule count")
    ap.add_argument("--rules-of", metavar="SIZE",
                    help="run every size with the ruleset generated for SIZE (e.g. 100k), so that time per fact "
                         "compares like with like: the generator fits each ruleset's thresholds to its own case")
    ap.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    ap.add_argument("--fresh", action="store_true", help="drop the results of other commands from docs/benchmarks.md")
    args = ap.parse_args(argv)
    sizes = [generate.parse_size(s) for s in args.sizes.split(",") if s.strip()]
    rule_counts = [int(r) for r in args.rules.split(",") if r.strip()]
    opts = " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    cmdline = (".venv/bin/python benchmarks/run.py " + opts).strip()
    started = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    load0 = os.getloadavg()[0]
    mach = machine()
    digest0 = source_digest()
    print(f"# {cmdline}")
    print(f"# {mach['nproc']} CPUs ({mach['cpu']}), {mach['memory']}, Python {mach['python']}, load {load0:.1f}", flush=True)

    out = HERE / "out"
    configs: list[Config] = []
    checks: list[Config] = []  # untimed agreement checks on more seeds
    for seed in range(args.seed + 1, args.seed + 1 + args.check_seeds):
        for n_rules in rule_counts:
            case, ruleset, expected = generate_files(min(sizes), n_rules, seed, out)
            cfg = Config(min(sizes), n_rules, case, ruleset, json.loads(expected.read_text()), seed)
            cfg.runs = {tool: [measure(command(tool, case, ruleset), args.timeout)] for tool, _ in TOOLS}
            check(cfg)
            print(f"check seed {seed}: {cfg.label}: " + ("; ".join(cfg.problems) or "all four agree"), flush=True)
            cfg.label_suffix = f" (seed {seed})"
            checks.append(cfg)
    for n_facts in sizes:
        for n_rules in rule_counts:
            case, ruleset, expected = generate_files(n_facts, n_rules, args.seed, out)
            cfg = Config(n_facts, n_rules, case, ruleset, json.loads(expected.read_text()), args.seed)
            if args.rules_of:
                shared_size = generate.parse_size(args.rules_of)
                if shared_size != n_facts:
                    _, ruleset, _ = generate_files(shared_size, n_rules, args.seed, out)
                cfg.ruleset = ruleset
                cfg.label_suffix = f" (rules of {generate.size_label(shared_size)})"
                cfg.expected = {}  # the plain-Python reference is for the case's own ruleset
            cfg.runs = {tool: [] for tool, _ in TOOLS}
            for rep in range(args.repeat):
                order = TOOLS[rep % len(TOOLS) :] + TOOLS[: rep % len(TOOLS)]
                for tool, _ in order:
                    p = measure(command(tool, case, ruleset), args.timeout)
                    cfg.runs[tool].append(p)
                    state = "timeout" if p.timed_out else ("ok" if p.rc == 0 else f"exit {p.rc}")
                    print(f"{cfg.label:<26} {tool:<14} run {rep + 1}: {p.wall:7.2f} s {p.rss_mib:7.0f} MiB  {state}", flush=True)
            check(cfg)
            for prob in cfg.problems:
                print(("!!! " if prob.startswith("DISAGREE") else "! ") + prob, flush=True)
            configs.append(cfg)

    notes: list[str] = []
    for cfg in configs + checks:
        for p in dict.fromkeys(cfg.problems):  # once each, in order
            n = sum(q == p for q in cfg.problems)
            notes.append(f"{cfg.label}: {p}" + (f" (x{n})" if n > 1 else ""))
    if checks:
        ok = sum(not c.problems for c in checks)
        extra = (f"Agreement also checked, untimed, on {len(checks)} more generated inputs "
                 f"({generate.size_label(min(sizes))} facts, seeds {args.seed + 1}-{args.seed + args.check_seeds}, "
                 f"{args.rules} rules): {ok} of {len(checks)} agree.")
    else:
        extra = ""
    # the product against both peers: keep the smallest input (shrunk)
    bad = [c for c in configs + checks if c.results.get("durable") is not None and c.results["durable"] == c.results.get("clips-yaml_rs")
           and (c.results.get("product") is None or differences(c.results["product"], c.results["durable"]))]
    if bad and args.shrink_budget > 0:
        smallest = min(bad, key=lambda c: (c.facts, c.rules))
        print(f"\n!!! the product disagrees with both peers (or fails) on {smallest.label}: shrinking (up to {args.shrink_budget:.0f} s)", flush=True)
        where = shrink(smallest, args.timeout, args.shrink_budget)
        note = (where / "NOTE.txt").read_text()
        print(f"!!! saved under {where.relative_to(ROOT)}:\n{note}", flush=True)
        notes.append(f"smallest failing input saved under `{where.relative_to(ROOT)}`: {note.splitlines()[0]} {note.splitlines()[1] if len(note.splitlines()) > 1 else ''}")

    lat = latency(args.latency_runs) if args.latency_runs > 0 else None
    if source_digest() != digest0:
        notes.append("the product's source (src/) changed during this run: its timings mix two versions; run again")
        print("! the product's source (src/) changed during this run: its timings mix two versions", flush=True)
    load1 = os.getloadavg()[0]
    print()
    print(tables(configs))
    if lat:
        print()
        print(latency_table(lat))
    if extra:
        print()
        print(extra)
    results = {
        "command": cmdline,
        "started": started,
        "machine": mach,
        "load": [load0, load1],
        "latency": lat,
        "configs": [
            {
                "facts": c.facts,
                "rules": c.rules,
                "runs": {t: [{"wall": p.wall, "rss_mib": p.rss_mib, "rc": p.rc} for p in ps] for t, ps in c.runs.items()},
                "statuses": c.results,
                "expected": c.expected,
                "problems": c.problems,
            }
            for c in configs
        ],
    }
    (out / f"results-{datetime.datetime.now().strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(results, indent=1))
    if not args.no_doc:
        key = f"--sizes {args.sizes} --rules {args.rules} --repeat {args.repeat}" + (f" --seed {args.seed}" if args.seed != 1 else "")
        write_doc(key, block(cmdline, mach, started, (load0, load1), configs, lat, notes, extra), args.fresh)
        print(f"\nwrote {DOC.relative_to(ROOT)}")
    disagree = [n for n in notes if "DISAGREE" in n or "disagrees" in n or "smallest failing input" in n]
    failed = [n for n in notes if n not in disagree and "changed during this run" not in n]
    if disagree:
        print("\n" + "!" * 72 + "\nDISAGREE: the product and the peers do not give the same statuses:")
        for n in disagree:
            print("  " + n)
        print("!" * 72)
        return 1
    if failed:
        print("\nsome runs failed:\n  " + "\n  ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
