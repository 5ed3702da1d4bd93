"""The client against a live server: errors with the server's codes, assign/close/fail with attempt fencing,
heartbeats, registered specs run by name, finding processes."""
import unittest

from colonies import Colonies, ColoniesError, Crypto, Workflow, func_spec
from live import Live


def two_steps(colonyname, executortype):
    wf = Workflow(colonyname=colonyname)
    wf.functionspecs.append(func_spec(func="gen_nums", args=[], colonyname=colonyname, executortype=executortype,
                                      maxexectime=100, maxwaittime=100))
    f2 = func_spec(func="sum_nums", args=[], colonyname=colonyname, executortype=executortype, maxexectime=100,
                   maxwaittime=100)
    f2.conditions.dependencies.append("gen_nums")
    wf.functionspecs.append(f2)
    return wf


class ClientLive(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.live = Live()

    def test_errors_carry_the_servers_code_status_and_message(self):
        user = self.live.user
        cases = [
            (lambda: user.get_process("ab" * 32), "PROCESS_NOT_FOUND", 404, "abab"),
            (lambda: user.get_process("xyz"), "VALIDATION_FAILED", 400, "process id"),
            (lambda: user.submit_workflow({"functionspecs": [{"funcname": "f"}]}), "VALIDATION_FAILED", 400,
             "executortype"),
            (lambda: user.submit_workflow(Workflow(functionspecs=[func_spec(func="f", executortype="t",
                                                                             dependencies=["nowhere"])])),
             "UNKNOWN_DEPENDENCY", 400, "nowhere"),
            (lambda: user.with_key(Crypto().prvkey()).get_colony(), "NOT_A_MEMBER", 403, ""),
            (lambda: user.close("cd" * 32, [1], attempt=1), "FORBIDDEN", 403, "only an executor"),
        ]
        for call, code, status, text in cases:
            with self.subTest(code=code), self.assertRaises(ColoniesError) as caught:
                call()
            self.assertEqual((caught.exception.code, caught.exception.status), (code, status), str(caught.exception))
            self.assertIn(text, caught.exception.message)

    def test_assign_close_and_fail_name_the_attempt_they_hold(self):
        executortype = self.live.executor_type()
        executor = self.live.add_executor(executortype)
        graph = self.live.user.submit_workflow(two_steps(self.live.colonyname, executortype))
        self.assertEqual(len(graph.processids), 2)

        first = executor.assign(timeout=5)
        self.assertEqual((first.spec.funcname, first.attempt, first.state), ("gen_nums", 1, Colonies.RUNNING))
        with self.assertRaises(ColoniesError) as caught:
            executor.close(first.processid, [1, 2], attempt=2)
        self.assertEqual(caught.exception.code, "NOT_ASSIGNED")
        executor.close(first.processid, [1, 2])  # the attempt it was assigned
        self.assertEqual(self.live.user.get_process(first.processid).output, [1, 2])

        second = executor.assign(timeout=5)
        self.assertEqual((second.spec.funcname, second.input), ("sum_nums", [1, 2]))
        executor.add_log(second.processid, "sum_nums: giving up ✓")
        failed = executor.fail(second.processid, ["bad input"], retry=False, errorkind="ValueError")
        self.assertEqual(failed.state, Colonies.FAILED)
        self.assertEqual([entry.message for entry in self.live.user.get_logs(second.processid)], ["sum_nums: giving up ✓"])
        done = self.live.user.wait_for_processgraph(graph.processgraphid, timeout=30)
        self.assertEqual(done.state, Colonies.FAILED)
        self.assertEqual(executor.assign(timeout=0), None)

    def test_a_heartbeat_answers_the_attempts_that_are_over(self):
        executortype = self.live.executor_type()
        executor = self.live.add_executor(executortype)
        graph = self.live.user.submit_workflow(two_steps(self.live.colonyname, executortype))
        p = executor.assign_many(timeout=5, count=5, holding=[], instance="test-run-1")[0]
        held = [{"processid": p.processid, "attempt": p.attempt}]
        self.assertEqual(executor.heartbeat(held, instance="test-run-1"), [])
        self.live.user.cancel_processgraph(graph.processgraphid)
        self.assertEqual(executor.heartbeat(held, instance="test-run-1"), [p.processid])
        with self.assertRaises(ColoniesError) as caught:
            executor.close(p, [1, 2])
        self.assertIn(caught.exception.code, ("PROCESS_NOT_RUNNING", "NOT_ASSIGNED", "PROCESS_FINISHED"))

    def test_a_registered_spec_runs_by_name_with_its_variables(self):
        executortype = self.live.executor_type()
        executor = self.live.add_executor(executortype)
        name = f"double-{executortype}"
        wf = Workflow(colonyname=self.live.colonyname).variable("n", {"type": "integer", "required": True})
        wf.add(func_spec(func="double", args=[{"$var": "n"}], executortype=executortype, maxwaittime=100))
        registered = self.live.user.register_workflow_spec(name, wf)
        self.assertEqual((registered.name, registered.version, registered.added), (name, 1, True))
        self.assertEqual(self.live.user.register_workflow_spec(name, wf).added, False)

        run = self.live.user.run_workflow(name, {"n": 21}, runname="answer")
        self.assertEqual((run.specname, run.name), (name, "answer"))
        p = executor.assign(timeout=5)
        self.assertEqual((p.spec.funcname, p.spec.args), ("double", [21]))
        executor.close(p.processid, [42])
        self.assertEqual(self.live.user.wait_for_processgraph(run.processgraphid).state, Colonies.SUCCESS)
        with self.assertRaises(ColoniesError) as caught:
            self.live.user.run_workflow(name, {"n": "many"})
        self.assertEqual(caught.exception.code, "VALIDATION_FAILED")
        self.assertIn("n", caught.exception.message)

    def test_find_process_by_processids_by_graph_and_none_when_absent(self):
        executortype = self.live.executor_type()
        graph = self.live.user.submit_workflow(two_steps(self.live.colonyname, executortype))
        by_ids = self.live.user.find_process("sum_nums", graph.processids)
        self.assertEqual(by_ids.spec.nodename, "sum_nums")
        self.assertIn(by_ids.processid, graph.processids)
        self.assertEqual(self.live.user.find_process("sum_nums", graph.processgraphid).processid, by_ids.processid)
        self.assertEqual(self.live.user.find_process("gen_nums", graph).spec.funcname, "gen_nums")
        self.assertIsNone(self.live.user.find_process("reduce", graph.processids))
        fetched = self.live.user.get_processgraph(graph.processgraphid)
        self.assertEqual(sorted(p.processid for p in fetched.processes), sorted(graph.processids))
        waiting = self.live.user.get_processes(state=Colonies.WAITING, executortype=executortype)
        self.assertEqual(sorted(p.processid for p in waiting), sorted(graph.processids))
        graphs = self.live.user.get_processgraphs(count=10, funcname="gen_nums", state=Colonies.WAITING)
        self.assertIn(graph.processgraphid, [g.processgraphid for g in graphs])
        self.live.user.remove_processgraph(graph.processgraphid, force=True)
        with self.assertRaises(ColoniesError) as caught:
            self.live.user.get_processgraph(graph.processgraphid)
        self.assertEqual(caught.exception.code, "PROCESSGRAPH_NOT_FOUND")


if __name__ == "__main__":
    unittest.main()
