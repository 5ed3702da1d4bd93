"""The tutorial's workflow with multiple dependencies: fetch_a and fetch_b in parallel → merge(a, b) → 30.

    python3 examples/python/fan_in.py
"""
import sys

from colonies import Workflow, func_spec
from common import PYTHON_EXECUTOR, main
from functions import fetch_a, fetch_b, merge


def workflow(colony_name):
    wf = Workflow(colonyname=colony_name)

    # Two parallel fetchers
    f_a = func_spec(func=fetch_a, args=[], colonyname=colony_name, executortype=PYTHON_EXECUTOR, maxexectime=60,
                    maxwaittime=60)
    wf.functionspecs.append(f_a)
    f_b = func_spec(func=fetch_b, args=[], colonyname=colony_name, executortype=PYTHON_EXECUTOR, maxexectime=60,
                    maxwaittime=60)
    wf.functionspecs.append(f_b)

    # Merge depends on both fetchers: its input is their outputs, in this order
    f_merge = func_spec(func=merge, args=[], colonyname=colony_name, executortype=PYTHON_EXECUTOR, maxexectime=60,
                        maxwaittime=60)
    f_merge.conditions.dependencies.append("fetch_a")
    f_merge.conditions.dependencies.append("fetch_b")
    wf.functionspecs.append(f_merge)
    return wf


if __name__ == "__main__":
    sys.exit(main(workflow, "merge", 30))
