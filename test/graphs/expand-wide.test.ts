/**
 * A wide fan-out by expand (2,000 here; the bench runs 10,000 beside the map-reduce): range returns 0…N-1, `each` expands over it (the server creates the
 * N processes in one transaction, no map function), a fast in-process executor loop runs them (assign
 * count 50, closes in parallel), and reduce gets every output in index order through the collector.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { funcSpec, Workflow } from '../../executor/workflow.ts';
import type { Process } from '../../protocol/types.ts';
import { executeUntil } from '../helpers/graphs.ts';

let f: Fixture;
before(async () => {
  // With the background loops, as a server runs (see mapreduce-wide.test.ts).
  f = await startFixture({ loops: true });
});
after(async () => {
  await f.close();
});

const N = 2_000;

test(`expand over a list of ${N}: one process per element, reduce gets every output in order`, async (t) => {
  const type = 'expand-wide';
  const clients = (await Promise.all([f.addExecutor(type), f.addExecutor(type)])).map((e) => e.client);
  const wf = new Workflow()
    .add(funcSpec({ func: 'range', executortype: type, args: [N] }))
    .add(funcSpec({ func: 'square', executortype: type, dependencies: ['range'], expand: { $output: 'range' } }))
    .add(funcSpec({ func: 'reduce', executortype: type, dependencies: ['square'] }));
  const started = Date.now();
  const g = await f.a.userClient.submitWorkflow(wf);
  const reduceId = (await f.a.userClient.findProcess(g.processgraphid, 'reduce')).processid;

  let reduced: Process | undefined;
  const run = (p: Process): unknown[] => {
    switch (p.spec.funcname) {
      case 'range':
        return Array.from({ length: p.in[0] as number }, (_, i) => i);
      case 'square': {
        const x = p.in.at(-1) as number;
        return [x * x];
      }
      case 'reduce':
        reduced = p;
        return [(p.in as number[]).reduce((s, n) => s + n, 0)];
      default:
        throw new Error(`unexpected function ${p.spec.funcname}`);
    }
  };
  const ran = await executeUntil(clients, reduceId, run);
  const ms = Date.now() - started;
  t.diagnostic(`${N + 3} processes (range, ${N} by expand, the collector, reduce) in ${ms} ms on ${f.testDb.engine}`);

  assert.equal(ran, N + 2, 'each process an executor runs ran exactly once (the collector runs on the server)');
  assert.ok(reduced);
  assert.deepEqual(
    reduced.in,
    Array.from({ length: N }, (_, i) => i * i),
    "reduce's input is the instances' outputs in index order",
  );
  const reduce = await f.a.userClient.findProcess(g.processgraphid, 'reduce');
  assert.equal(reduce.state, 'SUCCESS');
  const graph = (await f.a.userClient.listProcessGraphs({ count: 10 })).find((x) => x.processgraphid === g.processgraphid);
  assert.ok(graph);
  assert.equal(graph.state, 'SUCCESS');
  assert.equal(graph.processcount, N + 3);
  assert.equal(graph.successcount, N + 3);
  const stats = await f.a.userClient.stats();
  assert.equal(stats.processes.WAITING + stats.processes.RUNNING, 0, 'nothing left behind');
});
