"""The executor loop: long-poll assign, call the Python function named by the process's funcname, close
with its result or fail with its error.

It serves plain functions, called as pycolonies' python executor calls them: ``sum_nums(n1, n2, ctx={})``
gets the process's input (its parents' outputs, or its args when it has none) as positional arguments,
the spec's kwargs as keywords, and ``ctx`` when it takes one: ``ctx["args"]`` and ``ctx["kwargs"]`` are
the spec's own on every node, so a child (whose input is its parents' outputs) reads its args there. A tuple returned is the output list, any
other value ``x`` is ``[x]``, None is ``[]``; an exception fails the attempt.

As the TypeScript executor does, it reports the attempts it holds with every assign and in a heartbeat
every second while functions run (the server's lease), and tells a function whose process the server
says is over (``ctx["cancelled"]`` is set; its result is dropped). Stopping takes no new work, lets
running functions finish for a grace period and fails what is still running, so the server retries it.
"""
import inspect
import secrets
import signal
import threading
import time
import traceback

from .client import Colonies, server_url
from .crypto import generate_prvkey
from .errors import ColoniesError
from .transport import Cancel, Cancelled, to_json

# While functions run, what they hold is reported this often: the lease stays fresh, a cancellation is learnt within it.
HEARTBEAT_SECONDS = 1.0
# Retries while the server is unreachable back off up to this.
MAX_BACKOFF_SECONDS = 1.0
# The server's limit on one error message.
MAX_ERROR_LENGTH = 60_000

_TRANSIENT = {"UNREACHABLE", "UNAVAILABLE", "INTERNAL"}
# The executor's access to its colony ended: asking again cannot help.
_REVOKED = {"NOT_A_MEMBER", "EXECUTOR_NOT_APPROVED", "COLONY_NOT_FOUND"}
# Refusals of a function table that declaring again would not change.
_GIVE_UP_DECLARING = {"VALIDATION_FAILED", "ROUTE_NOT_FOUND"}


def _transient(err):
    return isinstance(err, ColoniesError) and err.code in _TRANSIENT


class AttemptFailure(Exception):
    """What ``ctx["fail"]`` raises: the function's error, and whether a retry may fix it."""

    def __init__(self, error, retry=True):
        super().__init__(str(error))
        self.error = error
        self.retry = retry


def to_output(result):
    """A function's return value as the process output: a tuple is the list, None is [], anything else x is [x]."""
    if result is None:
        return []
    if isinstance(result, tuple):
        return list(result)
    return [result]


def _clean(text):
    return text.replace("\x00", "\\0")[:MAX_ERROR_LENGTH]


def failure_of(thrown):
    """A failed function's report: its error's message and traceback, its kind (the exception's class name), retry."""
    retry = not (isinstance(thrown, AttemptFailure) and not thrown.retry)
    err = thrown.error if isinstance(thrown, AttemptFailure) else thrown
    if not isinstance(err, BaseException):
        return {"errors": [_clean(str(err))], "retry": retry}
    errors = [_clean(str(err) or type(err).__name__)]
    trace = "".join(traceback.format_exception(type(err), err, err.__traceback__))
    if trace:
        errors.append(_clean(trace))
    return {"errors": errors, "retry": retry, "errorkind": type(err).__name__}


def _takes_ctx(fn):
    """Whether the function takes ``ctx`` (by name or through **kwargs): the tutorial's functions do."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return any((p.name == "ctx" and p.kind in named) or p.kind == inspect.Parameter.VAR_KEYWORD for p in params)


class _Run:
    """One function running: its process, and whether the server has said it is over."""

    def __init__(self, process):
        self.process = process
        self.cancelled = threading.Event()
        self.revoked = False


class Executor:
    """Serves Python functions to a colony: ``Executor(colonyname=..., executortype=..., colony_prvkey=...).serve({...})``.

    ``client`` (a Colonies) or ``url`` names the server (default: from COLONIES_SERVER_URL/HOST/PORT).
    ``prvkey`` is the executor's own key (a new one when absent); with ``colony_prvkey`` (the colony
    owner's) it registers and approves itself, as pycolonies' python executor does.
    """

    def __init__(self, client=None, colonyname=None, executortype="python-executor", executorname=None, prvkey=None,
                 colony_prvkey=None, functions=None, concurrency=1, assign_timeout=10, location="", grace=30.0, log=None,
                 on_error=None, url=None):
        url = url or (client.url if client is not None else server_url())
        colonyname = colonyname or (client.colonyname if client is not None else None)
        if not colonyname:
            raise ValueError("Executor: colonyname is required")
        if int(concurrency) < 1:
            raise ValueError("Executor: concurrency is 1 or more")
        self.prvkey = prvkey or generate_prvkey()
        self.colonyname = colonyname
        self.executortype = executortype
        self.executorname = executorname or f"{executortype}-{self.prvkey[:8]}"
        # A client signing as this executor, in its colony: functions reach it as ctx["colonies"].
        self.colonies = Colonies(url=url, colonyname=colonyname, prvkey=self.prvkey)
        self.id = self.colonies.id()
        self.colony_prvkey = colony_prvkey
        self.concurrency = int(concurrency)
        self.assign_timeout = assign_timeout
        self.location = location
        self.grace = grace
        self._log = log
        self._on_error = on_error
        self.functions = {}
        for name, fn in (functions or {}).items():
            self.function(fn, name=name)
        # This run of the executor, named in its lease reports (a lost assignment then costs no retry).
        self.instance = secrets.token_hex(8)
        self.stats = {"closed": 0, "failed": 0, "revoked": 0}
        # Set when the server refused the executor's access (removed, rejected, the colony gone): it has stopped.
        self.access_ended = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._running = {}
        self._executing = 0
        self._workers = set()
        self._stopping = threading.Event()
        self._hard_stop = threading.Event()
        self._stopped = threading.Event()
        self._stop_lock = threading.Lock()
        self._poll_cancel = Cancel()
        self._poller = None
        self._beater = None
        self._admitted = False
        self._undeclared = True

    # ── the function table ───────────────────────────────────────────────────────────────────────────

    def function(self, fn=None, *, name=None):
        """Serves a function under its name (or ``name``); usable as a decorator: ``@executor.function``."""
        if fn is None:
            return lambda f: self.function(f, name=name)
        funcname = name or getattr(fn, "__name__", None)
        if not funcname or funcname == "<lambda>" or not callable(fn):
            raise ValueError("Executor.function: a callable with a name (or pass name=)")
        self.functions[funcname] = (fn, _takes_ctx(fn))
        return fn

    # ── life cycle ───────────────────────────────────────────────────────────────────────────────────

    def register(self):
        """Registers and approves this executor with the colony owner's key (idempotent); nothing without one."""
        if not self.colony_prvkey:
            return
        owner = self.colonies.with_key(self.colony_prvkey)
        executor = {"executorname": self.executorname, "executorid": self.id, "executortype": self.executortype,
                    "location": self.location}
        try:
            owner.add_executor(executor)
        except ColoniesError as err:
            if err.code != "ALREADY_EXISTS":
                raise
        owner.approve_executor(self.colonyname, self.executorname)

    def start(self):
        """Registers (when it can), declares its functions and starts serving in background threads."""
        if self._poller is not None:
            return self
        self.register()
        self._declare()
        self._poller = threading.Thread(target=self._poll, name=f"{self.executorname}-poll", daemon=True)
        self._beater = threading.Thread(target=self._beat, name=f"{self.executorname}-heartbeat", daemon=True)
        self._poller.start()
        self._beater.start()
        return self

    def serve(self, functions=None):
        """Serves until stopped: Ctrl-C or SIGTERM stops gracefully, a second one fails running work at once."""
        for name, fn in (functions or {}).items():
            self.function(fn, name=name)
        if self._poller is None:
            self.start()
        elif functions:
            self._declare()
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            try:
                while not self._stopped.wait(1.0):
                    pass
            except KeyboardInterrupt:
                self._say("stopping: running processes may finish (interrupt again to fail them now)")
                try:
                    self.stop()
                except KeyboardInterrupt:
                    self._say("interrupted again: failing running processes and stopping now")
                    self.stop(0)
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    def stop(self, grace=None):
        """Stops taking work, waits up to ``grace`` seconds for running functions, then fails what is left."""
        grace = self.grace if grace is None else grace
        with self._stop_lock:
            if self._stopped.is_set():
                return
            self._stopping.set()
            self._poll_cancel.cancel()
            deadline = time.monotonic() + grace
            with self._changed:
                self._changed.notify_all()
                while self._executing > 0 and time.monotonic() < deadline:
                    self._changed.wait(min(0.5, max(0.0, deadline - time.monotonic())))
                left = [r.process for r in self._running.values()]
            if left:
                self._hard_stop.set()
                for p in left:
                    try:
                        self.colonies.fail(p.processid, ["executor stopped before the function finished"], attempt=p.attempt)
                    except ColoniesError:
                        pass
            if self._poller is not None and self._poller is not threading.current_thread():
                self._poller.join()
            self._stopped.set()

    def join(self, timeout=None):
        """Waits until the executor has stopped; True when it has."""
        return self._stopped.wait(timeout)

    def holding(self):
        """Every attempt this executor holds: running, or its result not yet acknowledged."""
        with self._lock:
            return [{"processid": r.process.processid, "attempt": r.process.attempt} for r in self._running.values()]

    # ── the loops ────────────────────────────────────────────────────────────────────────────────────

    def _declare(self):
        try:
            self.colonies.declare_functions(list(self.functions))
            self._undeclared = False
            # Only an approved executor may declare.
            self._admitted = True
        except ColoniesError as err:
            if err.code in _GIVE_UP_DECLARING:
                self._undeclared = False
            if not _transient(err):
                self._error(err)

    def _poll(self):
        """One long-poll at a time asks for as many processes as there are free slots."""
        backoff = 0.1
        while not self._stopping.is_set():
            with self._changed:
                while self._executing >= self.concurrency and not self._stopping.is_set():
                    self._changed.wait()
                free = self.concurrency - self._executing
            if self._undeclared:
                self._declare()
            cancel = self._poll_cancel = Cancel()
            if self._stopping.is_set():
                break
            try:
                processes = self.colonies.assign_many(timeout=self.assign_timeout, count=free, holding=self.holding(),
                                                      instance=self.instance, cancel=cancel)
                self._admitted = True
                backoff = 0.1
            except Cancelled:
                break
            except ColoniesError as err:
                if self._stopping.is_set():
                    break
                self._error(err)
                if self._ended_access(err):
                    break
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            for p in processes:
                self._start_run(p)

    def _beat(self):
        """While functions run: reports what they hold every second, and tells those the server says are over."""
        while not self._stopped.wait(HEARTBEAT_SECONDS):
            held = self.holding()
            if not held:
                continue
            try:
                self._revoke(self.colonies.heartbeat(held, instance=self.instance))
            except ColoniesError as err:
                # Unreachable is the poll's to report; the next beat tries again.
                if not _transient(err):
                    self._error(err)
                self._ended_access(err)

    def _ended_access(self, err):
        # Before its first answer it may be waiting for its approval: it keeps asking.
        if not self._admitted or not isinstance(err, ColoniesError) or err.code not in _REVOKED:
            return False
        if self.access_ended is None:
            self.access_ended = err
        threading.Thread(target=self.stop, args=(0,), daemon=True).start()
        return True

    def _revoke(self, processids):
        with self._lock:
            for pid in processids:
                run = self._running.pop(pid, None)
                if run is None:
                    continue
                run.revoked = True
                run.cancelled.set()
                self.stats["revoked"] += 1

    # ── running one process ──────────────────────────────────────────────────────────────────────────

    def _start_run(self, p):
        run = _Run(p)
        with self._lock:
            self._running[p.processid] = run
            self._executing += 1
        worker = threading.Thread(target=self._run, args=(run,), name=f"{self.executorname}-{p.processid[:8]}", daemon=True)
        worker.start()

    def _run(self, run):
        p = run.process
        try:
            outcome = self._call(run)
            # stop() already failed it, or the server said it is over: its result would be refused.
            if self._hard_stop.is_set() or run.revoked:
                return
            if "out" in outcome:
                if self._retrying(lambda: self.colonies.close(p.processid, outcome["out"], attempt=p.attempt)):
                    self._count("closed")
            else:
                fields = {k: outcome[k] for k in ("retry", "errorkind") if k in outcome}
                if self._retrying(lambda: self.colonies.fail(p.processid, outcome["errors"], attempt=p.attempt, **fields)):
                    self._count("failed")
        finally:
            with self._changed:
                # The same process may be running again here on a newer attempt.
                if self._running.get(p.processid) is run:
                    del self._running[p.processid]
                self._executing -= 1
                self._changed.notify_all()

    def _call(self, run):
        p = run.process
        funcname = p.spec.funcname
        what = f"{p.spec.nodename} ({funcname}) process {p.processid[:12]}" + (f" retry {p.retries}" if p.retries else "")
        entry = self.functions.get(funcname)
        if entry is None:
            served = ", ".join(self.functions) or "nothing"
            self._say(f"{what}: not served here")
            return {"errors": [f'function "{funcname}" is not served by executor {self.executorname} (it serves: {served})'],
                    "retry": True}
        fn, takes_ctx = entry
        args = p.input if p.input else p.spec.args
        kwargs = dict(p.spec.get("kwargs") or {})
        started = time.monotonic()
        try:
            result = fn(*args, **kwargs, ctx=self._context(run)) if takes_ctx else fn(*args, **kwargs)
        except BaseException as err:
            # Whatever the function raised (SystemExit too) fails its attempt, not the executor.
            return self._failed(what, started, err)
        out = to_output(result)
        try:
            encoded = to_json(out).decode("utf-8")
        except ColoniesError as err:
            # The same call would give the same output: no retry can fix it.
            not_json = TypeError(f"the output of {funcname} is not JSON: {err.message.split(': ', 1)[-1]}")
            return self._failed(what, started, AttemptFailure(not_json, retry=False))
        self._say(f"{what}: done in {_ms(started)} ms -> {encoded[:200]}")
        return {"out": out}

    def _failed(self, what, started, err):
        report = failure_of(err)
        self._say(f"{what}: failed in {_ms(started)} ms: {report['errors'][0][:500]}")
        return report

    def _context(self, run):
        p = run.process
        colonies = self.colonies

        def fail(error, retry=True):
            raise AttemptFailure(error, retry)

        return {
            "process": p,
            # The spec's args and kwargs on every node: a child's input is its parents' outputs, its args are here.
            "args": list(p.spec.get("args") or []),
            "kwargs": dict(p.spec.get("kwargs") or {}),
            "colonyname": self.colonyname,
            "executorid": self.id,
            "executorname": self.executorname,
            "executortype": self.executortype,
            "executor_prvkey": self.prvkey,
            "colonies": colonies,
            "log": lambda message: colonies.add_log(p.processid, message),
            "add_child": lambda spec, nodename, insert=False, childprocessid=None: colonies.add_child(
                p.processgraphid, p.processid, childprocessid, spec, nodename, insert),
            "cancelled": run.cancelled,
            "fail": fail,
        }

    def _count(self, what):
        with self._lock:
            self.stats[what] += 1

    def _retrying(self, send):
        """Sends a close or fail, again while the server is unreachable: a finished result is not thrown away."""
        delay = 0.1
        while True:
            try:
                send()
                return True
            except ColoniesError as err:
                if not _transient(err) or self._hard_stop.is_set():
                    self._error(err)
                    return False
                self._hard_stop.wait(delay)
                delay = min(delay * 2, MAX_BACKOFF_SECONDS)

    def _say(self, line):
        if self._log is not None:
            self._log(f"{self.executortype} {line}")

    def _error(self, err):
        if self._on_error is not None:
            self._on_error(err)
        else:
            self._say(f"error: {err}")


def _ms(started):
    return int((time.monotonic() - started) * 1000)


def _interrupt(signum, frame):
    raise KeyboardInterrupt()
