/**
 * Fuzz over every signed route of protocol/routes.ts: 1,500 signed requests whose body, query or
 * path parameters hold hostile values (NUL, lone surrogates, "__proto__" keys, deep nesting, huge and
 * negative numbers, wrong types and sizes). Deterministic: a seeded PRNG whose seed is printed
 * (COLONIES_FUZZ_SEED replays another, COLONIES_FUZZ_REQUESTS sets the count). No answer may be a 5xx,
 * every error has the wire shape, and the store changes by exactly what the 2xx answers accepted.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { signedAgent, type SignedAgent } from '../helpers/signed-agent.ts';
import { allowedAgents, fillPath } from '../helpers/route-calls.ts';
import { createSigner, randomId, randomNonce } from '../../protocol/crypto.ts';
import { ERROR_CODES } from '../../protocol/errors.ts';
import { OPERATIONS, ROUTES, type Operation, type Route } from '../../protocol/routes.ts';
import { WS_PATH, signedHello } from '../../protocol/signing.ts';
import type { Process, ProcessGraph, StateCounts } from '../../protocol/types.ts';

const SEED = Number(process.env.COLONIES_FUZZ_SEED ?? 20261207);
const REQUESTS = Number(process.env.COLONIES_FUZZ_REQUESTS ?? 1500);
const PARALLEL = 12;

/** mulberry32: small, fast and good enough to pick hostile values reproducibly. */
class Rng {
  constructor(private state: number) {}
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

/** Raw JSON text spliced into a body where the marker string stands: what JSON.stringify cannot write (1e400, 20,000 levels). */
const fragments: string[] = [];
const raw = (json: string): string => `@@RAW#${fragments.push(json) - 1}@@`;
const serialize = (v: unknown): string => JSON.stringify(v).replace(/"@@RAW#(\d+)@@"/g, (_, i: string) => fragments[Number(i)]!);

const STRINGS = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfff',
  '\udfff\ud800',
  '\ud83d\ude00',
  '\ud83d\ude00\u0000',
  'é∂ƒ漢字',
  '\u202e\u200b\ufeff',
  '',
  ' ',
  'null',
  '__proto__',
  "'; DROP TABLE processes; --",
  '%00',
  '\\u0000',
  '../..',
  'a'.repeat(201),
  'x'.repeat(65 * 1024 + 1),
];
const NUMBERS = [-1, 0, 1, 1.5, -2.5, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 2 ** 63, -(2 ** 63), 1e308, 5e-324];
const RAW_NUMBERS = ['1e400', '-1e400', '1e-400', '123456789012345678901234567890', '-0'];
/**
 * Query and path values: strings as they arrive there. None longer than Node's header limit (16 KiB):
 * Node's HTTP parser refuses those before any route runs (431 HEADERS_TOO_LARGE, test/api/http-edges.test.ts).
 */
const TEXTS = [
  ...STRINGS.filter((x) => x.length < 1000),
  '-1',
  '1e400',
  '2147483648',
  '9007199254740993',
  '1.5',
  'NaN',
  'Infinity',
  '0x10',
  '[]',
  '{}',
];
const PROTO_VALUES = [
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"\\u0000":1}',
  '{"\\ud800":"x"}',
  '{"a":1,"a":"\\u0000"}',
];

function hostile(r: Rng): unknown {
  switch (r.int(12)) {
    case 0:
    case 1:
    case 2:
      return r.pick(STRINGS);
    case 3:
    case 4:
      return r.pick(NUMBERS);
    case 5:
      return raw(r.pick(RAW_NUMBERS));
    case 6:
      return r.pick([null, true, false, [], {}, [[]], { 0: 1 }]);
    case 7:
      return r.int(2) ? JSON.parse(r.pick(PROTO_VALUES)) : raw(r.pick(PROTO_VALUES));
    case 8: {
      const depth = r.pick([99, 100, 101, 1000, 20_000]);
      return r.int(2) ? raw('['.repeat(depth) + ']'.repeat(depth)) : raw('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
    }
    case 9:
      return Array.from({ length: r.pick([1000, 20_000]) }, (_, i) => (i % 997 === 996 ? r.pick(STRINGS.slice(0, 5)) : i));
    case 10:
      return [r.pick(STRINGS), { k: r.pick(STRINGS) }, [r.pick(NUMBERS)]];
    default:
      return withKey({}, r.pick(STRINGS), r.pick(STRINGS));
  }
}

/** Sets a key as data, even "__proto__" (an assignment would set the prototype instead). */
function withKey(o: object, key: string, value: unknown): object {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  return o;
}

/** Percent-encodes a path or query value; lone surrogates, which encodeURIComponent refuses, as the bytes a sloppy client would send. */
function enc(s: string): string {
  let e: string;
  try {
    e = encodeURIComponent(s);
  } catch {
    e = [...s].map((c) => (/^[\ud800-\udfff]$/.test(c) ? '%ED%A0%80' : encodeURIComponent(c))).join('');
  }
  // The URL parser of the HTTP client encodes ' in a query itself, which would change the signed path.
  return e.replace(/'/g, '%27');
}

/** What the fuzz starts from for one operation: a valid request (or as near as the operation allows) to make hostile. */
interface Template {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

/** Objects of colony A that deep requests name: a graph with a process running on executor A, and a standalone one. */
interface Setup {
  graph: string;
  parent: string;
  standalone: string;
  executorid: string;
}

let n = 0;
const spec = () => ({
  funcname: 'fz',
  executortype: 'fuzz-type',
  nodename: `n${++n}`,
  args: [1, 'a', { b: [true, null] }],
  kwargs: { k: 'v', nested: { m: 1 } },
  label: 'l',
  priority: 0,
  maxwaittime: 0,
  maxexectime: 0,
  maxretries: 0,
  conditions: { dependencies: [] as string[] },
});

/** removeAll with no state removes everything: its state is always hostile, never absent. */
const hostileState = (r: Rng) => ({ state: r.pick(TEXTS) });

const TEMPLATES: Record<Operation, (s: Setup, r: Rng) => Template> = {
  addColony: () => ({ body: { colonyname: `fz-${++n}`, colonyid: randomId() } }),
  listColonies: () => ({}),
  removeColony: () => ({ params: { colony: 'no-such-colony' } }),
  getColony: () => ({}),
  getColonyStats: () => ({}),
  addExecutor: () => ({ body: { executorname: `fz-e-${++n}`, executorid: randomId(), executortype: 'fuzz-type', location: 'here' } }),
  listExecutors: () => ({}),
  getExecutor: () => ({ params: { name: 'ghost' } }),
  approveExecutor: () => ({ params: { name: 'ghost' } }),
  rejectExecutor: () => ({ params: { name: 'ghost' } }),
  removeExecutor: () => ({ params: { name: 'ghost' } }),
  getExecutorLogs: (s) => ({ params: { executorid: s.executorid }, query: { count: '10', since: '0' } }),
  addUser: () => ({ body: { username: `fz-u-${++n}`, userid: randomId() } }),
  listUsers: () => ({}),
  removeUser: () => ({ params: { name: 'ghost' } }),
  submitProcess: () => ({ body: spec() }),
  submitProcessBatch: () => ({ body: { specs: [spec(), spec()] } }),
  listProcesses: () => ({
    query: { state: 'WAITING', executortype: 'fuzz-type', label: 'l', funcname: 'fz', nodename: 'n1', count: '5', offset: '0' },
  }),
  removeAllProcesses: (_, r) => ({ query: hostileState(r) }),
  assign: () => ({ body: { timeout: 0, count: 1, closes: [{ processid: randomId(), attempt: 1, out: ['x'] }] } }),
  closeProcesses: () => ({ body: { closes: [{ processid: randomId(), attempt: 1, out: ['x'] }] } }),
  executorHeartbeat: () => ({ body: { holding: [{ processid: randomId(), attempt: 1 }] } }),
  getProcess: () => ({}),
  removeProcess: () => ({ query: { force: 'false' } }),
  cancelProcess: () => ({}),
  closeProcess: (s) => ({ params: { id: s.standalone }, body: { attempt: 1, out: ['x', { y: 1 }] } }),
  failProcess: (s) => ({ params: { id: s.standalone }, body: { attempt: 1, errors: ['boom'] } }),
  addLog: (s) => ({ params: { id: s.standalone }, body: { message: 'hello' } }),
  getLogs: (s) => ({ params: { id: s.standalone }, query: { count: '10', since: '0' } }),
  submitWorkflow: () => {
    const a = spec();
    const b = { ...spec(), conditions: { dependencies: [a.nodename] } };
    return { body: { functionspecs: [a, b] } };
  },
  listProcessGraphs: () => ({ query: { state: 'WAITING', label: 'l', funcname: 'fz', nodename: 'n1', count: '5', offset: '0' } }),
  removeAllProcessGraphs: (_, r) => ({ query: hostileState(r) }),
  getProcessGraph: () => ({}),
  findProcess: (s) => ({ params: { id: s.graph, nodename: 'p' } }),
  cancelProcessGraph: () => ({}),
  haltProcessGraph: () => ({}),
  resumeProcessGraph: () => ({}),
  removeProcessGraph: () => ({ query: { force: 'false' } }),
  addChild: (s) => ({ params: { id: s.graph }, body: { parentprocessid: s.parent, spec: spec(), nodename: `c${++n}`, insert: false } }),
  addChildren: (s) => ({ params: { id: s.graph }, body: { parentprocessid: s.parent, children: [{ spec: spec(), nodename: `cs${++n}` }] } }),
  postEvent: (s) => ({ params: { id: s.graph }, body: { name: `fz-ev-${++n}`, data: { paid: 12.5, items: ['a'] } } }),
  listEvents: (s) => ({ params: { id: s.graph } }),
  addCron: () => ({ body: { name: `fz-c-${++n}`, workflow: [spec()], interval: 3600, waitforprevprocessgraph: false } }),
  listCrons: () => ({}),
  getCron: () => ({ params: { name: 'ghost' } }),
  removeCron: () => ({ params: { name: 'ghost' } }),
  runCron: () => ({ params: { name: 'ghost' } }),
  declareFunctions: () => ({ body: { functions: ['fz', 'f'] } }),
  listFunctions: () => ({}),
  registerWorkflowSpec: () => ({
    body: { name: `fz-s-${++n}`, spec: { functionspecs: [spec()], variables: { v: { type: 'string', index: true, default: 'x' } } } },
  }),
  listWorkflowSpecs: () => ({}),
  getWorkflowSpec: () => ({ params: { name: 'ghost' }, query: { version: '1' } }),
  removeWorkflowSpec: () => ({ params: { name: 'ghost' }, query: { force: 'false' } }),
  runWorkflow: () => ({ params: { name: 'ghost' }, body: { variables: { v: 'x' }, key: `k${++n}` } }),
  searchWorkflows: () => ({ params: { name: 'ghost' }, query: { var: 'v=x', state: 'WAITING', count: '5', offset: '0' } }),
  findIds: (s) => ({ params: { prefix: s.standalone.slice(0, 8) } }),
  listTasks: () => ({ query: { mine: 'true', count: '5', offset: '0' } }),
  completeTask: (s) => ({ params: { id: s.standalone }, body: { data: { approved: true, note: 'ok' } } }),
};

/** Every object and array inside a value, with its path. */
function containers(v: unknown, path: (string | number)[] = [], out: { path: (string | number)[]; v: object }[] = []) {
  if (v !== null && typeof v === 'object') {
    out.push({ path, v });
    for (const [k, x] of Object.entries(v)) containers(x, [...path, Array.isArray(v) ? Number(k) : k], out);
  }
  return out;
}

/** One to three of the body's values made hostile, or a hostile key added, or the whole body hostile. */
function hostileBody(r: Rng, body: unknown): unknown {
  const mode = r.int(10);
  const inner = containers(body).filter((c) => Object.keys(c.v).length > 0);
  if (mode < 7 && inner.length > 0) {
    for (let i = 1 + r.int(3); i > 0; i--) {
      const c = r.pick(inner);
      withKey(c.v, r.pick(Object.keys(c.v)), hostile(r));
    }
    return body;
  }
  const all = containers(body).filter((c) => !Array.isArray(c.v));
  if (mode < 9 && all.length > 0) {
    withKey(r.pick(all).v, r.pick(STRINGS), hostile(r));
    return body;
  }
  return hostile(r);
}

interface FuzzRequest {
  route: Route;
  agent: SignedAgent;
  path: string;
  body: string | undefined;
}

function fuzzRequest(r: Rng, route: Route, s: Setup, agents: SignedAgent[]): FuzzRequest {
  const t = TEMPLATES[route.operation](s, r);
  const params: Record<string, string> = { ...t.params };
  const query: Record<string, string | string[]> = { ...t.query };
  let body = t.body;
  const paramNames = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const mode = r.int(10);
  // Not '': an empty segment changes the route (DELETE …/processes/ is removeAllProcesses), not the value.
  if (mode < 2 && paramNames.length > 0) params[r.pick(paramNames)] = r.pick(TEXTS.filter((x) => x !== ''));
  else if (mode < 4) {
    const key = r.pick([...Object.keys(query), 'count', 'since', 'state', 'offset', 'force', 'label', 'x[y]', '__proto__']);
    query[key] = r.int(4) === 0 ? [r.pick(TEXTS), r.pick(TEXTS)] : r.pick(TEXTS);
  } else body = hostileBody(r, body ?? {});
  const values = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, enc(v)]));
  const qs = Object.entries(query)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${enc(k)}=${enc(x)}`))
    .join('&');
  return {
    route,
    agent: r.pick(agents),
    path: fillPath(route, values, (v) => v) + (qs ? `?${qs}` : ''),
    body: body === undefined ? undefined : serialize(body),
  };
}

let f: Fixture;
let setup: Setup;
let agents: { server: SignedAgent; owner: SignedAgent; user: SignedAgent; executor: SignedAgent };

before(async () => {
  f = await startFixture();
  const agent = (prvkey: string) => signedAgent(f.url, prvkey);
  agents = { server: agent(f.serverKey.prvkey), owner: agent(f.a.owner.prvkey), user: agent(f.a.user.prvkey), executor: agent(f.a.executor.prvkey) };
  const g: ProcessGraph = await f.a.userClient.submitWorkflow([{ nodename: 'p', funcname: 'f', executortype: 'test-executor' }]);
  const [parent] = await f.a.executorClient.assign({ timeout: 0 });
  await f.a.userClient.submit({ funcname: 'f', executortype: 'test-executor' });
  const [standalone] = await f.a.executorClient.assign({ timeout: 0 });
  setup = { graph: g.processgraphid, parent: parent!.processid, standalone: standalone!.processid, executorid: f.a.executor.id };
  // Colony B holds a little of everything: nothing aimed at colony A may touch it.
  await f.b.userClient.submit({ funcname: 'f', executortype: 'b-type' });
  await f.b.userClient.submitWorkflow([{ nodename: 'n1', funcname: 'f', executortype: 'b-type' }]);
  await f.b.userClient.addCron({ name: 'b-cron', workflow: [{ funcname: 'f', executortype: 'b-type' }], interval: 3600 });
});
after(() => f.close());

const total = (c: StateCounts) => Object.values(c).reduce((a, b) => a + b, 0);

/** How many of each thing colony A holds (and colonies the server holds). */
async function counts() {
  const c = f.a.ownerClient;
  const stats = await c.stats();
  return {
    colonies: (await f.serverClient.listColonies()).length,
    processes: total(stats.processes),
    graphs: total(stats.processgraphs),
    executors: (await c.listExecutors()).length,
    users: (await c.listUsers()).length,
    crons: (await c.listCrons()).length,
  };
}
type Counts = Awaited<ReturnType<typeof counts>>;

/** Everything colony B holds, as its owner sees it. */
async function colonyB(): Promise<unknown> {
  const c = f.b.ownerClient;
  return {
    executors: (await c.listExecutors()).map((e) => ({ ...e, lastheardfrom: null })),
    users: await c.listUsers(),
    processes: await c.listProcesses({ count: 10_000 }),
    graphs: await c.listProcessGraphs({ count: 10_000 }),
    crons: await c.listCrons(),
  };
}

/** What a 2xx answer added to (or removed from) colony A. */
function accepted(op: Operation, reply: unknown, into: Counts): void {
  const body = reply as Record<string, unknown> & { results?: { process?: unknown }[]; processcount?: number };
  const add = (k: keyof Counts, by = 1) => (into[k] += by);
  const ops: Partial<Record<Operation, () => void>> = {
    addColony: () => add('colonies'),
    removeColony: () => add('colonies', -1),
    addExecutor: () => add('executors'),
    removeExecutor: () => add('executors', -1),
    addUser: () => add('users'),
    removeUser: () => add('users', -1),
    submitProcess: () => add('processes'),
    submitProcessBatch: () => add('processes', body.results!.filter((x) => x.process).length),
    submitWorkflow: () => {
      add('graphs');
      add('processes', body.processcount);
    },
    runCron: () => {
      add('graphs');
      add('processes', body.processcount);
    },
    addChild: () => add('processes'),
    addChildren: () => add('processes', (reply as unknown[]).length),
    addCron: () => add('crons'),
    removeCron: () => add('crons', -1),
    removeProcess: () => add('processes', -1),
  };
  if (op === 'removeAllProcesses' || op === 'removeAllProcessGraphs' || op === 'removeProcessGraph')
    throw new Error(`${op} answered 2xx to a request naming nothing`);
  ops[op]?.();
}

test('every operation of the table has a fuzz template', () => {
  assert.deepEqual(Object.keys(TEMPLATES).sort(), Object.keys(OPERATIONS).sort());
});

test(`fuzz: ${REQUESTS} hostile signed requests over every route answer 4xx or 2xx, never 5xx, and change only what they were allowed to`, async () => {
  console.log(`fuzz seed ${SEED} (COLONIES_FUZZ_SEED=${SEED} replays it), ${REQUESTS} requests`);
  const r = new Rng(SEED);
  const before = await counts();
  const expected = { ...before };
  const colonyBBefore = await colonyB();
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  const fiveByOperation = new Map<Operation, number>();
  const stored: { processid: string; sent: Record<string, unknown> }[] = [];
  const requests = Array.from({ length: REQUESTS }, (_, i) => {
    const route = ROUTES[i % ROUTES.length]!;
    return fuzzRequest(r, route, setup, allowedAgents(route, agents));
  });
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const q = requests[next++]!;
      const res = await q.agent.request(q.route.method, q.path, q.body);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const what = () =>
        `${q.route.operation} ${q.route.method} ${q.path.slice(0, 120)} ${(q.body ?? '').slice(0, 160)} → ${res.status} ${res.text.slice(0, 200)}`;
      if (res.status >= 500) {
        failures.push(what());
        fiveByOperation.set(q.route.operation, (fiveByOperation.get(q.route.operation) ?? 0) + 1);
      } else if (res.status >= 400) {
        const e = (res.body as { error?: { code?: unknown; message?: unknown } }).error;
        if (typeof e?.code !== 'string' || !(e.code in ERROR_CODES) || typeof e.message !== 'string' || !e.message)
          failures.push(`bad error shape: ${what()}`);
      } else {
        accepted(q.route.operation, res.body, expected);
        if (q.route.operation === 'submitProcess')
          stored.push({ processid: (res.body as Process).processid, sent: JSON.parse(q.body!) as Record<string, unknown> });
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  console.log(`fuzz statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}; failures: ${failures.length}`);
  if (fiveByOperation.size > 0) console.log(`5xx by operation: ${JSON.stringify(Object.fromEntries(fiveByOperation))}`);
  for (const line of failures.slice(0, 20)) console.log(`  ${line}`);
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} answers were 5xx or had no {error:{code,message}}`);

  assert.deepEqual(await counts(), expected, 'colony A changed by exactly what the 2xx answers accepted');
  assert.deepEqual(await colonyB(), colonyBBefore, 'colony B is untouched');
  // What was accepted was stored as sent: strings, keys and numbers come back the same.
  for (const { processid, sent } of stored.slice(0, 100)) {
    const p = await f.a.userClient.getProcess(processid);
    for (const k of ['funcname', 'label', 'args', 'kwargs'] as const)
      // Compared as JSON: a raw -0 is the number 0 once stored, as JSON.stringify writes it.
      if (sent[k] !== undefined) assert.deepEqual(p.spec[k], JSON.parse(JSON.stringify(sent[k])), `${processid} ${k}`);
  }
  assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false, 'no prototype was polluted');
});

test('fuzz: hostile WebSocket messages are answered with errors, never INTERNAL, and the connection stays usable', async () => {
  const r = new Rng(SEED ^ 0x5eed);
  const ws = new WebSocket(f.url.replace('http', 'ws') + WS_PATH);
  await new Promise((resolve) => ws.once('open', resolve));
  const replies: { type: string; sub?: string; error?: { code: string } }[] = [];
  ws.on('message', (d) => replies.push(JSON.parse((d as Buffer).toString('utf8')) as (typeof replies)[number]));
  ws.send(JSON.stringify(signedHello(createSigner(f.a.user.prvkey), { timestamp: Date.now(), nonce: randomNonce() })));
  const base = () => ({ type: 'subscribe', sub: `s${++n}`, colonyname: 'colony-a', processid: setup.standalone });
  for (let i = 0; i < 300; i++) {
    const m = r.int(4) === 0 ? { type: 'unsubscribe', sub: r.pick(STRINGS) } : base();
    const text = serialize(hostileBody(r, m));
    if (text.length < 60_000) ws.send(text); // larger ones close the connection (the hub's maxPayload), as they should
  }
  // Messages are handled in order: the answer to this one comes last.
  ws.send('not json');
  for (const until = Date.now() + 20_000; !replies.some((m) => m.error?.code === 'MALFORMED_JSON');) {
    assert.ok(Date.now() < until, 'the connection answers its last message');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  ws.close();
  const internal = replies.filter((m) => m.type === 'error' && (!m.error || m.error.code === 'INTERNAL' || !(m.error.code in ERROR_CODES)));
  assert.deepEqual(internal, []);
  assert.ok(
    replies.some((m) => m.type === 'error'),
    'hostile messages were refused',
  );
});
