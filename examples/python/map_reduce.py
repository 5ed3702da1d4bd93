"""The tutorial's dynamic workflow: map adds five gen_nums children while it runs, all feeding reduce
→ (1 + 2) × 5 = 15.

    python3 examples/python/map_reduce.py
"""
import sys

from colonies import Workflow, func_spec
from common import PYTHON_EXECUTOR, main
from functions import map, reduce


def workflow(colony_name):
    wf = Workflow(colonyname=colony_name)

    # Map function: adds the gen_nums children at run time (see map in functions.py)
    f_map = func_spec(func=map, args=[], colonyname=colony_name, executortype=PYTHON_EXECUTOR, maxexectime=100,
                      maxwaittime=100)
    wf.functionspecs.append(f_map)

    # Reduce function - depends on map; by the time it runs its parents are the five gen_nums
    f_reduce = func_spec(func=reduce, args=[], colonyname=colony_name, executortype=PYTHON_EXECUTOR, maxexectime=100,
                         maxwaittime=100)
    f_reduce.conditions.dependencies.append("map")
    wf.functionspecs.append(f_reduce)
    return wf


if __name__ == "__main__":
    sys.exit(main(workflow, "reduce", 15))
