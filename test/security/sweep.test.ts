/**
 * Security sweep over EVERY route of the HTTP API, as listed in protocol/routes.ts (the WebSocket
 * hello is tested with the hub): missing or garbled signature headers, bad signatures, tampered
 * body/path/method, stale timestamps, replayed nonces, other colonies' members, wrong roles,
 * unapproved executors, and other colonies' objects reached through one's own colony path.
 * A test fails when the app serves a route the table lacks, or the table has a route without a probe here.
 */
import { appRoutes } from '../helpers/routes.ts';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { API, expectError, signedAgent, type SignedAgent, type Tamper } from '../helpers/signed-agent.ts';
import { allowedAgents, fillPath } from '../helpers/route-calls.ts';
import { generateKeyPair, randomNonce } from '../../protocol/crypto.ts';
import { OPERATIONS, ROUTES, type Operation, type Route } from '../../protocol/routes.ts';
import type { Process, ProcessGraph } from '../../protocol/types.ts';

type Foreign = 'process' | 'graph' | 'executor' | 'user' | 'cron' | 'executorid' | 'spec' | 'idprefix';

/** A harmless call by an allowed identity and the answer it gets: proves the request got past auth. */
interface Probe {
  params?: Record<string, string>;
  query?: string;
  body?: unknown;
  status: number;
  code?: string;
  /** What the route's last parameter names, for the cross-colony check. */
  foreign?: Foreign;
}

const invalid = (body: unknown = {}): Probe => ({ body, status: 400, code: 'VALIDATION_FAILED' });
const badState: Probe = { query: 'state=BOGUS', status: 400, code: 'VALIDATION_FAILED' };
const ok: Probe = { status: 200 };
const missing = (foreign: Foreign, code: string, body?: unknown): Probe => ({ status: 404, code, foreign, ...(body ? { body } : {}) });

const PROBES: Record<Operation, Probe> = {
  addColony: invalid(),
  listColonies: ok,
  removeColony: { params: { colony: 'no-such-colony' }, status: 404, code: 'COLONY_NOT_FOUND' },
  getColony: ok,
  getColonyStats: ok,
  addExecutor: invalid(),
  listExecutors: ok,
  getExecutor: missing('executor', 'EXECUTOR_NOT_FOUND'),
  approveExecutor: missing('executor', 'EXECUTOR_NOT_FOUND'),
  rejectExecutor: missing('executor', 'EXECUTOR_NOT_FOUND'),
  removeExecutor: missing('executor', 'EXECUTOR_NOT_FOUND'),
  executorHeartbeat: invalid({ holding: 'all of them' }),
  getExecutorLogs: { status: 200, foreign: 'executorid' },
  addUser: invalid(),
  listUsers: ok,
  removeUser: missing('user', 'USER_NOT_FOUND'),
  submitProcess: invalid(),
  submitProcessBatch: invalid(),
  listProcesses: ok,
  removeAllProcesses: badState,
  assign: invalid({ timeout: -1 }),
  closeProcesses: invalid({ closes: [] }),
  getProcess: missing('process', 'PROCESS_NOT_FOUND'),
  removeProcess: missing('process', 'PROCESS_NOT_FOUND'),
  cancelProcess: missing('process', 'PROCESS_NOT_FOUND'),
  closeProcess: missing('process', 'PROCESS_NOT_FOUND', { attempt: 1, out: [] }),
  failProcess: missing('process', 'PROCESS_NOT_FOUND', { attempt: 1, errors: ['x'] }),
  addLog: missing('process', 'PROCESS_NOT_FOUND', { message: 'x' }),
  getLogs: missing('process', 'PROCESS_NOT_FOUND'),
  submitWorkflow: invalid(),
  listProcessGraphs: ok,
  removeAllProcessGraphs: badState,
  getProcessGraph: missing('graph', 'PROCESSGRAPH_NOT_FOUND'),
  findProcess: missing('graph', 'PROCESSGRAPH_NOT_FOUND'),
  cancelProcessGraph: missing('graph', 'PROCESSGRAPH_NOT_FOUND'),
  haltProcessGraph: missing('graph', 'PROCESSGRAPH_NOT_FOUND'),
  resumeProcessGraph: missing('graph', 'PROCESSGRAPH_NOT_FOUND'),
  removeProcessGraph: missing('graph', 'PROCESSGRAPH_NOT_FOUND'),
  addChild: { ...invalid(), foreign: 'graph' },
  addChildren: { ...invalid(), foreign: 'graph' },
  postEvent: { ...invalid({ name: '' }), foreign: 'graph' },
  listEvents: missing('graph', 'PROCESSGRAPH_NOT_FOUND'),
  addCron: invalid(),
  listCrons: ok,
  getCron: missing('cron', 'CRON_NOT_FOUND'),
  removeCron: missing('cron', 'CRON_NOT_FOUND'),
  runCron: missing('cron', 'CRON_NOT_FOUND'),
  declareFunctions: invalid({ functions: 'all of them' }),
  listFunctions: ok,
  registerWorkflowSpec: invalid(),
  listWorkflowSpecs: ok,
  getWorkflowSpec: missing('spec', 'SPEC_NOT_FOUND'),
  removeWorkflowSpec: missing('spec', 'SPEC_NOT_FOUND'),
  runWorkflow: missing('spec', 'SPEC_NOT_FOUND', { variables: {} }),
  searchWorkflows: missing('spec', 'SPEC_NOT_FOUND'),
  findIds: { status: 200, foreign: 'idprefix' },
  listTasks: ok,
  completeTask: missing('process', 'PROCESS_NOT_FOUND', { data: {} }),
};

const probeOf = (route: Route): Probe => {
  const probe = PROBES[route.operation] as Probe | undefined;
  if (!probe) throw new Error(`no probe for ${route.operation}: add one to PROBES`);
  return probe;
};

/** Unauthenticated routes, outside the signed API. */
const PUBLIC = [
  { method: 'GET', path: '/health' },
  { method: 'GET', path: `${API}/version` },
  { method: 'GET', path: '/metrics' },
  { method: 'GET', path: `${API}/openapi.json` },
];

let f: Fixture;
const agents = {} as Record<
  'server' | 'ownerA' | 'userA' | 'executorA' | 'pendingA' | 'rejectedA' | 'ownerB' | 'userB' | 'executorB' | 'outsider',
  SignedAgent
>;
/** Colony B's objects, reached through colony A's paths in the cross-colony check. */
const b = { processid: '', graphid: '', graphprocessid: '', executorname: '', executorid: '', username: 'bob-b', cron: 'b-cron', spec: 'b-spec' };
let snapshotBefore: unknown;

before(async () => {
  f = await startFixture();
  const pending = generateKeyPair();
  const rejected = generateKeyPair();
  await f.a.ownerClient.addExecutor({ executorname: 'pending', executorid: pending.id, executortype: 'test-executor' });
  await f.a.ownerClient.addExecutor({ executorname: 'rejected', executorid: rejected.id, executortype: 'test-executor' });
  await f.a.ownerClient.rejectExecutor('rejected');
  const agent = (prvkey: string) => signedAgent(f.url, prvkey);
  Object.assign(agents, {
    server: agent(f.serverKey.prvkey),
    ownerA: agent(f.a.owner.prvkey),
    userA: agent(f.a.user.prvkey),
    executorA: agent(f.a.executor.prvkey),
    pendingA: agent(pending.prvkey),
    rejectedA: agent(rejected.prvkey),
    ownerB: agent(f.b.owner.prvkey),
    userB: agent(f.b.user.prvkey),
    executorB: agent(f.b.executor.prvkey),
    outsider: agent(generateKeyPair().prvkey),
  });

  // Colony A has something of everything, so that "changes nothing" means something.
  await f.a.userClient.submit({ funcname: 'idle', executortype: 'a-idle' });
  await f.a.userClient.submitWorkflow([{ nodename: 'n1', funcname: 'f', executortype: 'a-idle' }]);
  await f.a.userClient.addCron({ name: 'a-cron', workflow: [{ funcname: 'f', executortype: 'a-idle' }], interval: 3600 });

  // Colony B: a running process with a log line, a graph with a running process, a user, a cron.
  await f.b.ownerClient.addUser(b.username, generateKeyPair().id);
  await f.b.userClient.submit({ funcname: 'f', executortype: 'test-executor' });
  const [running] = await f.b.executorClient.assign({ timeout: 0 });
  b.processid = running!.processid;
  await f.b.executorClient.addLog(b.processid, 'colony B secret');
  const gw = await f.addExecutor('b-graph', f.b);
  const g: ProcessGraph = await f.b.userClient.submitWorkflow([
    { nodename: 'n1', funcname: 'f', executortype: 'b-graph' },
    { nodename: 'n2', funcname: 'f', executortype: 'b-graph', conditions: { dependencies: ['n1'] } },
  ]);
  b.graphid = g.processgraphid;
  const [gp] = await gw.client.assign({ timeout: 0 });
  b.graphprocessid = gp!.processid;
  b.executorname = f.b.executorname;
  b.executorid = f.b.executor.id;
  await f.b.userClient.addCron({ name: b.cron, workflow: [{ funcname: 'f', executortype: 'b-graph' }], interval: 3600 });
  await f.b.userClient.registerWorkflowSpec(b.spec, [{ funcname: 'f', executortype: 'b-graph' }]);
  snapshotBefore = await snapshot();
});
after(() => f.close());

/** Everything both colonies hold, as their owners see it. */
async function snapshot(): Promise<unknown> {
  const colonies = await f.serverClient.listColonies();
  const of = async (c: Fixture['a']) => ({
    colony: await c.ownerClient.getColony(),
    // lastheardfrom (and so online) is a heartbeat written in the background, not state the sweep could change.
    executors: (await c.ownerClient.listExecutors()).map((e) => ({ ...e, lastheardfrom: null, online: false })),
    users: await c.ownerClient.listUsers(),
    processes: await c.ownerClient.listProcesses({ count: 10_000 }),
    graphs: await c.ownerClient.listProcessGraphs({ count: 10_000 }),
    crons: await c.ownerClient.listCrons(),
    specs: await c.ownerClient.listWorkflowSpecs(),
    stats: await c.ownerClient.stats(),
  });
  return { colonies, a: await of(f.a), b: await of(f.b) };
}

/** The probe request's path (with query) and body. */
function probePath(route: Route, params: Record<string, string> = {}): string {
  const probe = probeOf(route);
  return fillPath(route, { ...probe.params, ...params }) + (probe.query ? `?${probe.query}` : '');
}

/** The identities the route's role admits. */
const allowed = (route: Route): SignedAgent[] =>
  allowedAgents(route, { server: agents.server, owner: agents.ownerA, user: agents.userA, executor: agents.executorA });

/** Who is refused, and with which code. */
function refused(route: Route): [string, SignedAgent, number, string][] {
  const notMember = (who: string, a: SignedAgent): [string, SignedAgent, number, string] => [who, a, 403, 'NOT_A_MEMBER'];
  if (route.role === 'server owner') {
    return (['ownerA', 'userA', 'executorA', 'pendingA', 'ownerB', 'outsider'] as const).map((w) => [w, agents[w], 403, 'FORBIDDEN']);
  }
  const list: [string, SignedAgent, number, string][] = [
    notMember('ownerB', agents.ownerB),
    notMember('userB', agents.userB),
    notMember('executorB', agents.executorB),
    notMember('outsider', agents.outsider),
    notMember('server owner', agents.server),
  ];
  if (route.role === 'colony owner') {
    for (const w of ['userA', 'executorA', 'pendingA', 'rejectedA'] as const) list.push([w, agents[w], 403, 'FORBIDDEN']);
  } else {
    list.push(['pendingA', agents.pendingA, 403, 'EXECUTOR_NOT_APPROVED'], ['rejectedA', agents.rejectedA, 403, 'EXECUTOR_NOT_APPROVED']);
    if (route.role === 'executor') list.push(['userA', agents.userA, 403, 'FORBIDDEN'], ['ownerA', agents.ownerA, 403, 'FORBIDDEN']);
  }
  return list;
}

function expectReply(what: string, res: { status: number; body: unknown; text?: string }, status: number, code?: string): void {
  try {
    if (code) expectError(res, status, code);
    else assert.equal(res.status, status);
  } catch (err) {
    throw new Error(`${what}: ${(err as Error).message}`);
  }
}

const label = (r: Route) => `${r.method} ${r.path}`;

test('every operation of the table has a probe, and every probe an operation', () => {
  assert.deepEqual(Object.keys(PROBES).sort(), Object.keys(OPERATIONS).sort());
});

test('the table lists every route of the app, and only those', () => {
  const found = appRoutes(f.server.app);
  const table = new Set([...ROUTES.map((r) => `${r.method} ${API}${r.path}`), ...PUBLIC.map((r) => `${r.method} ${r.path}`)]);
  assert.equal(table.size, ROUTES.length + PUBLIC.length, 'no route is listed twice');
  assert.deepEqual([...found].filter((r) => !table.has(r)).sort(), [], 'routes the app serves that protocol/routes.ts lacks');
  assert.deepEqual([...table].filter((r) => !found.has(r)).sort(), [], 'table entries that are not routes');
});

test('unauthenticated: /health and /api/v1/version answer without a signature', async () => {
  const health = await request(f.url).get('/health').expect(200);
  assert.equal((health.body as { status: string }).status, 'ok');
  const version = await request(f.url).get(`${API}/version`).expect(200);
  assert.deepEqual(Object.keys(version.body as object).sort(), ['api', 'version']);
  // Everything else under the API needs a signature, even a route that does not exist.
  expectError(await request(f.url).get(`${API}/nope`), 401, 'UNAUTHENTICATED');
  expectError(await agents.userA.get('/nope'), 404, 'ROUTE_NOT_FOUND');
  expectError(await request(f.url).get('/nope'), 404, 'ROUTE_NOT_FOUND');
});

for (const route of ROUTES) {
  test(`signature checks: ${label(route)}`, async () => {
    const caller = allowed(route)[0]!;
    const probe = probeOf(route);
    const path = probePath(route);
    const body = probe.body;
    const send = (t: Tamper, a: SignedAgent = caller, p = path) => a.request(route.method, p, body, t);
    const checks: [string, Promise<{ status: number; body: unknown }>, number, string][] = [];
    const check = (what: string, res: Promise<{ status: number; body: unknown }>, status: number, code: string) =>
      checks.push([what, res, status, code]);

    // No headers at all.
    const m = route.method.toLowerCase() as 'get' | 'post' | 'delete';
    let raw = request(f.url)[m](API + path);
    if (body !== undefined) raw = raw.set('content-type', 'application/json').send(JSON.stringify(body));
    check(
      'unsigned',
      raw.then((r) => r),
      401,
      'UNAUTHENTICATED',
    );
    for (const h of ['id', 'timestamp', 'nonce', 'signature'] as const) check(`without ${h}`, send({ omit: [h] }), 401, 'UNAUTHENTICATED');
    // Garbled headers.
    const garbled: [string, Tamper][] = [
      ['id not hex', { headers: { id: 'not-a-key' } }],
      ['id in upper case', { headers: { id: caller.id.toUpperCase() } }],
      ['timestamp not a number', { headers: { timestamp: 'yesterday' } }],
      ['timestamp negative', { headers: { timestamp: '-1000' } }],
      ['nonce too short', { headers: { nonce: 'abc' } }],
      ['nonce not hex', { headers: { nonce: 'z'.repeat(32) } }],
      ['signature too short', { headers: { signature: 'ab'.repeat(10) } }],
    ];
    for (const [what, t] of garbled) check(what, send(t), 401, 'UNAUTHENTICATED');
    // Signatures that do not match.
    const other = generateKeyPair();
    check('signature of another message', send({ signature: 'wrong' }), 401, 'BAD_SIGNATURE');
    check('signed by another key', send({ key: other.prvkey }), 401, 'BAD_SIGNATURE');
    check('body changed after signing', send({ signBody: { changed: true } }), 401, 'BAD_SIGNATURE');
    check(
      'path changed after signing',
      send({ signPath: path.replace('colony-a', 'colony-b') + (path.includes('colony-a') ? '' : '/x') }),
      401,
      'BAD_SIGNATURE',
    );
    check('query changed after signing', send({ signPath: path + (path.includes('?') ? '&' : '?') + 'count=1' }), 401, 'BAD_SIGNATURE');
    check('method changed after signing', send({ signMethod: route.method === 'GET' ? 'DELETE' : 'GET' }), 401, 'BAD_SIGNATURE');
    // Outside the ±60 s window.
    check('61 s old', send({ timeShiftMs: -61_000 }), 401, 'STALE_REQUEST');
    check('61 s ahead', send({ timeShiftMs: 61_000 }), 401, 'STALE_REQUEST');
    check('an hour old', send({ timeShiftMs: -3_600_000 }), 401, 'STALE_REQUEST');

    const results = await Promise.all(checks.map(([, p]) => p));
    results.forEach((res, i) => {
      const [what, , status, code] = checks[i]!;
      expectReply(`${label(route)} ${what}`, res, status, code);
    });

    // Inside the window, the same request gets through to the route (probe answer).
    expectReply('30 s old', await send({ timeShiftMs: -30_000 }), probe.status, probe.code);
    // A replayed nonce is refused even though the first use was good.
    const nonce = randomNonce();
    expectReply('first use of a nonce', await send({ nonce }), probe.status, probe.code);
    expectReply('replayed nonce', await send({ nonce }), 401, 'REPLAYED_REQUEST');
    // A nonce is per identity: another identity may use the same one.
    if (route.role === 'member') expectReply('same nonce, other identity', await send({ nonce }, agents.userA), probe.status, probe.code);
  });

  test(`roles: ${label(route)}`, async () => {
    const probe = probeOf(route);
    const path = probePath(route, route.operation === 'removeColony' ? { colony: 'colony-a' } : {});
    const refusals = refused(route);
    const replies = await Promise.all(refusals.map(([, a]) => a.request(route.method, path, probe.body).then((r) => r)));
    replies.forEach((res, i) => {
      const [who, , status, code] = refusals[i]!;
      expectReply(`${label(route)} as ${who}`, res, status, code);
    });
    // Every allowed identity gets through to the route itself.
    for (const a of allowed(route)) {
      expectReply(
        `${label(route)} as allowed ${a.id.slice(0, 8)}`,
        await a.request(route.method, probePath(route), probe.body),
        probe.status,
        probe.code,
      );
    }
  });
}

test("another colony's objects are not found through one's own colony path", async () => {
  const foreignParams: Record<Foreign, Record<string, string>> = {
    process: { id: b.processid },
    graph: { id: b.graphid, nodename: 'n1' },
    executor: { name: b.executorname },
    user: { name: b.username },
    cron: { name: b.cron },
    executorid: { executorid: b.executorid },
    spec: { name: b.spec },
    idprefix: { prefix: b.processid.slice(0, 8) },
  };
  const expected: Record<Foreign, [number, string | undefined]> = {
    process: [404, 'PROCESS_NOT_FOUND'],
    graph: [404, 'PROCESSGRAPH_NOT_FOUND'],
    executor: [404, 'EXECUTOR_NOT_FOUND'],
    user: [404, 'USER_NOT_FOUND'],
    cron: [404, 'CRON_NOT_FOUND'],
    executorid: [200, undefined],
    spec: [404, 'SPEC_NOT_FOUND'],
    idprefix: [200, undefined],
  };
  const crossRoutes = ROUTES.filter((r) => probeOf(r).foreign);
  assert.ok(crossRoutes.length >= 20);
  for (const route of crossRoutes) {
    const kind = probeOf(route).foreign!;
    let [status, code] = expected[kind];
    let body = probeOf(route).body;
    if (route.operation === 'addChild') {
      // The parent is colony B's running graph process: the lookup is scoped to colony A.
      body = { parentprocessid: b.graphprocessid, spec: { funcname: 'f', executortype: 'b-graph' }, nodename: 'x' };
      [status, code] = [404, 'PROCESS_NOT_FOUND'];
    } else if (route.operation === 'postEvent') {
      body = { name: 'payment-received', data: {} };
    } else if (route.operation === 'addChildren') {
      body = { parentprocessid: b.graphprocessid, children: [{ spec: { funcname: 'f', executortype: 'b-graph' }, nodename: 'x' }] };
      [status, code] = [404, 'PROCESS_NOT_FOUND'];
    }
    const path =
      fillPath(route, foreignParams[kind]) +
      (route.method === 'DELETE' && kind !== 'executor' && kind !== 'user' && kind !== 'cron' && kind !== 'spec' ? '?force=true' : '');
    for (const a of allowed(route)) {
      const res = await a.request(route.method, path, body);
      expectReply(`${label(route)} with colony B's ${kind}`, res, status, code);
      if (kind === 'executorid') assert.deepEqual(res.body, [], "colony B's logs do not leak into colony A");
      if (kind === 'idprefix') assert.deepEqual((res.body as { matches: unknown[] }).matches, [], "colony B's ids do not complete in colony A");
    }
  }
  // Batch close names processes in the body: colony B's is refused, not closed.
  const batch = await agents.executorA
    .post('/colonies/colony-a/processes/close', { closes: [{ processid: b.processid, attempt: 1, out: [] }] })
    .expect(200);
  assert.deepEqual(batch.body, { closed: [], refused: [b.processid] });
  // The same objects are there for colony B's members.
  const bPath = (p: string) => p.replace('colony-a', 'colony-b');
  await agents.userB.get(bPath(`/colonies/colony-a/processes/${b.processid}`)).expect(200);
  const ids = await agents.userB.get(bPath(`/colonies/colony-a/ids/${b.processid.slice(0, 8)}`)).expect(200);
  assert.deepEqual(
    (ids.body as { matches: { id: string }[] }).matches.map((m) => m.id),
    [b.processid],
  );
  await agents.userB.get(bPath(`/colonies/colony-a/processgraphs/${b.graphid}`)).expect(200);
  const logs = await agents.userB.get(bPath(`/colonies/colony-a/executors/${b.executorid}/logs`)).expect(200);
  assert.equal((logs.body as { message: string }[]).length, 1);
  const p = (await agents.userB.get(bPath(`/colonies/colony-a/processes/${b.processid}`)).expect(200)).body as Process;
  assert.equal(p.state, 'RUNNING');
});

test("bulk removal is the colony owner's alone: one process or graph is any member's, everything is not", async () => {
  // Pinned here, not only read from the table: the roles sweep above follows whatever the table says.
  const bulk = ['removeAllProcesses', 'removeAllProcessGraphs'] as const;
  for (const op of bulk) assert.equal(OPERATIONS[op].role, 'colony owner', op);
  for (const op of ['removeProcess', 'removeProcessGraph'] as const) assert.equal(OPERATIONS[op].role, 'member', op);
  // Real requests (no state filter: everything), by every member who is not the owner: refused, naming who may.
  for (const op of bulk) {
    const route = ROUTES.find((r) => r.operation === op)!;
    for (const who of ['userA', 'executorA'] as const) {
      for (const query of ['', '?state=WAITING']) {
        const res = await agents[who].request(route.method, fillPath(route) + query);
        expectError(res, 403, 'FORBIDDEN');
        assert.equal(
          (res.body as { error: { message: string } }).error.message,
          'only the owner of colony "colony-a" may do this',
          `${op} as ${who}`,
        );
      }
    }
  }
});

test('after the sweep, both colonies hold exactly what they held before', async () => {
  assert.deepEqual(await snapshot(), snapshotBefore);
});
