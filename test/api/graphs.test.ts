/** HTTP API: process graph routes — submit, read, list, find by nodename, cancel, remove, add children. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { expectError, issuePaths, signedAgent, type SignedAgent } from '../helpers/signed-agent.ts';
import { generateKeyPair, randomId } from '../../protocol/crypto.ts';
import { LIMITS } from '../../protocol/schemas.ts';
import type { ColonyStats, Process, ProcessGraph, ProcessGraphWithProcesses, Submitted } from '../../protocol/types.ts';
import { ColoniesClient } from '../../executor/client.ts';

const A = '/colonies/colony-a';
const GRAPH_KEYS = [
  'colonyname',
  'cronname',
  'endtime',
  'errors',
  'initiatorid',
  'initiatorname',
  'name',
  'processcount',
  'processgraphid',
  'specname',
  'specversion',
  'starttime',
  'state',
  'submissiontime',
  'successcount',
];

let f: Fixture;
let user: SignedAgent;

before(async () => {
  f = await startFixture();
  user = signedAgent(f.url, f.a.user.prvkey);
});
after(() => f.close());

const spec = (nodename: string, executortype: string, ...dependencies: string[]) => ({
  nodename,
  funcname: nodename,
  executortype,
  conditions: { dependencies },
});

async function submitGraph(body: unknown): Promise<ProcessGraph> {
  return (await user.post(`${A}/processgraphs`, body).expect(201)).body as ProcessGraph;
}

async function getGraph(id: string): Promise<ProcessGraphWithProcesses> {
  return (await user.get(`${A}/processgraphs/${id}`).expect(200)).body as ProcessGraphWithProcesses;
}

async function worker(type: string): Promise<{ agent: SignedAgent; id: string }> {
  const e = await f.addExecutor(type);
  return { agent: signedAgent(f.url, e.key.prvkey), id: e.key.id };
}

async function assignOne(w: { agent: SignedAgent }): Promise<Process> {
  const list = ((await w.agent.post(`${A}/processes/assign`, { timeout: 0 }).expect(200)).body as { processes: Process[] }).processes;
  assert.equal(list.length, 1);
  return list[0]!;
}

async function stats(): Promise<ColonyStats> {
  return (await user.get(`${A}/stats`).expect(200)).body as ColonyStats;
}

test('submit answers 201 with the WAITING graph; get returns it with its processes in order', async () => {
  const { warnings, ...g } = (await submitGraph({
    functionspecs: [spec('a', 't-sub'), spec('b', 't-sub', 'a'), spec('c', 't-sub', 'a', 'b')],
  })) as Submitted<ProcessGraph>;
  // No executor declared the functions: accepted all the same, with one warning per (type, function).
  assert.deepEqual(warnings, ['no executor serves a on t-sub yet', 'no executor serves b on t-sub yet', 'no executor serves c on t-sub yet']);
  assert.deepEqual(Object.keys(g).sort(), [...GRAPH_KEYS, 'processids', 'variables'].sort());
  assert.match(g.processgraphid, /^[0-9a-f]{64}$/);
  assert.equal(g.colonyname, 'colony-a');
  assert.equal(g.state, 'WAITING');
  assert.equal(g.initiatorid, f.a.user.id);
  assert.deepEqual([g.processcount, g.successcount], [3, 0]);
  assert.deepEqual([g.starttime, g.endtime, g.errors], [null, null, []]);
  assert.equal(g.processids!.length, 3);

  const full = await getGraph(g.processgraphid);
  assert.deepEqual({ ...full, processes: undefined }, { ...g, processes: undefined });
  const [a, b, c] = full.processes;
  assert.deepEqual(
    full.processes.map((p) => [p.spec.nodename, p.processid, p.processgraphid, p.state, p.ready]),
    [
      ['a', g.processids![0], g.processgraphid, 'WAITING', true],
      ['b', g.processids![1], g.processgraphid, 'WAITING', false],
      ['c', g.processids![2], g.processgraphid, 'WAITING', false],
    ],
  );
  assert.deepEqual([a!.parents, b!.parents, c!.parents], [[], [a!.processid], [a!.processid, b!.processid]]);
  assert.deepEqual([a!.children, b!.children, c!.children], [[b!.processid, c!.processid], [c!.processid], []]);

  // The CLI's bare array form is the same workflow.
  const bare = await submitGraph([spec('x', 't-sub')]);
  assert.equal(bare.processcount, 1);
});

test('submit refuses bad workflows with precise codes and writes nothing', async () => {
  const before = await stats();
  const cycle = expectError(
    await user.post(`${A}/processgraphs`, { functionspecs: [spec('a', 't', 'b'), spec('b', 't', 'a'), spec('c', 't')] }),
    400,
    'DEPENDENCY_CYCLE',
  ) as { cycle: string[] };
  assert.deepEqual(new Set(cycle.cycle), new Set(['a', 'b']));
  assert.equal(cycle.cycle.length, 3);
  assert.equal(cycle.cycle[0], cycle.cycle[2]);
  assert.deepEqual(expectError(await user.post(`${A}/processgraphs`, [spec('a', 't'), spec('b', 't', 'ghost')]), 400, 'UNKNOWN_DEPENDENCY'), {
    nodename: 'b',
    dependency: 'ghost',
  });
  assert.deepEqual(expectError(await user.post(`${A}/processgraphs`, [spec('a', 't'), spec('a', 't')]), 400, 'DUPLICATE_NODENAME'), {
    nodename: 'a',
  });
  const invalid: [unknown, string[]][] = [
    [{ functionspecs: [spec('a', 't'), { nodename: 'b', funcname: 'b' }] }, ['body.functionspecs.1.executortype']],
    [[spec('a', 't'), { ...spec('b', 't'), priority: 'high' }], ['body.1.priority']],
    [{}, ['body.functionspecs']],
    [{ functionspecs: [] }, ['body.functionspecs']],
    [{ functionspecs: Array.from({ length: LIMITS.maxWorkflowSpecs + 1 }, (_, i) => spec(`n${i}`, 't')) }, ['body.functionspecs']],
  ];
  for (const [body, paths] of invalid) {
    const d = expectError(await user.post(`${A}/processgraphs`, body), 400, 'VALIDATION_FAILED');
    assert.deepEqual(issuePaths(d), paths);
  }
  expectError(await user.post(`${A}/processgraphs`, 5), 400, 'VALIDATION_FAILED');
  expectError(await user.post(`${A}/processgraphs`, undefined, { raw: '[{"funcname": "a"' }), 400, 'MALFORMED_JSON');
  assert.deepEqual(await stats(), before);
});

test('get: unknown id is PROCESSGRAPH_NOT_FOUND, malformed id VALIDATION_FAILED on path.id', async () => {
  expectError(await user.get(`${A}/processgraphs/${randomId()}`), 404, 'PROCESSGRAPH_NOT_FOUND');
  assert.deepEqual(issuePaths(expectError(await user.get(`${A}/processgraphs/xyz`), 400, 'VALIDATION_FAILED')), ['path.id']);
});

test('list: by state, newest first, count capped; items carry no processes', async () => {
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push((await submitGraph([spec('a', 't-list')])).processgraphid);
  await user.post(`${A}/processgraphs/${ids[1]}/cancel`).expect(200);
  const list = async (q: string) => ((await user.get(`${A}/processgraphs?${q}`).expect(200)).body as ProcessGraph[]).map((g) => g.processgraphid);

  const all = (await user.get(`${A}/processgraphs`).expect(200)).body as ProcessGraph[];
  assert.deepEqual(Object.keys(all[0]!).sort(), GRAPH_KEYS);
  assert.ok(all.every((g) => g.colonyname === 'colony-a'));
  const times = all.map((g) => g.submissiontime);
  assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
  const mine = all.map((g) => g.processgraphid).filter((id) => ids.includes(id));
  assert.deepEqual(mine, [...ids].reverse());

  assert.deepEqual(await list('state=CANCELLED'), [ids[1]]);
  assert.ok(!(await list('state=WAITING')).includes(ids[1]!));
  assert.equal((await list('count=2')).length, 2);
  for (const [q, path] of [
    [`count=${LIMITS.maxListCount + 1}`, 'query.count'],
    ['count=0', 'query.count'],
    ['state=NOPE', 'query.state'],
  ] as const) {
    assert.deepEqual(issuePaths(expectError(await user.get(`${A}/processgraphs?${q}`), 400, 'VALIDATION_FAILED')), [path], q);
  }
});

test('find a process by nodename', async () => {
  const g = await submitGraph([spec('first', 't-node'), spec('second', 't-node', 'first')]);
  const p = (await user.get(`${A}/processgraphs/${g.processgraphid}/nodes/second`).expect(200)).body as Process;
  assert.equal(p.processid, g.processids![1]);
  assert.equal(p.spec.nodename, 'second');
  expectError(await user.get(`${A}/processgraphs/${g.processgraphid}/nodes/third`), 404, 'PROCESS_NOT_FOUND');
  expectError(await user.get(`${A}/processgraphs/${randomId()}/nodes/second`), 404, 'PROCESSGRAPH_NOT_FOUND');
});

test('cancel: the graph and its waiting processes become CANCELLED; twice is PROCESS_FINISHED', async () => {
  const g = await submitGraph([spec('a', 't-cancel'), spec('b', 't-cancel', 'a')]);
  const res = await user.post(`${A}/processgraphs/${g.processgraphid}/cancel`).expect(200);
  const c = res.body as ProcessGraph;
  assert.equal(c.state, 'CANCELLED');
  assert.ok(c.endtime);
  assert.equal(c.errors.length, 1);
  const full = await getGraph(g.processgraphid);
  assert.deepEqual(
    full.processes.map((p) => p.state),
    ['CANCELLED', 'CANCELLED'],
  );
  expectError(await user.post(`${A}/processgraphs/${g.processgraphid}/cancel`), 409, 'PROCESS_FINISHED');
  assert.deepEqual(await getGraph(g.processgraphid), full);
  expectError(await user.post(`${A}/processgraphs/${randomId()}/cancel`), 404, 'PROCESSGRAPH_NOT_FOUND');
});

test('remove: a RUNNING graph needs force, and its processes go with it', async () => {
  const w = await worker('t-rm');
  const running = await submitGraph([spec('a', 't-rm'), spec('b', 't-rm', 'a')]);
  await assignOne(w);
  const before = await getGraph(running.processgraphid);
  assert.equal(before.state, 'RUNNING');

  expectError(await user.delete(`${A}/processgraphs/${running.processgraphid}`), 409, 'PROCESS_IS_RUNNING');
  assert.deepEqual(issuePaths(expectError(await user.delete(`${A}/processgraphs/${running.processgraphid}?force=1`), 400, 'VALIDATION_FAILED')), [
    'query.force',
  ]);
  assert.deepEqual(await getGraph(running.processgraphid), before);

  const removed = await user.delete(`${A}/processgraphs/${running.processgraphid}?force=true`).expect(204);
  assert.equal(removed.text, '');
  expectError(await user.get(`${A}/processgraphs/${running.processgraphid}`), 404, 'PROCESSGRAPH_NOT_FOUND');
  for (const id of running.processids!) expectError(await user.get(`${A}/processes/${id}`), 404, 'PROCESS_NOT_FOUND');

  const waiting = await submitGraph([spec('a', 't-rm-w')]);
  await user.delete(`${A}/processgraphs/${waiting.processgraphid}`).expect(204);
  expectError(await user.delete(`${A}/processgraphs/${waiting.processgraphid}`), 404, 'PROCESSGRAPH_NOT_FOUND');
});

test('remove all: by state, never RUNNING', async () => {
  const owner = generateKeyPair();
  await f.serverClient.addColony('c-grm', owner.id);
  const oc = new ColoniesClient({ url: f.url, prvkey: owner.prvkey, colonyname: 'c-grm' });
  const agent = signedAgent(f.url, owner.prvkey);
  const C = '/colonies/c-grm';
  const ek = generateKeyPair();
  await oc.addExecutor({ executorname: 'w', executorid: ek.id, executortype: 'w' });
  await oc.approveExecutor('w');
  await oc.submitWorkflow([spec('a', 'w')]);
  await oc.withKey(ek.prvkey).assign({ timeout: 0 }); // RUNNING
  await oc.submitWorkflow([spec('a', 'other')]); // WAITING
  const c1 = await oc.submitWorkflow([spec('a', 'other')]);
  const c2 = await oc.submitWorkflow([spec('a', 'other')]);
  await oc.cancelProcessGraph(c1.processgraphid);
  await oc.cancelProcessGraph(c2.processgraphid);
  const counts = async () => (await oc.stats()).processgraphs;
  const expected = { WAITING: 1, RUNNING: 1, SUCCESS: 0, FAILED: 0, CANCELLED: 2, SKIPPED: 0, HALTED: 0 };
  assert.deepEqual(await counts(), expected);

  // Removing every graph is the owner's alone: a user and the approved executor are refused, and nothing goes.
  const uk = generateKeyPair();
  await oc.addUser('u', uk.id);
  for (const [who, other] of [
    ['user', signedAgent(f.url, uk.prvkey)],
    ['executor', signedAgent(f.url, ek.prvkey)],
  ] as const) {
    for (const path of [`${C}/processgraphs`, `${C}/processgraphs?state=CANCELLED`]) {
      const res = await other.delete(path);
      expectError(res, 403, 'FORBIDDEN');
      assert.equal((res.body as { error: { message: string } }).error.message, 'only the owner of colony "c-grm" may do this', who);
    }
  }
  assert.deepEqual(await counts(), expected);

  expectError(await agent.delete(`${C}/processgraphs?state=RUNNING`), 400, 'VALIDATION_FAILED');
  assert.deepEqual(issuePaths(expectError(await agent.delete(`${C}/processgraphs?state=x`), 400, 'VALIDATION_FAILED')), ['query.state']);
  assert.deepEqual(await counts(), expected);
  assert.deepEqual((await agent.delete(`${C}/processgraphs?state=CANCELLED`).expect(200)).body, { removed: 2 });
  assert.deepEqual(await counts(), { ...expected, CANCELLED: 0 });
  assert.deepEqual((await agent.delete(`${C}/processgraphs`).expect(200)).body, { removed: 1 });
  assert.deepEqual(await counts(), { ...expected, CANCELLED: 0, WAITING: 0 });
  assert.deepEqual((await oc.stats()).processes.WAITING, 0, "the removed graphs' processes are gone");
  // One graph is any member's to remove.
  const [running] = await oc.listProcessGraphs({ state: 'RUNNING' });
  await signedAgent(f.url, uk.prvkey).delete(`${C}/processgraphs/${running!.processgraphid}?force=true`).expect(204);
  assert.deepEqual(await counts(), { ...expected, CANCELLED: 0, WAITING: 0, RUNNING: 0 });
  await f.serverClient.removeColony('c-grm');
});

test('add children: only the executor running the parent; refused changes leave the graph as it was', async () => {
  const w = await worker('t-child');
  const other = await worker('t-child');
  const g = await submitGraph([spec('a', 't-child'), spec('b', 't-child', 'a')]);
  const other_g = await submitGraph([spec('z', 't-child-other')]);
  const [aId, bId] = g.processids as [string, string];
  const parent = await assignOne(w);
  assert.equal(parent.processid, aId);
  const url = `${A}/processgraphs/${g.processgraphid}/children`;
  const child = (nodename: string, extra: Record<string, unknown> = {}) => ({
    parentprocessid: aId,
    spec: { funcname: 'fn', executortype: 't-child' },
    nodename,
    ...extra,
  });

  const before = await getGraph(g.processgraphid);
  expectError(await other.agent.post(url, child('c')), 409, 'INVALID_GRAPH_CHANGE');
  expectError(await w.agent.post(url, child('c', { parentprocessid: randomId() })), 404, 'PROCESS_NOT_FOUND');
  expectError(await w.agent.post(url, child('c', { parentprocessid: other_g.processids![0] })), 404, 'PROCESS_NOT_FOUND');
  expectError(await w.agent.post(`${A}/processgraphs/${other_g.processgraphid}/children`, child('c')), 404, 'PROCESS_NOT_FOUND');
  expectError(await w.agent.post(url, child('b')), 409, 'ALREADY_EXISTS');
  const invalid: [unknown, string[]][] = [
    [{ parentprocessid: aId, nodename: 'c' }, ['body.spec']],
    [child('c', { parentprocessid: 'nope' }), ['body.parentprocessid']],
    [child('c', { spec: { funcname: 'fn' } }), ['body.spec.executortype']],
    [child('c', { insert: 'yes' }), ['body.insert']],
    [child('c', { childprocessid: 'nope' }), ['body.childprocessid']],
  ];
  for (const [body, paths] of invalid) {
    assert.deepEqual(issuePaths(expectError(await w.agent.post(url, body), 400, 'VALIDATION_FAILED')), paths, JSON.stringify(body));
  }
  assert.deepEqual(await getGraph(g.processgraphid), before, 'refused add_child changed nothing');

  // insert=false: a new child of the parent.
  const c = (await w.agent.post(url, child('c')).expect(201)).body as Process;
  assert.equal(c.spec.nodename, 'c');
  assert.equal(c.processgraphid, g.processgraphid);
  assert.deepEqual(c.parents, [aId]);
  assert.deepEqual([c.state, c.ready], ['WAITING', false]);
  // insert=false with childprocessid: also an extra parent of b.
  const d = (await w.agent.post(url, child('d', { childprocessid: bId })).expect(201)).body as Process;
  assert.deepEqual(d.children, [bId]);
  // Batch: one transaction, answers the new processes in order.
  const batch = await w.agent
    .post(`${url}/batch`, {
      parentprocessid: aId,
      children: [
        { spec: { funcname: 'fn', executortype: 't-child' }, nodename: 'e' },
        { spec: { funcname: 'fn', executortype: 't-child' }, nodename: 'f' },
      ],
    })
    .expect(201);
  assert.deepEqual(
    (batch.body as Process[]).map((p) => p.spec.nodename),
    ['e', 'f'],
  );
  assert.deepEqual(issuePaths(expectError(await w.agent.post(`${url}/batch`, { parentprocessid: aId, children: [] }), 400, 'VALIDATION_FAILED')), [
    'body.children',
  ]);
  expectError(
    await other.agent.post(`${url}/batch`, { parentprocessid: aId, children: [{ spec: { funcname: 'fn', executortype: 't' } }] }),
    409,
    'INVALID_GRAPH_CHANGE',
  );

  const after = await getGraph(g.processgraphid);
  assert.equal(after.processcount, 6);
  const byName = new Map(after.processes.map((p) => [p.spec.nodename, p]));
  assert.deepEqual(byName.get('a')!.children, [bId, c.processid, d.processid, ...(batch.body as Process[]).map((p) => p.processid)]);
  assert.deepEqual(byName.get('b')!.parents, [aId, d.processid]);

  // Once the parent has closed, its children are fixed.
  await w.agent.post(`${A}/processes/${aId}/close`, { attempt: 1, out: [7] }).expect(204);
  expectError(await w.agent.post(url, child('g')), 409, 'INVALID_GRAPH_CHANGE');
  const cAfter = (await user.get(`${A}/processes/${c.processid}`).expect(200)).body as Process;
  assert.deepEqual([cAfter.ready, cAfter.in], [true, [7]]);
});

test('assign with closes: a child the closes make ready comes in the same reply, with its input; graphs start and finish', async () => {
  const w = await worker('t-handin');
  const chain = await submitGraph([spec('a', 't-handin'), spec('b', 't-handin', 'a')]);
  const other = await submitGraph([spec('x', 't-handin')]);
  const cycle = async (closes: { processid: string; attempt: number; out: unknown[] }[]) =>
    (await w.agent.post(`${A}/processes/assign`, { timeout: 0, count: 1, closes }).expect(200)).body as {
      processes: Process[];
      closed: string[];
    };
  const a = await assignOne(w);
  assert.equal(a.spec.nodename, 'a');
  // a's close and the claim of x (the other graph's only process) share one statement: x's graph starts.
  const first = await cycle([{ processid: a.processid, attempt: a.attempt, out: [1, 2] }]);
  assert.deepEqual(first.closed, [a.processid]);
  // Queue order: b became ready after x was submitted, so x comes first...
  assert.deepEqual(
    first.processes.map((p) => p.spec.nodename),
    ['x'],
  );
  assert.equal((await getGraph(other.processgraphid)).state, 'RUNNING');
  const x = first.processes[0]!;
  // ...and closing x hands out b, ready since a closed, with a's output as its input.
  const second = await cycle([{ processid: x.processid, attempt: x.attempt, out: [] }]);
  assert.equal((await getGraph(other.processgraphid)).state, 'SUCCESS');
  assert.deepEqual(
    second.processes.map((p) => [p.spec.nodename, p.in]),
    [['b', [1, 2]]],
  );
  // A child made ready by the very closes of a request is claimed by that request too (no second round trip).
  const chain2 = await submitGraph([spec('c', 't-handin'), spec('d', 't-handin', 'c')]);
  const b = second.processes[0]!;
  const third = await cycle([{ processid: b.processid, attempt: b.attempt, out: [] }]);
  assert.equal((await getGraph(chain.processgraphid)).state, 'SUCCESS');
  assert.deepEqual(
    third.processes.map((p) => p.spec.nodename),
    ['c'],
  );
  const c = third.processes[0]!;
  const fourth = await cycle([{ processid: c.processid, attempt: c.attempt, out: ['c'] }]);
  assert.deepEqual(
    fourth.processes.map((p) => [p.spec.nodename, p.in]),
    [['d', ['c']]],
  );
  assert.equal((await getGraph(chain2.processgraphid)).state, 'RUNNING');
});
