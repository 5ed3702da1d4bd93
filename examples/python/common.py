"""What the example scripts share: the client from the COLONIES_* environment, submit-and-wait, the exit code."""
import json
import sys

from colonies import ColoniesError, colonies_client

# The tutorial's executor type; executor.py serves it.
PYTHON_EXECUTOR = "python-executor"


def connect():
    """The client, colony and user key from COLONIES_SERVER_URL (or HOST + PORT), COLONIES_COLONY_NAME, COLONIES_PRVKEY."""
    client, colony_name, _, _, prvkey = colonies_client()
    missing = [name for name, value in (("COLONIES_PRVKEY", prvkey), ("COLONIES_COLONY_NAME", colony_name)) if not value]
    if missing:
        raise SystemExit(f"{' and '.join(missing)} not set: start a dev server (npm run dev) and run "
                         "\"source .colonies/dev.env\" first")
    return client, colony_name, prvkey


def main(workflow, result_node, expected, timeout=120):
    """Submits the workflow, waits for it, prints every process and the result; 0 when it is the expected one."""
    try:
        client, colony_name, prvkey = connect()
        processgraph = client.submit_workflow(workflow(colony_name), prvkey)
        print(f"Workflow submitted: {processgraph.processgraphid}", flush=True)
        try:
            processgraph = client.wait_for_processgraph(processgraph.processgraphid, timeout, prvkey)
        except ColoniesError as err:
            if err.code == "TIMEOUT":
                raise SystemExit(f"{err.message}: is an executor serving {PYTHON_EXECUTOR} running? "
                                 "(python3 examples/python/executor.py)") from None
            raise
        print(f"State: {processgraph.state}")
        for pid in processgraph.processids:
            process = client.get_process(pid, prvkey)
            print(f"  {process.spec.nodename}: {process.state}")
        if processgraph.state != client.SUCCESS:
            for p in processgraph.processes:
                if p.state == client.FAILED:
                    print(f"  {p.spec.nodename}: {p.errors[0] if p.errors else 'failed'}", file=sys.stderr)
            print(f"The workflow ended {processgraph.state}", file=sys.stderr)
            return 1
        result = client.find_process(result_node, processgraph.processids, prvkey).output[0]
        print(f"Result: {json.dumps(result)}")
        if result != expected:
            print(f"Wrong result: expected {expected}, got {json.dumps(result)}", file=sys.stderr)
            return 1
        return 0
    except ColoniesError as err:
        print(err, file=sys.stderr)
        return 1
