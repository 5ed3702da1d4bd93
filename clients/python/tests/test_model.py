"""func_spec, Workflow, the server's objects, the transport's error replies: no server needed."""
import json
import unittest
import warnings

from colonies import Colonies, ColoniesConnectionError, ColoniesError, Process, ProcessGraph, Workflow, func_spec, to_output
from colonies.executor import AttemptFailure, _takes_ctx, failure_of
from colonies.transport import _answer


def gen_nums(ctx={}):
    return 1, 2


def sum_nums(n1, n2, ctx={}):
    return n1 + n2


class FuncSpecs(unittest.TestCase):
    def test_a_function_gives_its_name_and_the_spec_is_sent_in_the_servers_form(self):
        f = func_spec(func=sum_nums, args=[], colonyname="dev", executortype="python-executor", maxexectime=100,
                      maxwaittime=100)
        f.conditions.dependencies.append("gen_nums")
        self.assertEqual(f.to_dict(), {
            "funcname": "sum_nums", "nodename": "sum_nums", "args": [], "kwargs": {}, "priority": 0, "maxwaittime": 100,
            "maxexectime": 100, "maxretries": 0, "label": "", "conditions": {"dependencies": ["gen_nums"]},
            "executortype": "python-executor",
        })

    def test_a_name_a_nodename_and_the_retry_policy_go_through(self):
        f = func_spec(func="flaky", args=[3], executortype="t", maxretries=3, retrydelay=0.5, noretry=["ValueError"],
                      kwargs={"x": 1}, when="true", trigger="one_failed")
        f.nodename = "flaky-1"
        d = f.to_dict()
        self.assertEqual((d["funcname"], d["nodename"], d["args"], d["kwargs"]), ("flaky", "flaky-1", [3], {"x": 1}))
        self.assertEqual((d["maxretries"], d["retrydelay"], d["noretry"]), (3, 0.5, ["ValueError"]))
        self.assertEqual(d["conditions"], {"dependencies": [], "when": "true", "trigger": "one_failed"})
        self.assertNotIn("retrybackoff", d)

    def test_code_is_accepted_with_a_warning_and_never_sent(self):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            f = func_spec(func="gen_nums", args=[], colonyname="dev", executortype="t", code="def gen_nums(ctx={}): ...")
        self.assertEqual(f.code, "def gen_nums(ctx={}): ...")
        self.assertNotIn("code", json.dumps(f.to_dict()))
        self.assertEqual(len(caught), 1)
        self.assertIn("code is not sent", str(caught[0].message))

    def test_what_cannot_be_honoured_is_refused_by_name(self):
        cases = [
            ({"func": lambda ctx={}: 1, "executortype": "t"}, "lambda"),
            ({"func": gen_nums}, "executortype is required"),
            ({"func": gen_nums, "executortype": "t", "executorname": "e1"}, "executorname is not supported"),
            ({"func": gen_nums, "executortype": "t", "fs": {"mount": "/x"}}, "fs"),
        ]
        for kwargs, message in cases:
            with self.subTest(message=message), self.assertRaisesRegex(ValueError, message):
                func_spec(**kwargs)
        with self.assertRaisesRegex(TypeError, "unknown field.*colour"):
            func_spec(func=gen_nums, executortype="t", colour="red")


class Workflows(unittest.TestCase):
    def test_functionspecs_append_and_add_both_build_the_workflow(self):
        wf = Workflow(colonyname="dev")
        wf.functionspecs.append(func_spec(func=gen_nums, args=[], colonyname="dev", executortype="t"))
        wf.add(func_spec(func=sum_nums, args=[], executortype="t", dependencies=["gen_nums"])).variable("n", {"type": "number"})
        d = wf.to_dict()
        self.assertEqual(d["colonyname"], "dev")
        self.assertEqual([s["nodename"] for s in d["functionspecs"]], ["gen_nums", "sum_nums"])
        self.assertEqual(d["functionspecs"][1]["conditions"]["dependencies"], ["gen_nums"])
        self.assertEqual(d["variables"], {"n": {"type": "number"}})
        json.dumps(d)


class Records(unittest.TestCase):
    def test_a_process_reads_as_attributes_with_input_and_output_for_in_and_out(self):
        p = Process({"processid": "p1", "in": [1, 2], "out": [3], "state": "SUCCESS", "attempt": 1,
                     "spec": {"funcname": "sum_nums", "nodename": "sum_nums", "conditions": {"dependencies": ["gen_nums"]}}})
        self.assertEqual((p.processid, p.input, p.output, p.state), ("p1", [1, 2], [3], Colonies.SUCCESSFUL))
        self.assertEqual(p.spec.funcname, "sum_nums")
        self.assertEqual(p.spec.conditions.dependencies, ["gen_nums"])
        self.assertEqual(p["in"], [1, 2])
        with self.assertRaisesRegex(AttributeError, "Process has no field 'nosuch'"):
            p.nosuch
        g = ProcessGraph({"processgraphid": "g1", "processids": ["p1"], "processes": [dict(p)]})
        self.assertEqual(g.processes[0].spec.nodename, "sum_nums")
        self.assertEqual(json.loads(json.dumps(g))["processes"][0]["in"], [1, 2])


class Outputs(unittest.TestCase):
    def test_a_tuple_is_the_output_list_anything_else_one_value_none_nothing(self):
        self.assertEqual(to_output((1, 2)), [1, 2])
        self.assertEqual(to_output([1, 2]), [[1, 2]])
        self.assertEqual(to_output({"a": 1}), [{"a": 1}])
        self.assertEqual(to_output(0), [0])
        self.assertEqual(to_output(None), [])

    def test_a_failure_reports_message_traceback_kind_and_whether_to_retry(self):
        try:
            raise ValueError("bad input")
        except ValueError as err:
            report = failure_of(err)
        self.assertEqual(report["errors"][0], "bad input")
        self.assertIn("Traceback", report["errors"][1])
        self.assertEqual((report["errorkind"], report["retry"]), ("ValueError", True))
        final = failure_of(AttemptFailure(KeyError("k"), retry=False))
        self.assertEqual((final["errorkind"], final["retry"]), ("KeyError", False))
        self.assertEqual(failure_of(AttemptFailure("just a message")), {"errors": ["just a message"], "retry": True})

    def test_functions_get_ctx_only_when_they_take_it(self):
        self.assertTrue(_takes_ctx(sum_nums))
        self.assertTrue(_takes_ctx(lambda *nums, **kw: 0))
        self.assertFalse(_takes_ctx(lambda a, b: 0))
        self.assertTrue(_takes_ctx(lambda *nums, ctx={}: 0))


class Replies(unittest.TestCase):
    def test_an_error_reply_is_a_colonies_error_with_the_servers_code(self):
        body = json.dumps({"error": {"code": "PROCESS_NOT_FOUND", "message": "no such process", "details": {"x": 1}}})
        with self.assertRaises(ColoniesError) as caught:
            _answer(404, body, None)
        e = caught.exception
        self.assertEqual((e.code, e.message, e.status, e.details), ("PROCESS_NOT_FOUND", "no such process", 404, {"x": 1}))
        self.assertEqual(str(e), "PROCESS_NOT_FOUND: no such process")
        with self.assertRaises(ColoniesError) as caught:
            _answer(503, json.dumps({"error": {"code": "UNAVAILABLE", "message": "db away"}}), "2")
        self.assertEqual(caught.exception.retry_after, 2.0)

    def test_an_answer_that_is_not_the_apis_is_bad_response(self):
        for status, body in [(502, "<html>bad gateway</html>"), (500, json.dumps({"oops": 1}))]:
            with self.subTest(status=status), self.assertRaises(ColoniesError) as caught:
                _answer(status, body, None)
            self.assertEqual((caught.exception.code, caught.exception.status), ("BAD_RESPONSE", status))
        self.assertIsNone(_answer(204, "", None))
        self.assertEqual(_answer(200, '{"a":1}', None), {"a": 1})

    def test_no_server_is_unreachable_and_no_key_or_colony_is_named(self):
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        client = Colonies("127.0.0.1", port, prvkey="ab" * 32, colonyname="dev")
        with self.assertRaises(ColoniesConnectionError) as caught:
            client.get_process("ab" * 32)
        self.assertEqual(caught.exception.code, "UNREACHABLE")
        self.assertIn(f"127.0.0.1:{port}", caught.exception.message)
        with self.assertRaisesRegex(ColoniesError, "no private key"):
            Colonies("http://127.0.0.1:1", colonyname="dev").get_process("ab" * 32)
        with self.assertRaisesRegex(ColoniesError, "no colony name"):
            Colonies("http://127.0.0.1:1", prvkey="ab" * 32).get_process("ab" * 32)
        with self.assertRaisesRegex(ColoniesError, "attempt: process .* was not assigned through this client"):
            client.close("cd" * 32, [1])
        with self.assertRaisesRegex(ValueError, "not a server URL"):
            Colonies("ftp://x:1")

    def test_a_url_or_host_and_port_name_the_server(self):
        self.assertEqual(Colonies("localhost", 50080, tls=False).url, "http://localhost:50080")
        self.assertEqual(Colonies("example.org", 443, tls=True).url, "https://example.org:443")
        self.assertEqual(Colonies("http://127.0.0.1:8080/").url, "http://127.0.0.1:8080")
        self.assertEqual(Colonies(url="http://h:1").url, "http://h:1")


if __name__ == "__main__":
    unittest.main()
