"""Cases, and the worlds of a case, on an existing Dask cluster (`--dask ADDRESS`).

The only module that imports Dask's `distributed`, and only when a run asks for it:
the package works without the `dask` extra. Cluster workers need not share this
machine's files, so a case travels as text: the case file and every ruleset it uses
are found and read here, on the client, and parsed on a worker under their own file
names, so that a problem still names the user's file. Several cases: tasks of a few
cases each. One case: it runs here, and its worlds are the tasks (`map_worlds`).

durable-rules is not thread-safe: workers are meant to run one thread
(`dask worker --nthreads 1`), and a lock keeps a worker that runs more correct.
"""

from __future__ import annotations

import datetime
import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

from .errors import EngineError, InputError
from .worlds import DEFAULT_MAX_WORLDS

CONNECT_TIMEOUT = 10.0  # seconds to reach the scheduler and for it to answer
MAX_CASES_PER_TASK = 16
INLINE_BYTES = 256 * 1024  # a case text larger than this is scattered, not sent with its task
EXTRA = "pip install 'scenarios[dask]'"

# one engine host a process: tasks on a worker of several threads take turns
_ENGINE = threading.Lock()


class ClusterError(EngineError):
    """The cluster cannot run the work: the extra is missing, the scheduler does not
    answer, or the workers cannot run scenarios. The message says what to do."""


@dataclass(frozen=True)
class CaseWork:
    """One case as a worker gets it: file names and run options; the texts of the
    case and of its rulesets are passed beside it (scattered once to the cluster)."""

    file: str
    rulesets: tuple  # file names of the rulesets found, in order, each once
    named: Optional[tuple]  # the case's own ruleset ids as read here; None when -r was given
    problems: tuple  # finding or reading the rulesets; reported only for a sound case
    as_of: Any
    max_worlds: int
    explain_id: Optional[str]


# -- the client -----------------------------------------------------------------------


def _distributed():
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"--dask needs Dask's distributed package, which is not installed: {EXTRA}") from None
    return distributed


def run_cases(
    cases: Sequence[Optional[str]],
    address: str,
    rulesets: Sequence[str] = (),
    as_of=None,
    max_worlds: int = DEFAULT_MAX_WORLDS,
    explain_id: Optional[str] = None,
    progress: Optional[Callable[[int], None]] = None,
) -> list:
    """The outcome of each case, in order, as `batch._one` gives it, run on the cluster
    at `address`; `progress(n)` as cases finish. ClusterError when it cannot be used."""
    progress = progress or (lambda n: None)
    client = connect(address)
    try:
        if len(cases) == 1:
            outcome = _run_here(cases[0], rulesets, as_of, max_worlds, explain_id, WorldsOn(client))
            progress(1)
            return [outcome]
        return _run_there(client, cases, rulesets, as_of, max_worlds, explain_id, progress)
    except (OSError, TimeoutError) as exc:
        raise ClusterError(f"the Dask cluster at {address} stopped answering ({_one_line(exc)}); the run was abandoned") from None
    except _distributed().KilledWorker as exc:
        raise ClusterError(f"a worker of the Dask cluster at {address} died running a case ({_one_line(exc)}); the run was abandoned") from None
    finally:
        client.close()


def _run_here(case: Optional[str], rulesets, as_of, max_worlds, explain_id, map_worlds) -> tuple:
    """One case run in this process, its worlds spread over the cluster."""
    from .api import run_files

    try:
        return "ok", run_files(case, rulesets, as_of=as_of, max_worlds=max_worlds, explain_id=explain_id, map_worlds=map_worlds)
    except InputError as exc:
        return "error", exc.problems


def _run_there(client, cases, rulesets, as_of, max_worlds, explain_id, progress) -> list:
    """The cases in tasks of a few; outcomes in the order of the cases."""
    distributed = _distributed()
    outcomes: list = [None] * len(cases)
    packed = []  # (position, CaseWork, case text)
    ruleset_texts: dict = {}  # file name -> text, each ruleset read once
    for i, case in enumerate(cases):
        try:
            work, text = pack(case, rulesets, as_of, max_worlds, explain_id, ruleset_texts)
        except InputError as exc:
            outcomes[i] = ("error", exc.problems)
            progress(1)
            continue
        packed.append((i, work, text))
    if not packed:
        return outcomes
    # a ruleset that every case uses goes to the workers once, and so does a large
    # case (straight to a worker, not through the scheduler); small cases ride along
    names = sorted(ruleset_texts)
    shared = dict(zip(names, client.scatter([ruleset_texts[n] for n in names], hash=False)))
    large = [k for k, (_, _, text) in enumerate(packed) if len(text) > INLINE_BYTES]
    texts = [text for _, _, text in packed]
    for k, future in zip(large, client.scatter([texts[k] for k in large], hash=False) if large else []):
        texts[k] = future
    size = cases_per_task(len(packed), sum(client.nthreads().values()))
    run = os.urandom(6).hex()
    futures = {}
    for a in range(0, len(packed), size):
        part = range(a, min(a + size, len(packed)))
        works = [packed[k][1] for k in part]
        future = client.submit(run_batch, works, [texts[k] for k in part], [[shared[r] for r in w.rulesets] for w in works], key=f"scenarios-cases-{a}-{run}")
        futures[future] = [packed[k][0] for k in part]
    for future in distributed.as_completed(list(futures), loop=client.loop):
        positions = futures[future]
        for position, outcome in zip(positions, future.result()):
            outcomes[position] = outcome
        progress(len(positions))
    return outcomes


def cases_per_task(cases: int, threads: int) -> int:
    """How many cases a task runs: several, to spread the cost of a task (a few ms of
    scheduling and transfer, as much as a small case takes), yet at least 4 tasks a
    worker thread, so that one slow task leaves the others work to share."""
    return max(1, min(MAX_CASES_PER_TASK, cases // (4 * max(threads, 1))))


def pack(case: Optional[str], names: Sequence[str], as_of, max_worlds, explain_id, texts: dict) -> tuple:
    """(CaseWork, case text) for a case, with the rulesets it uses found as a plain
    run finds them and their texts added to `texts`; InputError when the case file
    cannot be read."""
    from .load import bundled_case, find_rulesets, read_text

    file = case or bundled_case()
    text = read_text(file)
    wanted = list(names) if names else _ruleset_ids(text, file)
    found: list = []
    problems: list = []
    for path, missing in find_rulesets(file, wanted, not names):
        if path is None:
            problems.extend(missing)
            continue
        try:
            if path not in texts:
                texts[path] = read_text(path)
            found.append(path)
        except InputError as exc:
            problems.extend(exc.problems)
    named = None if names else tuple(wanted)
    return CaseWork(file, tuple(found), named, tuple(problems), as_of, max_worlds, explain_id), text


def _ruleset_ids(text: str, file: str) -> list:
    """The ruleset ids a case names, read as the case parser reads them; none when the
    case cannot be read (the worker then reports why, as a plain run would)."""
    from .load import parse_text
    from .parse import as_key

    try:
        data = parse_text(text, file)
    except InputError:
        return []
    raw = data.get("rulesets") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        return []
    ids = [as_key(r) for r in raw]
    return [i for i in ids if i is not None]


def connect(address: str):
    """A client of the scheduler at `address`; ClusterError in one sentence when the
    address is not one, nothing answers within CONNECT_TIMEOUT, or no worker can run
    scenarios."""
    distributed = _distributed()
    _check_address(address)
    _reach(address)
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except Exception as exc:
        raise ClusterError(f"could not connect to the Dask scheduler at {address} ({_one_line(exc)})") from None
    try:
        _check_workers(client, address)
    except BaseException:
        client.close()
        raise
    return client


def _check_address(address: str) -> None:
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    try:
        scheme, location = parse_address(address, strict=False)
        get_backend(scheme)
        if scheme != "inproc":
            parse_host_port(location)
    except ValueError as exc:
        raise ClusterError(f"'{address}' is not the address of a Dask scheduler ({_one_line(exc)}): write it as tcp://HOST:PORT") from None


def _reach(address: str) -> None:
    """Refuse at once an address where nothing listens, and within CONNECT_TIMEOUT one
    that does not answer as a Dask scheduler would (a Client would wait for ever)."""
    import asyncio
    import socket

    from distributed.comm import connect as open_comm
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.security import Security

    scheme, location = parse_address(address, strict=False)
    if scheme in ("tcp", "tls", "ws", "wss"):
        host, port = parse_host_port(location)
        try:
            socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
        except OSError as exc:
            reason = "nothing listens there" if isinstance(exc, ConnectionRefusedError) else _one_line(exc)
            raise ClusterError(f"no Dask scheduler at {address}: {reason} (start one with `dask scheduler`, or check the address)") from None

    async def identity() -> dict:
        # tls:// takes its certificates from Dask's configuration, as a Client would
        tls = Security().get_connection_args("client")
        comm = await asyncio.wait_for(open_comm(address, timeout=CONNECT_TIMEOUT, **tls), CONNECT_TIMEOUT)
        try:
            await asyncio.wait_for(comm.write({"op": "identity"}), CONNECT_TIMEOUT)
            return await asyncio.wait_for(comm.read(), CONNECT_TIMEOUT)
        finally:
            comm.abort()

    try:
        answer = asyncio.run(identity())
    except Exception as exc:
        raise ClusterError(f"no Dask scheduler answered at {address} within {CONNECT_TIMEOUT:g} s ({_one_line(exc) or type(exc).__name__})") from None
    if not isinstance(answer, dict) or answer.get("type") != "Scheduler":
        raise ClusterError(f"what answers at {address} is not a Dask scheduler")


def _check_workers(client, address: str) -> None:
    from . import __version__

    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
    except Exception:
        raise ClusterError(f"the Dask scheduler at {address} has no workers: start some with `dask worker {address} --nthreads 1`") from None
    try:
        versions = client.run(_version)
    except Exception as exc:
        raise ClusterError(f"the workers at {address} cannot run scenarios ({_one_line(exc)}): install it on each, {EXTRA}") from None
    other = sorted({v for v in versions.values() if v != __version__})
    if other:
        raise ClusterError(f"the workers at {address} run scenarios {', '.join(other)} and this is {__version__}: install the same version on each")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


class WorldsOn:
    """`map_worlds` for `evaluate`: each part of the worlds a task on the cluster,
    results in order."""

    def __init__(self, client):
        self.client = client

    def __call__(self, fn: Callable, args_list) -> list:
        args_list = [tuple(a) for a in args_list]
        if not args_list:
            return []
        # what every task shares (the case, its rulesets) goes to the workers once
        width = len(args_list[0])
        shared = {
            i: self.client.scatter([args_list[0][i]], hash=False)[0]  # in a list: a tuple is one value
            for i in range(width)
            if not isinstance(args_list[0][i], _SMALL) and all(len(a) == width and _same(a[i], args_list[0][i]) for a in args_list)
        }
        tasks = [tuple(shared.get(i, v) for i, v in enumerate(a)) for a in args_list]
        run = os.urandom(6).hex()
        futures = [self.client.submit(_in_turn, fn, t, key=f"scenarios-worlds-{i}-{run}") for i, t in enumerate(tasks)]
        return self.client.gather(futures)


_SMALL = (type(None), bool, int, float, str, bytes, datetime.date, frozenset)


def _same(a, b) -> bool:
    """The same object, or tuples of the same objects (a tuple made anew for each task)."""
    if a is b:
        return True
    return isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) and all(x is y for x, y in zip(a, b))


# -- the workers ----------------------------------------------------------------------


def _version() -> str:
    from . import __version__

    return __version__


def _in_turn(fn: Callable, args):
    with _ENGINE:
        return fn(args)


def run_batch(works: list, texts: list, ruleset_texts: list) -> list:
    """The outcomes of `run_case` for several cases, in order."""
    return [run_case(w, t, r) for w, t, r in zip(works, texts, ruleset_texts)]


def run_case(work: CaseWork, text: str, ruleset_texts: list) -> tuple:
    """("ok", RunResult) or ("error", problems) for a case sent as text: what
    `api.run_files` gives for the case's files, reading none."""
    from .run import evaluate
    from .load import load_case_text, load_rulesets, no_rulesets

    with _ENGINE:
        try:
            case, warnings = load_case_text(text, work.file)
            problems = list(work.problems)
            if work.named is not None:
                if tuple(case.rulesets) != work.named:
                    raise EngineError(f"{work.file}: the case's rulesets were read differently on the client and on the worker")
                if not case.rulesets:
                    raise no_rulesets(case.file)
            loaded, more = load_rulesets(zip(work.rulesets, ruleset_texts), problems)
            if problems:
                raise InputError(problems)
            result = evaluate(case, loaded, as_of=work.as_of, max_worlds=work.max_worlds, explain_id=work.explain_id, warnings=warnings + more)
        except InputError as exc:
            return "error", exc.problems
    result.inputs = [case.file, *(rs.file for rs in loaded)]
    return "ok", result
