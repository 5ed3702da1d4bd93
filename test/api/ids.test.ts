/** HTTP API: short ids — GET …/ids/:prefix completes a prefix to the colony's process and graph ids that start with it. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { expectError, issuePaths, signedAgent } from '../helpers/signed-agent.ts';
import { addGraphWithId, addProcessWithId, idWithPrefix } from '../helpers/chosen-ids.ts';

const A = '/colonies/colony-a';
let f: Fixture;
before(async () => {
  f = await startFixture();
});
after(() => f.close());

test('a prefix answers the processes and graphs whose id starts with it, described', async () => {
  const p = await f.a.userClient.submit({ funcname: 'sum', executortype: 'ids-type', nodename: 'total' });
  const g = await f.a.userClient.submitWorkflow({ name: 'orders-1', functionspecs: [{ nodename: 'n1', funcname: 'f', executortype: 'ids-type' }] });
  const byProcess = await f.a.userClient.findIds(p.processid.slice(0, 6));
  assert.equal(byProcess.prefix, p.processid.slice(0, 6));
  assert.deepEqual(byProcess.matches, [
    {
      kind: 'process',
      id: p.processid,
      state: 'WAITING',
      submissiontime: p.submissiontime,
      funcname: 'sum',
      nodename: 'total',
      processgraphid: null,
    },
  ]);
  const byGraph = await f.a.userClient.findIds(g.processgraphid.slice(0, 10));
  assert.deepEqual(byGraph.matches, [
    { kind: 'processgraph', id: g.processgraphid, state: 'WAITING', submissiontime: g.submissiontime, name: 'orders-1', processcount: 1 },
  ]);
  // The whole id is a prefix of itself.
  assert.deepEqual(
    (await f.a.userClient.findIds(p.processid)).matches.map((m) => m.id),
    [p.processid],
  );
  // Colony B's members do not complete colony A's ids.
  assert.deepEqual((await f.b.userClient.findIds(p.processid.slice(0, 6))).matches, []);
});

test('a prefix shorter than 6 characters, longer than an id or not lowercase hex is a 400 naming the field', async () => {
  const user = signedAgent(f.url, f.a.user.prvkey);
  for (const [prefix, message] of [
    ['3f2a9', /at least 6 characters/],
    ['3F2A9C', /lowercase hex/],
    ['3f2a9z', /lowercase hex/],
    ['a'.repeat(65), /at most the whole id/],
  ] as const) {
    const res = await user.get(`${A}/ids/${prefix}`);
    const details = expectError(res, 400, 'VALIDATION_FAILED');
    assert.deepEqual(issuePaths(details), ['path.prefix'], prefix);
    const { message: text } = (res.body as { error: { message: string } }).error;
    assert.match(text, /path\.prefix/, `the message names the field: ${text}`);
    assert.match(text, message);
  }
});

test('the answer holds at most 10 ids of each kind, in id order', async () => {
  const shared = idWithPrefix('abcdef').slice(0, 8);
  const processes = Array.from({ length: 12 }, () => idWithPrefix(shared)).sort();
  const graphs = Array.from({ length: 11 }, () => idWithPrefix(shared)).sort();
  for (const id of processes) await addProcessWithId(f, f.a, id);
  for (const [i, id] of graphs.entries()) await addGraphWithId(f, f.a, id, `run-${i}`);
  const r = await f.a.userClient.findIds(shared);
  assert.deepEqual(
    r.matches.filter((m) => m.kind === 'process').map((m) => m.id),
    processes.slice(0, 10),
  );
  assert.deepEqual(
    r.matches.filter((m) => m.kind === 'processgraph').map((m) => m.id),
    graphs.slice(0, 10),
  );
});
