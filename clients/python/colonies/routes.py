"""The server's routes by operation name, as protocol/routes.ts lists them (a test checks the two agree)."""
import re
from urllib.parse import quote

# operation: (method, path under /api/v1)
OPERATIONS = {
    "addColony": ("POST", "/colonies"),
    "listColonies": ("GET", "/colonies"),
    "removeColony": ("DELETE", "/colonies/:colony"),
    "getColony": ("GET", "/colonies/:colony"),
    "getColonyStats": ("GET", "/colonies/:colony/stats"),
    "addExecutor": ("POST", "/colonies/:colony/executors"),
    "listExecutors": ("GET", "/colonies/:colony/executors"),
    "getExecutor": ("GET", "/colonies/:colony/executors/:name"),
    "approveExecutor": ("POST", "/colonies/:colony/executors/:name/approve"),
    "rejectExecutor": ("POST", "/colonies/:colony/executors/:name/reject"),
    "removeExecutor": ("DELETE", "/colonies/:colony/executors/:name"),
    "executorHeartbeat": ("POST", "/colonies/:colony/executors/heartbeat"),
    "getExecutorLogs": ("GET", "/colonies/:colony/executors/:executorid/logs"),
    "addUser": ("POST", "/colonies/:colony/users"),
    "listUsers": ("GET", "/colonies/:colony/users"),
    "removeUser": ("DELETE", "/colonies/:colony/users/:name"),
    "submitProcess": ("POST", "/colonies/:colony/processes"),
    "submitProcessBatch": ("POST", "/colonies/:colony/processes/batch"),
    "listProcesses": ("GET", "/colonies/:colony/processes"),
    "removeAllProcesses": ("DELETE", "/colonies/:colony/processes"),
    "assign": ("POST", "/colonies/:colony/processes/assign"),
    "closeProcesses": ("POST", "/colonies/:colony/processes/close"),
    "getProcess": ("GET", "/colonies/:colony/processes/:id"),
    "removeProcess": ("DELETE", "/colonies/:colony/processes/:id"),
    "cancelProcess": ("POST", "/colonies/:colony/processes/:id/cancel"),
    "closeProcess": ("POST", "/colonies/:colony/processes/:id/close"),
    "failProcess": ("POST", "/colonies/:colony/processes/:id/fail"),
    "addLog": ("POST", "/colonies/:colony/processes/:id/logs"),
    "getLogs": ("GET", "/colonies/:colony/processes/:id/logs"),
    "submitWorkflow": ("POST", "/colonies/:colony/processgraphs"),
    "listProcessGraphs": ("GET", "/colonies/:colony/processgraphs"),
    "removeAllProcessGraphs": ("DELETE", "/colonies/:colony/processgraphs"),
    "getProcessGraph": ("GET", "/colonies/:colony/processgraphs/:id"),
    "findProcess": ("GET", "/colonies/:colony/processgraphs/:id/nodes/:nodename"),
    "cancelProcessGraph": ("POST", "/colonies/:colony/processgraphs/:id/cancel"),
    "haltProcessGraph": ("POST", "/colonies/:colony/processgraphs/:id/halt"),
    "resumeProcessGraph": ("POST", "/colonies/:colony/processgraphs/:id/resume"),
    "removeProcessGraph": ("DELETE", "/colonies/:colony/processgraphs/:id"),
    "addChild": ("POST", "/colonies/:colony/processgraphs/:id/children"),
    "addChildren": ("POST", "/colonies/:colony/processgraphs/:id/children/batch"),
    "postEvent": ("POST", "/colonies/:colony/processgraphs/:id/events"),
    "listEvents": ("GET", "/colonies/:colony/processgraphs/:id/events"),
    "registerWorkflowSpec": ("POST", "/colonies/:colony/workflowspecs"),
    "listWorkflowSpecs": ("GET", "/colonies/:colony/workflowspecs"),
    "getWorkflowSpec": ("GET", "/colonies/:colony/workflowspecs/:name"),
    "removeWorkflowSpec": ("DELETE", "/colonies/:colony/workflowspecs/:name"),
    "runWorkflow": ("POST", "/colonies/:colony/workflowspecs/:name/runs"),
    "searchWorkflows": ("GET", "/colonies/:colony/workflowspecs/:name/runs"),
    "addCron": ("POST", "/colonies/:colony/crons"),
    "listCrons": ("GET", "/colonies/:colony/crons"),
    "getCron": ("GET", "/colonies/:colony/crons/:name"),
    "removeCron": ("DELETE", "/colonies/:colony/crons/:name"),
    "runCron": ("POST", "/colonies/:colony/crons/:name/run"),
    "declareFunctions": ("POST", "/colonies/:colony/functions"),
    "listFunctions": ("GET", "/colonies/:colony/functions"),
    "findIds": ("GET", "/colonies/:colony/ids/:prefix"),
    "listTasks": ("GET", "/colonies/:colony/tasks"),
    "completeTask": ("POST", "/colonies/:colony/tasks/:id/complete"),
}

# What encodeURIComponent leaves as it is, besides letters and digits.
_UNRESERVED = "-_.!~*'()"


def encode_component(value):
    """A path parameter or query value percent-encoded as JavaScript's encodeURIComponent does."""
    return quote(_text(value), safe=_UNRESERVED)


def _text(value):
    # As JavaScript's String(value): true/false in lower case, 2.0 as 2.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def route_path(operation, **params):
    """The operation's method and path under /api/v1, its parameters percent-encoded."""
    method, path = OPERATIONS[operation]

    def fill(m):
        name = m.group(1)
        if params.get(name) is None:
            raise ValueError(f"{operation}: the path needs {name}")
        return encode_component(params[name])

    return method, re.sub(r":(\w+)", fill, path)


def query_string(query):
    """A query as it is sent and signed: None values left out, each key and value percent-encoded."""
    return "&".join(f"{encode_component(k)}={encode_component(v)}" for k, v in query.items() if v is not None)
