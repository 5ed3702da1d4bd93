"""The Colonies client: pycolonies' methods over the server's signed REST API.

As in pycolonies every call may take the private key it signs with (last positional argument); a key
given to the constructor is the default. Calls that name a process or graph by id need the colony
too: the constructor's ``colonyname``, else the first colony the client was told of (a workflow's, an
assign's ...), or ``colonyname=`` on the call.
"""
import os
import threading
import time

from .crypto import Signer
from .errors import ColoniesError
from .model import FINISHED_STATES, Process, ProcessGraph, Record, Workflow, spec_dict
from . import model
from .routes import OPERATIONS, route_path
from .transport import Transport

DEFAULT_PORT = 50080


def _records(items, cls=Record):
    return [cls(x) for x in items or []]


class Colonies:
    """A client of one server: ``Colonies("localhost", 50080)``, ``Colonies("http://host:50080")``, or ``url=``."""

    WAITING = model.WAITING
    RUNNING = model.RUNNING
    SUCCESS = model.SUCCESS
    # pycolonies' name of SUCCESS.
    SUCCESSFUL = model.SUCCESS
    FAILED = model.FAILED
    CANCELLED = model.CANCELLED
    SKIPPED = model.SKIPPED
    HALTED = model.HALTED

    def __init__(self, host="localhost", port=None, tls=False, *, url=None, colonyname=None, prvkey=None, timeout=60.0):
        if url is None:
            url = host if "://" in host else f"{'https' if tls else 'http'}://{host}:{port or DEFAULT_PORT}"
        self.transport = Transport(url, timeout=timeout)
        self.url = self.transport.url
        self.colonyname = colonyname
        self.prvkey = prvkey
        self._signers = {}
        self._signers_lock = threading.Lock()
        # The attempt of each process this client was assigned: close and fail name it (fencing).
        self._attempts = {}

    def close(self):
        """Closes the client's connections (a later call opens new ones)."""
        self.transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def with_key(self, prvkey, colonyname=None):
        """The same server, signing with another key (and, when given, in another colony)."""
        return Colonies(url=self.url, colonyname=colonyname or self.colonyname, prvkey=prvkey, timeout=self.transport.timeout)

    def id(self, prvkey=None):
        """The id (public key) of the key this client signs with."""
        return self._signer(prvkey).id

    # ── plumbing ─────────────────────────────────────────────────────────────────────────────────────

    def _signer(self, prvkey):
        key = prvkey or self.prvkey
        if not key:
            raise ColoniesError("VALIDATION_FAILED", "no private key: pass prvkey, or give one to Colonies(..., prvkey=...)")
        with self._signers_lock:
            signer = self._signers.get(key)
            if signer is None:
                try:
                    signer = self._signers[key] = Signer(key)
                except ValueError as err:
                    raise ColoniesError("VALIDATION_FAILED", f"prvkey: {err}") from None
            return signer

    def _colony(self, colonyname=None):
        colony = colonyname or self.colonyname
        if not colony:
            raise ColoniesError("VALIDATION_FAILED",
                                "no colony name: pass colonyname, or give one to Colonies(..., colonyname=...) "
                                "(colonies_client() reads COLONIES_COLONY_NAME)")
        if self.colonyname is None:
            self.colonyname = colony
        return colony

    def _call(self, operation, prvkey=None, body=None, query=None, colonyname=None, timeout=None, cancel=None, **params):
        if ":colony" in OPERATIONS[operation][1]:
            params["colony"] = self._colony(colonyname)
        method, path = route_path(operation, **params)
        return self.transport.request(self._signer(prvkey), method, path, body, query, timeout, cancel)

    # ── colonies (server owner) ──────────────────────────────────────────────────────────────────────

    def add_colony(self, colony, prvkey=None):
        """Adds a colony: ``{"colonyname": ..., "colonyid": <the owner's id>}``."""
        body = {"colonyname": colony["colonyname"], "colonyid": colony["colonyid"]}
        return Record(self._call("addColony", prvkey, body))

    def remove_colony(self, colonyname, prvkey=None):
        self._call("removeColony", prvkey, colonyname=colonyname)

    del_colony = remove_colony

    def list_colonies(self, prvkey=None):
        return _records(self._call("listColonies", prvkey))

    def get_colony(self, colonyname=None, prvkey=None):
        return Record(self._call("getColony", prvkey, colonyname=colonyname))

    def stats(self, colonyname=None, prvkey=None):
        return Record(self._call("getColonyStats", prvkey, colonyname=colonyname))

    # ── executors and users (colony owner) ───────────────────────────────────────────────────────────

    def add_executor(self, executor, prvkey=None):
        """Registers an executor: ``{"executorname", "executorid", "executortype", "colonyname"?, "location"?}``."""
        body = {k: executor[k] for k in ("executorname", "executorid", "executortype")}
        body["location"] = executor.get("location", "")
        return Record(self._call("addExecutor", prvkey, body, colonyname=executor.get("colonyname")))

    def approve_executor(self, colonyname, executorname, prvkey=None):
        return Record(self._call("approveExecutor", prvkey, colonyname=colonyname, name=executorname))

    def reject_executor(self, colonyname, executorname, prvkey=None):
        return Record(self._call("rejectExecutor", prvkey, colonyname=colonyname, name=executorname))

    def remove_executor(self, colonyname, executorname, prvkey=None):
        self._call("removeExecutor", prvkey, colonyname=colonyname, name=executorname)

    def list_executors(self, colonyname=None, prvkey=None):
        return _records(self._call("listExecutors", prvkey, colonyname=colonyname))

    def get_executor(self, colonyname, executorname, prvkey=None):
        return Record(self._call("getExecutor", prvkey, colonyname=colonyname, name=executorname))

    def add_user(self, user, prvkey=None):
        """Adds a user: ``{"username" (or "name"), "userid", "colonyname"?}``."""
        body = {"username": user.get("username") or user.get("name"), "userid": user["userid"]}
        return Record(self._call("addUser", prvkey, body, colonyname=user.get("colonyname")))

    def get_users(self, colonyname=None, prvkey=None):
        return _records(self._call("listUsers", prvkey, colonyname=colonyname))

    def remove_user(self, colonyname, name, prvkey=None):
        self._call("removeUser", prvkey, colonyname=colonyname, name=name)

    # ── processes ────────────────────────────────────────────────────────────────────────────────────

    def submit_func_spec(self, spec, prvkey=None):
        """Submits one function spec as a process (its colony: the spec's conditions.colonyname, or the client's)."""
        colony = getattr(getattr(spec, "conditions", None), "colonyname", None)
        return Process(self._call("submitProcess", prvkey, spec_dict(spec), colonyname=colony))

    def assign(self, colonyname=None, timeout=10, prvkey=None):
        """Waits up to ``timeout`` seconds to be assigned a process; None when none came."""
        processes = self.assign_many(colonyname, timeout, 1, prvkey)
        return processes[0] if processes else None

    def assign_many(self, colonyname=None, timeout=10, count=1, prvkey=None, holding=None, instance=None, cancel=None):
        """Up to ``count`` processes. ``holding`` (every attempt this executor runs, ``[{"processid", "attempt"}]``)
        renews their lease and gives back any RUNNING process of its not listed; ``instance`` names this run of it."""
        body = {"timeout": timeout, "count": count}
        if holding is not None:
            body["holding"] = holding
            if instance is not None:
                body["instance"] = instance
        answer = self._call("assign", prvkey, body, colonyname=colonyname, timeout=timeout + 30, cancel=cancel)
        processes = [Process(p) for p in answer["processes"]]
        for p in processes:
            self._attempts[p.processid] = p.attempt
        return processes

    def heartbeat(self, holding, prvkey=None, instance=None, colonyname=None):
        """Reports the attempts this executor runs (its lease); answers those that are over (revoked): stop them."""
        body = {"holding": holding}
        if instance is not None:
            body["instance"] = instance
        return self._call("executorHeartbeat", prvkey, body, colonyname=colonyname)["revoked"]

    def get_process(self, processid, prvkey=None, colonyname=None):
        return Process(self._call("getProcess", prvkey, colonyname=colonyname, id=processid))

    def get_processes(self, colonyname=None, count=100, state=None, prvkey=None, **filters):
        """Processes, newest first; filters: executortype, label, funcname, nodename, since, until, offset."""
        query = dict(filters, count=count, state=state)
        return _records(self._call("listProcesses", prvkey, query=query, colonyname=colonyname), Process)

    # pycolonies' name.
    list_processes = get_processes

    def remove_process(self, processid, prvkey=None, force=False, colonyname=None):
        self._call("removeProcess", prvkey, query={"force": force or None}, colonyname=colonyname, id=processid)

    def cancel_process(self, processid, prvkey=None, colonyname=None):
        return Process(self._call("cancelProcess", prvkey, colonyname=colonyname, id=processid))

    def _attempt(self, process, attempt):
        if attempt is not None:
            return attempt
        if isinstance(process, dict) and "attempt" in process:
            return process["attempt"]
        known = self._attempts.get(process)
        if known is None:
            raise ColoniesError("VALIDATION_FAILED",
                                f"attempt: process {process} was not assigned through this client; pass attempt= "
                                "(the process's attempt when it was assigned) or the assigned Process itself")
        return known

    def close(self, processid, output, prvkey=None, attempt=None, colonyname=None):
        """Closes a process this executor runs with its output (a list). The attempt is the one it was assigned."""
        pid = processid["processid"] if isinstance(processid, dict) else processid
        body = {"attempt": self._attempt(processid, attempt), "out": list(output or [])}
        self._call("closeProcess", prvkey, body, colonyname=colonyname, id=pid)
        self._attempts.pop(pid, None)

    def fail(self, processid, errors=None, prvkey=None, attempt=None, retry=True, errorkind=None, colonyname=None):
        """Fails the attempt; retried while retries remain unless ``retry=False`` or ``errorkind`` is in the spec's noretry."""
        pid = processid["processid"] if isinstance(processid, dict) else processid
        body = {"attempt": self._attempt(processid, attempt), "errors": list(errors or [])}
        if not retry:
            body["retry"] = False
        if errorkind is not None:
            body["errorkind"] = errorkind
        answer = Process(self._call("failProcess", prvkey, body, colonyname=colonyname, id=pid))
        self._attempts.pop(pid, None)
        return answer

    def add_log(self, processid, logmsg, prvkey=None, colonyname=None):
        self._call("addLog", prvkey, {"message": logmsg}, colonyname=colonyname, id=processid)

    def get_logs(self, processid, prvkey=None, count=100, since=None, colonyname=None):
        query = {"count": count, "since": since}
        return _records(self._call("getLogs", prvkey, query=query, colonyname=colonyname, id=processid))

    def wait(self, process, timeout=60, prvkey=None, colonyname=None):
        """Waits until the process has finished (SUCCESS, FAILED, CANCELLED or SKIPPED); returns it."""
        pid = process["processid"] if isinstance(process, dict) else process
        colony = colonyname or (process.get("colonyname") if isinstance(process, dict) else None)
        return self._poll(lambda: self.get_process(pid, prvkey, colony), timeout, f"process {pid}")

    # ── process graphs (workflows) ───────────────────────────────────────────────────────────────────

    def submit_workflow(self, workflow, prvkey=None, name=None, key=None):
        """Submits a Workflow (or a list of specs, or the wire's dict); answers the graph with its processids."""
        if isinstance(workflow, Workflow):
            body, colony = workflow.to_dict(), workflow.colonyname
        elif isinstance(workflow, dict):
            body = dict(workflow, functionspecs=[spec_dict(s) for s in workflow["functionspecs"]])
            colony = workflow.get("colonyname")
        else:
            body, colony = {"functionspecs": [spec_dict(s) for s in workflow]}, None
        if name is not None:
            body["name"] = name
        if key is not None:
            body["key"] = key
        return ProcessGraph(self._call("submitWorkflow", prvkey, body, colonyname=colony))

    def get_processgraph(self, processgraphid, prvkey=None, colonyname=None):
        """A graph with its processids and processes."""
        return ProcessGraph(self._call("getProcessGraph", prvkey, colonyname=colonyname, id=processgraphid))

    def get_processgraphs(self, colonyname=None, count=100, prvkey=None, state=None, **filters):
        """Graphs, newest first; filters: label, funcname, nodename, since, until, offset."""
        query = dict(filters, count=count, state=state)
        return _records(self._call("listProcessGraphs", prvkey, query=query, colonyname=colonyname), ProcessGraph)

    def remove_processgraph(self, processgraphid, prvkey=None, force=False, colonyname=None):
        self._call("removeProcessGraph", prvkey, query={"force": force or None}, colonyname=colonyname, id=processgraphid)

    def cancel_processgraph(self, processgraphid, prvkey=None, colonyname=None):
        return ProcessGraph(self._call("cancelProcessGraph", prvkey, colonyname=colonyname, id=processgraphid))

    def find_process(self, nodename, processids, prvkey=None, colonyname=None):
        """The process named ``nodename`` among ``processids`` (a list, as pycolonies takes), or in a graph (its id
        or the graph itself); None when there is none."""
        if isinstance(processids, dict):
            processids = processids.get("processgraphid")
        if isinstance(processids, str):
            return self._find_in_graph(processids, nodename, prvkey, colonyname)
        ids = list(processids or [])
        if not ids:
            return None
        # One lookup in the first process's graph instead of one read per process.
        first = self.get_process(ids[0], prvkey, colonyname)
        if first.get("processgraphid"):
            found = self._find_in_graph(first.processgraphid, nodename, prvkey, colonyname)
            if found is None or found.processid in ids:
                return found
        for pid in ids:
            p = first if pid == first.processid else self.get_process(pid, prvkey, colonyname)
            if p.spec.nodename == nodename:
                return p
        return None

    def _find_in_graph(self, processgraphid, nodename, prvkey, colonyname):
        try:
            return Process(self._call("findProcess", prvkey, colonyname=colonyname, id=processgraphid, nodename=nodename))
        except ColoniesError as err:
            if err.code == "PROCESS_NOT_FOUND":
                return None
            raise

    def add_child(self, processgraphid, parentprocessid, childprocessid, funcspec, nodename, insert=False, prvkey=None,
                  colonyname=None):
        """Adds a process to a running graph as a child of the process this executor runs (and, when given, a
        parent of ``childprocessid``; ``insert`` splices it in between the parent and all its children)."""
        body = {"parentprocessid": parentprocessid, "spec": spec_dict(funcspec), "insert": bool(insert)}
        if nodename:
            body["nodename"] = nodename
        if childprocessid:
            body["childprocessid"] = childprocessid
        return Process(self._call("addChild", prvkey, body, colonyname=colonyname, id=processgraphid))

    def post_event(self, processgraphid, name, data=None, prvkey=None, colonyname=None):
        """Posts an external event to a graph: the event node waiting for ``name`` finishes with [data]."""
        return Record(self._call("postEvent", prvkey, {"name": name, "data": data}, colonyname=colonyname, id=processgraphid))

    def wait_for_processgraph(self, processgraphid, timeout=60, prvkey=None, colonyname=None):
        """Waits until the graph has finished; returns it with its processes."""
        return self._poll(lambda: self.get_processgraph(processgraphid, prvkey, colonyname), timeout,
                          f"process graph {processgraphid}")

    def _poll(self, read, timeout, what):
        # The API has no long-poll for a finished process: ask again, a little less often each time.
        until = time.monotonic() + timeout
        delay = 0.05
        while True:
            current = read()
            if current.state in FINISHED_STATES:
                return current
            if time.monotonic() + delay > until:
                raise ColoniesError("TIMEOUT", f"{what} did not finish within {timeout} s (it is {current.state})")
            time.sleep(delay)
            delay = min(delay * 2, 0.5)

    # ── registered workflow specs ────────────────────────────────────────────────────────────────────

    def register_workflow_spec(self, name, workflow, prvkey=None, colonyname=None):
        """Registers a workflow under a name: a new version, or the version an identical spec has (``added`` False)."""
        wf = workflow if isinstance(workflow, Workflow) else Workflow(functionspecs=workflow)
        spec = {"functionspecs": [spec_dict(s) for s in wf.functionspecs]}
        if wf.variables:
            spec["variables"] = wf.variables
        return Record(self._call("registerWorkflowSpec", prvkey, {"name": name, "spec": spec},
                                 colonyname=colonyname or wf.colonyname))

    def list_workflow_specs(self, colonyname=None, prvkey=None):
        return _records(self._call("listWorkflowSpecs", prvkey, colonyname=colonyname))

    def run_workflow(self, name, variables=None, prvkey=None, version=None, runname=None, key=None, colonyname=None):
        """Runs a registered workflow spec by name with its variables; ``key`` makes the run idempotent."""
        body = {"variables": dict(variables or {})}
        for field, value in (("version", version), ("name", runname), ("key", key)):
            if value is not None:
                body[field] = value
        return ProcessGraph(self._call("runWorkflow", prvkey, body, colonyname=colonyname, name=name))

    # ── functions ────────────────────────────────────────────────────────────────────────────────────

    def declare_functions(self, funcnames, prvkey=None, colonyname=None):
        """Declares the functions this executor serves (replacing what it declared before)."""
        return self._call("declareFunctions", prvkey, {"functions": list(funcnames)}, colonyname=colonyname)["functions"]

    def get_functions_by_colony(self, colonyname=None, prvkey=None):
        return _records(self._call("listFunctions", prvkey, colonyname=colonyname))


def server_url(env=None):
    """The server's URL from COLONIES_SERVER_URL, or COLONIES_SERVER_HOST/PORT/TLS."""
    env = os.environ if env is None else env
    if env.get("COLONIES_SERVER_URL"):
        return env["COLONIES_SERVER_URL"]
    host = env.get("COLONIES_SERVER_HOST") or "localhost"
    host = "localhost" if host == "0.0.0.0" else host
    scheme = "https" if env.get("COLONIES_SERVER_TLS") == "true" else "http"
    return f"{scheme}://{host}:{env.get('COLONIES_SERVER_PORT') or DEFAULT_PORT}"


def colonies_client(env=None):
    """As pycolonies: ``client, colonyname, colony_prvkey, executorname, prvkey`` from the COLONIES_* environment."""
    env = os.environ if env is None else env
    colonyname = env.get("COLONIES_COLONY_NAME") or None
    prvkey = env.get("COLONIES_PRVKEY") or None
    client = Colonies(url=server_url(env), colonyname=colonyname, prvkey=prvkey)
    return client, colonyname, env.get("COLONIES_COLONY_PRVKEY") or None, env.get("COLONIES_EXECUTOR_NAME") or None, prvkey
