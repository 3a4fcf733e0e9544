"""The one module that talks to durable-rules: the host, its rulesets, its sessions.

One host per process. Each compiled program is registered once, under a name derived
from its content; each evaluation (a world of a case) runs in a session of its own,
deleted afterwards. Case facts go in batches of BATCH, a size the 100,000-fact test proves loses no
firing (ENGINE-NOTES measured larger batches silently losing some); derived facts
and stratum markers go in one `assert_fact` at a time.
"""

from __future__ import annotations

import itertools
import json
import sys
import warnings
import zlib
from typing import Callable, Iterable, Optional, Protocol

from .compile import MARKER, OPEN
from .errors import EngineError


def _engine_problem(exc: BaseException) -> str:
    """Why durable-rules did not import, and the command that fixes it, in one line.

    scenarios depends on its own build of durable-rules (engine/ in the checkout, which
    compiles on Python 3.13 and with current compilers); the command reinstalls that.
    """
    import os
    import shlex
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    detail = " ".join(str(exc).split()) or type(exc).__name__
    engine_dir = None
    try:  # where this installation's dependency points: `durable-rules @ file:///.../engine`
        from importlib.metadata import requires

        for requirement in requires("scenarios") or ():
            name, _, url = requirement.partition("@")
            url = url.split(";")[0].strip()
            if name.strip().lower().replace("_", "-") == "durable-rules" and url.startswith("file:"):
                engine_dir = url2pathname(urlparse(url).path)
    except Exception:
        pass
    if not (engine_dir and os.path.isfile(os.path.join(engine_dir, "setup.py"))):
        engine_dir = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "engine")
    if os.path.isfile(os.path.join(engine_dir, "setup.py")):
        fix = f"{shlex.quote(sys.executable)} -m pip install {shlex.quote(engine_dir)}"
    else:
        fix = f"{shlex.quote(sys.executable)} -m pip install ENGINE, where ENGINE is the engine/ folder of a scenarios checkout"
    fix += " (it needs a C compiler and the Python headers: see the README)"
    if isinstance(exc, ModuleNotFoundError) and exc.name in ("durable", "durable.engine"):
        return f"durable-rules is not installed for {sys.executable}; install scenarios' build of it: {fix}"
    if "PyEval_CallObject" in detail:
        return (
            "the durable-rules installed here was built from its PyPI release as it is, which cannot "
            f"load on Python {sys.version_info.major}.{sys.version_info.minor} (undefined symbol "
            f"PyEval_CallObject); replace it with scenarios' build of it: {fix}"
        )
    return f"durable-rules is installed but its C engine did not load ({detail}); rebuild it: {fix}"


try:
    from durable import engine as _durable
except Exception as exc:  # not installed, built for another Python, PyPI's build on 3.13
    _durable = None
    _IMPORT_ERROR = _engine_problem(exc)
else:
    _IMPORT_ERROR = ""


class Handler(Protocol):
    """What a session reports to: collected matches and rule firings."""

    error: Optional[BaseException]

    def collect(self, collector: int, fids: list) -> None: ...

    def fire(self, item: str, body: int, fids: tuple) -> list: ...

    def release(self, level: int) -> list: ...


_host = None
_registered: dict = {}  # definition as JSON text -> ruleset name
_handlers: dict = {}
_outboxes: dict = {}  # session -> where its derived facts go (None: asserted in it)
_sessions = itertools.count(1)
BATCH = 100  # case facts asserted in one call
SHARD = 5000  # facts in one session of single-pattern matches (see run_session)


def host():
    """The process's one durable-rules host, started on first use."""
    global _host
    if _durable is None:
        raise EngineError(f"the rules engine (durable-rules) could not be loaded: {_IMPORT_ERROR}")
    if _host is None:
        # durable-rules calls datetime.utcfromtimestamp on every action (deprecated in 3.12)
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"durable(\..*)?$")
        _host = _SynchronousHost()
    return _host


def _no_callback(error, result) -> None:
    """durable-rules wants a completion callback; errors reach the handler instead."""


if _durable is not None:

    class _SynchronousHost(_durable.Host):
        """A host without durable-rules' background threads.

        `Host()` starts a timer thread that picks up pending actions of any session
        every 0.2 s and runs them beside the caller. Measured here: with `cap`, actions
        were still pending when `assert_fact` returned, ran on that thread, and
        crashed against a session being deleted. Here nothing runs in the background:
        `drain` runs every pending action in the caller's thread.
        """

        def _run(self) -> None:
            pass

        def drain(self, name: str) -> None:
            ruleset = self.get_ruleset(name)
            while True:
                started = _durable.durable_rules_engine.start_action(ruleset._handle)
                if not started:
                    return
                ruleset._flush_actions(json.loads(started[0]), {"message": json.loads(started[1])}, started[2], _no_callback)


def _opened(c) -> None:
    """Runs once per session: see `compile.engine_definition`."""


def _dispatch(runs: tuple, aliases: tuple) -> Callable:
    """The action of one engine rule: each match goes to every collector and body
    that shares the rule's patterns."""

    def action(c):
        handler = _handlers.get(c.s.sid)
        if handler is None or handler.error is not None:
            return
        outbox = _outboxes.get(c.s.sid)
        try:
            frames = c.m if isinstance(c.m, list) else [{a: getattr(c, a) for a in aliases}]
            for frame in frames:
                if len(aliases) == 1 and aliases[0] not in frame:
                    frame = {aliases[0]: frame}  # one pattern called m: the frame is the fact
                fids = tuple(frame[a]["fid"] for a in aliases if a != "mk")
                for run in runs:
                    if run[0] == "collect":
                        handler.collect(run[1], [fids[0]])
                        continue
                    derived = handler.fire(run[1], run[2], fids)
                    if outbox is not None:
                        outbox.extend(derived)
                        continue
                    for fact in derived:
                        try:
                            c.assert_fact(fact)
                        except BaseException as exc:
                            if type(exc).__name__ != "MessageNotHandledException":
                                raise
        except BaseException as exc:  # surfaced after the assert returns
            handler.error = exc

    return action


def register(definition: dict) -> str:
    """The engine's name of a program's ruleset, registered once per process
    (durable-rules cannot remove one): equal definitions share it."""
    key = json.dumps(definition, sort_keys=True, default=str)
    name = _registered.get(key)
    if name is not None:
        return name
    name = f"scenarios-{len(_registered) + 1}"
    rules = {}
    for rule_name, rule in definition.items():
        rule = dict(rule)
        run = rule.pop("run")
        if run[0] == "open":
            rule["run"] = _opened
        else:
            rule["run"] = _dispatch(run, tuple(next(iter(p)) for p in rule["all"]))
        rules[rule_name] = rule
    try:
        host().register_rulesets({name: rules})
    except EngineError:
        raise
    except Exception as exc:
        raise EngineError(f"the rules engine refused the compiled rules: {exc}") from None
    _registered[key] = name
    return name


def run_session(name: str, facts: Iterable[tuple], strata: int, handler, buckets: int = 1) -> None:
    """Assert the facts, then release the strata one after another; raise what went wrong.

    durable-rules keeps a session's facts in fixed hash tables (16,384 buckets), so a
    session slows down as it grows (ENGINE-NOTES: 86 times the engine time for 10
    times the facts at 1,000,000 facts). So one world's facts are spread over sessions,
    wherever no match can be lost: `facts` gives (engine fact, shared, spread).
    - A shared fact may meet others in a rule that needs them all in one place: it goes
      to the world's main session, where every derived fact goes too.
    - With `buckets` > 1, a fact of a join spread by value goes to one of `buckets`
      sessions, given by the value of each j-field in `spread` (the facts a join pairs
      hold equal values). Their facts are held back and each such session runs alone,
      once every fact is known: many sessions open at once were slower (measured).
      With one bucket, such a fact goes to the main session.
    - A fact for single-pattern rules alone goes to a short-lived session of SHARD facts.
    A fact may go to several sessions: what it fires twice is recorded once (matches
    are sets, derivations are told apart by their facts). What sessions other than the
    main one derive is asserted in the main one.
    """
    h = host()
    # durable-rules 2.0.28 crashed (measured here) using a session opened before
    # another one was deleted: a session is deleted only while it is the newest.
    main = _open(h, name, handler, None)
    outbox: list = []
    batches: dict = {main: []}
    held: dict = {}  # bucket -> its facts, asserted after the others
    shard: Optional[str] = None
    in_shard = 0

    def put(sid: str, fact: dict) -> None:
        fact["sid"] = sid
        batch = batches[sid]
        batch.append(fact)
        if len(batch) == BATCH:
            _assert_batch(h, name, batch, handler)
            batch.clear()

    def opened() -> str:
        sid = _open(h, name, handler, outbox)
        batches[sid] = []
        return sid

    def finish(sid: str) -> None:
        """Assert what a session still holds back, then delete it (it is the newest)."""
        if batches[sid]:
            _assert_batch(h, name, batches[sid], handler)
        _close(h, name, sid)
        del batches[sid]

    try:
        for fact, shared, spread in facts:
            to_main = shared
            bucket_of: list = []
            for jf in spread:
                value = fact.get(jf)
                if value is None:
                    continue
                if buckets <= 1:
                    to_main = True
                    continue
                b = zlib.crc32(value.encode()) % buckets
                if b not in bucket_of:
                    bucket_of.append(b)
            if not to_main and not bucket_of:
                if shard is None:
                    shard, in_shard = opened(), 0
                put(shard, fact)
                in_shard += 1
                if in_shard >= SHARD:
                    finish(shard)
                    shard = None
                continue
            for n, b in enumerate(bucket_of):
                held.setdefault(b, []).append(fact if n == 0 and not to_main else dict(fact))
            if to_main:
                put(main, fact)
        if shard is not None:
            finish(shard)
        for b in sorted(held):
            sid = opened()
            for fact in held.pop(b):
                put(sid, fact)
            finish(sid)
        if batches[main]:
            _assert_batch(h, name, batches[main], handler)
            batches[main].clear()
        for fact in outbox:
            fact["sid"] = main
            _assert(h, name, fact, handler)
        for level in range(strata):
            _assert(h, name, {"sid": main, "id": f"{MARKER}{level}", "ty": MARKER, "mk": level}, handler)
            while True:
                derived = handler.release(level)
                if not derived:
                    break
                for fact in derived:
                    fact["sid"] = main
                    _assert(h, name, fact, handler)
    finally:
        for sid in reversed(list(batches)):
            _close(h, name, sid)


def _open(h, name: str, handler, outbox: Optional[list]) -> str:
    """A new session; what its rules derive goes to `outbox` when one is given."""
    sid = f"s{next(_sessions)}"
    _handlers[sid] = handler
    _outboxes[sid] = outbox
    _assert(h, name, {"sid": sid, "id": OPEN, "ty": OPEN}, handler)
    return sid


def _close(h, name: str, sid: str) -> None:
    _handlers.pop(sid, None)
    _outboxes.pop(sid, None)
    try:
        h.delete_state(name, sid)
    except Exception:  # the session was never created: no fact reached the engine
        pass


def _assert_batch(h, name: str, facts: list, handler) -> None:
    """Case facts in one call, then every action it enabled, run to the end here (see
    `_SynchronousHost`). A sink pattern takes every fact, so no fact aborts a batch
    as "not handled". The 100,000-fact test, whose expected results are computed
    without the engine, proves that nothing is lost."""
    try:
        h.assert_facts(name, facts)
        h.drain(name)
    except Exception as exc:
        raise EngineError(f"the rules engine failed on a batch of facts: {type(exc).__name__}: {str(exc)[:200]}") from None
    if handler.error is not None:
        raise handler.error


def _assert(h, name: str, fact: dict, handler) -> None:
    try:
        h.assert_fact(name, fact)
        h.drain(name)
    except Exception as exc:
        kind = type(exc).__name__
        if kind == "MessageNotHandledException":
            return  # no pattern of any rule matches this fact
        raise EngineError(f"the rules engine failed on a fact: {kind}: {str(exc)[:200]}") from None
    if handler.error is not None:
        raise handler.error
