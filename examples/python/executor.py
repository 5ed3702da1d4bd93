"""The example executor (the tutorial's python_executor.py): registers and approves itself with the colony
owner's key, then serves every function of functions.py. One line per process it runs; Ctrl-C or SIGTERM
stops it gracefully (a second one fails whatever is still running, so the server can retry it elsewhere).

    source .colonies/dev.env && python3 examples/python/executor.py [--type python-executor] [--concurrency 2]

Environment: COLONIES_SERVER_URL (or COLONIES_SERVER_HOST + COLONIES_SERVER_PORT), COLONIES_COLONY_NAME,
COLONIES_COLONY_PRVKEY.
"""
import argparse
import datetime
import sys

from colonies import Executor, colonies_client
from common import PYTHON_EXECUTOR
from functions import FUNCTIONS


def log(line):
    print(f"{datetime.datetime.now().isoformat(timespec='milliseconds')} {line}", flush=True)


def cli():
    parser = argparse.ArgumentParser(description="Serves examples/python/functions.py")
    parser.add_argument("--type", default=PYTHON_EXECUTOR, help="executor type to serve (default: %(default)s)")
    parser.add_argument("--concurrency", type=int, default=1, help="processes run at once (default: %(default)s)")
    args = parser.parse_args()
    if args.concurrency < 1:
        parser.error(f"--concurrency must be a positive integer, got {args.concurrency}")

    client, colony_name, colony_prvkey, _, _ = colonies_client()
    if not colony_name or not colony_prvkey:
        sys.exit("COLONIES_COLONY_NAME and COLONIES_COLONY_PRVKEY must be set: start a dev server (npm run dev) and "
                 "run \"source .colonies/dev.env\" first")
    executor = Executor(client, colonyname=colony_name, executortype=args.type, colony_prvkey=colony_prvkey,
                        functions=FUNCTIONS, concurrency=args.concurrency, log=log)
    executor.start()
    log(f"executor {executor.executorname} started (id {executor.id}, colony {colony_name}, server {client.url})")
    log(f"serving {', '.join(FUNCTIONS)}; Ctrl-C stops")
    executor.serve()
    log("stopped")


if __name__ == "__main__":
    cli()
