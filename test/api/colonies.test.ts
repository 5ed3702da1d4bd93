/** HTTP API: colonies, executors, users and stats, over signed requests. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { expectError, issuePaths, signedAgent, type SignedAgent } from '../helpers/signed-agent.ts';
import { generateKeyPair } from '../../protocol/crypto.ts';
import type { Colony, ColonyStats, Executor, User } from '../../protocol/types.ts';
import { ColoniesClient } from '../../executor/client.ts';

let f: Fixture;
let serverOwner: SignedAgent;
let ownerA: SignedAgent;
let userA: SignedAgent;
let executorA: SignedAgent;
const A = '/colonies/colony-a';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

before(async () => {
  f = await startFixture();
  serverOwner = signedAgent(f.url, f.serverKey.prvkey);
  ownerA = signedAgent(f.url, f.a.owner.prvkey);
  userA = signedAgent(f.url, f.a.user.prvkey);
  executorA = signedAgent(f.url, f.a.executor.prvkey);
});
after(() => f.close());

async function colonyNames(): Promise<string[]> {
  const res = await serverOwner.get('/colonies').expect(200);
  return (res.body as Colony[]).map((c) => c.colonyname);
}

test('the server owner adds, lists and removes a colony', async () => {
  const key = generateKeyPair();
  const added = await serverOwner.post('/colonies', { colonyname: 'c-added', colonyid: key.id }).expect(201);
  assert.deepEqual(Object.keys(added.body as object).sort(), ['colonyid', 'colonyname', 'created']);
  assert.equal((added.body as Colony).colonyname, 'c-added');
  assert.equal((added.body as Colony).colonyid, key.id);
  assert.match((added.body as Colony).created, ISO);

  assert.deepEqual(await colonyNames(), ['c-added', 'colony-a', 'colony-b']);
  const newOwner = signedAgent(f.url, key.prvkey);
  const got = await newOwner.get('/colonies/c-added').expect(200);
  assert.deepEqual(got.body, added.body);

  const removed = await serverOwner.delete('/colonies/c-added').expect(204);
  assert.equal(removed.text, '');
  assert.deepEqual(await colonyNames(), ['colony-a', 'colony-b']);
  expectError(await newOwner.get('/colonies/c-added'), 404, 'COLONY_NOT_FOUND');
  expectError(await serverOwner.delete('/colonies/c-added'), 404, 'COLONY_NOT_FOUND');
});

test('adding a colony is refused with a precise code and changes nothing', async () => {
  const before = (await serverOwner.get('/colonies').expect(200)).body as Colony[];
  const other = generateKeyPair();

  expectError(await serverOwner.post('/colonies', { colonyname: 'colony-a', colonyid: other.id }), 409, 'ALREADY_EXISTS');
  let d = expectError(await serverOwner.post('/colonies', { colonyname: 'bad name!', colonyid: other.id }), 400, 'VALIDATION_FAILED');
  assert.deepEqual(issuePaths(d), ['body.colonyname']);
  d = expectError(await serverOwner.post('/colonies', { colonyname: 'ok', colonyid: 'not-a-key' }), 400, 'VALIDATION_FAILED');
  assert.deepEqual(issuePaths(d), ['body.colonyid']);
  d = expectError(await serverOwner.post('/colonies', { colonyname: 'ok', colonyid: other.id.toUpperCase() }), 400, 'VALIDATION_FAILED');
  assert.deepEqual(issuePaths(d), ['body.colonyid']);
  d = expectError(await serverOwner.post('/colonies', {}), 400, 'VALIDATION_FAILED');
  assert.deepEqual(issuePaths(d).sort(), ['body.colonyid', 'body.colonyname']);
  d = expectError(await serverOwner.post('/colonies', [1, 2]), 400, 'VALIDATION_FAILED');
  assert.deepEqual(issuePaths(d), ['body']);
  d = expectError(await serverOwner.post('/colonies', { colonyname: 'x'.repeat(201), colonyid: other.id }), 400, 'VALIDATION_FAILED');
  assert.deepEqual(issuePaths(d), ['body.colonyname']);
  expectError(await serverOwner.post('/colonies', undefined, { raw: '{"colonyname": "ok", ' }), 400, 'MALFORMED_JSON');
  d = expectError(await serverOwner.delete('/colonies/bad%20name'), 400, 'VALIDATION_FAILED');
  assert.deepEqual(issuePaths(d), ['path.colony']);

  assert.deepEqual((await serverOwner.get('/colonies').expect(200)).body, before);
  const a = (await ownerA.get(A).expect(200)).body as Colony;
  assert.equal(a.colonyid, f.a.owner.id, 'colony-a keeps its owner');
});

test('members read their colony; an unknown colony is COLONY_NOT_FOUND', async () => {
  for (const member of [ownerA, userA, executorA]) {
    const res = await member.get(A).expect(200);
    assert.deepEqual(Object.keys(res.body as object).sort(), ['colonyid', 'colonyname', 'created']);
    assert.equal((res.body as Colony).colonyname, 'colony-a');
    assert.equal((res.body as Colony).colonyid, f.a.owner.id);
  }
  expectError(await userA.get('/colonies/no-such-colony'), 404, 'COLONY_NOT_FOUND');
});

test('executors: register (PENDING), approve, reject, get, list and remove', async () => {
  const key = generateKeyPair();
  const exec = signedAgent(f.url, key.prvkey);
  const reg = await ownerA.post(`${A}/executors`, { executorname: 'e1', executorid: key.id, executortype: 't1', location: 'lab' }).expect(201);
  const e = reg.body as Executor;
  assert.deepEqual(Object.keys(e).sort(), [
    'colonyname',
    'executorid',
    'executorname',
    'executortype',
    'lastheardfrom',
    'location',
    'online',
    'registered',
    'state',
  ]);
  assert.deepEqual(
    { ...e, registered: undefined },
    {
      colonyname: 'colony-a',
      executorname: 'e1',
      executorid: key.id,
      executortype: 't1',
      state: 'PENDING',
      location: 'lab',
      registered: undefined,
      lastheardfrom: null,
      online: false,
    },
  );
  assert.match(e.registered, ISO);

  // A pending executor may not work yet.
  expectError(await exec.post(`${A}/processes/assign`, { timeout: 0 }), 403, 'EXECUTOR_NOT_APPROVED');
  const approved = await ownerA.post(`${A}/executors/e1/approve`).expect(200);
  assert.equal((approved.body as Executor).state, 'APPROVED');
  assert.deepEqual((await exec.post(`${A}/processes/assign`, { timeout: 0 }).expect(200)).body, { processes: [] });
  assert.equal(((await userA.get(`${A}/executors/e1`).expect(200)).body as Executor).state, 'APPROVED');

  const rejected = await ownerA.post(`${A}/executors/e1/reject`).expect(200);
  assert.equal((rejected.body as Executor).state, 'REJECTED');
  expectError(await exec.post(`${A}/processes/assign`, { timeout: 0 }), 403, 'EXECUTOR_NOT_APPROVED');

  const list = (await userA.get(`${A}/executors`).expect(200)).body as Executor[];
  assert.deepEqual(
    list.map((x) => [x.executorname, x.state]),
    [
      ['e1', 'REJECTED'],
      [f.a.executorname, 'APPROVED'],
    ],
  );

  await ownerA.delete(`${A}/executors/e1`).expect(204);
  expectError(await userA.get(`${A}/executors/e1`), 404, 'EXECUTOR_NOT_FOUND');
  expectError(await exec.get(A), 403, 'NOT_A_MEMBER');
  assert.deepEqual(
    ((await userA.get(`${A}/executors`).expect(200)).body as Executor[]).map((x) => x.executorname),
    [f.a.executorname],
  );
});

test('registering and managing executors is refused precisely and changes nothing', async () => {
  const key = generateKeyPair();
  await ownerA.post(`${A}/executors`, { executorname: 'e2', executorid: key.id, executortype: 't1' }).expect(201);
  const before = (await userA.get(`${A}/executors`).expect(200)).body as Executor[];
  assert.equal(before.find((x) => x.executorname === 'e2')?.location, '', 'location defaults to ""');

  const other = generateKeyPair();
  expectError(await ownerA.post(`${A}/executors`, { executorname: 'e2', executorid: other.id, executortype: 't2' }), 409, 'ALREADY_EXISTS');
  expectError(await ownerA.post(`${A}/executors`, { executorname: 'e3', executorid: key.id, executortype: 't1' }), 409, 'ALREADY_EXISTS');
  let d = expectError(await ownerA.post(`${A}/executors`, { executorname: 'e3', executorid: other.id }), 400, 'VALIDATION_FAILED');
  assert.deepEqual(issuePaths(d), ['body.executortype']);
  d = expectError(await ownerA.post(`${A}/executors`, { executorname: 'e3', executorid: 'nope', executortype: 't' }), 400, 'VALIDATION_FAILED');
  assert.deepEqual(issuePaths(d), ['body.executorid']);
  d = expectError(await ownerA.post(`${A}/executors`, { executorname: '-e3', executorid: other.id, executortype: 't' }), 400, 'VALIDATION_FAILED');
  assert.deepEqual(issuePaths(d), ['body.executorname']);
  expectError(await ownerA.post(`${A}/executors`, undefined, { raw: 'not json' }), 400, 'MALFORMED_JSON');
  for (const res of [
    await ownerA.post(`${A}/executors/ghost/approve`),
    await ownerA.post(`${A}/executors/ghost/reject`),
    await ownerA.delete(`${A}/executors/ghost`),
    await userA.get(`${A}/executors/ghost`),
  ]) {
    expectError(res, 404, 'EXECUTOR_NOT_FOUND');
  }

  assert.deepEqual((await userA.get(`${A}/executors`).expect(200)).body, before);
  await ownerA.delete(`${A}/executors/e2`).expect(204);
});

test('users: add, list and remove; a removed user is no longer a member', async () => {
  const key = generateKeyPair();
  const bob = signedAgent(f.url, key.prvkey);
  expectError(await bob.get(A), 403, 'NOT_A_MEMBER');
  const added = await ownerA.post(`${A}/users`, { username: 'bob', userid: key.id }).expect(201);
  assert.deepEqual(added.body, { colonyname: 'colony-a', username: 'bob', userid: key.id });
  await bob.get(A).expect(200);

  const list = (await executorA.get(`${A}/users`).expect(200)).body as User[];
  assert.deepEqual(
    list.map((u) => [u.username, u.userid]),
    [
      ['alice', f.a.user.id],
      ['bob', key.id],
    ],
  );

  await ownerA.delete(`${A}/users/bob`).expect(204);
  expectError(await bob.get(A), 403, 'NOT_A_MEMBER');
  assert.deepEqual(
    ((await userA.get(`${A}/users`).expect(200)).body as User[]).map((u) => u.username),
    ['alice'],
  );
});

test('adding and removing users is refused precisely and changes nothing', async () => {
  const before = (await userA.get(`${A}/users`).expect(200)).body as User[];
  const other = generateKeyPair();
  expectError(await ownerA.post(`${A}/users`, { username: 'alice', userid: other.id }), 409, 'ALREADY_EXISTS');
  expectError(await ownerA.post(`${A}/users`, { username: 'alice2', userid: f.a.user.id }), 409, 'ALREADY_EXISTS');
  let d = expectError(await ownerA.post(`${A}/users`, { username: 'carol' }), 400, 'VALIDATION_FAILED');
  assert.deepEqual(issuePaths(d), ['body.userid']);
  d = expectError(await ownerA.post(`${A}/users`, { username: 'a/b', userid: other.id }), 400, 'VALIDATION_FAILED');
  assert.deepEqual(issuePaths(d), ['body.username']);
  expectError(await ownerA.delete(`${A}/users/ghost`), 404, 'USER_NOT_FOUND');
  assert.deepEqual((await userA.get(`${A}/users`).expect(200)).body, before);
});

test('stats count processes and process graphs per state, and executors', async () => {
  // A colony of its own, so that the counts are exact.
  const owner = generateKeyPair();
  await serverOwner.post('/colonies', { colonyname: 'c-stats', colonyid: owner.id }).expect(201);
  const ownerClient = new ColoniesClient({ url: f.url, prvkey: owner.prvkey, colonyname: 'c-stats' });
  const ek = generateKeyPair();
  await ownerClient.addExecutor({ executorname: 'w', executorid: ek.id, executortype: 'w' });
  await ownerClient.approveExecutor('w');
  const worker = ownerClient.withKey(ek.prvkey);
  const stats = async () => (await signedAgent(f.url, ek.prvkey).get('/colonies/c-stats/stats').expect(200)).body as ColonyStats;

  const zero = { WAITING: 0, RUNNING: 0, SUCCESS: 0, FAILED: 0, CANCELLED: 0, SKIPPED: 0, HALTED: 0 };
  assert.deepEqual(await stats(), { processes: zero, processgraphs: zero, executors: 1 });

  const spec = { funcname: 'f', executortype: 'w' };
  await ownerClient.submit(spec);
  const [running] = await worker.assign({ timeout: 0 });
  await ownerClient.submit(spec);
  const [succeeded] = await worker.assign({ timeout: 0 });
  await worker.close(succeeded!.processid, succeeded!.attempt, [1]);
  await ownerClient.submit(spec);
  const [failed] = await worker.assign({ timeout: 0 });
  await worker.fail(failed!.processid, failed!.attempt, ['boom']);
  const cancelled = await ownerClient.submit(spec);
  await ownerClient.cancelProcess(cancelled.processid);
  await ownerClient.submit(spec);
  assert.ok(running);
  const graph = await ownerClient.submitWorkflow({
    functionspecs: [
      { nodename: 'a', funcname: 'f', executortype: 'other' },
      { nodename: 'b', funcname: 'f', executortype: 'other', conditions: { dependencies: ['a'] } },
    ],
  });

  assert.deepEqual(await stats(), {
    processes: { WAITING: 3, RUNNING: 1, SUCCESS: 1, FAILED: 1, CANCELLED: 1, SKIPPED: 0, HALTED: 0 },
    processgraphs: { ...zero, WAITING: 1 },
    executors: 1,
  });
  await ownerClient.cancelProcessGraph(graph.processgraphid);
  assert.deepEqual(await stats(), {
    processes: { WAITING: 1, RUNNING: 1, SUCCESS: 1, FAILED: 1, CANCELLED: 3, SKIPPED: 0, HALTED: 0 },
    processgraphs: { ...zero, CANCELLED: 1 },
    executors: 1,
  });
  // Colony A's stats do not see c-stats.
  const a = (await userA.get(`${A}/stats`).expect(200)).body as ColonyStats;
  assert.equal(a.processgraphs.CANCELLED, 0);
  await serverOwner.delete('/colonies/c-stats').expect(204);
});
