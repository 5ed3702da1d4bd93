/** Server-side filters and paging of the process and graph lists (the dashboard and CLI page through them). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import type { ColoniesError } from '../../executor/transport.ts';

let f: Fixture;
before(async () => {
  f = await startFixture();
  const c = f.a.userClient;
  for (let i = 0; i < 7; i++)
    await c.submit({ funcname: i % 2 ? 'odd' : 'even', nodename: `n${i}`, label: i < 3 ? 'first' : '', executortype: 'lister' });
  await c.submitWorkflow([
    { funcname: 'fetch', executortype: 'lister', label: 'etl' },
    { funcname: 'load', executortype: 'lister', conditions: { dependencies: ['fetch'] } },
  ]);
  await c.submitWorkflow({ name: 'nightly-train', functionspecs: [{ funcname: 'train', executortype: 'lister' }] });
});
after(() => f.close());

test('processes filter by funcname, nodename and label, and page with offset', async () => {
  const c = f.a.userClient;
  assert.deepEqual(
    (await c.listProcesses({ funcname: 'odd', count: 100 })).map((p) => p.spec.nodename),
    ['n5', 'n3', 'n1'],
  );
  assert.deepEqual(
    (await c.listProcesses({ nodename: 'n4' })).map((p) => p.spec.funcname),
    ['even'],
  );
  assert.equal((await c.listProcesses({ label: 'first' })).length, 3);
  const all = await c.listProcesses({ executortype: 'lister', count: 100 });
  assert.equal(all.length, 10);
  const pages = [];
  for (let offset = 0; offset < 10; offset += 4) pages.push(...(await c.listProcesses({ executortype: 'lister', count: 4, offset })));
  assert.deepEqual(
    pages.map((p) => p.processid),
    all.map((p) => p.processid),
    'pages concatenate to the whole list, newest first, without gaps or repeats',
  );
  await assert.rejects(c.listProcesses({ offset: -1 }), (e: ColoniesError) => e.code === 'VALIDATION_FAILED');
});

test("a process list names each process's run; a standalone process carries no run name", async () => {
  const c = f.a.userClient;
  const [train] = await c.listProcesses({ funcname: 'train' });
  assert.equal(train?.runname, 'nightly-train');
  const [load] = await c.listProcesses({ funcname: 'load' });
  assert.equal(load?.runname, '', 'an unnamed run lists with an empty name');
  const standalone = await c.listProcesses({ funcname: 'odd', count: 100 });
  assert.ok(standalone.length === 3 && standalone.every((p) => !('runname' in p)), JSON.stringify(standalone));
  assert.ok(!('runname' in (await c.getProcess(train.processid))), 'a single process is read without it');
});

test('graphs filter by the names of their processes, and page with offset', async () => {
  const c = f.a.userClient;
  const etl = await c.listProcessGraphs({ funcname: 'load' });
  assert.equal(etl.length, 1);
  assert.deepEqual(
    (await c.listProcessGraphs({ label: 'etl' })).map((g) => g.processgraphid),
    [etl[0]!.processgraphid],
  );
  assert.deepEqual(
    (await c.listProcessGraphs({ nodename: 'fetch' })).map((g) => g.processgraphid),
    [etl[0]!.processgraphid],
  );
  assert.equal((await c.listProcessGraphs({ funcname: 'nothing-like-this' })).length, 0);
  const all = await c.listProcessGraphs();
  assert.equal(all.length, 2);
  const [first] = await c.listProcessGraphs({ count: 1 });
  const [second] = await c.listProcessGraphs({ count: 1, offset: 1 });
  assert.deepEqual(
    [first!.processgraphid, second!.processgraphid],
    all.map((g) => g.processgraphid),
  );
  assert.equal((await f.b.userClient.listProcessGraphs({ funcname: 'load' })).length, 0, "another colony's graphs never match");
});
