"""The one module that talks to durable-rules: the host, its rulesets, its sessions.

One host per process. Each compiled program is registered once, under a name derived
from its content; each evaluation (a world of a case) runs in a session of its own,
deleted afterwards. Case facts go in batches of BATCH, a size the 100,000-fact test proves loses no
firing (ENGINE-NOTES measured larger batches silently losing some); derived facts
and stratum markers go in one `assert_fact` at a time. The engine is durable-rules' C
extension (`durable_rules_engine`), called directly: see `_Host`.
"""

from __future__ import annotations

import itertools
import json
import re
import sys
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
    if isinstance(exc, ModuleNotFoundError) and exc.name in ("durable", "durable.engine", "durable_rules_engine"):
        return f"durable-rules is not installed for {sys.executable}; install scenarios' build of it: {fix}"
    if "PyEval_CallObject" in detail:
        return (
            "the durable-rules installed here was built from its PyPI release as it is, which cannot "
            f"load on Python {sys.version_info.major}.{sys.version_info.minor} (undefined symbol "
            f"PyEval_CallObject); replace it with scenarios' build of it: {fix}"
        )
    return f"durable-rules is installed but its C engine did not load ({detail}); rebuild it: {fix}"


try:
    import durable_rules_engine as _durable  # the C engine itself: durable.engine is not used
except Exception as exc:  # not installed, built for another Python, PyPI's build on 3.13
    _durable = None
    _IMPORT_ERROR = _engine_problem(exc)
else:
    _IMPORT_ERROR = ""


class Handler(Protocol):
    """What a session reports to: collected matches and rule firings."""

    error: Optional[BaseException]

    def collect(self, collector: int, fids: list) -> None: ...

    def fire_many(self, bodies: tuple, tuples: list) -> list: ...

    def release(self, level: int) -> list: ...


_host = None
_registered: dict = {}  # definition as JSON text -> ruleset name
_handlers: dict = {}
_outboxes: dict = {}  # session -> where its derived facts go (None: asserted in it)
_sessions = itertools.count(1)
BATCH = 100  # case facts asserted in one call
SHARD = 5000  # facts in one session of single-pattern matches (see run_session)


def host() -> "_Host":
    """The process's one durable-rules host, started on first use."""
    global _host
    if _durable is None:
        raise EngineError(f"the rules engine (durable-rules) could not be loaded: {_IMPORT_ERROR}")
    if _host is None:
        _host = _Host()
    return _host


class _Host:
    """durable-rules' C engine, called the way its Python layer (durable.engine) calls
    it, without that layer.

    Per action, durable.engine builds Closure and Content objects (cycles left to the
    collector), a Promise, loads and dumps the session state and sends it back through
    the network (`update_state`); its Host also runs pending actions on timer threads,
    beside the caller. Here an action is: the frames' JSON read, the product's
    callback, `complete_and_start_action`, all in the caller's thread. The state fact
    is never changed, so it is never sent again.
    """

    def __init__(self) -> None:
        self.handles: dict = {}  # ruleset name -> the engine's handle
        self.actions: dict = {}  # ruleset name -> {rule name: action, or None for none}
        self.keyed: dict = {}  # ruleset name -> {rule name: the aliases of its matches}

    def register(self, name: str, rules: dict, actions: dict) -> None:
        self.handles[name] = _durable.create_ruleset(name, json.dumps(rules, ensure_ascii=False))
        self.actions[name] = actions
        self.keyed[name] = {rule: action.keys for rule, action in actions.items() if action is not None and action.keys}

    def assert_facts(self, name: str, facts: list) -> None:
        """Facts of one session in one call, then every action they enabled.

        The engine goes on past a fact that no pattern matches (such a fact is not
        stored) and says so only once the batch is in (events.c handleMessages)."""
        handle = self.handles[name]
        code, state = _durable.assert_facts(handle, json.dumps(facts, ensure_ascii=False))
        if code == _OBSERVED:
            raise EngineError(f"the rules engine received a fact twice, in a batch of {len(facts)}")
        self.run_actions(name, handle, state)

    def assert_fact(self, name: str, fact: dict) -> None:
        """One fact, then every action it enabled; nothing when no pattern matches it."""
        handle = self.handles[name]
        code, state = _durable.assert_fact(handle, json.dumps(fact, ensure_ascii=False))
        if code == _NOT_HANDLED:
            return
        if code == _OBSERVED:
            raise EngineError(f"the rules engine received a fact twice: {str(fact)[:200]}")
        self.run_actions(name, handle, state)

    def run_actions(self, name: str, handle: int, state: int) -> None:
        """Run the session's pending actions, one after another, until none is left."""
        actions = self.actions[name]
        started = _durable.start_action_for_state(handle, state)
        messages = started[1] if started else None
        keyed = self.keyed[name]
        while messages:
            try:
                read = matches_of(messages, keyed, actions)
                if read is not None:
                    for rule, sid, tuples in read:
                        actions[rule].take(sid, tuples, handle)
                else:
                    for rule, frames in json.loads(messages).items():
                        action = actions[rule]
                        if action is not None:
                            action(frames, handle)
            except BaseException:
                _durable.abandon_action(handle, state)
                raise
            messages = _durable.complete_and_start_action(handle, state)

    def delete_state(self, name: str, sid: str) -> None:
        _durable.delete_state(self.handles[name], sid)


_NOT_HANDLED, _OBSERVED = 1, 2  # durable-rules' result codes (rules.h ERR_EVENT_*)

# What the engine hands an action is the JSON of the matched facts, as they were given
# to it, in frames: {"r3":[{"m":{fact}},{"m":{fact}}],"r7":[{"p0":{fact},"p1":{fact}}]}.
# Every engine fact of a case or a derivation is json.dumps({"ty": ..., "fid": ...,
# ...}) (compile.encode): its default separators (", ", ": "), "fid" its second key,
# no object inside it; every rule with aliases has a cap, so its frames are a list.
# A quote inside a JSON string is always escaped. So in a message, '],"' ends one
# rule's frames, '[{"' or '},{"' starts a frame, ', "fid": "' starts a fid, and
# '{"p0":{"ty": "' is a frame that starts with alias p0: none can be inside a string.
_FID = re.compile(r', "fid": "([^"\\]*(?:\\.[^"\\]*)*)"')
_SID = re.compile(r'"sid": "([^"\\]*(?:\\.[^"\\]*)*)"')


def matches_of(messages: str, keyed: dict, actions: dict) -> Optional[list]:
    """The matches a message gives rules of one or two aliases (`keyed`: rule -> the
    aliases of its case and derived facts), read from its text: [(rule, sid, [tuple
    of fids per frame])], in the message's order. None (parse the JSON) when a rule
    of the message has an action and another shape, or when what is read does not
    add up (each frame one fact of each alias, in one order). Measured on the 52 MB
    of frames of 10k facts x 1,000 rules: json.loads 1.67-2.10 s, this 0.51 s."""
    if not messages.startswith('{"') or not messages.endswith("]}"):
        return None
    bounds = [0]
    at = messages.find('],"')
    while at != -1:
        bounds.append(at + 1)
        at = messages.find('],"', at + 3)
    bounds.append(len(messages))
    out = []
    for i in range(len(bounds) - 1):
        name_end = messages.find('"', bounds[i] + 2)
        rule = messages[bounds[i] + 2 : name_end]
        begin, end = name_end + 2, bounds[i + 1]
        if not messages.startswith('":[', name_end):
            return None
        keys = keyed.get(rule)
        if keys is None:
            if actions.get(rule, False) is None:
                continue  # a rule with no action (`open`)
            return None
        if len(keys) > 2:
            return None
        frames = messages.count('[{"', begin, end) + messages.count('},{"', begin, end)
        fids = _FID.findall(messages, begin, end)
        sid = _SID.search(messages, begin, end)
        if sid is None or not frames or len(fids) != frames * len(keys):
            return None
        if messages.find("\\", begin, end) != -1:
            fids = [_unescaped(f) for f in fids]
        if len(keys) == 1:
            tuples = [(f,) for f in fids]
        else:  # every frame starts with the same alias: the fids of each frame in that order
            if messages.count('{"%s":{"ty": "' % keys[0], begin, end) == frames:
                tuples = list(zip(fids[0::2], fids[1::2]))
            elif messages.count('{"%s":{"ty": "' % keys[1], begin, end) == frames:
                tuples = list(zip(fids[1::2], fids[0::2]))
            else:
                return None
        out.append((rule, _unescaped(sid.group(1)), tuples))
    return out


def _unescaped(text: str) -> str:
    """A JSON string's content as the text it stands for."""
    return json.loads('"' + text + '"') if "\\" in text else text


def _assert_nested(handle: int, fact: dict) -> None:
    """A derived fact, asserted from inside an action (forward chaining): the actions it
    enables run once the current one completes, in the same loop."""
    code, _ = _durable.assert_fact(handle, json.dumps(fact, ensure_ascii=False))
    if code == _OBSERVED:
        raise EngineError(f"the rules engine received a fact twice: {str(fact)[:200]}")


def _dispatch(runs: tuple, aliases: tuple) -> Callable:
    """The action of one engine rule: its matches go to every collector and body that
    shares the rule's patterns, in one call each. `frames` is what the engine gives: a
    list of {alias: fact} (rules with `cap`), or one."""
    keys = tuple(a for a in aliases if a != "mk")
    first = aliases[0]
    collectors = tuple(run[1] for run in runs if run[0] == "collect")
    bodies = tuple((run[1], run[2]) for run in runs if run[0] != "collect")

    def action(frames, handle: int) -> None:
        if type(frames) is not list:
            frames = [frames]
        sid = frames[0][first]["sid"]
        handler = _handlers.get(sid)
        if handler is None or handler.error is not None:
            return
        try:
            if len(keys) == 1:
                key = keys[0]
                tuples = [(frame[key]["fid"],) for frame in frames]
            else:
                tuples = [tuple([frame[a]["fid"] for a in keys]) for frame in frames]
        except BaseException as exc:  # surfaced after the assert returns
            handler.error = exc
            return
        take(sid, tuples, handle)

    def take(sid: str, tuples: list, handle: int) -> None:
        """The matches of the rule: a tuple of fids each, in the aliases' order."""
        handler = _handlers.get(sid)
        if handler is None or handler.error is not None:
            return
        try:
            for n in collectors:
                handler.collect(n, [fids[0] for fids in tuples])
            if not bodies:
                return
            derived = handler.fire_many(bodies, tuples)
            if not derived:
                return
            outbox = _outboxes.get(sid)
            if outbox is not None:
                outbox.extend(derived)
                return
            for fact in derived:
                if "sid" not in fact:
                    fact["sid"] = sid
                _assert_nested(handle, fact)
        except BaseException as exc:  # surfaced after the assert returns
            handler.error = exc

    action.take = take  # type: ignore[attr-defined]
    action.keys = keys  # type: ignore[attr-defined]
    return action


def register(definition: dict) -> str:
    """The engine's name of a program's ruleset, registered once per process
    (durable-rules cannot remove one): equal definitions share it."""
    key = json.dumps(definition, sort_keys=True, default=str)
    name = _registered.get(key)
    if name is not None:
        return name
    name = f"scenarios-{len(_registered) + 1}"
    rules, actions = {}, {}
    for rule_name, rule in definition.items():
        rule = dict(rule)
        run = rule.pop("run")
        actions[rule_name] = None if run[0] == "open" else _dispatch(run, tuple(next(iter(p)) for p in rule["all"]))
        rules[rule_name] = rule
    try:
        host().register(name, rules, actions)
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


def _assert_batch(h: _Host, name: str, facts: list, handler) -> None:
    """Case facts in one call, then every action it enabled, run to the end here. The
    100,000-fact test, whose expected results are computed without the engine, proves
    that nothing is lost (the losses ENGINE-NOTES measured came from durable.engine's
    timer threads running actions beside the caller: see docs/architecture.md)."""
    try:
        h.assert_facts(name, facts)
    except EngineError:
        raise
    except Exception as exc:
        raise EngineError(f"the rules engine failed on a batch of facts: {type(exc).__name__}: {str(exc)[:200]}") from None
    if handler.error is not None:
        raise handler.error


def _assert(h: _Host, name: str, fact: dict, handler) -> None:
    try:
        h.assert_fact(name, fact)
    except EngineError:
        raise
    except Exception as exc:
        raise EngineError(f"the rules engine failed on a fact: {type(exc).__name__}: {str(exc)[:200]}") from None
    if handler.error is not None:
        raise handler.error
