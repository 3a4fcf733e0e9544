"""Many cases at once: in this process, in parallel worker processes, or on a Dask
cluster (`cluster.py`).

durable-rules is not thread-safe, so parallel runs are processes, each with its own
engine host. Results come back in the order the cases were given.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, Optional, Sequence

from .errors import EngineError, InputError
from .worlds import DEFAULT_MAX_WORLDS


def _worker_started(parent: int) -> None:
    """A worker dies with its parent, however the parent ends (even SIGKILL, on
    Linux), and leaves Ctrl-C and SIGTERM to it: the parent ends the workers."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            PR_SET_PDEATHSIG = 1
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _end(pool) -> None:
    """Stop the workers now: interrupted or terminated, a run takes them with it.
    The executor has no public way to stop a worker in the middle of a case."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        if p.is_alive():
            p.terminate()
    for p in processes:
        p.join(timeout=10)


def _one(args: tuple):
    """Run one case; problems travel back as values (exceptions pickle badly)."""
    from .api import run_files

    case, rulesets, as_of, max_worlds, explain_id = args
    try:
        return "ok", run_files(case, rulesets, as_of=as_of, max_worlds=max_worlds, explain_id=explain_id)
    except InputError as exc:
        return "error", exc.problems


def run_cases(
    cases: Sequence[Optional[str]],
    rulesets: Sequence[str] = (),
    as_of=None,
    max_worlds: int = DEFAULT_MAX_WORLDS,
    explain_id: Optional[str] = None,
    jobs: int = 1,
    progress: Optional[Callable[[int], None]] = None,
    dask: Optional[str] = None,
) -> tuple[list, list]:
    """(results, problems) for the cases, in order; `progress(n)` after each case.
    With `dask`, the address of a Dask scheduler, they run on that cluster."""
    work = [(c, tuple(rulesets), as_of, max_worlds, explain_id) for c in cases]
    outcomes: list = []
    if dask is not None:
        from .cluster import run_cases as on_cluster

        outcomes = on_cluster(cases, dask, rulesets, as_of=as_of, max_worlds=max_worlds, explain_id=explain_id, progress=progress)
    elif jobs <= 1 or len(work) <= 1:
        for w in work:
            outcomes.append(_one(w))
            if progress:
                progress(1)
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
        pool = ProcessPoolExecutor(max_workers=min(jobs, len(work)), mp_context=context, initializer=_worker_started, initargs=(os.getpid(),))
        try:
            for outcome in pool.map(_one, work):
                outcomes.append(outcome)
                if progress:
                    progress(1)
        except BrokenProcessPool:  # (multiprocessing.Pool waited forever for a dead worker's case)
            raise EngineError("a worker process died while running the cases (a crash in the rules engine?): run each case alone to see which") from None
        finally:
            _end(pool)
    results, problems = [], []
    for kind, value in outcomes:
        if kind == "ok":
            results.append(value)
        else:
            problems.extend(value)
    return results, problems
