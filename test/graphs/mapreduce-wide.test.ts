/**
 * A wide map-reduce (2,000 children: correctness at a size; the bench runs 10,000): map adds its children with addChildren batches (the first spliced in with
 * insert=true, the rest joined to reduce with insert=false), a fast in-process executor loop runs them
 * (assign count 50, closes in parallel), and reduce gets every output in dependency order.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { funcSpec, Workflow } from '../../executor/workflow.ts';
import type { ChildOptions } from '../../executor/client.ts';
import type { Process } from '../../protocol/types.ts';
import { executeUntil, type RunProcess } from '../helpers/graphs.ts';

let f: Fixture;
before(async () => {
  // With the background loops, as a server runs: on PGlite the maintenance loop vacuums the claimed
  // rows' dead index entries, which every claim would otherwise step over again.
  f = await startFixture({ loops: true });
});
after(async () => {
  await f.close();
});

const N = 2_000;
const BATCH = 500;

test(`map-reduce over ${N} children added with addChildren batches`, async (t) => {
  const type = 'mrwide';
  const clients = (await Promise.all([f.addExecutor(type), f.addExecutor(type)])).map((e) => e.client);
  const wf = new Workflow()
    .add(funcSpec({ func: 'map', executortype: type }))
    .add(funcSpec({ func: 'reduce', executortype: type, dependencies: ['map'] }));
  const started = Date.now();
  const g = await f.a.userClient.submitWorkflow(wf);
  const reduceId = (await f.a.userClient.findProcess(g.processgraphid, 'reduce')).processid;

  let reduced: Process | undefined;
  const run: RunProcess = async (p, client, progress) => {
    switch (p.spec.funcname) {
      case 'map': {
        const gen = funcSpec({ func: 'gen', executortype: type });
        for (let from = 0; from < N; from += BATCH) {
          const children: ChildOptions[] = [];
          for (let i = from; i < Math.min(N, from + BATCH); i++) {
            const spec = { ...gen, args: [i] };
            children.push(i === 0 ? { spec, nodename: `gen_${i}`, insert: true } : { spec, nodename: `gen_${i}`, childprocessid: reduceId });
          }
          const added = await client.addChildren(g.processgraphid, p.processid, children);
          assert.equal(added.length, children.length);
          progress();
        }
        return [];
      }
      case 'gen':
        return [p.spec.args[0]];
      case 'reduce':
        reduced = p;
        return [(p.in as number[]).reduce((s, n) => s + n, 0)];
      default:
        throw new Error(`unexpected function ${p.spec.funcname}`);
    }
  };
  const ran = await executeUntil(clients, reduceId, run);
  const ms = Date.now() - started;
  t.diagnostic(`${N + 2} processes (map, ${N} children in batches of ${BATCH}, reduce) in ${ms} ms on ${f.testDb.engine}`);

  assert.equal(ran, N + 2, 'each process ran exactly once');
  assert.ok(reduced);
  assert.deepEqual(
    reduced.in,
    Array.from({ length: N }, (_, i) => i),
    "reduce's input is its parents' outputs in dependency order",
  );
  const reduce = await f.a.userClient.findProcess(g.processgraphid, 'reduce');
  assert.equal(reduce.state, 'SUCCESS');
  assert.deepEqual(reduce.out, [(N * (N - 1)) / 2]);
  assert.equal(reduce.parents.length, N);
  const graph = await f.a.userClient.listProcessGraphs({ count: 10 });
  const mine = graph.find((x) => x.processgraphid === g.processgraphid);
  assert.ok(mine);
  assert.equal(mine.state, 'SUCCESS');
  assert.equal(mine.processcount, N + 2);
  assert.equal(mine.successcount, N + 2);
  const stats = await f.a.userClient.stats();
  assert.equal(stats.processes.WAITING + stats.processes.RUNNING, 0, 'nothing left behind');
});
