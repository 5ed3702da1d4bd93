"""A Python client of the Colonies server, in pycolonies' shape.

    from colonies import Colonies, func_spec, Workflow, Executor
"""
from .client import Colonies, colonies_client, server_url
from .crypto import Crypto, generate_prvkey, id_of
from .errors import ColoniesConnectionError, ColoniesError
from .executor import Executor, to_output
from .model import Conditions, FuncSpec, Process, ProcessGraph, Record, Workflow, func_spec

__version__ = "0.1.0"

__all__ = [
    "Colonies",
    "ColoniesConnectionError",
    "ColoniesError",
    "Conditions",
    "Crypto",
    "Executor",
    "FuncSpec",
    "Process",
    "ProcessGraph",
    "Record",
    "Workflow",
    "colonies_client",
    "func_spec",
    "generate_prvkey",
    "id_of",
    "server_url",
    "to_output",
]
