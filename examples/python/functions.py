"""Every function the Python example workflows call (the ColonyOS workflows tutorial's), served by executor.py.

A process whose funcname is sum_nums calls sum_nums(*input, ctx=ctx): its input is its parents' outputs
in dependency order (or its args when it has no parents). A tuple returned is the output list, any other
value x is [x]; an exception fails the attempt.
"""
from colonies import colonies_client, func_spec

# The client map calls, as the tutorial's executor provides it; each call passes the executor's key.
colonies, _, _, _, _ = colonies_client()


# ── Two steps: gen_nums → sum_nums ─────────────────────────────────────────────────────────────────

def gen_nums(ctx={}):
    return 1, 2


def sum_nums(n1, n2, ctx={}):
    return n1 + n2


# ── Fan-in: fetch_a, fetch_b → merge ───────────────────────────────────────────────────────────────

def fetch_a(ctx={}):
    return {"source": "A", "value": 10}


def fetch_b(ctx={}):
    return {"source": "B", "value": 20}


def merge(a, b, ctx={}):
    return a["value"] + b["value"]


# ── Map-reduce: map adds five gen_nums that all feed reduce ────────────────────────────────────────

def map(ctx={}):
    # The executor serves gen_nums itself: no code travels with the spec.
    processgraphid = ctx["process"].processgraphid
    map_processid = ctx["process"].processid
    executor_prvkey = ctx["executor_prvkey"]

    # Get the processgraph
    processgraph = colonies.get_processgraph(processgraphid, executor_prvkey)

    # Find the reduce process
    reduce_process = colonies.find_process("reduce", processgraph.processids, executor_prvkey)
    reduce_processid = reduce_process.processid

    # Add child processes dynamically: the first is spliced in between map and reduce, the others join it.
    insert = True
    for i in range(5):
        f = func_spec(
            func="gen_nums",
            args=[],
            colonyname=ctx["colonyname"],
            executortype="python-executor",
            maxexectime=100,
            maxwaittime=100,
        )
        colonies.add_child(
            processgraphid,
            map_processid,
            reduce_processid,
            f,
            f"gen_nums_{i}",
            insert,
            executor_prvkey,
        )
        insert = False


def reduce(*nums, ctx={}):
    total = 0
    for n in nums:
        total += n
    return total


FUNCTIONS = {f.__name__: f for f in (gen_nums, sum_nums, fetch_a, fetch_b, merge, map, reduce)}
