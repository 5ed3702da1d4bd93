/** HTTP API: the assign long-poll — priority order, prompt wake-up, timeouts, no double hand-out, shutdown. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { openTestDb, type TestDb } from '../helpers/db.ts';
import { expectError, issuePaths, signedAgent, type SignedAgent } from '../helpers/signed-agent.ts';
import { createColoniesServer } from '../../server/main.ts';
import { loadServerConfig } from '../../server/config.ts';
import { silentLogger } from '../../server/log.ts';
import { countClaims, waitingLongPolls } from '../helpers/claims.ts';
import { LIMITS } from '../../protocol/schemas.ts';
import type { Process } from '../../protocol/types.ts';

const A = '/colonies/colony-a';

let testDb: TestDb;
let f: Fixture;
let user: SignedAgent;

before(async () => {
  testDb = await openTestDb();
  f = await startFixture({ testDb });
  user = signedAgent(f.url, f.a.user.prvkey);
});
after(async () => {
  await f.close();
  await testDb.drop();
});

async function worker(type: string): Promise<{ agent: SignedAgent; id: string }> {
  const e = await f.addExecutor(type);
  return { agent: signedAgent(f.url, e.key.prvkey), id: e.key.id };
}

async function submit(spec: Record<string, unknown>): Promise<Process> {
  return (await user.post(`${A}/processes`, spec).expect(201)).body as Process;
}

function assign(w: { agent: SignedAgent }, body: unknown) {
  return w.agent.post(`${A}/processes/assign`, body);
}

const processesOf = (res: { body: unknown }) => (res.body as { processes: Process[] }).processes;

test('assign hands out the highest priority first, FIFO within a priority', async () => {
  const w = await worker('t-prio');
  const low1 = await submit({ funcname: 'low1', executortype: 't-prio' });
  const high = await submit({ funcname: 'high', executortype: 't-prio', priority: 5 });
  const low2 = await submit({ funcname: 'low2', executortype: 't-prio' });
  const mid = await submit({ funcname: 'mid', executortype: 't-prio', priority: 1 });
  const neg = await submit({ funcname: 'neg', executortype: 't-prio', priority: -1 });
  const order: string[] = [];
  for (let i = 0; i < 5; i++) {
    const [p] = processesOf(await assign(w, { timeout: 0 }).expect(200));
    assert.ok(p);
    assert.equal(p.state, 'RUNNING');
    assert.equal(p.assignedexecutorid, w.id);
    order.push(p.processid);
  }
  assert.deepEqual(
    order,
    [high, mid, low1, low2, neg].map((p) => p.processid),
  );
  assert.deepEqual((await assign(w, { timeout: 0 }).expect(200)).body, { processes: [] });
});

test('assign with count hands out up to count processes at once', async () => {
  const w = await worker('t-count');
  const ids = new Set<string>();
  for (let i = 0; i < 5; i++) ids.add((await submit({ funcname: 'f', executortype: 't-count' })).processid);
  const first = processesOf(await assign(w, { timeout: 0, count: 3 }).expect(200));
  assert.equal(first.length, 3);
  const rest = processesOf(await assign(w, { timeout: 0, count: 10 }).expect(200));
  assert.equal(rest.length, 2);
  assert.deepEqual(new Set([...first, ...rest].map((p) => p.processid)), ids);
});

test('assign refuses bad requests precisely', async () => {
  const w = await worker('t-bad-assign');
  await submit({ funcname: 'f', executortype: 't-bad-assign' });
  const cases: [unknown, string][] = [
    [{ timeout: -1 }, 'body.timeout'],
    [{ timeout: LIMITS.maxAssignTimeoutSeconds + 1 }, 'body.timeout'],
    [{ timeout: '1' }, 'body.timeout'],
    [{ timeout: 0, count: 0 }, 'body.count'],
    [{ timeout: 0, count: LIMITS.maxAssignCount + 1 }, 'body.count'],
    [{ timeout: 0, count: 1.5 }, 'body.count'],
  ];
  for (const [body, path] of cases) {
    assert.deepEqual(issuePaths(expectError(await assign(w, body), 400, 'VALIDATION_FAILED')), [path], JSON.stringify(body));
  }
  expectError(await w.agent.post(`${A}/processes/assign`, undefined, { raw: '{"timeout":' }), 400, 'MALFORMED_JSON');
  // Nothing was claimed by the refused requests.
  assert.equal(processesOf(await assign(w, { timeout: 0 }).expect(200)).length, 1);
});

test('an empty long-poll answers {processes: []} when its timeout ends', async () => {
  const w = await worker('t-empty');
  let t0 = Date.now();
  assert.deepEqual((await assign(w, { timeout: 0 }).expect(200)).body, { processes: [] });
  assert.ok(Date.now() - t0 < 1000, 'timeout 0 answers at once');
  t0 = Date.now();
  assert.deepEqual((await assign(w, { timeout: 0.3 }).expect(200)).body, { processes: [] });
  const waited = Date.now() - t0;
  assert.ok(waited >= 250, `waited ${waited} ms`);
  assert.ok(waited < 5000, `waited ${waited} ms`);
});

test('a waiting long-poll wakes as soon as a process is submitted, long before its timeout', async () => {
  const w = await worker('t-wake');
  const t0 = Date.now();
  const polled = assign(w, { timeout: 20 }).then((r) => r);
  await waitingLongPolls(f.server, f.a.colonyname, 't-wake');
  const p = await submit({ funcname: 'f', executortype: 't-wake' });
  const res = await polled;
  const elapsed = Date.now() - t0;
  assert.equal(res.status, 200);
  assert.deepEqual(
    processesOf(res).map((x) => x.processid),
    [p.processid],
  );
  assert.ok(elapsed < 5000, `answered after ${elapsed} ms of a 20 s poll`);
  // Work of another type or colony does not wake it (and is not handed to it).
  const polled2 = assign(w, { timeout: 0.5 }).then((r) => r);
  await waitingLongPolls(f.server, f.a.colonyname, 't-wake');
  await submit({ funcname: 'f', executortype: 't-other' });
  await f.b.userClient.submit({ funcname: 'f', executortype: 't-wake' });
  assert.deepEqual((await polled2).body, { processes: [] });
});

test('a long-poll right after a claim found the queue empty waits without a claim statement, and still wakes for new work', async () => {
  const w = await worker('t-known-empty');
  const other = await worker('t-known-empty');
  assert.deepEqual(processesOf(await assign(w, { timeout: 0 }).expect(200)), []);
  const statements = countClaims('t-known-empty');
  try {
    // Nothing became ready since: both wait at once, the second executor's too.
    const polled = [assign(w, { timeout: 20 }).then((r) => r), assign(other, { timeout: 20 }).then((r) => r)];
    await waitingLongPolls(f.server, f.a.colonyname, 't-known-empty', 2);
    assert.equal(statements.n, 0, 'no claim statement: the queue was known empty');
    const p1 = await submit({ funcname: 'f1', executortype: 't-known-empty' });
    const p2 = await submit({ funcname: 'f2', executortype: 't-known-empty' });
    const got = (await Promise.all(polled)).map((r) => processesOf(r).map((x) => x.processid));
    assert.deepEqual(got, [[p1.processid], [p2.processid]], 'each handed the one submitted for it, oldest wait first');
  } finally {
    statements.stop();
  }
  // Ready work moves the wake generation: the next long-poll claims again.
  const queued = await submit({ funcname: 'g', executortype: 't-known-empty' });
  assert.deepEqual(
    processesOf(await assign(w, { timeout: 20 }).expect(200)).map((x) => x.processid),
    [queued.processid],
  );
});

test('a submit is handed straight to an idle long-poll: RUNNING in its reply, no claim statement', async () => {
  const w = await worker('t-handoff');
  const polled = assign(w, { timeout: 20, count: 2 }).then((r) => r);
  await waitingLongPolls(f.server, f.a.colonyname, 't-handoff');
  const claimsAfter = countClaims('t-handoff');
  try {
    const replies = await Promise.all(['a', 'b', 'c'].map((funcname) => submit({ funcname, executortype: 't-handoff', maxexectime: 30 })));
    const got = processesOf(await polled);
    // The poll (up to two) is handed what the first INSERT to find it carries: both, when the submits
    // arrive together, or one. Their replies say so; the rest wait for the next claim.
    const handed = replies.filter((x) => x.state === 'RUNNING');
    const rest = replies.filter((x) => x.state === 'WAITING');
    assert.deepEqual(
      got.map((x) => [x.processid, x.state, x.assignedexecutorid, x.attempt]).sort(),
      handed.map((x) => [x.processid, 'RUNNING', w.id, 1]).sort(),
    );
    assert.ok(handed.length >= 1 && handed.length <= 2, `${handed.length} handed over`);
    assert.equal(handed.length + rest.length, 3);
    assert.ok(rest.every((x) => x.assignedexecutorid === null));
    const p = got[0]!;
    assert.ok(p.execdeadline && p.starttime, 'deadline and start time as for a claim');
    assert.equal(claimsAfter.n, 0, 'no claim ran for the handed-over processes');
    // Stored as the reply says, and closed like any claimed process.
    const stored = (await w.agent.get(`/colonies/colony-a/processes/${p.processid}`).expect(200)).body as Process;
    assert.deepEqual(stored, p);
    await w.agent.post(`/colonies/colony-a/processes/${p.processid}/close`, { attempt: 1, out: ['ok'] }).expect(204);
    // The rest are claimed by the next poll as usual.
    assert.deepEqual(
      processesOf(await assign(w, { timeout: 0, count: 5 }))
        .map((x) => x.processid)
        .sort(),
      rest.map((x) => x.processid).sort(),
    );
  } finally {
    claimsAfter.stop();
  }
});

test('20 concurrent long-polls and 10 new processes: each process goes to exactly one executor', async () => {
  const workers = await Promise.all(Array.from({ length: 20 }, () => worker('t-race')));
  const polls = workers.map((w) => assign(w, { timeout: 1.5 }).then((r) => r));
  await waitingLongPolls(f.server, f.a.colonyname, 't-race', 20);
  const submitted = await Promise.all(Array.from({ length: 10 }, (_, i) => submit({ funcname: `f${i}`, executortype: 't-race' })));
  const replies = await Promise.all(polls);

  const handed = new Map<string, string>();
  replies.forEach((res, i) => {
    assert.equal(res.status, 200);
    const list = processesOf(res);
    assert.ok(list.length <= 1);
    for (const p of list) {
      assert.equal(handed.has(p.processid), false, `process ${p.processid} handed out twice`);
      assert.equal(p.assignedexecutorid, workers[i]!.id);
      handed.set(p.processid, workers[i]!.id);
    }
  });
  assert.deepEqual(new Set(handed.keys()), new Set(submitted.map((p) => p.processid)));
  for (const [processid, executorid] of handed) {
    const p = (await user.get(`${A}/processes/${processid}`).expect(200)).body as Process;
    assert.equal(p.state, 'RUNNING');
    assert.equal(p.attempt, 1);
    assert.equal(p.assignedexecutorid, executorid);
  }
});

test('20 concurrent assigns over 10 queued processes: 10 distinct ids, 10 empty replies', async () => {
  const workers = await Promise.all(Array.from({ length: 20 }, () => worker('t-race2')));
  const submitted = await Promise.all(Array.from({ length: 10 }, (_, i) => submit({ funcname: `f${i}`, executortype: 't-race2' })));
  const replies = await Promise.all(workers.map((w) => assign(w, { timeout: 0 }).expect(200)));
  const ids = replies.flatMap((r) => processesOf(r).map((p) => p.processid));
  assert.equal(ids.length, 10);
  assert.deepEqual(new Set(ids), new Set(submitted.map((p) => p.processid)));
  assert.equal(replies.filter((r) => processesOf(r).length === 0).length, 10);
});

test('an executor rejected or removed while its long-poll waits: the long-poll answers 403 at once, and is handed nothing', async () => {
  const owner = signedAgent(f.url, f.a.owner.prvkey);
  for (const [how, revoke, code] of [
    ['rejected', (name: string) => owner.post(`${A}/executors/${name}/reject`).expect(200), 'EXECUTOR_NOT_APPROVED'],
    ['removed', (name: string) => owner.delete(`${A}/executors/${name}`).expect(204), 'NOT_A_MEMBER'],
  ] as const) {
    const type = `t-revoked-${how}`;
    const e = await f.addExecutor(type);
    const agent = signedAgent(f.url, e.key.prvkey);
    const polled = agent.post(`${A}/processes/assign`, { timeout: 60 }).then((r) => r);
    await waitingLongPolls(f.server, f.a.colonyname, type);
    await revoke(e.name);
    const p = await submit({ funcname: 'f', executortype: type });
    expectError(await polled, 403, code);
    assert.equal(((await user.get(`${A}/processes/${p.processid}`).expect(200)).body as Process).state, 'WAITING');
    expectError(await agent.post(`${A}/processes/assign`, { timeout: 0 }), 403, code);
    // The process is still there for an approved executor.
    const other = await worker(type);
    assert.deepEqual(
      processesOf(await assign(other, { timeout: 0 }).expect(200)).map((x) => x.processid),
      [p.processid],
    );
  }
});

test('graceful shutdown releases a pending long-poll at once', async () => {
  const config = { ...loadServerConfig({}), host: '127.0.0.1', port: 0, serverId: f.serverKey.id, logLevel: 'silent' as const };
  const server = await createColoniesServer(config, { db: testDb.db, log: silentLogger, loops: false });
  const url = await server.listen();
  const e = await f.addExecutor('t-shutdown');
  const agent = signedAgent(url, e.key.prvkey);

  const t0 = Date.now();
  const polled = agent.post(`${A}/processes/assign`, { timeout: 60 }).then((r) => r);
  await waitingLongPolls(server, f.a.colonyname, 't-shutdown');
  await server.close();
  const res = await polled;
  const elapsed = Date.now() - t0;
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { processes: [] });
  assert.ok(elapsed < 5000, `released after ${elapsed} ms of a 60 s poll`);
  // The closed server takes no more requests; the shared database is still open for the fixture.
  await assert.rejects(
    signedAgent(url, e.key.prvkey)
      .get(A)
      .then((r) => r),
  );
  await f.a.userClient.getColony();
});
