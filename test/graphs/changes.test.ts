/**
 * What may change a process graph, and what may not: bad workflows are refused before any write,
 * cancel/remove/removeall act on one colony's graphs only, and add_child belongs to the executor
 * running the parent while its graph is still going.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { funcSpec, Workflow } from '../../executor/workflow.ts';
import { ColoniesClient } from '../../executor/client.ts';
import { ColoniesError } from '../../executor/transport.ts';
import type { ColonyStats } from '../../protocol/types.ts';

let f: Fixture;
before(async () => {
  f = await startFixture();
});
after(async () => {
  await f.close();
});

/** Asserts the promise rejects with this error code; returns the error for further checks. */
async function refused(p: Promise<unknown>, code: string): Promise<ColoniesError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ColoniesError, `expected a ColoniesError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}, but the request succeeded`);
}

const counts = (s: ColonyStats) => ({ processes: s.processes, processgraphs: s.processgraphs });

test('bad workflows are refused with precise codes and leave no graph or process behind', async () => {
  const type = 'bad-spec';
  const before = counts(await f.a.userClient.stats());
  const graphsBefore = (await f.a.userClient.listProcessGraphs({ count: 10_000 })).length;
  const ok = funcSpec({ func: 'fine', executortype: type });

  // a → b → c → a, next to a valid node: the whole workflow is refused.
  const cyc = await refused(
    f.a.userClient.submitWorkflow([
      ok,
      funcSpec({ func: 'a', executortype: type, dependencies: ['c'] }),
      funcSpec({ func: 'b', executortype: type, dependencies: ['a'] }),
      funcSpec({ func: 'c', executortype: type, dependencies: ['b'] }),
    ]),
    'DEPENDENCY_CYCLE',
  );
  assert.equal(cyc.status, 400);
  const cycle = (cyc.details as { cycle: string[] }).cycle;
  assert.equal(cycle[0], cycle[cycle.length - 1], 'the cycle is reported as a closed path');
  assert.deepEqual([...new Set(cycle)].sort(), ['a', 'b', 'c']);
  const deps: Record<string, string> = { a: 'c', b: 'a', c: 'b' };
  for (let i = 1; i < cycle.length; i++) assert.equal(deps[cycle[i]!], cycle[i - 1], `${cycle[i]} depends on ${cycle[i - 1]} (data-flow order)`);

  const self = await refused(
    f.a.userClient.submitWorkflow([ok, funcSpec({ func: 'me', executortype: type, dependencies: ['me'] })]),
    'DEPENDENCY_CYCLE',
  );
  assert.deepEqual((self.details as { cycle: string[] }).cycle, ['me', 'me']);

  const unknown = await refused(
    f.a.userClient.submitWorkflow([ok, funcSpec({ func: 'x', executortype: type, dependencies: ['fine', 'ghost'] })]),
    'UNKNOWN_DEPENDENCY',
  );
  assert.deepEqual(unknown.details, { nodename: 'x', dependency: 'ghost' });

  const dup = await refused(
    f.a.userClient.submitWorkflow([ok, funcSpec({ func: 'other', nodename: 'fine', executortype: type })]),
    'DUPLICATE_NODENAME',
  );
  assert.deepEqual(dup.details, { nodename: 'fine' });

  const empty = await refused(
    f.a.userClient.submitWorkflow([ok, { ...funcSpec({ func: 'y', executortype: type }), executortype: '' }]),
    'VALIDATION_FAILED',
  );
  assert.ok(
    (empty.details as { issues: { path: string }[] }).issues.some((i) => i.path.includes('executortype')),
    'the issue names executortype',
  );
  await refused(f.a.userClient.submitWorkflow([ok, { funcname: 'z' }]), 'VALIDATION_FAILED');
  await refused(f.a.userClient.submitWorkflow({ functionspecs: [] }), 'VALIDATION_FAILED');

  assert.deepEqual(counts(await f.a.userClient.stats()), before, 'no process or graph was written');
  assert.equal((await f.a.userClient.listProcessGraphs({ count: 10_000 })).length, graphsBefore);
  assert.deepEqual(await f.a.executorClient.assign({ timeout: 0, count: 10 }), [], 'nothing became assignable');
});

test("cancel, remove and removeall touch only the caller's colony's graphs", async () => {
  const type = 'scoped';
  const wf = () =>
    new Workflow()
      .add(funcSpec({ func: 'first', executortype: type }))
      .add(funcSpec({ func: 'second', executortype: type, dependencies: ['first'] }));
  const ga = await f.a.userClient.submitWorkflow(wf());
  const ga2 = await f.a.userClient.submitWorkflow(wf());
  const gb = await f.b.userClient.submitWorkflow(wf());

  // Colony B's members cannot reach A's graph through their colony, nor through A's.
  await refused(f.b.userClient.cancelProcessGraph(ga.processgraphid), 'PROCESSGRAPH_NOT_FOUND');
  await refused(f.b.userClient.removeProcessGraph(ga.processgraphid, { force: true }), 'PROCESSGRAPH_NOT_FOUND');
  await refused(f.b.userClient.getProcessGraph(ga.processgraphid), 'PROCESSGRAPH_NOT_FOUND');
  const bInA = new ColoniesClient({ url: f.url, prvkey: f.b.user.prvkey, colonyname: f.a.colonyname });
  await refused(bInA.cancelProcessGraph(ga.processgraphid), 'NOT_A_MEMBER');
  await refused(bInA.removeAllProcessGraphs(), 'NOT_A_MEMBER');
  assert.equal((await f.a.userClient.getProcessGraph(ga.processgraphid)).state, 'WAITING');

  // A cancels its graph: its processes are cancelled, B's identical graph is untouched.
  const cancelled = await f.a.userClient.cancelProcessGraph(ga.processgraphid);
  assert.equal(cancelled.state, 'CANCELLED');
  const gaAfter = await f.a.userClient.getProcessGraph(ga.processgraphid);
  assert.deepEqual(
    gaAfter.processes.map((p) => p.state),
    ['CANCELLED', 'CANCELLED'],
  );
  const gbAfter = await f.b.userClient.getProcessGraph(gb.processgraphid);
  assert.equal(gbAfter.state, 'WAITING');
  assert.deepEqual(
    gbAfter.processes.map((p) => p.state),
    ['WAITING', 'WAITING'],
  );

  // A removes one graph, then all the rest of its graphs; B's graph and processes survive.
  await f.a.userClient.removeProcessGraph(ga.processgraphid);
  await refused(f.a.userClient.getProcessGraph(ga.processgraphid), 'PROCESSGRAPH_NOT_FOUND');
  await refused(f.a.userClient.getProcess(gaAfter.processes[0]!.processid), 'PROCESS_NOT_FOUND');
  // Removing every graph is the owner's alone; a user removes one at a time.
  await refused(f.a.userClient.removeAllProcessGraphs(), 'FORBIDDEN');
  const { removed } = await f.a.ownerClient.removeAllProcessGraphs();
  assert.ok(removed >= 1);
  await refused(f.a.userClient.getProcessGraph(ga2.processgraphid), 'PROCESSGRAPH_NOT_FOUND');
  assert.equal((await f.a.userClient.listProcessGraphs()).length, 0);
  const still = await f.b.userClient.getProcessGraph(gb.processgraphid);
  assert.equal(still.state, 'WAITING');
  assert.equal(still.processes.length, 2);

  // And B's work is still assignable in B.
  const bExec = await f.addExecutor(type, f.b);
  const [p] = await bExec.client.assign({ timeout: 1 });
  assert.ok(p);
  assert.equal(p.processgraphid, gb.processgraphid);
  await bExec.client.close(p.processid, p.attempt, []);
  await f.b.userClient.cancelProcessGraph(gb.processgraphid);
});

test('add_child is refused unless the caller is the executor running the parent, and changes nothing then', async () => {
  const type = 'add-child-auth';
  const runner = await f.addExecutor(type);
  const other = await f.addExecutor(type);
  const g = await f.a.userClient.submitWorkflow(
    new Workflow()
      .add(funcSpec({ func: 'parent', executortype: type }))
      .add(funcSpec({ func: 'last', executortype: type, dependencies: ['parent'] })),
  );
  const [parent] = await runner.client.assign({ timeout: 1 });
  assert.ok(parent);
  const spec = funcSpec({ func: 'extra', executortype: type });
  const gid = g.processgraphid;

  await refused(other.client.addChild(gid, parent.processid, null, spec, 'extra', false), 'INVALID_GRAPH_CHANGE');
  await refused(other.client.addChildren(gid, parent.processid, [{ spec, nodename: 'extra' }]), 'INVALID_GRAPH_CHANGE');
  await refused(f.a.userClient.addChild(gid, parent.processid, null, spec, 'extra', false), 'FORBIDDEN');
  await refused(f.a.ownerClient.addChild(gid, parent.processid, null, spec, 'extra', false), 'FORBIDDEN');
  // An executor of colony B (through its own colony) does not even find the parent.
  await refused(f.b.executorClient.addChild(gid, parent.processid, null, spec, 'extra', false), 'PROCESS_NOT_FOUND');
  // The right executor, but the parent named under another graph id.
  const elsewhere = await f.a.userClient.submitWorkflow([funcSpec({ func: 'lonely', executortype: 'nobody-serves-this' })]);
  await refused(runner.client.addChild(elsewhere.processgraphid, parent.processid, null, spec, 'extra', false), 'PROCESS_NOT_FOUND');

  let graph = await f.a.userClient.getProcessGraph(gid);
  assert.equal(graph.processcount, 2);
  assert.equal(graph.processes.length, 2);

  // The runner may: insert=true splices the child between parent and 'last'.
  const child = await runner.client.addChild(gid, parent.processid, null, spec, 'extra', true);
  assert.deepEqual(child.parents, [parent.processid]);
  graph = await f.a.userClient.getProcessGraph(gid);
  const last = graph.processes.find((p) => p.spec.nodename === 'last')!;
  assert.deepEqual(last.parents, [child.processid]);
  assert.equal(graph.processcount, 3);
  // A nodename is unique within the graph.
  await refused(runner.client.addChild(gid, parent.processid, null, spec, 'extra', false), 'ALREADY_EXISTS');

  // Once the parent has closed, nobody may add to it any more.
  await runner.client.close(parent.processid, parent.attempt, ['p']);
  await refused(runner.client.addChild(gid, parent.processid, null, spec, 'late', false), 'INVALID_GRAPH_CHANGE');
  assert.equal((await f.a.userClient.getProcessGraph(gid)).processcount, 3);
  await f.a.userClient.cancelProcessGraph(gid);
  await f.a.userClient.cancelProcessGraph(elsewhere.processgraphid);
});

test('add_child into a graph that has already failed is refused: nothing more runs from a failed graph', async () => {
  const type = 'add-child-failed';
  const e = await f.addExecutor(type);
  const g = await f.a.userClient.submitWorkflow([
    funcSpec({ func: 'survivor', executortype: type }),
    funcSpec({ func: 'doomed', executortype: type }),
  ]);
  const running = await e.client.assign({ timeout: 1, count: 2 });
  assert.equal(running.length, 2);
  const survivor = running.find((p) => p.spec.nodename === 'survivor')!;
  const doomed = running.find((p) => p.spec.nodename === 'doomed')!;
  await e.client.fail(doomed.processid, doomed.attempt, ['boom']);
  assert.equal((await f.a.userClient.getProcessGraph(g.processgraphid)).state, 'FAILED');

  // The survivor still runs (its result will be kept), but it cannot grow the failed graph.
  await refused(
    e.client.addChild(g.processgraphid, survivor.processid, null, funcSpec({ func: 'more', executortype: type }), 'more', false),
    'INVALID_GRAPH_CHANGE',
  );
  await e.client.close(survivor.processid, survivor.attempt, ['kept']);
  const after = await f.a.userClient.getProcessGraph(g.processgraphid);
  assert.equal(after.state, 'FAILED');
  assert.equal(after.processes.length, 2);
  assert.deepEqual(after.processes.find((p) => p.spec.nodename === 'survivor')!.out, ['kept']);
  assert.deepEqual(await e.client.assign({ timeout: 0, count: 10 }), []);
});
