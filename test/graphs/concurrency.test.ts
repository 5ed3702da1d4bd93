/**
 * Concurrent closes of siblings that share one child: the child must become ready exactly once,
 * with every parent's output in its input (in dependency order), whatever order the closes commit in.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { funcSpec, Workflow } from '../../executor/workflow.ts';
import type { ColoniesClient } from '../../executor/client.ts';
import type { Process } from '../../protocol/types.ts';

let f: Fixture;
before(async () => {
  f = await startFixture();
});
after(async () => {
  await f.close();
});

async function assignAll(client: ColoniesClient, want: number): Promise<Process[]> {
  const got: Process[] = [];
  while (got.length < want) {
    const ps = await client.assign({ timeout: 1, count: want - got.length });
    assert.ok(ps.length > 0, 'expected ready work');
    got.push(...ps);
  }
  return got;
}

test('50 parents of one child closed concurrently by 5 executors: the child gets all 50 outputs, in order', async () => {
  const type = 'sibling-closer';
  const executors = await Promise.all(Array.from({ length: 5 }, () => f.addExecutor(type)));
  for (let round = 0; round < 3; round++) {
    const wf = new Workflow();
    const parents = Array.from({ length: 50 }, (_, i) => `p${i}`);
    for (const name of parents) wf.add(funcSpec({ func: 'parent', nodename: name, executortype: type }));
    wf.add(funcSpec({ func: 'child', nodename: 'child', executortype: type, dependencies: parents }));
    const g = await f.a.userClient.submitWorkflow(wf);

    // Each executor takes 10 parents; then all 50 closes race, in a shuffled order.
    const taken = await Promise.all(executors.map((e) => assignAll(e.client, 10)));
    const jobs = taken.flatMap((ps, i) => ps.map((p) => ({ p, client: executors[i]!.client })));
    jobs.sort(() => Math.random() - 0.5);
    await Promise.all(jobs.map(({ p, client }) => client.close(p.processid, p.attempt, [Number(p.spec.nodename.slice(1)), 'x'])));

    const child = await f.a.userClient.findProcess(g.processgraphid, 'child');
    assert.equal(child.state, 'WAITING');
    assert.equal(child.ready, true, `round ${round}: the child lost its readiness`);
    const expected = parents.flatMap((_, i) => [i, 'x']);
    assert.deepEqual(child.in, expected, `round ${round}: the child's input misses or misorders parent outputs`);

    // It is assignable exactly once, with that input.
    const [assigned] = await executors[0]!.client.assign({ timeout: 1, count: 5 });
    assert.ok(assigned);
    assert.equal(assigned.processid, child.processid);
    assert.deepEqual(assigned.in, expected);
    await executors[0]!.client.close(assigned.processid, assigned.attempt, ['done']);
    const done = await f.a.userClient.getProcessGraph(g.processgraphid);
    assert.equal(done.state, 'SUCCESS');
    assert.equal(done.successcount, 51);
  }
});

test('concurrent closes of many parents of many shared children (a bipartite layer) lose no readiness', async () => {
  const type = 'layer-closer';
  const executors = await Promise.all(Array.from({ length: 4 }, () => f.addExecutor(type)));
  const wf = new Workflow();
  const top = Array.from({ length: 40 }, (_, i) => `t${i}`);
  for (const name of top) wf.add(funcSpec({ func: 'top', nodename: name, executortype: type }));
  // Each bottom node depends on 8 top nodes; siblings overlap, so closes contend on several children at once.
  const bottom = Array.from({ length: 20 }, (_, j) => ({ name: `b${j}`, deps: Array.from({ length: 8 }, (_, k) => `t${(j * 3 + k * 5) % 40}`) }));
  for (const b of bottom) wf.add(funcSpec({ func: 'bottom', nodename: b.name, executortype: type, dependencies: [...new Set(b.deps)] }));
  const g = await f.a.userClient.submitWorkflow(wf);

  const taken = await Promise.all(executors.map((e) => assignAll(e.client, 10)));
  await Promise.all(taken.flatMap((ps, i) => ps.map((p) => executors[i]!.client.close(p.processid, p.attempt, [p.spec.nodename]))));

  const graph = await f.a.userClient.getProcessGraph(g.processgraphid);
  for (const b of bottom) {
    const p = graph.processes.find((x) => x.spec.nodename === b.name)!;
    assert.equal(p.ready, true, `${b.name} is not ready`);
    assert.deepEqual(p.in, [...new Set(b.deps)], `${b.name}'s input`);
  }
  let assigned = 0;
  for (;;) {
    const ps = await executors[1]!.client.assign({ timeout: 0, count: 50 });
    if (ps.length === 0) break;
    assigned += ps.length;
    await Promise.all(ps.map((p) => executors[1]!.client.close(p.processid, p.attempt, [])));
  }
  assert.equal(assigned, 20);
  assert.equal((await f.a.userClient.getProcessGraph(g.processgraphid)).state, 'SUCCESS');
});
