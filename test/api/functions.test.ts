/**
 * Functions known to the colony: executors declare what they serve (the SDK Executor when it starts),
 * members list them per executor type with liveness; a submit naming a function no executor serves
 * is accepted with a warning; a process or graph get says why a ready process waits.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { expectError, issuePaths, signedAgent } from '../helpers/signed-agent.ts';
import { ManualClock, systemClock } from '../../server/clock.ts';
import { Executor } from '../../executor/executor.ts';
import { ColoniesClient } from '../../executor/client.ts';
import { generateKeyPair } from '../../protocol/crypto.ts';
import { MAX_DECLARED_FUNCTIONS } from '../../protocol/schemas.ts';
import type { FunctionInfo, Process, SubmitResult } from '../../protocol/types.ts';

const SEC = 1000;
const LEASE = 30 * SEC;
const clock = new ManualClock(Date.UTC(2026, 0, 1));
let f: Fixture;
before(async () => {
  f = await startFixture({ clock, authClock: systemClock, config: { leaseSeconds: LEASE / SEC } });
});
after(() => f.close());

const A = '/colonies/colony-a';
const user = () => f.a.userClient;
const ofType = async (type: string): Promise<FunctionInfo[]> => (await user().listFunctions()).filter((x) => x.executortype === type);

/** Heartbeats are written in the background: waits until this executor's is in, at the clock's time. */
async function heardNow(name: string): Promise<void> {
  const want = clock.now().toISOString();
  for (let i = 0; i < 500; i++) {
    if ((await f.a.ownerClient.getExecutor(name)).lastheardfrom === want) return;
    await sleep(10);
  }
  assert.fail(`executor ${name} was not heard at ${want}`);
}

/** A new approved executor of `type` that declared `funcnames` and was heard at the clock's time. */
async function serving(type: string, funcnames: string[]) {
  const e = await f.addExecutor(type);
  await e.client.declareFunctions(funcnames);
  await heardNow(e.name);
  return e;
}

test('an executor declares its functions: sorted, without repeats, replacing what it declared before', async () => {
  const e = await f.addExecutor('fn-declare');
  assert.deepEqual(await e.client.declareFunctions(['greet', 'add', 'greet']), { functions: ['add', 'greet'] });
  await heardNow(e.name);
  assert.deepEqual(await ofType('fn-declare'), [
    { funcname: 'add', executortype: 'fn-declare', executors: 1, online: 1, executornames: [e.name] },
    { funcname: 'greet', executortype: 'fn-declare', executors: 1, online: 1, executornames: [e.name] },
  ]);
  // A second executor of the type serving greet; the first one's table no longer has add.
  const other = await serving('fn-declare', ['greet']);
  assert.deepEqual(await e.client.declareFunctions(['greet', 'wave']), { functions: ['greet', 'wave'] });
  assert.deepEqual(
    (await ofType('fn-declare')).map((x) => [x.funcname, x.executors, x.executornames]),
    [
      ['greet', 2, [e.name, other.name].sort()],
      ['wave', 1, [e.name]],
    ],
  );
  assert.deepEqual(await e.client.declareFunctions([]), { functions: [] });
  assert.deepEqual(
    (await ofType('fn-declare')).map((x) => [x.funcname, x.executors]),
    [['greet', 1]],
  );
  // Another colony's executors are not listed in this one, nor this one's there.
  const b = await f.addExecutor('fn-declare', f.b);
  await b.client.declareFunctions(['secret']);
  assert.deepEqual(
    (await ofType('fn-declare')).map((x) => x.funcname),
    ['greet'],
  );
  assert.deepEqual(
    (await f.b.userClient.listFunctions()).map((x) => x.funcname),
    ['secret'],
  );
});

test('a bad declaration is refused naming its field and changes nothing', async () => {
  const e = await serving('fn-bad', ['kept']);
  const agent = signedAgent(f.url, e.key.prvkey);
  for (const [body, path] of [
    [{}, 'body.functions'],
    [{ functions: 'greet' }, 'body.functions'],
    [{ functions: ['ok', ''] }, 'body.functions.1'],
    [{ functions: ['a\u0000b'] }, 'body.functions.0'],
    [{ functions: ['x'.repeat(201)] }, 'body.functions.0'],
    [{ functions: Array.from({ length: MAX_DECLARED_FUNCTIONS + 1 }, (_, i) => `f${i}`) }, 'body.functions'],
  ] as const) {
    const d = expectError(await agent.post(`${A}/functions`, body), 400, 'VALIDATION_FAILED');
    assert.deepEqual(issuePaths(d), [path]);
  }
  // Only an approved executor declares (a member lists).
  expectError(await signedAgent(f.url, f.a.user.prvkey).post(`${A}/functions`, { functions: ['x'] }), 403, 'FORBIDDEN');
  assert.deepEqual(
    (await ofType('fn-bad')).map((x) => x.funcname),
    ['kept'],
  );
});

test('function ls counts executors online by the lease; only approved executors count', async () => {
  const e1 = await serving('fn-live', ['greet']);
  clock.advance(LEASE + SEC);
  const e2 = await serving('fn-live', ['greet']);
  assert.deepEqual(
    (await ofType('fn-live')).map((x) => [x.executors, x.online]),
    [[2, 1]],
  );
  clock.advance(LEASE + SEC);
  assert.deepEqual(
    (await ofType('fn-live')).map((x) => [x.executors, x.online]),
    [[2, 0]],
  );
  await f.a.ownerClient.rejectExecutor(e1.name);
  assert.deepEqual(
    (await ofType('fn-live')).map((x) => [x.executornames, x.executors]),
    [[[e2.name], 1]],
  );
});

test("removing an executor removes its functions, and removing a colony removes its executors' functions", async () => {
  const e = await serving('fn-remove', ['greet']);
  await f.a.ownerClient.removeExecutor(e.name);
  assert.deepEqual(await ofType('fn-remove'), []);

  const owner = generateKeyPair();
  const executor = generateKeyPair();
  await f.serverClient.addColony('fn-colony', owner.id);
  const ownerClient = new ColoniesClient({ url: f.url, prvkey: owner.prvkey, colonyname: 'fn-colony' });
  await ownerClient.addExecutor({ executorname: 'x', executorid: executor.id, executortype: 'fn-remove' });
  await ownerClient.approveExecutor('x');
  await new ColoniesClient({ url: f.url, prvkey: executor.prvkey, colonyname: 'fn-colony' }).declareFunctions(['greet']);
  const count = async () =>
    (await f.server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM functions WHERE colonyname = $1', ['fn-colony']))[0]!.n;
  assert.equal(await count(), 1);
  await f.serverClient.removeColony('fn-colony');
  assert.equal(await count(), 0);
});

test('a submit naming a function no executor serves is accepted with a warning; once one declares it, none', async () => {
  const p = await user().submit({ funcname: 'greet', executortype: 'fn-warn' });
  assert.equal(p.state, 'WAITING');
  assert.deepEqual(p.warnings, ['no executor serves greet on fn-warn yet']);
  // A workflow: one warning per distinct (executortype, funcname), in the order of the spec.
  const g = await user().submitWorkflow([
    { nodename: 'a', funcname: 'greet', executortype: 'fn-warn' },
    { nodename: 'b', funcname: 'greet', executortype: 'fn-warn', conditions: { dependencies: ['a'] } },
    { nodename: 'c', funcname: 'wave', executortype: 'fn-warn', conditions: { dependencies: ['a'] } },
  ]);
  assert.deepEqual(g.warnings, ['no executor serves greet on fn-warn yet', 'no executor serves wave on fn-warn yet']);

  // Declared (on this server: seen at once): greet is served, wave not yet.
  await serving('fn-warn', ['greet']);
  const served = await user().submit({ funcname: 'greet', executortype: 'fn-warn' });
  assert.equal('warnings' in served, false, 'a submit without warnings has no warnings field');
  const g2 = await user().submitWorkflow([
    { nodename: 'a', funcname: 'greet', executortype: 'fn-warn' },
    { nodename: 'c', funcname: 'wave', executortype: 'fn-warn', conditions: { dependencies: ['a'] } },
  ]);
  assert.deepEqual(g2.warnings, ['no executor serves wave on fn-warn yet']);
  // The same function on another executor type is another function.
  assert.deepEqual((await user().submit({ funcname: 'greet', executortype: 'fn-warn-other' })).warnings, [
    'no executor serves greet on fn-warn-other yet',
  ]);
});

test('a batch submit warns on each result as its single submit would', async () => {
  await serving('fn-batch', ['served']);
  const res = await signedAgent(f.url, f.a.user.prvkey)
    .post(`${A}/processes/batch`, {
      specs: [{ funcname: 'served', executortype: 'fn-batch' }, { funcname: 'unserved', executortype: 'fn-batch' }, { executortype: 'fn-batch' }],
    })
    .expect(200);
  const [one, two, three] = (res.body as { results: SubmitResult[] }).results;
  assert.ok(one && 'process' in one && two && 'process' in two && three && 'error' in three);
  assert.equal(one.process.warnings, undefined);
  assert.deepEqual(two.process.warnings, ['no executor serves unserved on fn-batch yet']);
  // The SDK's coalesced submits carry them too.
  const [a, b] = await Promise.all([
    user().submit({ funcname: 'served', executortype: 'fn-batch' }),
    user().submit({ funcname: 'unserved', executortype: 'fn-batch' }),
  ]);
  assert.equal(a.warnings, undefined);
  assert.deepEqual(b.warnings, ['no executor serves unserved on fn-batch yet']);
});

test('an executor whose approval is withdrawn stops serving: the warning comes back within a second', async () => {
  const e = await serving('fn-reject', ['greet']);
  assert.equal((await user().submit({ funcname: 'greet', executortype: 'fn-reject' })).warnings, undefined);
  await f.a.ownerClient.rejectExecutor(e.name);
  // Changes other than declarations reach the submit's cache within its second of real time.
  let warnings: string[] | undefined;
  for (const until = Date.now() + 5000; !warnings && Date.now() < until; await sleep(50))
    warnings = (await user().submit({ funcname: 'greet', executortype: 'fn-reject' })).warnings;
  assert.deepEqual(warnings, ['no executor serves greet on fn-reject yet']);
});

const reason = async (processid: string) => (await user().getProcess(processid)).waitreason;

test('process get says why a ready process waits: none registered, none online, none serving, all busy, one free', async () => {
  const type = 'fn-why';
  const p = await user().submit({ funcname: 'greet', executortype: type });
  assert.equal(await reason(p.processid), `no online executor of type ${type} (none is registered)`);

  const e1 = await f.addExecutor(type);
  assert.equal(await reason(p.processid), `no online executor of type ${type} (1 registered, none serves greet)`);
  await e1.client.declareFunctions(['other']);
  await heardNow(e1.name);
  assert.equal(await reason(p.processid), `no online executor of type ${type} serves greet: one that is free will take it and fail it`);

  // e1 busy with another process; e2 serves greet but is offline.
  const busy = await user().submit({ funcname: 'other', executortype: type, priority: 10 });
  const [taken] = await e1.client.assign({ timeout: 0 });
  assert.equal(taken?.processid, busy.processid);
  assert.equal(await reason(busy.processid), undefined, 'a RUNNING process does not wait');
  await heardNow(e1.name);
  assert.equal(await reason(p.processid), `no online executor of type ${type} serves greet, and all 1 online are busy`);

  // e2 serves greet and takes p: both are busy now.
  const e2 = await serving(type, ['greet']);
  const [again] = await e2.client.assign({ timeout: 0 });
  assert.equal(again?.processid, p.processid);
  const q = await user().submit({ funcname: 'greet', executortype: type });
  assert.equal(
    await reason(q.processid),
    `all 2 busy: every online executor of type ${type} is running work (1 ready process of type ${type} queued)`,
  );

  await e1.client.close(busy.processid, taken.attempt, []);
  await heardNow(e1.name);
  assert.equal(
    await reason(q.processid),
    `an online executor of type ${type} is free and should take it at its next poll (1 ready process of type ${type} queued)`,
  );

  clock.advance(LEASE + SEC);
  assert.equal(await reason(q.processid), `no online executor of type ${type} (2 registered, 1 of them serves greet)`);
});

test('workflow get gives the reason of each waiting process: the ready ones, and those waiting for parents', async () => {
  const g = await user().submitWorkflow([
    { nodename: 'a', funcname: 'greet', executortype: 'fn-gpu' },
    { nodename: 'b', funcname: 'greet', executortype: 'fn-gpu' },
    { nodename: 'c', funcname: 'sum', executortype: 'fn-cpu', conditions: { dependencies: ['a', 'b'] } },
  ]);
  const full = await user().getProcessGraph(g.processgraphid);
  assert.deepEqual(
    full.processes.map((p: Process) => [p.spec.nodename, p.waitreason]),
    [
      ['a', 'no online executor of type fn-gpu (none is registered)'],
      ['b', 'no online executor of type fn-gpu (none is registered)'],
      ['c', 'waits for its parents to succeed'],
    ],
  );
  // Listings stay as they were: the reason is worked out only when one process or graph is read.
  const listed = await user().listProcesses({ executortype: 'fn-gpu' });
  assert.equal(listed.length, 2);
  assert.ok(listed.every((p) => !('waitreason' in p)));
});

test('the SDK Executor declares its function table when it starts', async () => {
  const ex = new Executor({
    url: f.url,
    colonyname: 'colony-a',
    executortype: 'fn-sdk',
    colonyPrvkey: f.a.owner.prvkey,
    assignTimeout: 1,
    functions: { greet: (_ctx, name: string) => `hello ${name}`, wave: () => 'o/' },
  });
  await ex.start();
  try {
    assert.deepEqual(
      (await ofType('fn-sdk')).map((x) => [x.funcname, x.executors, x.executornames]),
      [
        ['greet', 1, [ex.executorname]],
        ['wave', 1, [ex.executorname]],
      ],
    );
    const p = await user().submit({ funcname: 'greet', executortype: 'fn-sdk', args: ['obi-wan'] });
    assert.equal(p.warnings, undefined);
  } finally {
    await ex.stop(0);
  }
});

test('an Executor that could not declare at start declares before its next assign: here, once it is approved', async () => {
  const key = generateKeyPair();
  await f.a.ownerClient.addExecutor({ executorname: 'fn-pending', executorid: key.id, executortype: 'fn-later' });
  const errors: string[] = [];
  const ex = new Executor({
    url: f.url,
    colonyname: 'colony-a',
    executortype: 'fn-later',
    executorname: 'fn-pending',
    prvkey: key.prvkey,
    assignTimeout: 1,
    functions: { greet: () => 'hi' },
    onError: (err) => errors.push((err as { code?: string }).code ?? String(err)),
  });
  await ex.start();
  try {
    assert.equal(errors[0], 'EXECUTOR_NOT_APPROVED', 'the refused declaration is reported');
    assert.deepEqual(await ofType('fn-later'), []);
    await f.a.ownerClient.approveExecutor('fn-pending');
    let listed: FunctionInfo[] = [];
    for (const until = Date.now() + 10_000; listed.length === 0 && Date.now() < until; await sleep(50)) listed = await ofType('fn-later');
    assert.deepEqual(
      listed.map((x) => [x.funcname, x.executornames]),
      [['greet', ['fn-pending']]],
    );
  } finally {
    await ex.stop(0);
  }
});
