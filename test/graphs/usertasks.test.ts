/**
 * User tasks (nodes of kind usertask): listed while open, completed by their assignee (or any user)
 * with data their form accepts; every refusal changes nothing. maxwaittime on the injected clock.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { ManualClock, systemClock } from '../../server/clock.ts';
import { ColoniesClient } from '../../executor/client.ts';
import { ColoniesError } from '../../executor/transport.ts';
import { generateKeyPair, randomId } from '../../protocol/crypto.ts';
import type { FunctionSpecInput } from '../../protocol/schemas.ts';
import type { Process, ProcessGraphWithProcesses } from '../../protocol/types.ts';
import { take } from '../helpers/graphs.ts';

const clock = new ManualClock(Date.UTC(2026, 0, 1));
let f: Fixture;
let alice: ColoniesClient;
let bob: ColoniesClient;
before(async () => {
  // Deadlines follow the manual clock; signatures keep to real time.
  f = await startFixture({ clock, authClock: systemClock, config: { leaseSeconds: 100_000 } });
  alice = f.a.userClient;
  const key = generateKeyPair();
  await f.a.ownerClient.addUser('bob', key.id);
  bob = new ColoniesClient({ url: f.url, prvkey: key.prvkey, colonyname: f.a.colonyname });
});
after(async () => {
  await f.close();
});

const FORM = {
  type: 'object',
  properties: { amount: { type: 'integer', minimum: 1 }, reason: { type: 'string' }, urgent: { type: 'boolean' } },
  required: ['amount', 'reason'],
  additionalProperties: false,
};

let typeCounter = 0;
/** prepare (an executor's) → approve (alice's task) → ship (an executor's), with an executor of a type of its own. */
async function approvalFlow(approve: Partial<FunctionSpecInput> = {}) {
  const type = `ut-${++typeCounter}`;
  const e = (await f.addExecutor(type)).client;
  const specs: FunctionSpecInput[] = [
    { nodename: 'prepare', funcname: 'prepare', executortype: type },
    { nodename: 'approve', kind: 'usertask', assignee: 'alice', form: FORM, conditions: { dependencies: ['prepare'] }, ...approve },
    { nodename: 'ship', funcname: 'ship', executortype: type, conditions: { dependencies: ['approve'] } },
  ];
  return { e, type, specs };
}

async function refused(p: Promise<unknown>, status: number, code: string, message?: RegExp): Promise<ColoniesError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ColoniesError, String(err));
    assert.equal(err.code, code, err.message);
    assert.equal(err.status, status);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${code}, but the request succeeded`);
}

const graph = (id: string): Promise<ProcessGraphWithProcesses> => alice.getProcessGraph(id);
const node = async (graphid: string, name: string): Promise<Process> => {
  const p = (await graph(graphid)).processes.find((x) => x.spec.nodename === name);
  assert.ok(p, `no process ${name}`);
  return p;
};

test('a user task waits for its assignee, who completes it; its data is its output and the next input', async () => {
  const { e, specs } = await approvalFlow();
  const g = await alice.submitWorkflow(specs);
  assert.deepEqual(
    g.warnings?.filter((w) => w.includes('usertask')),
    [],
    'no unserved-function warning for a node the server runs',
  );
  const approve = await node(g.processgraphid, 'approve');
  assert.equal(approve.spec.executortype, ':usertask');
  await refused(alice.completeTask(approve.processid, { amount: 5, reason: 'ok' }), 409, 'TASK_NOT_OPEN', /waits for its parents/);
  assert.equal(
    (await alice.listTasks()).some((t) => t.processid === approve.processid),
    false,
    'not open before its parents finish',
  );

  const prepare = await take(e, 'prepare');
  await e.close(prepare.processid, prepare.attempt, [{ order: 42 }]);
  const [task] = (await alice.listTasks()).filter((t) => t.processid === approve.processid);
  assert.ok(task, 'open once its parent finished');
  assert.deepEqual(
    { ...task, readytime: undefined },
    {
      processid: approve.processid,
      processgraphid: g.processgraphid,
      runname: '',
      nodename: 'approve',
      assignee: 'alice',
      form: FORM,
      in: [{ order: 42 }],
      readytime: undefined,
      waitdeadline: null,
    },
  );
  assert.equal(task.readytime, clock.now().toISOString());
  assert.equal((await alice.getProcess(approve.processid)).waitreason, 'waiting for alice to complete the task');
  assert.ok((await alice.listTasks({ mine: true })).some((t) => t.processid === approve.processid));
  assert.ok(!(await bob.listTasks({ mine: true })).some((t) => t.processid === approve.processid), "not bob's");
  assert.ok(
    (await bob.listTasks()).some((t) => t.processid === approve.processid),
    'everyone sees the open tasks',
  );

  const done = await alice.completeTask(approve.processid, { amount: 5, reason: 'ok' });
  assert.equal(done.state, 'SUCCESS');
  assert.deepEqual(done.out, [{ amount: 5, reason: 'ok' }]);
  assert.equal(done.assignedexecutorid, f.a.user.id, 'who completed it is kept on the process');
  assert.equal(
    (await alice.listTasks()).some((t) => t.processid === approve.processid),
    false,
  );
  const ship = await take(e, 'ship');
  assert.deepEqual(ship.in, [{ amount: 5, reason: 'ok' }]);
  await e.close(ship.processid, ship.attempt, []);
  assert.equal((await graph(g.processgraphid)).state, 'SUCCESS');

  await refused(
    alice.completeTask(approve.processid, { amount: 6, reason: 'again' }),
    409,
    'TASK_NOT_OPEN',
    new RegExp(`already completed at ${done.endtime!.replace(/\./g, '\\.')} by alice`),
  );
  assert.deepEqual((await alice.getProcess(approve.processid)).out, [{ amount: 5, reason: 'ok' }], 'the second completion changed nothing');
});

test('refusals change nothing: another user, an executor, data failing the form, an unknown task', async () => {
  const { e, specs } = await approvalFlow();
  const g = await alice.submitWorkflow(specs);
  const prepare = await take(e, 'prepare');
  await e.close(prepare.processid, prepare.attempt, ['p']);
  const approve = await node(g.processgraphid, 'approve');
  const before = JSON.stringify(await graph(g.processgraphid));

  await refused(bob.completeTask(approve.processid, { amount: 5, reason: 'ok' }), 403, 'FORBIDDEN', /assigned to alice, not bob/);
  await refused(f.a.ownerClient.completeTask(approve.processid, { amount: 5, reason: 'ok' }), 403, 'FORBIDDEN', /assigned to alice/);
  await refused(e.completeTask(approve.processid, { amount: 5, reason: 'ok' }), 403, 'FORBIDDEN', /not executor/);
  const bad = await refused(alice.completeTask(approve.processid, { amount: 0 }), 400, 'VALIDATION_FAILED', /data\/amount \(minimum\)/);
  assert.match(bad.message, /data\/reason \(required\)/);
  assert.deepEqual(
    (bad.details as { issues: { path: string; keyword: string }[] }).issues.map((i) => [i.path, i.keyword]),
    [
      ['body.data.reason', 'required'],
      ['body.data.amount', 'minimum'],
    ],
  );
  await refused(alice.completeTask(approve.processid, { amount: 1, reason: 'ok', extra: 1 }), 400, 'VALIDATION_FAILED', /additionalProperties/);
  await refused(alice.completeTask(approve.processid, 'yes'), 400, 'VALIDATION_FAILED', /data \(type\): must be object/);
  await refused(alice.completeTask(randomId(), { amount: 1, reason: 'ok' }), 404, 'PROCESS_NOT_FOUND');
  await refused(alice.completeTask(prepare.processid, ['not a task']), 404, 'PROCESS_NOT_FOUND', /no user task/);
  // Another colony's task is not found through this colony either.
  await refused(f.b.userClient.completeTask(approve.processid, { amount: 1, reason: 'ok' }), 404, 'PROCESS_NOT_FOUND');
  assert.equal(JSON.stringify(await graph(g.processgraphid)), before, 'nothing changed');
  assert.ok(
    (await alice.listTasks()).some((t) => t.processid === approve.processid),
    'still open',
  );
});

test('a task without assignee or form: any user or the owner completes it with any JSON object', async () => {
  const specs: FunctionSpecInput[] = [{ nodename: 'review', kind: 'usertask' }];
  const g1 = await alice.submitWorkflow(specs);
  const g2 = await alice.submitWorkflow(specs);
  const t1 = await node(g1.processgraphid, 'review');
  const t2 = await node(g2.processgraphid, 'review');
  assert.equal((await alice.getProcess(t1.processid)).waitreason, 'waiting for a user to complete the task');
  assert.ok(
    (await bob.listTasks({ mine: true })).some((t) => t.processid === t1.processid),
    "an unassigned task is everyone's",
  );
  await refused(bob.completeTask(t1.processid, [1, 2]), 400, 'VALIDATION_FAILED', /must be object/);
  assert.equal((await bob.completeTask(t1.processid, { looks: 'good' })).state, 'SUCCESS');
  const byOwner = await f.a.ownerClient.completeTask(t2.processid, {});
  assert.equal(byOwner.assignedexecutorid, f.a.owner.id);
  await refused(bob.completeTask(t2.processid, {}), 409, 'TASK_NOT_OPEN', /by the colony owner/);
  assert.equal((await graph(g1.processgraphid)).state, 'SUCCESS');
  assert.equal((await graph(g2.processgraphid)).state, 'SUCCESS');
});

test('maxwaittime bounds the wait: the task fails, a one_failed handler runs, and it can no longer be completed', async () => {
  const { e, specs, type } = await approvalFlow({ maxwaittime: 60 });
  specs.push({ nodename: 'escalate', funcname: 'escalate', executortype: type, conditions: { dependencies: ['approve'], trigger: 'one_failed' } });
  const g = await alice.submitWorkflow(specs);
  const prepare = await take(e, 'prepare');
  await e.close(prepare.processid, prepare.attempt, ['p']);
  const approve = await node(g.processgraphid, 'approve');
  const [task] = (await alice.listTasks()).filter((t) => t.processid === approve.processid);
  assert.equal(task?.waitdeadline, new Date(clock.now().getTime() + 60_000).toISOString());

  clock.advance(59_000);
  await f.server.services.processes.expireDeadlines();
  assert.equal((await alice.getProcess(approve.processid)).state, 'WAITING');
  clock.advance(2_000);
  await f.server.services.processes.expireDeadlines();
  const failed = await alice.getProcess(approve.processid);
  assert.equal(failed.state, 'FAILED');
  assert.match(failed.errors.at(-1)!, /maxwaittime/);
  await refused(alice.completeTask(approve.processid, { amount: 1, reason: 'late' }), 409, 'TASK_NOT_OPEN', /is FAILED/);
  const escalate = await take(e, 'escalate');
  assert.equal(escalate.in.length, 1);
  await e.close(escalate.processid, escalate.attempt, []);
  const done = await graph(g.processgraphid);
  assert.equal(done.processes.find((p) => p.spec.nodename === 'ship')!.state, 'FAILED', 'ship did not run');
});

test('a task in a registered spec run by name is listed with its run name', async () => {
  await alice.registerWorkflowSpec('approval', [
    { nodename: 'sign', kind: 'usertask', assignee: 'bob', form: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } },
  ]);
  const run = await alice.runWorkflow('approval', {}, { name: 'contract-7' });
  const [task] = (await bob.listTasks({ mine: true })).filter((t) => t.processgraphid === run.processgraphid);
  assert.ok(task);
  assert.equal(task.runname, 'contract-7');
  assert.equal(task.nodename, 'sign');
  assert.ok(!(await alice.listTasks({ mine: true })).some((t) => t.processgraphid === run.processgraphid));
  await refused(bob.completeTask(task.processid, { ok: 'yes' }), 400, 'VALIDATION_FAILED', /data\/ok \(type\)/);
  await bob.completeTask(task.processid, { ok: true });
  assert.equal((await graph(run.processgraphid)).state, 'SUCCESS');
});

test('two completions at once: one wins, the other is refused as already completed', async () => {
  const g = await alice.submitWorkflow([{ nodename: 'race', kind: 'usertask' }]);
  const t = await node(g.processgraphid, 'race');
  const results = await Promise.allSettled([alice.completeTask(t.processid, { n: 1 }), bob.completeTask(t.processid, { n: 2 })]);
  const won = results.filter((r) => r.status === 'fulfilled');
  const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.equal(won.length, 1);
  assert.equal(lost.length, 1);
  assert.equal((lost[0]!.reason as ColoniesError).code, 'TASK_NOT_OPEN');
  const winner = (won[0] as PromiseFulfilledResult<Process>).value;
  assert.deepEqual((await alice.getProcess(t.processid)).out, winner.out);
  assert.equal((await graph(g.processgraphid)).successcount, 1);
});

test('a form that is not a JSON Schema is refused at submit, naming the field', async () => {
  const err = await refused(
    alice.submitWorkflow([{ nodename: 'bad', kind: 'usertask', form: { type: 'object', properties: { a: { type: 'nonsense' } } } }]),
    400,
    'VALIDATION_FAILED',
    /form is not a valid JSON Schema/,
  );
  assert.match(JSON.stringify(err.details), /body\.0\.form/);
  // A task outside a workflow would have no gate to open it.
  await refused(alice.submit({ nodename: 'alone', kind: 'usertask' }), 400, 'VALIDATION_FAILED', /kind: a node of kind usertask runs on the server/);
});
