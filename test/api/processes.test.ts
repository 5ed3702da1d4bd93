/** HTTP API: processes — submit, read, list, close/fail (fenced), logs, cancel, remove. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { requestsServed, startFixture, type Fixture } from '../helpers/fixture.ts';
import { expectError, issuePaths, signedAgent, type SignedAgent } from '../helpers/signed-agent.ts';
import { ManualClock, systemClock } from '../../server/clock.ts';
import { generateKeyPair, randomId } from '../../protocol/crypto.ts';
import { LIMITS } from '../../protocol/schemas.ts';
import type { LogEntry, Process, ProcessGraph, SubmitResult, Submitted } from '../../protocol/types.ts';
import { ColoniesClient } from '../../executor/client.ts';

const MAX_BODY = 64 * 1024;
const A = '/colonies/colony-a';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const PROCESS_KEYS = [
  'assignedexecutorid',
  'attempt',
  'children',
  'colonyname',
  'endtime',
  'errors',
  'execdeadline',
  'in',
  'initiatorid',
  'notbefore',
  'out',
  'parents',
  'processgraphid',
  'processid',
  'ready',
  'readytime',
  'retries',
  'spec',
  'starttime',
  'state',
  'submissiontime',
  'waitdeadline',
];

let f: Fixture;
// Deadlines move with this clock; signatures are checked against the real one.
const clock = new ManualClock(Date.now());
let user: SignedAgent;

before(async () => {
  f = await startFixture({ clock, authClock: systemClock, config: { maxBodyBytes: MAX_BODY } });
  user = signedAgent(f.url, f.a.user.prvkey);
});
after(() => f.close());

/** A fresh approved executor of its own type in colony A, so that each test has its own queue. */
async function worker(type: string): Promise<{ agent: SignedAgent; id: string; type: string; name: string; client: ColoniesClient }> {
  const e = await f.addExecutor(type);
  return { agent: signedAgent(f.url, e.key.prvkey), id: e.key.id, type, name: e.name, client: e.client };
}

async function submit(spec: Record<string, unknown>): Promise<Process> {
  return (await user.post(`${A}/processes`, spec).expect(201)).body as Process;
}

async function get(processid: string): Promise<Process> {
  return (await user.get(`${A}/processes/${processid}`).expect(200)).body as Process;
}

async function assignOne(w: { agent: SignedAgent }): Promise<Process> {
  const res = await w.agent.post(`${A}/processes/assign`, { timeout: 0 }).expect(200);
  const list = (res.body as { processes: Process[] }).processes;
  assert.equal(list.length, 1, 'one process assigned');
  return list[0]!;
}

async function listIds(query: string): Promise<string[]> {
  return ((await user.get(`${A}/processes?${query}`).expect(200)).body as Process[]).map((p) => p.processid);
}

test('submit answers 201 with the WAITING process and its normalised spec; get reads it back', async () => {
  const res = await user
    .post(`${A}/processes`, {
      funcname: 'echo',
      executortype: 't-submit',
      args: [1, 'x'],
      kwargs: { k: 1 },
      priority: 3,
      label: 'L',
      maxretries: 2,
      maxexectime: 10,
      maxwaittime: 20,
    })
    .expect(201);
  const { warnings, ...p } = res.body as Submitted<Process>;
  // No executor declared echo: accepted all the same, with a warning (test/api/functions.test.ts).
  assert.deepEqual(warnings, ['no executor serves echo on t-submit yet']);
  assert.deepEqual(Object.keys(p).sort(), PROCESS_KEYS);
  assert.match(p.processid, /^[0-9a-f]{64}$/);
  assert.equal(p.colonyname, 'colony-a');
  assert.equal(p.processgraphid, null);
  assert.equal(p.state, 'WAITING');
  assert.equal(p.ready, true);
  assert.deepEqual(p.in, [1, 'x']);
  assert.deepEqual([p.out, p.errors, p.parents, p.children], [[], [], [], []]);
  assert.deepEqual([p.retries, p.attempt], [0, 0]);
  assert.equal(p.initiatorid, f.a.user.id);
  assert.equal(p.assignedexecutorid, null);
  assert.equal(p.submissiontime, clock.now().toISOString());
  assert.equal(p.readytime, p.submissiontime);
  assert.equal(p.waitdeadline, new Date(clock.now().getTime() + 20_000).toISOString());
  assert.deepEqual([p.starttime, p.endtime, p.execdeadline], [null, null, null]);
  assert.deepEqual(p.spec, {
    nodename: 'echo',
    funcname: 'echo',
    executortype: 't-submit',
    args: [1, 'x'],
    kwargs: { k: 1 },
    priority: 3,
    label: 'L',
    maxretries: 2,
    maxexectime: 10,
    maxwaittime: 20,
    conditions: { dependencies: [] },
  });
  const { waitreason, ...read } = await get(p.processid);
  assert.deepEqual(read, p);
  assert.equal(waitreason, 'no online executor of type t-submit (none is registered)');
  // The ColonyOS alias of executortype works over the wire too.
  const aliased = await submit({ funcname: 'echo', conditions: { executortype: 't-submit' } });
  assert.equal(aliased.spec.executortype, 't-submit');
});

test('submit refuses bad specs with precise codes and writes nothing', async () => {
  const count = async () => (await listIds('executortype=t-bad')).length;
  const cases: [unknown, string[]][] = [
    [{ executortype: 't-bad' }, ['body.funcname']],
    [{ funcname: 'f' }, ['body.executortype']],
    [{ funcname: 'f', executortype: 't-bad', priority: LIMITS.maxPriority + 1 }, ['body.priority']],
    [{ funcname: 'f', executortype: 't-bad', maxretries: 'x' }, ['body.maxretries']],
    [{ funcname: 'f', executortype: 't-bad', args: { a: 1 } }, ['body.args']],
    [{ funcname: 'f', executortype: 't-bad', conditions: { dependencies: [5] } }, ['body.conditions.dependencies.0']],
    [[{ funcname: 'f', executortype: 't-bad' }], ['body']],
  ];
  for (const [body, paths] of cases) {
    const d = expectError(await user.post(`${A}/processes`, body), 400, 'VALIDATION_FAILED');
    assert.deepEqual(issuePaths(d), paths, JSON.stringify(body));
  }
  expectError(await user.post(`${A}/processes`, undefined, { raw: '{"funcname": "f", "executortype": "t-bad"' }), 400, 'MALFORMED_JSON');
  const big = { funcname: 'f', executortype: 't-bad', args: ['x'.repeat(MAX_BODY)] };
  expectError(await user.post(`${A}/processes`, big), 413, 'PAYLOAD_TOO_LARGE');
  assert.equal(await count(), 0);
  // Just under the limit is accepted.
  await user.post(`${A}/processes`, { funcname: 'f', executortype: 't-big', args: ['x'.repeat(MAX_BODY - 200)] }).expect(201);
});

test('batch submit: each spec is answered on its own, in order; bad ones are refused and write nothing', async () => {
  const res = await user
    .post(`${A}/processes/batch`, {
      specs: [
        { funcname: 'one', executortype: 't-batch', args: [1] },
        { executortype: 't-batch' },
        { funcname: 'three', executortype: 't-batch', priority: LIMITS.maxPriority + 1 },
        { funcname: 'four', executortype: 't-batch', label: 'L4' },
      ],
    })
    .expect(200);
  const results = (res.body as { results: SubmitResult[] }).results;
  assert.equal(results.length, 4);
  const ok = results.flatMap((r) => ('process' in r ? [r.process] : []));
  assert.deepEqual(
    ok.map((p) => [p.spec.funcname, p.state, p.initiatorid]),
    [
      ['one', 'WAITING', f.a.user.id],
      ['four', 'WAITING', f.a.user.id],
    ],
  );
  assert.deepEqual(ok[0]!.in, [1]);
  assert.equal(ok[1]!.spec.label, 'L4');
  for (const [i, path] of [
    [1, 'body.specs.1.funcname'],
    [2, 'body.specs.2.priority'],
  ] as const) {
    const r = results[i]!;
    assert.ok('error' in r, `spec ${i} is refused`);
    assert.equal(r.error.code, 'VALIDATION_FAILED');
    assert.match(r.error.message, new RegExp(`^${path.replace(/\./g, '\\.')}: `));
  }
  // What was written is exactly the accepted ones, readable like any submit.
  assert.deepEqual((await listIds('executortype=t-batch')).sort(), ok.map((p) => p.processid).sort());
  for (const { warnings, ...p } of ok) {
    assert.deepEqual(warnings, [`no executor serves ${p.spec.funcname} on t-batch yet`]);
    const { waitreason, ...read } = await get(p.processid);
    assert.deepEqual(read, p);
    assert.ok(waitreason);
  }
  // The request itself must be well-formed: a list of 1 to maxSubmitBatch specs.
  expectError(await user.post(`${A}/processes/batch`, { specs: [] }), 400, 'VALIDATION_FAILED');
  expectError(await user.post(`${A}/processes/batch`, [{ funcname: 'f', executortype: 't-batch' }]), 400, 'VALIDATION_FAILED');
  const tooMany = Array.from({ length: LIMITS.maxSubmitBatch + 1 }, () => ({ funcname: 'f', executortype: 't-batch' }));
  expectError(await user.post(`${A}/processes/batch`, { specs: tooMany }), 400, 'VALIDATION_FAILED');
  assert.equal((await listIds('executortype=t-batch')).length, 2);
  // Only members submit.
  expectError(
    await signedAgent(f.url, generateKeyPair().prvkey).post(`${A}/processes/batch`, { specs: [{ funcname: 'f', executortype: 't-batch' }] }),
    403,
    'NOT_A_MEMBER',
  );
});

test('SDK: concurrent submits go out as one batch request, each answered (or refused) on its own; a lone one alone', async () => {
  const requests = () => requestsServed(f.url);
  const client = new ColoniesClient({ url: f.url, prvkey: f.a.user.prvkey, colonyname: 'colony-a' });
  const before = await requests();
  const settled = await Promise.allSettled(
    Array.from({ length: 20 }, (_, i) =>
      client.submit(i === 7 ? { funcname: 'bad' } : { funcname: `f${i}`, executortype: 't-sdk-batch', args: [i] }),
    ),
  );
  assert.equal((await requests()) - before, 1, 'one request for twenty submits');
  settled.forEach((s, i) => {
    if (i === 7) {
      assert.equal(s.status, 'rejected');
      const err = s.reason as { name: string; code: string; status: number; message: string };
      assert.deepEqual([err.name, err.code, err.status], ['ColoniesError', 'VALIDATION_FAILED', 400]);
      assert.match(err.message, /executortype/);
    } else {
      assert.equal(s.status, 'fulfilled', `submit ${i}`);
      const p = s.value;
      assert.deepEqual([p.spec.funcname, p.in], [`f${i}`, [i]]);
    }
  });
  assert.equal((await listIds('executortype=t-sdk-batch&count=100')).length, 19);
  // A lone submit is an ordinary single request; its errors are the single route's.
  const one = await client.submit({ funcname: 'lone', executortype: 't-sdk-batch' });
  assert.equal((await get(one.processid)).spec.funcname, 'lone');
  await assert.rejects(
    client.submit({ funcname: 'lone' }),
    (e: { code: string; status: number }) => e.code === 'VALIDATION_FAILED' && e.status === 400,
  );
});

test('requests express cannot read are client errors with a code, not 500s, and change nothing', async () => {
  const before = (await listIds('executortype=t-unreadable')).length;
  const spec = { funcname: 'f', executortype: 't-unreadable' };
  for (const encoding of ['gzip', 'deflate', 'br']) {
    const res = await user.post(`${A}/processes`, spec).set('content-encoding', encoding);
    expectError(res, 400, 'MALFORMED_JSON');
  }
  expectError(await user.post(`${A}/processes`, spec).set('content-encoding', 'x-unknown'), 400, 'MALFORMED_JSON');
  for (const path of [`${A}/processes/%ZZ`, '/colonies/colony-a%E0%A4%A']) {
    expectError(await user.get(path), 400, 'VALIDATION_FAILED');
  }
  assert.equal((await listIds('executortype=t-unreadable')).length, before);
});

test('get: an unknown id is PROCESS_NOT_FOUND, a malformed one VALIDATION_FAILED on path.id', async () => {
  expectError(await user.get(`${A}/processes/${randomId()}`), 404, 'PROCESS_NOT_FOUND');
  const d = expectError(await user.get(`${A}/processes/not-an-id`), 400, 'VALIDATION_FAILED');
  assert.deepEqual(issuePaths(d), ['path.id']);
});

test('list filters by state, executortype and label, newest first, and caps count', async () => {
  const w = await worker('t-list');
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    ids.push((await submit({ funcname: 'f', executortype: 't-list', label: i % 2 === 0 ? 'even' : 'odd' })).processid);
    clock.advance(1000);
  }
  // Another colony's process of the same type never shows.
  await f.b.userClient.submit({ funcname: 'f', executortype: 't-list', label: 'even' });
  const running = await assignOne(w);
  assert.equal(running.processid, ids[0]);
  const newestFirst = [...ids].reverse();

  assert.deepEqual(await listIds('executortype=t-list'), newestFirst);
  assert.deepEqual(await listIds('executortype=t-list&label=even'), [ids[4], ids[2], ids[0]]);
  assert.deepEqual(await listIds('executortype=t-list&label=odd&state=WAITING'), [ids[3], ids[1]]);
  assert.deepEqual(await listIds('executortype=t-list&state=RUNNING'), [ids[0]]);
  assert.deepEqual(await listIds('executortype=t-list&state=SUCCESS'), []);
  assert.deepEqual(await listIds('executortype=t-list&count=2'), newestFirst.slice(0, 2));
  assert.deepEqual(await listIds(`executortype=t-list&count=${LIMITS.maxListCount}`), newestFirst);
  const all = (await user.get(`${A}/processes`).expect(200)).body as Process[];
  assert.ok(all.length >= 5 && all.length <= LIMITS.defaultListCount);
  assert.ok(all.every((p) => p.colonyname === 'colony-a'));
  const times = all.map((p) => p.submissiontime);
  assert.deepEqual(times, [...times].sort().reverse(), 'newest first');

  const bad: [string, string][] = [
    [`count=${LIMITS.maxListCount + 1}`, 'query.count'],
    ['count=0', 'query.count'],
    ['count=abc', 'query.count'],
    ['count=1.5', 'query.count'],
    ['state=DONE', 'query.state'],
    ['executortype=bad%20type', 'query.executortype'],
  ];
  for (const [q, path] of bad) {
    const d = expectError(await user.get(`${A}/processes?${q}`), 400, 'VALIDATION_FAILED');
    assert.deepEqual(issuePaths(d), [path], q);
  }
});

test('close stores out and ends SUCCESS; refused closes change nothing', async () => {
  const w1 = await worker('t-close');
  const w2 = await worker('t-close');
  const submitted = await submit({ funcname: 'f', executortype: 't-close', maxexectime: 30 });
  const p = await assignOne(w1);
  assert.equal(p.processid, submitted.processid);
  assert.equal(p.state, 'RUNNING');
  assert.equal(p.attempt, 1);
  assert.equal(p.assignedexecutorid, w1.id);
  assert.equal(p.starttime, clock.now().toISOString());
  assert.equal(p.execdeadline, new Date(clock.now().getTime() + 30_000).toISOString());
  const close = (w: { agent: SignedAgent }, body: unknown, id = p.processid) => w.agent.post(`${A}/processes/${id}/close`, body);

  expectError(await close(w2, { attempt: 1, out: [1] }), 403, 'NOT_ASSIGNED');
  assert.deepEqual(expectError(await close(w1, { attempt: 2, out: [1] }), 403, 'NOT_ASSIGNED'), { attempt: 1 });
  assert.deepEqual(issuePaths(expectError(await close(w1, { attempt: 0 }), 400, 'VALIDATION_FAILED')), ['body.attempt']);
  assert.deepEqual(issuePaths(expectError(await close(w1, { attempt: 1, out: 5 }), 400, 'VALIDATION_FAILED')), ['body.out']);
  expectError(await close(w1, { attempt: 1 }, randomId()), 404, 'PROCESS_NOT_FOUND');
  assert.deepEqual(await get(p.processid), p, 'refused closes change nothing');

  clock.advance(5000);
  const closed = await close(w1, { attempt: 1, out: [42, { a: [1] }] }).expect(204);
  assert.equal(closed.text, '');
  const done = await get(p.processid);
  assert.equal(done.state, 'SUCCESS');
  assert.deepEqual(done.out, [42, { a: [1] }]);
  assert.equal(done.endtime, clock.now().toISOString());
  assert.equal(done.execdeadline, null);

  // The same close again (its answer was lost, say) is acknowledged and changes nothing; from anyone
  // else, or for another attempt, it is refused.
  await close(w1, { attempt: 1, out: ['again'] }).expect(204);
  assert.deepEqual(expectError(await close(w2, { attempt: 1, out: ['other'] }), 409, 'PROCESS_NOT_RUNNING'), { state: 'SUCCESS' });
  assert.deepEqual(expectError(await close(w1, { attempt: 2, out: ['later'] }), 409, 'PROCESS_NOT_RUNNING'), { state: 'SUCCESS' });
  assert.deepEqual(await get(p.processid), done);
});

test('batch close: closes what runs on this executor and attempt, names the rest as refused', async () => {
  const w = await worker('t-batch');
  const other = await worker('t-batch');
  for (let i = 0; i < 4; i++) await submit({ funcname: `f${i}`, executortype: 't-batch' });
  const mine = ((await w.agent.post(`${A}/processes/assign`, { timeout: 0, count: 3 }).expect(200)).body as { processes: Process[] }).processes;
  assert.equal(mine.length, 3);
  const theirs = await assignOne(other);
  const ghost = randomId();
  const [p0, p1, p2] = mine as [Process, Process, Process];
  const closes = [
    { processid: p0.processid, attempt: 1, out: ['zero'] },
    { processid: p1.processid, attempt: 2, out: ['stale attempt'] },
    { processid: theirs.processid, attempt: 1, out: ['not mine'] },
    { processid: p2.processid, attempt: 1 },
    { processid: ghost, attempt: 1, out: [] },
  ];
  const bad: [unknown, string][] = [
    [{ closes: [] }, 'body.closes'],
    [{ closes: [{ processid: 'x', attempt: 1 }] }, 'body.closes.0.processid'],
    [{ closes: [{ processid: ghost, attempt: 0 }] }, 'body.closes.0.attempt'],
    [{ closes: Array.from({ length: LIMITS.maxAssignCount + 1 }, () => ({ processid: ghost, attempt: 1 })) }, 'body.closes'],
  ];
  for (const [body, path] of bad) {
    assert.deepEqual(issuePaths(expectError(await w.agent.post(`${A}/processes/close`, body), 400, 'VALIDATION_FAILED')), [path]);
  }
  assert.equal((await get(p0.processid)).state, 'RUNNING', 'a refused batch closes nothing');

  const res = await w.agent.post(`${A}/processes/close`, { closes }).expect(200);
  const body = res.body as { closed: string[]; refused: string[] };
  assert.deepEqual(new Set(body.closed), new Set([p0.processid, p2.processid]));
  assert.deepEqual(new Set(body.refused), new Set([p1.processid, theirs.processid, ghost]));
  assert.deepEqual((await get(p0.processid)).out, ['zero']);
  assert.equal((await get(p2.processid)).state, 'SUCCESS');
  assert.deepEqual((await get(p1.processid)).state, 'RUNNING');
  assert.deepEqual(await get(theirs.processid), theirs);
});

test('assign with closes: closes first (as a batch close), then assigns; a bad close refuses the whole request', async () => {
  const w = await worker('t-cycle');
  const other = await worker('t-cycle');
  for (let i = 0; i < 4; i++) await submit({ funcname: `c${i}`, executortype: 't-cycle' });
  const assign = (body: unknown) => w.agent.post(`${A}/processes/assign`, body);
  const first = ((await assign({ timeout: 0, count: 2 }).expect(200)).body as { processes: Process[] }).processes;
  assert.equal(first.length, 2);
  const theirs = await assignOne(other);
  assert.deepEqual(issuePaths(expectError(await assign({ timeout: 0, closes: [{ processid: 'x', attempt: 1 }] }), 400, 'VALIDATION_FAILED')), [
    'body.closes.0.processid',
  ]);
  assert.equal((await get(first[0]!.processid)).state, 'RUNNING', 'a refused request closes nothing');

  const res = await assign({
    timeout: 0,
    count: 5,
    closes: [
      ...first.map((p) => ({ processid: p.processid, attempt: p.attempt, out: [p.spec.funcname] })),
      { processid: theirs.processid, attempt: 1 },
    ],
  }).expect(200);
  const body = res.body as { processes: Process[]; closed: string[]; refused: string[] };
  assert.deepEqual(new Set(body.closed), new Set(first.map((p) => p.processid)));
  assert.deepEqual(body.refused, [theirs.processid]);
  for (const p of first) assert.deepEqual((await get(p.processid)).out, [p.spec.funcname]);
  // And the one process still waiting is handed out in the same reply.
  assert.deepEqual(
    body.processes.map((p) => [p.spec.funcname, p.state, p.assignedexecutorid]),
    [['c3', 'RUNNING', w.id]],
  );
  // Without closes the reply is as before.
  assert.deepEqual(Object.keys((await assign({ timeout: 0 }).expect(200)).body as object), ['processes']);
});

test('fencing: after an exec timeout the old attempt can neither close nor fail', async () => {
  const w = await worker('t-fence');
  const { processid } = await submit({ funcname: 'f', executortype: 't-fence', maxexectime: 10, maxretries: 1 });
  const first = await assignOne(w);
  assert.equal(first.attempt, 1);

  clock.advance(11_000);
  const swept = await f.server.services.processes.expireDeadlines();
  assert.ok(swept.exec >= 1);
  const retried = await get(processid);
  assert.equal(retried.state, 'WAITING');
  assert.equal(retried.retries, 1);
  assert.match(retried.errors[0]!, /maxexectime/);
  // The attempt is over and the process is back in the queue: not running.
  expectError(await w.agent.post(`${A}/processes/${processid}/close`, { attempt: 1, out: [] }), 409, 'PROCESS_NOT_RUNNING');

  const second = await assignOne(w);
  assert.equal(second.processid, processid);
  assert.equal(second.attempt, 2);
  // Same executor, stale attempt: fenced, and the reply names the current attempt.
  assert.deepEqual(expectError(await w.agent.post(`${A}/processes/${processid}/close`, { attempt: 1, out: ['late'] }), 403, 'NOT_ASSIGNED'), {
    attempt: 2,
  });
  expectError(await w.agent.post(`${A}/processes/${processid}/fail`, { attempt: 1, errors: ['late'] }), 403, 'NOT_ASSIGNED');
  assert.deepEqual(await get(processid), second);
  await w.agent.post(`${A}/processes/${processid}/close`, { attempt: 2, out: ['ok'] }).expect(204);
  assert.deepEqual((await get(processid)).out, ['ok']);
});

test('fail retries while retries remain, then FAILED; errors accumulate', async () => {
  const w = await worker('t-fail');
  const { processid } = await submit({ funcname: 'f', executortype: 't-fail', maxretries: 1 });
  const a1 = await assignOne(w);
  const fail = (body: unknown) => w.agent.post(`${A}/processes/${processid}/fail`, body);

  assert.deepEqual(issuePaths(expectError(await fail({ attempt: 1, errors: 'x' }), 400, 'VALIDATION_FAILED')), ['body.errors']);
  assert.deepEqual(issuePaths(expectError(await fail({ errors: ['x'] }), 400, 'VALIDATION_FAILED')), ['body.attempt']);
  assert.deepEqual(await get(processid), a1);

  const r1 = (await fail({ attempt: 1, errors: ['first'] }).expect(200)).body as Process;
  assert.equal(r1.state, 'WAITING');
  assert.equal(r1.retries, 1);
  assert.deepEqual(r1.errors, ['first']);
  assert.equal(r1.assignedexecutorid, null);

  await assignOne(w);
  const r2 = (await fail({ attempt: 2 }).expect(200)).body as Process;
  assert.equal(r2.state, 'FAILED');
  assert.deepEqual(r2.errors, ['first', `failed by executor ${w.name} without a message (attempt 2)`], 'no errors: a reason is recorded');
  assert.equal(r2.endtime, clock.now().toISOString());
  expectError(await fail({ attempt: 2, errors: ['again'] }), 409, 'PROCESS_NOT_RUNNING');
  assert.deepEqual(await get(processid), r2);
});

test('fail with an empty error list (as ColonyOS accepts it) records a reason naming the executor and attempt', async () => {
  const w = await worker('t-fail-empty');
  const { processid } = await submit({ funcname: 'f', executortype: 't-fail-empty', maxretries: 1 });
  await assignOne(w);
  const r1 = (await w.agent.post(`${A}/processes/${processid}/fail`, { attempt: 1, errors: [] }).expect(200)).body as Process;
  assert.deepEqual([r1.state, r1.retries], ['WAITING', 1]);
  assert.deepEqual(r1.errors, [`failed by executor ${w.name} without a message (attempt 1)`]);
  // The SDK's fail takes no errors too.
  const a2 = await assignOne(w);
  const r2 = await w.client.fail(processid, a2.attempt);
  assert.equal(r2.state, 'FAILED');
  assert.deepEqual(r2.errors, [r1.errors[0], `failed by executor ${w.name} without a message (attempt 2)`]);
});

test('maxretries -1 retries without limit: every failed attempt goes back to WAITING, until a deadline ends it', async () => {
  const w = await worker('t-unlimited');
  // Unlimited retries need a delay (a constant second here: retrybackoff 1).
  const policy = { maxretries: -1, retrydelay: 1, retrybackoff: 1 };
  const created = await submit({ funcname: 'f', executortype: 't-unlimited', ...policy, maxwaittime: 30, maxexectime: 10 });
  assert.equal(created.spec.maxretries, -1);
  const { processid } = created;
  const fail = (attempt: number) => w.agent.post(`${A}/processes/${processid}/fail`, { attempt, errors: [`try ${attempt}`] });
  // Explicit fails: each goes back to the queue, however many there are.
  for (let attempt = 1; attempt <= 5; attempt++) {
    assert.equal((await assignOne(w)).attempt, attempt);
    const r = (await fail(attempt).expect(200)).body as Process;
    assert.deepEqual([r.state, r.retries, r.assignedexecutorid, r.endtime], ['WAITING', attempt, null, null]);
    clock.advance(1000); // the retry's delay
  }
  // An exec timeout is retried too.
  assert.equal((await assignOne(w)).attempt, 6);
  clock.advance(11_000);
  await f.server.services.processes.expireDeadlines();
  const timedOut = await get(processid);
  assert.deepEqual([timedOut.state, timedOut.retries], ['WAITING', 6]);
  assert.match(timedOut.errors.at(-1)!, /maxexectime/);
  // Only a deadline bounds it: not assigned within maxwaittime of becoming ready again (its delay over), it fails.
  clock.advance(31_000);
  await f.server.services.processes.expireDeadlines();
  const failed = await get(processid);
  assert.equal(failed.state, 'FAILED');
  assert.match(failed.errors.at(-1)!, /maxwaittime/);
  assert.equal(failed.errors.length, 7);
});

test('maxretries below -1 is refused naming the field, for a process, a batch item and a workflow', async () => {
  const spec = { funcname: 'f', executortype: 't-bad-retries', maxretries: -2 };
  const one = expectError(await user.post(`${A}/processes`, spec), 400, 'VALIDATION_FAILED');
  assert.deepEqual(issuePaths(one), ['body.maxretries']);
  assert.match(JSON.stringify(one), /-1 \(retry without limit\) or 0 to 1000/);
  const batch = (await user.post(`${A}/processes/batch`, { specs: [spec] }).expect(200)).body as { results: { error?: { details: unknown } }[] };
  assert.deepEqual(issuePaths(batch.results[0]!.error!.details), ['body.specs.0.maxretries']);
  assert.deepEqual(issuePaths(expectError(await user.post(`${A}/processgraphs`, [spec]), 400, 'VALIDATION_FAILED')), ['body.0.maxretries']);
  assert.deepEqual(await listIds('executortype=t-bad-retries'), []);
});

test('logs: the running executor appends, members read by process and by executor', async () => {
  const w = await worker('t-logs');
  const other = await worker('t-logs');
  const { processid } = await submit({ funcname: 'f', executortype: 't-logs' });
  const log = (a: SignedAgent, body: unknown, id = processid) => a.post(`${A}/processes/${id}/logs`, body);

  expectError(await log(w.agent, { message: 'too early' }), 409, 'PROCESS_NOT_RUNNING');
  await assignOne(w);
  await log(w.agent, { message: 'hello' }).expect(204);
  await log(w.agent, { message: 'world' }).expect(204);
  expectError(await log(other.agent, { message: 'not mine' }), 403, 'NOT_ASSIGNED');
  assert.deepEqual(issuePaths(expectError(await log(w.agent, { message: 7 }), 400, 'VALIDATION_FAILED')), ['body.message']);
  expectError(await log(w.agent, { message: 'x' }, randomId()), 404, 'PROCESS_NOT_FOUND');

  const logs = (await user.get(`${A}/processes/${processid}/logs`).expect(200)).body as LogEntry[];
  assert.deepEqual(
    logs.map((l) => [l.processid, l.executorid, l.message]),
    [
      [processid, w.id, 'hello'],
      [processid, w.id, 'world'],
    ],
  );
  assert.deepEqual(Object.keys(logs[0]!).sort(), ['executorid', 'message', 'processid', 'seq', 'time']);
  assert.ok(logs[0]!.seq < logs[1]!.seq);
  assert.match(logs[0]!.time, ISO);
  const since = (await user.get(`${A}/processes/${processid}/logs?since=${logs[0]!.seq}`).expect(200)).body as LogEntry[];
  assert.deepEqual(
    since.map((l) => l.message),
    ['world'],
  );
  const first = (await user.get(`${A}/processes/${processid}/logs?count=1`).expect(200)).body as LogEntry[];
  assert.deepEqual(
    first.map((l) => l.message),
    ['hello'],
  );
  const byExecutor = (await user.get(`${A}/executors/${w.id}/logs`).expect(200)).body as LogEntry[];
  assert.deepEqual(byExecutor, logs);
  assert.deepEqual((await user.get(`${A}/executors/${other.id}/logs`).expect(200)).body, []);

  expectError(await user.get(`${A}/processes/${randomId()}/logs`), 404, 'PROCESS_NOT_FOUND');
  const bad: [string, string][] = [
    [`${A}/processes/${processid}/logs?count=${LIMITS.maxListCount + 1}`, 'query.count'],
    [`${A}/processes/${processid}/logs?since=-1`, 'query.since'],
    [`${A}/executors/not-an-id/logs`, 'path.executorid'],
  ];
  for (const [path, issue] of bad) assert.deepEqual(issuePaths(expectError(await user.get(path), 400, 'VALIDATION_FAILED')), [issue]);
  // Refused appends wrote nothing.
  assert.deepEqual((await user.get(`${A}/processes/${processid}/logs`).expect(200)).body, logs);
});

test('cancel: WAITING or RUNNING become CANCELLED; finished ones and graph processes are refused', async () => {
  const w = await worker('t-cancel');
  const waiting = await submit({ funcname: 'f', executortype: 't-cancel' });
  const res = await user.post(`${A}/processes/${waiting.processid}/cancel`).expect(200);
  const c = res.body as Process;
  assert.equal(c.state, 'CANCELLED');
  assert.equal(c.endtime, clock.now().toISOString());
  assert.deepEqual(expectError(await user.post(`${A}/processes/${waiting.processid}/cancel`), 409, 'PROCESS_FINISHED'), undefined);
  assert.deepEqual(await get(waiting.processid), c);

  await submit({ funcname: 'f', executortype: 't-cancel' });
  const running = await assignOne(w);
  assert.equal(((await user.post(`${A}/processes/${running.processid}/cancel`).expect(200)).body as Process).state, 'CANCELLED');
  expectError(await w.agent.post(`${A}/processes/${running.processid}/close`, { attempt: 1, out: [] }), 409, 'PROCESS_NOT_RUNNING');

  const g = (await user.post(`${A}/processgraphs`, [{ funcname: 'f', executortype: 't-cancel-g' }]).expect(201)).body as ProcessGraph;
  const gp = g.processids![0]!;
  const before = await get(gp);
  expectError(await user.post(`${A}/processes/${gp}/cancel`), 409, 'PART_OF_GRAPH');
  assert.deepEqual(await get(gp), before);
  expectError(await user.post(`${A}/processes/${randomId()}/cancel`), 404, 'PROCESS_NOT_FOUND');
});

test('remove: a RUNNING process needs force; graph processes are refused', async () => {
  const w = await worker('t-remove');
  const waiting = await submit({ funcname: 'f', executortype: 't-remove', priority: -1 });
  await submit({ funcname: 'f', executortype: 't-remove' });
  const running = await assignOne(w);
  assert.notEqual(running.processid, waiting.processid);

  expectError(await user.delete(`${A}/processes/${running.processid}`), 409, 'PROCESS_IS_RUNNING');
  expectError(await user.delete(`${A}/processes/${running.processid}?force=false`), 409, 'PROCESS_IS_RUNNING');
  assert.deepEqual(issuePaths(expectError(await user.delete(`${A}/processes/${running.processid}?force=yes`), 400, 'VALIDATION_FAILED')), [
    'query.force',
  ]);
  assert.deepEqual(await get(running.processid), running);
  const removed = await user.delete(`${A}/processes/${running.processid}?force=true`).expect(204);
  assert.equal(removed.text, '');
  expectError(await user.get(`${A}/processes/${running.processid}`), 404, 'PROCESS_NOT_FOUND');
  expectError(await w.agent.post(`${A}/processes/${running.processid}/close`, { attempt: 1, out: [] }), 404, 'PROCESS_NOT_FOUND');

  await user.delete(`${A}/processes/${waiting.processid}`).expect(204);
  expectError(await user.delete(`${A}/processes/${waiting.processid}`), 404, 'PROCESS_NOT_FOUND');

  const g = (await user.post(`${A}/processgraphs`, [{ funcname: 'f', executortype: 't-remove-g' }]).expect(201)).body as ProcessGraph;
  expectError(await user.delete(`${A}/processes/${g.processids![0]!}?force=true`), 409, 'PART_OF_GRAPH');
  await user.get(`${A}/processes/${g.processids![0]!}`).expect(200);
});

test('remove all: by state, standalone processes only, never RUNNING', async () => {
  // A colony of its own, so that the counts are exact.
  const owner = generateKeyPair();
  await f.serverClient.addColony('c-rm', owner.id);
  const oc = new ColoniesClient({ url: f.url, prvkey: owner.prvkey, colonyname: 'c-rm' });
  const ek = generateKeyPair();
  await oc.addExecutor({ executorname: 'w', executorid: ek.id, executortype: 'w' });
  await oc.approveExecutor('w');
  const wc = oc.withKey(ek.prvkey);
  const ownerAgent = signedAgent(f.url, owner.prvkey);
  const C = '/colonies/c-rm';

  const spec = { funcname: 'f', executortype: 'w' };
  await oc.submit(spec);
  const [s] = await wc.assign({ timeout: 0 });
  await wc.close(s!.processid, s!.attempt, []);
  await oc.submit(spec);
  const [r] = await wc.assign({ timeout: 0 });
  await oc.submit(spec);
  await oc.submit(spec);
  const c = await oc.submit(spec);
  await oc.cancelProcess(c.processid);
  await oc.submitWorkflow([{ funcname: 'g', executortype: 'other' }]);
  const states = async () => (await oc.stats()).processes;
  assert.deepEqual(await states(), { WAITING: 3, RUNNING: 1, SUCCESS: 1, FAILED: 0, CANCELLED: 1, SKIPPED: 0, HALTED: 0 });

  // Removing everything is the owner's alone: a user and the approved executor are refused, and nothing goes.
  const uk = generateKeyPair();
  await oc.addUser('u', uk.id);
  for (const [who, agent] of [
    ['user', signedAgent(f.url, uk.prvkey)],
    ['executor', signedAgent(f.url, ek.prvkey)],
  ] as const) {
    for (const path of [`${C}/processes`, `${C}/processes?state=WAITING`]) {
      const res = await agent.delete(path);
      expectError(res, 403, 'FORBIDDEN');
      assert.equal((res.body as { error: { message: string } }).error.message, 'only the owner of colony "c-rm" may do this', who);
    }
  }
  assert.deepEqual(await states(), { WAITING: 3, RUNNING: 1, SUCCESS: 1, FAILED: 0, CANCELLED: 1, SKIPPED: 0, HALTED: 0 });

  assert.deepEqual(issuePaths(expectError(await ownerAgent.delete(`${C}/processes?state=DONE`), 400, 'VALIDATION_FAILED')), ['query.state']);
  expectError(await ownerAgent.delete(`${C}/processes?state=RUNNING`), 400, 'VALIDATION_FAILED');
  assert.deepEqual(await states(), { WAITING: 3, RUNNING: 1, SUCCESS: 1, FAILED: 0, CANCELLED: 1, SKIPPED: 0, HALTED: 0 });

  assert.deepEqual((await ownerAgent.delete(`${C}/processes?state=SUCCESS`).expect(200)).body, { removed: 1 });
  assert.deepEqual(await states(), { WAITING: 3, RUNNING: 1, SUCCESS: 0, FAILED: 0, CANCELLED: 1, SKIPPED: 0, HALTED: 0 });
  // Without a state: every finished or waiting standalone process; the running one and the graph's stay.
  assert.deepEqual((await ownerAgent.delete(`${C}/processes`).expect(200)).body, { removed: 3 });
  assert.deepEqual(await states(), { WAITING: 1, RUNNING: 1, SUCCESS: 0, FAILED: 0, CANCELLED: 0, SKIPPED: 0, HALTED: 0 });
  assert.equal((await oc.getProcess(r!.processid)).state, 'RUNNING');
  // One process is any member's to remove.
  await signedAgent(f.url, uk.prvkey).delete(`${C}/processes/${r!.processid}?force=true`).expect(204);
  assert.deepEqual(await states(), { WAITING: 1, RUNNING: 0, SUCCESS: 0, FAILED: 0, CANCELLED: 0, SKIPPED: 0, HALTED: 0 });
  // Colony A was not touched.
  assert.ok((await f.a.userClient.listProcesses({ count: 1 })).length === 1);
  await f.serverClient.removeColony('c-rm');
});
