"""The Executor against a live server: the tutorial's functions served by name, map-reduce adding children
from inside a function, failures, revoked attempts, the lease kept by heartbeats, stopping."""
import threading
import unittest

from colonies import Colonies, ColoniesError, Executor, Workflow, func_spec
from live import Live, wait_until

# The tutorial's map calls a module-level client with the executor's key, as pycolonies' executor provides it.
colonies = None


def gen_nums(ctx={}):
    return 1, 2


def sum_nums(n1, n2, ctx={}):
    return n1 + n2


def map(ctx={}):
    processgraphid = ctx["process"].processgraphid
    map_processid = ctx["process"].processid
    executor_prvkey = ctx["executor_prvkey"]
    processgraph = colonies.get_processgraph(processgraphid, executor_prvkey)
    reduce_process = colonies.find_process("reduce", processgraph.processids, executor_prvkey)
    insert = True
    for i in range(5):
        f = func_spec(func="gen_nums", args=[], colonyname=ctx["colonyname"], executortype=ctx["executortype"],
                      maxexectime=100, maxwaittime=100)
        colonies.add_child(processgraphid, map_processid, reduce_process.processid, f, f"gen_nums_{i}", insert,
                           executor_prvkey)
        insert = False


def reduce(*nums, ctx={}):
    return sum(nums)


def scale(*nums, offset=0, ctx={}):
    # A child: its input is its parent's output; its own args and kwargs are in ctx.
    assert ctx["kwargs"] == {"offset": offset}
    return tuple(n * ctx["args"][0] + offset for n in nums)


class ExecutorLive(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        global colonies
        cls.live = Live()
        colonies = Colonies(url=cls.live.url, colonyname=cls.live.colonyname)

    def serve(self, functions, **options):
        """A started executor of a type of its own, registered with the colony owner's key; stopped after the test."""
        executortype = self.live.executor_type()
        lines = []
        ex = Executor(url=self.live.url, colonyname=self.live.colonyname, executortype=executortype,
                      colony_prvkey=self.live.colony_prvkey, functions=functions, assign_timeout=2, log=lines.append,
                      **options)
        ex.lines = lines
        ex.start()
        self.addCleanup(ex.stop, 0)
        return ex

    def spec(self, ex, func, **options):
        return func_spec(func=func, args=options.pop("args", []), colonyname=self.live.colonyname,
                         executortype=ex.executortype, maxexectime=100, maxwaittime=100, **options)

    def run_graph(self, specs, timeout=60):
        graph = self.live.user.submit_workflow(Workflow(colonyname=self.live.colonyname, functionspecs=specs))
        return self.live.user.wait_for_processgraph(graph.processgraphid, timeout=timeout)

    @staticmethod
    def node(graph, nodename):
        return next(p for p in graph.processes if p.spec.nodename == nodename)

    def test_the_two_step_workflow_passes_gen_nums_output_to_sum_nums(self):
        ex = self.serve({"gen_nums": gen_nums, "sum_nums": sum_nums})
        f2 = self.spec(ex, sum_nums)
        f2.conditions.dependencies.append("gen_nums")
        graph = self.run_graph([self.spec(ex, gen_nums), f2])
        self.assertEqual(graph.state, Colonies.SUCCESS)
        self.assertEqual(self.node(graph, "sum_nums").input, [1, 2])
        self.assertEqual(self.node(graph, "sum_nums").output, [3])
        self.assertEqual({p.assignedexecutorid for p in graph.processes}, {ex.id})
        declared = [f for f in self.live.user.get_functions_by_colony() if f.executortype == ex.executortype]
        self.assertEqual(sorted(f.funcname for f in declared), ["gen_nums", "sum_nums"])
        self.assertEqual(ex.stats["closed"], 2)

    def test_map_adds_five_children_from_inside_the_executor_and_reduce_sums_them(self):
        ex = self.serve({"map": map, "reduce": reduce, "gen_nums": gen_nums})
        f_reduce = self.spec(ex, reduce)
        f_reduce.conditions.dependencies.append("map")
        graph = self.run_graph([self.spec(ex, map), f_reduce])
        self.assertEqual(graph.state, Colonies.SUCCESS)
        self.assertEqual(self.node(graph, "reduce").output, [15])
        self.assertEqual(sorted(p.spec.nodename for p in graph.processes if p.spec.funcname == "gen_nums"),
                         [f"gen_nums_{i}" for i in range(5)])
        self.assertEqual(len(self.node(graph, "reduce").parents), 5)

    def test_kwargs_and_functions_without_ctx_and_the_decorator(self):
        ex = self.serve({})

        @ex.function(name="add")
        def add_numbers(a, b):
            return a + b

        ex._declare()
        graph = self.run_graph([self.spec(ex, "add", args=[1], kwargs={"b": 2})])
        self.assertEqual((graph.state, graph.processes[0].output), (Colonies.SUCCESS, [3]))

    def test_a_child_reads_its_own_args_and_kwargs_in_ctx(self):
        ex = self.serve({"gen_nums": gen_nums, "scale": scale})
        child = self.spec(ex, "scale", args=[10], kwargs={"offset": 1})
        child.conditions.dependencies.append("gen_nums")
        graph = self.run_graph([self.spec(ex, gen_nums), child])
        self.assertEqual(graph.state, Colonies.SUCCESS)
        self.assertEqual((self.node(graph, "scale").input, self.node(graph, "scale").output), ([1, 2], [11, 21]))

    def test_a_raised_error_fails_the_attempt_with_its_message_and_kind(self):
        def check(n, ctx={}):
            if n < 0:
                raise ValueError(f"n must not be negative, got {n}")
            if n == 0:
                ctx["fail"]("zero is final", retry=False)
            return {1, 2}  # a set is not JSON

        ex = self.serve({"check": check})
        cases = {
            "negative": self.spec(ex, check, args=[-1], maxretries=3, noretry=["ValueError"], nodename="negative"),
            "zero": self.spec(ex, check, args=[0], maxretries=3, nodename="zero"),
            "not-json": self.spec(ex, check, args=[1], maxretries=3, nodename="not-json"),
            "unserved": self.spec(ex, "nobody_serves_this", nodename="unserved"),
        }
        # One graph each: a failed process ends its graph, which would cancel the others.
        graphs = {name: self.live.user.submit_workflow(Workflow(colonyname=self.live.colonyname, functionspecs=[spec]))
                  for name, spec in cases.items()}
        failed = {name: self.live.user.wait_for_processgraph(g.processgraphid, timeout=60).processes[0]
                  for name, g in graphs.items()}
        for name, p in failed.items():
            self.assertEqual((name, p.state, p.retries), (name, Colonies.FAILED, 0))
        negative = failed["negative"]
        self.assertEqual(negative.errors[0], "n must not be negative, got -1 (not retried: ValueError is in noretry)")
        self.assertTrue(any("Traceback" in e and "ValueError" in e for e in negative.errors))
        self.assertEqual(failed["zero"].errors[0], "zero is final (not retried: the executor failed it as final)")
        self.assertIn("the output of check is not JSON", failed["not-json"].errors[0])
        self.assertIn(f'function "nobody_serves_this" is not served by executor {ex.executorname} (it serves: check)',
                      failed["unserved"].errors[0])
        self.assertEqual(ex.stats["failed"], 4)

    def test_a_process_that_is_over_is_told_and_its_result_dropped(self):
        told = threading.Event()

        def slow(ctx={}):
            if ctx["cancelled"].wait(60):
                told.set()
            return "too late"

        ex = self.serve({"slow": slow})
        graph = self.live.user.submit_workflow(Workflow(colonyname=self.live.colonyname, functionspecs=[self.spec(ex, slow)]))
        pid = graph.processids[0]
        wait_until("slow is running", lambda: self.live.user.get_process(pid).state == Colonies.RUNNING)
        self.live.user.cancel_processgraph(graph.processgraphid)
        self.assertTrue(told.wait(30), "the heartbeat told the function its process is over")
        wait_until("the revoked attempt is let go", lambda: ex.holding() == [])
        self.assertEqual((ex.stats["revoked"], ex.stats["closed"]), (1, 0))
        self.assertEqual(self.live.user.get_process(pid).state, Colonies.CANCELLED)

    def test_heartbeats_keep_a_function_longer_than_the_lease(self):
        def long(ctx={}):
            # Runs through three leases: without heartbeats the server would take the attempt back.
            ctx["cancelled"].wait(3 * self.live.lease_seconds)
            return "held"

        ex = self.serve({"long": long})
        graph = self.run_graph([self.spec(ex, long, maxretries=2)], timeout=120)
        p = graph.processes[0]
        self.assertEqual((graph.state, p.output, p.attempt, p.retries), (Colonies.SUCCESS, ["held"], 1, 0))

    def test_stopping_fails_what_is_still_running_after_the_grace_period(self):
        release = threading.Event()
        started = threading.Event()

        def stuck(ctx={}):
            started.set()
            release.wait(60)
            return "finished after all"

        ex = self.serve({"stuck": stuck})
        self.addCleanup(release.set)
        graph = self.live.user.submit_workflow(Workflow(colonyname=self.live.colonyname, functionspecs=[self.spec(ex, stuck)]))
        self.assertTrue(started.wait(30))
        ex.stop(0)
        self.assertTrue(ex.join(1))
        p = self.live.user.wait(graph.processids[0], timeout=30)
        self.assertEqual(p.state, Colonies.FAILED)
        self.assertIn("executor stopped before the function finished", p.errors)
        release.set()
        self.assertEqual(ex.stats["closed"], 0)

    def test_an_executor_removed_from_its_colony_stops(self):
        ex = self.serve({"gen_nums": gen_nums})
        self.live.owner.remove_executor(self.live.colonyname, ex.executorname)
        self.assertTrue(ex.join(30), "it stopped once the server refused it")
        self.assertIsInstance(ex.access_ended, ColoniesError)
        self.assertIn(ex.access_ended.code, ("NOT_A_MEMBER", "EXECUTOR_NOT_APPROVED"))


if __name__ == "__main__":
    unittest.main()
