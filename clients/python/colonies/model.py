"""Function specs, workflows, and the server's objects with attribute access, in pycolonies' shape."""
import warnings

# The states of processes and graphs, as the server names them.
WAITING = "WAITING"
RUNNING = "RUNNING"
SUCCESS = "SUCCESS"
FAILED = "FAILED"
CANCELLED = "CANCELLED"
SKIPPED = "SKIPPED"
HALTED = "HALTED"
FINISHED_STATES = (SUCCESS, FAILED, CANCELLED, SKIPPED)


class Record(dict):
    """A JSON object from the server: a dict whose fields also read as attributes (``process.processid``)."""

    _aliases = {}

    def __getattr__(self, name):
        try:
            return self[self._aliases.get(name, name)]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}") from None

    def __setattr__(self, name, value):
        self[self._aliases.get(name, name)] = value


class Process(Record):
    """A process. ``in`` and ``out`` are Python keywords, so they also read as ``input`` and ``output``."""

    _aliases = {"input": "in", "output": "out"}

    def __init__(self, data):
        super().__init__(data)
        spec = self.get("spec")
        if isinstance(spec, dict):
            spec = Record(spec)
            if isinstance(spec.get("conditions"), dict):
                spec["conditions"] = Record(spec["conditions"])
            self["spec"] = spec


class ProcessGraph(Record):
    """A process graph (a workflow run); a fetched one lists its ``processids`` and ``processes``."""

    def __init__(self, data):
        super().__init__(data)
        if isinstance(self.get("processes"), list):
            self["processes"] = [Process(p) for p in self["processes"]]


class Conditions:
    """When a function runs: after its ``dependencies`` (nodenames), if ``when`` holds, by its ``trigger``."""

    def __init__(self, dependencies=None, executortype=None, colonyname=None, when=None, trigger=None):
        self.dependencies = list(dependencies or [])
        # pycolonies keeps these two here; the spec's own executortype wins, the colony comes from the workflow.
        self.executortype = executortype
        self.colonyname = colonyname
        self.when = when
        self.trigger = trigger

    def to_dict(self):
        out = {"dependencies": list(self.dependencies)}
        if self.when is not None:
            out["when"] = self.when
        if self.trigger is not None:
            out["trigger"] = self.trigger
        return out


# Fields a spec sends only when they were given: a spec without them keeps its form (and a registered spec its hash).
_OPTIONAL_FIELDS = ("retrydelay", "retrybackoff", "maxretrydelay", "noretry", "setvariables", "expand")


class FuncSpec:
    """One function call of a workflow (a node of its graph)."""

    def __init__(self, funcname, executortype=None, nodename=None, args=None, kwargs=None, priority=0, maxwaittime=0,
                 maxexectime=0, maxretries=0, label="", conditions=None, **optional):
        unknown = set(optional) - set(_OPTIONAL_FIELDS)
        if unknown:
            raise TypeError(f"FuncSpec: unknown field(s) {', '.join(sorted(unknown))}")
        self.funcname = funcname
        self.nodename = nodename or funcname
        self.args = list(args or [])
        self.kwargs = dict(kwargs or {})
        self.executortype = executortype
        self.priority = priority
        self.maxwaittime = maxwaittime
        self.maxexectime = maxexectime
        self.maxretries = maxretries
        self.label = label
        self.conditions = conditions if conditions is not None else Conditions()
        for field in _OPTIONAL_FIELDS:
            setattr(self, field, optional.get(field))
        # Kept for pycolonies scripts that pass code=; never sent (see func_spec).
        self.code = None

    def to_dict(self):
        out = {
            "funcname": self.funcname,
            "nodename": self.nodename or self.funcname,
            "args": list(self.args),
            "kwargs": dict(self.kwargs),
            "priority": self.priority,
            "maxwaittime": self.maxwaittime,
            "maxexectime": self.maxexectime,
            "maxretries": self.maxretries,
            "label": self.label,
            "conditions": self.conditions.to_dict(),
        }
        executortype = self.executortype or self.conditions.executortype
        if executortype is not None:
            out["executortype"] = executortype
        for field in _OPTIONAL_FIELDS:
            if getattr(self, field) is not None:
                out[field] = getattr(self, field)
        return out

    def __repr__(self):
        return f"FuncSpec({self.to_dict()!r})"


def func_spec(func, args=None, colonyname=None, executortype=None, executorname=None, priority=0, maxexectime=0,
              maxretries=0, maxwaittime=0, code=None, kwargs=None, fs=None, nodename=None, label="", dependencies=None,
              when=None, trigger=None, **optional):
    """A function spec, as pycolonies' func_spec: ``func`` is a function (its ``__name__`` is the funcname) or a name.

    The function's source is not shipped: an executor runs the functions it serves, by name. ``code=``
    is accepted for pycolonies scripts, and warned about. Retry policy (``retrydelay``, ``retrybackoff``,
    ``maxretrydelay``, ``noretry``), ``setvariables`` and ``expand`` go through as the server reads them.
    """
    funcname = func if isinstance(func, str) else getattr(func, "__name__", None)
    if not funcname or funcname == "<lambda>":
        raise ValueError("func_spec: func is a named function or a function name (a lambda has no name)")
    if not executortype:
        raise ValueError("func_spec: executortype is required (the type of executor that serves the function)")
    if executorname is not None:
        raise ValueError("func_spec: executorname is not supported: any approved executor of the executortype may run it")
    if fs is not None:
        raise ValueError("func_spec: fs (file system sync) is not supported by this server")
    spec = FuncSpec(funcname, executortype=executortype, nodename=nodename, args=args, kwargs=kwargs, priority=priority,
                    maxwaittime=maxwaittime, maxexectime=maxexectime, maxretries=maxretries, label=label,
                    conditions=Conditions(dependencies, executortype, colonyname, when, trigger), **optional)
    if code is not None:
        spec.code = code
        warnings.warn(f"func_spec({funcname!r}): code is not sent; the executor runs the function it serves under this name",
                      stacklevel=2)
    return spec


class Workflow:
    """A workflow: function specs (``functionspecs.append(f)`` or ``add(f)``) and the variables it declares."""

    def __init__(self, colonyname=None, functionspecs=None, variables=None):
        self.colonyname = colonyname
        self.functionspecs = list(functionspecs or [])
        self.variables = dict(variables or {})

    def add(self, spec):
        self.functionspecs.append(spec)
        return self

    def variable(self, name, declaration):
        """Declares a run variable; args and kwargs may then refer to it as ``{"$var": name}``."""
        self.variables[name] = declaration
        return self

    def to_dict(self):
        out = {"functionspecs": [spec_dict(s) for s in self.functionspecs]}
        if self.colonyname:
            out["colonyname"] = self.colonyname
        if self.variables:
            out["variables"] = dict(self.variables)
        return out


def spec_dict(spec):
    """A FuncSpec, or a spec already in the wire's form (a dict), as sent."""
    return spec.to_dict() if isinstance(spec, FuncSpec) else dict(spec)
