"""The tutorial's basic workflow: gen_nums() returns (1, 2), sum_nums(n1, n2) depends on it → 3.

    python3 examples/python/two_steps.py    (with .colonies/dev.env sourced and examples/python/executor.py running)
"""
import sys

from colonies import Workflow, func_spec
from common import PYTHON_EXECUTOR, main
from functions import gen_nums, sum_nums


def workflow(colony_name):
    wf = Workflow(colonyname=colony_name)

    # First function - generates data
    f1 = func_spec(func=gen_nums, args=[], colonyname=colony_name, executortype=PYTHON_EXECUTOR, maxexectime=100,
                   maxwaittime=100)
    wf.functionspecs.append(f1)

    # Second function - depends on first
    f2 = func_spec(func=sum_nums, args=[], colonyname=colony_name, executortype=PYTHON_EXECUTOR, maxexectime=100,
                   maxwaittime=100)
    f2.conditions.dependencies.append("gen_nums")
    wf.functionspecs.append(f2)
    return wf


if __name__ == "__main__":
    sys.exit(main(workflow, "sum_nums", 3))
