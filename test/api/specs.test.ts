/**
 * HTTP API and SDK: registered workflow specs (versions, identical specs, removal), runs by name with
 * typed variables, references resolved for the executor, setvariables read by a later process,
 * idempotent keys, crons naming a spec, and unknown query parameters refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { expectError, signedAgent, type SignedAgent } from '../helpers/signed-agent.ts';
import { ColoniesError } from '../../executor/transport.ts';
import type { ColoniesClient, SpecInput } from '../../executor/client.ts';
import type { ColonyEvent } from '../../protocol/events.ts';
import type { ProcessGraph } from '../../protocol/types.ts';
import { Workflow, funcSpec } from '../../executor/workflow.ts';

const A = '/colonies/colony-a';
let f: Fixture;
let user: SignedAgent;
let client: ColoniesClient;

before(async () => {
  f = await startFixture();
  user = signedAgent(f.url, f.a.user.prvkey);
  client = f.a.userClient;
});
after(() => f.close());

/** The error a call is refused with; fails when it is not. */
async function refused(p: Promise<unknown>, code: string, message?: RegExp): Promise<ColoniesError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ColoniesError, String(err));
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

const greet = (type: string): SpecInput => ({
  functionspecs: [{ funcname: 'greet', executortype: type, args: [{ $var: 'input-name' }], kwargs: { limit: { $var: 'limit' } } }],
  variables: { 'input-name': { type: 'string', required: true, index: true }, limit: { type: 'integer', default: 10 } },
});

const ids = (gs: ProcessGraph[]) => gs.map((g) => g.processgraphid);
const graphCount = async () => (await client.listProcessGraphs({ count: 10_000 })).length;

test('register: versions 1, 2; an identical spec returns its version; get, list with runs per state', async () => {
  const v1 = await client.registerWorkflowSpec('quickstart', greet('t-reg'));
  assert.deepEqual([v1.name, v1.version, v1.added], ['quickstart', 1, true]);
  const again = await client.registerWorkflowSpec('quickstart', {
    variables: { limit: { default: 10, type: 'integer' }, 'input-name': { index: true, required: true, type: 'string' } },
    functionspecs: [{ kwargs: { limit: { $var: 'limit' } }, args: [{ $var: 'input-name' }], executortype: 't-reg', funcname: 'greet' }],
  });
  assert.deepEqual([again.version, again.added, again.hash], [1, false, v1.hash], 'the same spec, keys in another order');
  const v2 = await client.registerWorkflowSpec('quickstart', [{ funcname: 'greet', executortype: 't-reg' }]);
  assert.deepEqual([v2.version, v2.added], [2, true]);
  assert.equal((await client.getWorkflowSpec('quickstart')).version, 2);
  const first = await client.getWorkflowSpec('quickstart', { version: 1 });
  assert.equal(first.spec.variables['input-name']?.type, 'string');
  assert.equal(first.spec.functionspecs[0]?.nodename, 'greet', 'stored as normalised');
  await refused(client.getWorkflowSpec('quickstart', { version: 3 }), 'SPEC_NOT_FOUND', /version 3/);
  await refused(client.getWorkflowSpec('nope'), 'SPEC_NOT_FOUND');

  await client.runWorkflow('quickstart', {}, { version: 2 });
  const listed = (await client.listWorkflowSpecs()).find((s) => s.name === 'quickstart');
  assert.deepEqual([listed?.latestversion, listed?.versions, listed?.runs.WAITING], [2, 2, 1]);
});

test('register validates like a submit, naming the field; nothing is stored', async () => {
  const cases: [SpecInput, string, RegExp][] = [
    [[{ funcname: 'a', executortype: 't', conditions: { dependencies: ['a'] } }], 'DEPENDENCY_CYCLE', /cycle/],
    [[{ funcname: 'a', executortype: 't', args: [{ $var: 'x' }] }], 'VALIDATION_FAILED', /functionspecs\.0\.args\.0: variable "x" is not declared/],
    [
      { functionspecs: [{ funcname: 'a', executortype: 't' }], variables: { n: { type: 'integer', default: 'ten' } } },
      'VALIDATION_FAILED',
      /variables\.n\.default: default: expected an integer/,
    ],
    [
      { functionspecs: [{ funcname: 'a', executortype: 't', kwargs: { k: { $var: 'n', path: '$.a' } } }], variables: { n: { type: 'integer' } } },
      'VALIDATION_FAILED',
      /a path reads into json variables only/,
    ],
    [
      { functionspecs: [{ funcname: 'a', executortype: 't', args: [{ $var: 'o', path: '$..a' }] }], variables: { o: { type: 'json' } } },
      'VALIDATION_FAILED',
      /only names and indexes/,
    ],
    [
      { functionspecs: [{ funcname: 'a', executortype: 't', setvariables: { total: '$[0]' } }], variables: {} },
      'VALIDATION_FAILED',
      /setvariables\.total: variable "total" is not declared/,
    ],
    [
      { functionspecs: [{ funcname: 'a', executortype: 't' }], variables: { t: { type: 'integer', format: 'date-time' } } },
      'VALIDATION_FAILED',
      /format/,
    ],
  ];
  for (const [spec, code, message] of cases) await refused(client.registerWorkflowSpec('bad', spec), code, message);
  await refused(client.getWorkflowSpec('bad'), 'SPEC_NOT_FOUND');
  const res = await user.post(`${A}/workflowspecs`, { name: 'bad', spec: [{ funcname: 'a', executortype: 't' }], extra: 1 });
  expectError(res, 400, 'VALIDATION_FAILED');
});

test('run: variables are checked against the declaration, naming the variable; nothing is stored', async () => {
  await client.registerWorkflowSpec('typed', {
    functionspecs: [{ funcname: 'f', executortype: 't-typed' }],
    variables: {
      name: { type: 'string', required: true },
      n: { type: 'integer' },
      x: { type: 'number' },
      ok: { type: 'boolean' },
      doc: { type: 'json' },
      when: { type: 'string', format: 'date-time' },
    },
  });
  const before = await graphCount();
  const bad: [Record<string, unknown>, RegExp][] = [
    [{}, /variables\.name: variable "name" \(string\) is required/],
    [{ name: 7 }, /variable "name" \(string\): expected a string/],
    [{ name: 'a', n: 1.5 }, /variable "n" \(integer\): expected an integer/],
    [{ name: 'a', x: 'one' }, /variable "x" \(number\)/],
    [{ name: 'a', ok: 'yes' }, /variable "ok" \(boolean\)/],
    [{ name: 'a', when: 'tomorrow' }, /variable "when" \(string, date-time\)/],
    [{ name: 'a', customer: 'obi-wan' }, /variable "customer" is not declared/],
  ];
  for (const [vars, message] of bad) {
    const err = await refused(client.runWorkflow('typed', vars), 'VALIDATION_FAILED', message);
    assert.equal(err.status, 400);
  }
  assert.equal(await graphCount(), before, 'nothing stored');
  await refused(client.runWorkflow('no-such-spec', {}), 'SPEC_NOT_FOUND');
  const ok = await client.runWorkflow('typed', { name: 'a', n: 3, x: 0.5, ok: true, doc: { a: [1] }, when: '2026-01-31T12:00:00Z' });
  assert.equal(ok.state, 'WAITING');
});

test('run by name: the run records its spec, name and starter; the executor sees plain values', async () => {
  const e = await f.addExecutor('t-run');
  await client.registerWorkflowSpec('greeter', {
    functionspecs: [
      {
        funcname: 'greet',
        executortype: 't-run',
        args: [{ $var: 'input-name' }, 'literal'],
        kwargs: { limit: { $var: 'limit' }, sku: { $var: 'order', path: '$.items[0].sku' }, none: { $var: 'order', path: '$.nothing' } },
      },
    ],
    variables: {
      'input-name': { type: 'string', required: true },
      limit: { type: 'integer', default: 10 },
      order: { type: 'json', default: { items: [{ sku: 'A-1' }] } },
    },
  });
  const g = await client.runWorkflow('greeter', { 'input-name': 'obi-wan' });
  assert.deepEqual([g.name, g.specname, g.specversion, g.initiatorname, g.cronname], ['greeter', 'greeter', 1, 'alice', null]);
  assert.deepEqual(g.variables, { 'input-name': 'obi-wan', limit: 10, order: { items: [{ sku: 'A-1' }] } });
  const named = await client.runWorkflow('greeter', { 'input-name': 'leia' }, { name: 'for-leia' });
  assert.equal(named.name, 'for-leia');
  const [p] = await e.client.assign({ timeout: 0 });
  assert.equal(p?.processgraphid, g.processgraphid);
  assert.deepEqual(p?.in, ['obi-wan', 'literal']);
  assert.deepEqual(p?.spec.kwargs, { limit: 10, sku: 'A-1', none: null });
  const got = await client.getProcessGraph(g.processgraphid);
  assert.deepEqual([got.name, got.variables?.['input-name']], ['greeter', 'obi-wan']);
  assert.ok((await client.listProcessGraphs()).some((x) => x.processgraphid === g.processgraphid && x.name === 'greeter'));
});

test('setvariables: a process sets a variable from its output; a later process reads it, also when handed over', async () => {
  const e = await f.addExecutor('t-set');
  await client.registerWorkflowSpec('totals', {
    functionspecs: [
      { nodename: 'sum', funcname: 'sum', executortype: 't-set', setvariables: { total: '$[0]', first: '$[1].a' } },
      {
        nodename: 'report',
        funcname: 'report',
        executortype: 't-set',
        kwargs: { total: { $var: 'total' }, first: { $var: 'first' } },
        conditions: { dependencies: ['sum'] },
      },
    ],
    variables: { total: { type: 'number', default: 0 }, first: { type: 'json' } },
  });
  const g = await client.runWorkflow('totals', {});
  const [sum] = await e.client.assign({ timeout: 0 });
  assert.equal(sum?.spec.nodename, 'sum');
  // A long-poll already waiting: the released child must not be handed over with its references unresolved.
  const waiting = e.client.assign({ timeout: 10 });
  await new Promise((r) => setTimeout(r, 100));
  await e.client.close(sum.processid, sum.attempt, [42, { a: 'x' }]);
  const [report] = await waiting;
  assert.equal(report?.spec.nodename, 'report');
  assert.deepEqual(report?.spec.kwargs, { total: 42, first: 'x' });
  assert.deepEqual((await client.getProcessGraph(g.processgraphid)).variables, { total: 42, first: 'x' });
  assert.deepEqual((await client.getProcess(report.processid)).spec.kwargs, { total: 42, first: 'x' }, 'stored resolved');

  // The close-and-claim path: the result handed in with the next assign.
  const g2 = await client.runWorkflow('totals', {});
  const [sum2] = await e.client.assign({ timeout: 0 });
  const first = await e.client.closeAndAssign([{ processid: sum2!.processid, attempt: sum2!.attempt, out: [7] }], { timeout: 10 });
  const [report2] = first.processes.length > 0 ? first.processes : await e.client.assign({ timeout: 10 });
  assert.equal(report2?.processgraphid, g2.processgraphid);
  assert.deepEqual(report2?.spec.kwargs, { total: 7, first: null });
});

test('setvariables on a process outside a workflow is refused', async () => {
  await refused(client.submit({ funcname: 'f', executortype: 't', setvariables: { x: '$[0]' } }), 'VALIDATION_FAILED', /setvariables/);
});

test('idempotent keys: run and submit return the first run for a key', async () => {
  await client.registerWorkflowSpec('idem', greet('t-idem'));
  const first = await client.runWorkflow('idem', { 'input-name': 'a' }, { key: 'order-1234' });
  const second = await client.runWorkflow('idem', { 'input-name': 'b' }, { key: 'order-1234' });
  assert.equal(second.processgraphid, first.processgraphid);
  const both = await Promise.all([1, 2, 3].map(() => client.runWorkflow('idem', { 'input-name': 'c' }, { key: 'race' })));
  assert.equal(new Set(both.map((g) => g.processgraphid)).size, 1, 'concurrent requests with one key start one run');
  const s1 = await client.submitWorkflow({ functionspecs: [{ funcname: 'f', executortype: 't-idem' }], key: 'hook-1', name: 'webhook' });
  const s2 = await client.submitWorkflow({ functionspecs: [{ funcname: 'f', executortype: 't-idem' }], key: 'hook-1' });
  assert.equal(s2.processgraphid, s1.processgraphid);
  assert.equal(s1.name, 'webhook');
  const other = await f.b.userClient.submitWorkflow({ functionspecs: [{ funcname: 'f', executortype: 't-idem' }], key: 'hook-1' });
  assert.notEqual(other.processgraphid, s1.processgraphid, 'keys are per colony');
});

test('remove: refused while runs are active, unless forced; then runs of it are refused', async () => {
  const e = await f.addExecutor('t-rm');
  await client.registerWorkflowSpec('busy', [{ funcname: 'f', executortype: 't-rm' }]);
  await client.runWorkflow('busy');
  const err = await refused(client.removeWorkflowSpec('busy'), 'SPEC_IN_USE', /1 runs/);
  assert.equal(err.status, 409);
  assert.equal((await client.getWorkflowSpec('busy')).version, 1, 'still there');
  await client.removeWorkflowSpec('busy', { force: true });
  await refused(client.getWorkflowSpec('busy'), 'SPEC_NOT_FOUND');
  await refused(client.runWorkflow('busy'), 'SPEC_NOT_FOUND');
  await refused(client.removeWorkflowSpec('busy'), 'SPEC_NOT_FOUND');

  await client.registerWorkflowSpec('done', [{ funcname: 'f', executortype: 't-rm' }]);
  await client.runWorkflow('done');
  for (const p of await e.client.assign({ timeout: 0, count: 5 })) await e.client.close(p.processid, p.attempt, []);
  await client.removeWorkflowSpec('done');
  await refused(client.getWorkflowSpec('done'), 'SPEC_NOT_FOUND');
});

test('a cron may run a registered spec with variables', async () => {
  await client.registerWorkflowSpec('nightly-spec', greet('t-cron'));
  await refused(client.addCron({ name: 'c1', spec: { name: 'nightly-spec', variables: {} }, interval: 3600 }), 'VALIDATION_FAILED', /input-name/);
  await refused(client.addCron({ name: 'c1', spec: { name: 'missing', variables: {} }, interval: 3600 }), 'SPEC_NOT_FOUND');
  const c = await client.addCron({ name: 'c1', spec: { name: 'nightly-spec', variables: { 'input-name': 'cron' } }, interval: 3600 });
  assert.deepEqual([c.specname, c.specversion, c.variables, c.functionspecs], ['nightly-spec', null, { 'input-name': 'cron' }, []]);
  const r = await client.runCron('c1');
  assert.deepEqual([r.processgraph?.specname, r.processgraph?.cronname, r.processgraph?.name], ['nightly-spec', 'c1', 'c1']);
  const g = await client.getProcessGraph(r.processgraph!.processgraphid);
  assert.deepEqual(g.processes[0]?.in, ['cron']);
});

test('unknown query parameters are refused with 400 naming them, on every list route', async () => {
  for (const path of ['/processes', '/processgraphs', '/workflowspecs', '/crons', '/executors', '/users', '/workflowspecs/x/runs']) {
    const res = await user.get(`${A}${path}?customer=obi-wan`);
    const body = expectError(res, 400, 'VALIDATION_FAILED') as { issues?: { path: string }[] };
    assert.match((res.body as { error: { message: string } }).error.message, /customer/, path);
    assert.deepEqual(
      body.issues?.map((i) => i.path),
      ['query.customer'],
      path,
    );
  }
});

test('the live event of a new run names it, its spec and who started it', async () => {
  await client.registerWorkflowSpec('live', [{ funcname: 'f', executortype: 't-live' }]);
  const events: ColonyEvent[] = [];
  let seen!: () => void;
  const got = new Promise<void>((resolve) => (seen = resolve));
  const stop = await client.subscribe({}, (m) => {
    if (m.type === 'event' && m.event.type === 'processgraph') {
      events.push(m.event);
      seen();
    }
  });
  try {
    const g = await client.runWorkflow('live', {}, { name: 'live-1' });
    await got;
    const e = events.find((x) => x.type === 'processgraph' && x.processgraphid === g.processgraphid);
    assert.deepEqual(e && e.type === 'processgraph' ? [e.state, e.name, e.specname, e.startedby] : [], ['WAITING', 'live-1', 'live', 'alice']);
  } finally {
    stop();
  }
});

test('the SDK builds a spec with variables and setvariables from Workflow and funcSpec', async () => {
  const wf = new Workflow()
    .variable('n', { type: 'integer', required: true, index: true })
    .variable('twice', { type: 'integer' })
    .add(funcSpec({ func: 'double', executortype: 't-sdk', args: [{ $var: 'n' }], setvariables: { twice: '$[0]' } }))
    .add(funcSpec({ func: 'show', executortype: 't-sdk', kwargs: { v: { $var: 'twice' } }, dependencies: ['double'] }));
  const r = await client.registerWorkflowSpec('sdk', wf);
  assert.deepEqual(Object.keys(r.spec.variables), ['n', 'twice']);
  const e = await f.addExecutor('t-sdk');
  const g = await client.runWorkflow('sdk', { n: 21 });
  const [d] = await e.client.assign({ timeout: 0 });
  assert.deepEqual(d?.in, [21]);
  await e.client.close(d.processid, d.attempt, [42]);
  const [s] = await e.client.assign({ timeout: 10 });
  assert.deepEqual(s?.spec.kwargs, { v: 42 });
  assert.deepEqual(ids(await client.searchWorkflows('sdk', { vars: { n: 21 } })), [g.processgraphid]);
});
