/**
 * A close hands the children it releases straight to an idle executor: the child starts RUNNING in
 * the close's own statement (its input complete, in dependency order), delivered to a waiting
 * long-poll or in the answer of the closeAndAssign that released it — no claim statement in between.
 * What no idle executor of its type can take stays WAITING for the next claim.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { openTestDb, type TestDb } from '../helpers/db.ts';
import { countClaims, waitingLongPolls } from '../helpers/claims.ts';
import { funcSpec, Workflow } from '../../executor/workflow.ts';
import type { ColoniesClient } from '../../executor/client.ts';
import type { Process } from '../../protocol/types.ts';

let testDb: TestDb;
let f: Fixture;
before(async () => {
  testDb = await openTestDb();
  f = await startFixture({ testDb });
});
after(async () => {
  await f.close();
  await testDb.drop();
});

const executor = async (type: string) => (await f.addExecutor(type)).client;

/** Submits the workflow and returns its processes by nodename. */
async function submit(wf: Workflow): Promise<Map<string, Process>> {
  const g = await f.a.userClient.submitWorkflow(wf);
  const full = await f.a.userClient.getProcessGraph(g.processgraphid);
  return new Map(full.processes.map((p) => [p.spec.nodename, p]));
}

/** Claims exactly this process (the only one ready of its type). */
async function claim(c: ColoniesClient, expected: Process): Promise<Process> {
  const [p] = await c.assign({ timeout: 0 });
  assert.equal(p?.processid, expected.processid);
  return p;
}

test('a close hands the child it releases to an idle long-poll: RUNNING with its input, no claim statement', async () => {
  const type = 'handoff-poll';
  const [w1, w2] = [await executor(type), await executor(type)];
  const ps = await submit(
    new Workflow()
      .add(funcSpec({ func: 'a', executortype: type, args: ['x'] }))
      .add(funcSpec({ func: 'b', executortype: type, dependencies: ['a'], maxexectime: 30 })),
  );
  const a = await claim(w1, ps.get('a')!);
  const polled = w2.assign({ timeout: 20, count: 3 });
  await waitingLongPolls(f.server, f.a.colonyname, type);
  const claimsAfter = countClaims(type);
  try {
    await w1.close(a.processid, a.attempt, [1, 'two']);
    const got = await polled;
    assert.equal(got.length, 1);
    const b = got[0]!;
    assert.equal(b.processid, ps.get('b')!.processid);
    assert.equal(b.state, 'RUNNING');
    assert.equal(b.assignedexecutorid, w2.id);
    assert.equal(b.attempt, 1);
    assert.deepEqual(b.in, [1, 'two'], "the parent's output is the child's input");
    assert.ok(b.starttime && b.execdeadline, 'start time and exec deadline as for a claim');
    assert.equal(b.waitdeadline, null);
    assert.equal(claimsAfter.n, 0, 'no claim statement ran: the close itself started the child');
    assert.deepEqual(await w2.getProcess(b.processid), b, 'stored as delivered');
    await w2.close(b.processid, b.attempt, ['done']);
    assert.equal((await f.a.userClient.getProcessGraph(b.processgraphid!)).state, 'SUCCESS');
  } finally {
    claimsAfter.stop();
  }
});

test('closeAndAssign answers with the child its own close released (one request per chain hop)', async () => {
  const type = 'handoff-chain';
  const w = await executor(type);
  const wf = new Workflow().add(funcSpec({ func: 's0', executortype: type, args: [0] }));
  for (let i = 1; i < 5; i++) wf.add(funcSpec({ func: `s${i}`, executortype: type, dependencies: [`s${i - 1}`] }));
  const ps = await submit(wf);
  let [p] = await w.assign({ timeout: 0, count: 2 });
  assert.equal(p?.spec.nodename, 's0');
  for (let i = 1; i < 5; i++) {
    const statements = countClaims(type);
    const r = await w.closeAndAssign([{ processid: p!.processid, attempt: p!.attempt, out: [i] }], { timeout: 0, count: 2 });
    statements.stop();
    assert.equal(statements.n, 1, 'the statement that closed the step started the next: no second claim');
    assert.deepEqual(r.closed, [p!.processid]);
    assert.deepEqual(
      r.processes.map((x) => [x.spec.nodename, x.state, x.assignedexecutorid, x.in]),
      [[`s${i}`, 'RUNNING', w.id, [i]]],
    );
    p = r.processes[0];
  }
  assert.equal(p!.processid, ps.get('s4')!.processid);
  await w.close(p!.processid, p!.attempt, []);
});

test('fan-in: the last parent’s close hands the child over with every parent’s output in dependency order', async () => {
  const type = 'handoff-fanin';
  const [w1, w2, idle] = [await executor(type), await executor(type), await executor(type)];
  const ps = await submit(
    new Workflow()
      .add(funcSpec({ func: 'p1', executortype: type }))
      .add(funcSpec({ func: 'p2', executortype: type }))
      .add(funcSpec({ func: 'p3', executortype: type }))
      .add(funcSpec({ func: 'c', executortype: type, dependencies: ['p1', 'p2', 'p3'] })),
  );
  const parents: Process[] = [];
  for (const w of [w1, w2, w1]) parents.push(...(await w.assign({ timeout: 0 })));
  assert.equal(parents.length, 3);
  const closeOne = (p: Process) => (p.assignedexecutorid === w1.id ? w1 : w2).close(p.processid, p.attempt, [`out-${p.spec.nodename}`]);
  // Finish in reverse dependency order: p3, then p2, and p1 (the last) while the idle poll waits.
  const [p3, p2, p1] = parents.sort((l, r) => r.spec.nodename.localeCompare(l.spec.nodename));
  await closeOne(p3!);
  await closeOne(p2!);
  const polled = idle.assign({ timeout: 20 });
  await waitingLongPolls(f.server, f.a.colonyname, type);
  const claimsAfter = countClaims(type);
  await closeOne(p1!);
  const [c] = await polled;
  claimsAfter.stop();
  assert.equal(claimsAfter.n, 0, 'the last close started the child itself');
  assert.equal(c?.processid, ps.get('c')!.processid);
  assert.equal(c.assignedexecutorid, idle.id);
  assert.deepEqual(c.in, ['out-p1', 'out-p2', 'out-p3']);
});

test('a released child goes only to an executor of its type; otherwise it waits, ready, for the next claim', async () => {
  const [typeA, typeB] = ['handoff-type-a', 'handoff-type-b'];
  const [wa, wb] = [await executor(typeA), await executor(typeB)];
  const ps = await submit(
    new Workflow().add(funcSpec({ func: 'a', executortype: typeA })).add(funcSpec({ func: 'b', executortype: typeB, dependencies: ['a'] })),
  );
  const a = await claim(wa, ps.get('a')!);
  const polledA = wa.assign({ timeout: 0.5 }); // of the parent's type, not the child's
  await waitingLongPolls(f.server, f.a.colonyname, typeA);
  await wa.close(a.processid, a.attempt, ['for-b']);
  assert.deepEqual(await polledA, []);
  const b = await f.a.userClient.getProcess(ps.get('b')!.processid);
  assert.equal(b.state, 'WAITING');
  assert.equal(b.ready, true);
  assert.deepEqual(b.in, ['for-b']);
  const [claimed] = await wb.assign({ timeout: 0 });
  assert.equal(claimed?.processid, b.processid);
  assert.deepEqual(claimed.in, ['for-b']);
});
