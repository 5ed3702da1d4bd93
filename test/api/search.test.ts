/**
 * Search of a spec's runs by indexed variables: equality on every type, ranges on numbers and times,
 * state and time filters, paging; bad filters refused with 400 naming them. Processes by time range.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { expectError, signedAgent, type SignedAgent } from '../helpers/signed-agent.ts';
import { ManualClock, systemClock } from '../../server/clock.ts';
import { ColoniesError } from '../../executor/transport.ts';
import type { ColoniesClient } from '../../executor/client.ts';
import type { ProcessGraph } from '../../protocol/types.ts';

const A = '/colonies/colony-a';
const T0 = Date.UTC(2026, 0, 1);
let f: Fixture;
let clock: ManualClock;
let client: ColoniesClient;
let user: SignedAgent;
const runs: ProcessGraph[] = [];

before(async () => {
  clock = new ManualClock(new Date(T0));
  f = await startFixture({ clock, authClock: systemClock });
  client = f.a.userClient;
  user = signedAgent(f.url, f.a.user.prvkey);
  await client.registerWorkflowSpec('orders', {
    functionspecs: [{ funcname: 'ship', executortype: 't-search' }],
    variables: {
      customer: { type: 'string', required: true, index: true },
      total: { type: 'number', index: true, default: 0 },
      items: { type: 'integer', index: true, default: 1 },
      rush: { type: 'boolean', index: true, default: false },
      tags: { type: 'json', index: true, default: [] },
      due: { type: 'string', format: 'date-time', index: true },
      note: { type: 'string' },
    },
  });
  // Run i: customer c(i mod 3), total i * 10, due on day i; one second apart.
  for (let i = 0; i < 12; i++) {
    clock.set(new Date(T0 + i * 1000));
    const due = new Date(T0 + i * 86_400_000).toISOString();
    runs.push(
      await client.runWorkflow('orders', {
        customer: `c${i % 3}`,
        total: i * 10,
        items: i,
        rush: i % 2 === 0,
        tags: { k: [i % 2] },
        due,
        note: 'x',
      }),
    );
  }
});
after(() => f.close());

const ids = (gs: ProcessGraph[]) => gs.map((g) => runs.findIndex((r) => r.processgraphid === g.processgraphid));

test('equality on every type, newest first', async () => {
  assert.deepEqual(ids(await client.searchWorkflows('orders', { vars: { customer: 'c1' } })), [10, 7, 4, 1]);
  assert.deepEqual(ids(await client.searchWorkflows('orders', { vars: { total: 30 } })), [3]);
  assert.deepEqual(ids(await client.searchWorkflows('orders', { vars: { items: 5 } })), [5]);
  assert.deepEqual(ids(await client.searchWorkflows('orders', { vars: { rush: true, customer: 'c0' } })), [6, 0]);
  assert.deepEqual(ids(await client.searchWorkflows('orders', { vars: { tags: { k: [1] } } })), [11, 9, 7, 5, 3, 1]);
  assert.deepEqual(ids(await client.searchWorkflows('orders', { vars: { due: new Date(T0 + 2 * 86_400_000).toISOString() } })), [2]);
  assert.deepEqual(await client.searchWorkflows('orders', { vars: { customer: 'nobody' } }), []);
  assert.deepEqual(ids(await client.searchWorkflows('orders')), [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0], 'no filter: every run of the spec');
});

test('ranges on numbers and times; combined with equality, state and submission time', async () => {
  assert.deepEqual(ids(await client.searchWorkflows('orders', { ranges: { total: { gte: 30, lt: 60 } } })), [5, 4, 3]);
  assert.deepEqual(ids(await client.searchWorkflows('orders', { ranges: { items: { gt: 9 } } })), [11, 10]);
  const day = (n: number) => new Date(T0 + n * 86_400_000).toISOString();
  assert.deepEqual(ids(await client.searchWorkflows('orders', { ranges: { due: { gt: day(8), lte: day(10) } } })), [10, 9]);
  assert.deepEqual(ids(await client.searchWorkflows('orders', { vars: { customer: 'c2' }, ranges: { total: { lte: 50 } } })), [5, 2]);
  await client.cancelProcessGraph(runs[4]!.processgraphid);
  assert.deepEqual(ids(await client.searchWorkflows('orders', { vars: { customer: 'c1' }, state: 'CANCELLED' })), [4]);
  const since = new Date(T0 + 3000).toISOString();
  const until = new Date(T0 + 7000).toISOString();
  assert.deepEqual(ids(await client.searchWorkflows('orders', { vars: { customer: 'c1' }, since, until })), [4]);
  assert.deepEqual(ids(await client.searchWorkflows('orders', { since, until })), [6, 5, 4, 3]);
});

test('paging: count and offset over the matches', async () => {
  const page1 = await client.searchWorkflows('orders', { ranges: { total: { gte: 0 } }, count: 5 });
  const page2 = await client.searchWorkflows('orders', { ranges: { total: { gte: 0 } }, count: 5, offset: 5 });
  const page3 = await client.searchWorkflows('orders', { ranges: { total: { gte: 0 } }, count: 5, offset: 10 });
  assert.deepEqual([...ids(page1), ...ids(page2), ...ids(page3)], [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
});

test('bad filters are refused with 400 naming them', async () => {
  const cases: [string, RegExp][] = [
    ['var=nobody%3Dx', /variable "nobody" is not declared/],
    ['var=note%3Dx', /variable "note" is not indexed/],
    ['var=customer%3E%3Dc', /ranges are for numbers and times/],
    ['var=total%3Dmany', /"many" is not a value of its type/],
    ['var=items%3D1.5', /"1.5" is not a value of its type/],
    ['var=rush%3Dyes', /"yes"/],
    ['var=due%3Dtomorrow', /"tomorrow"/],
    ['var=customer', /not a filter/],
    ['state=LOST', /state/],
    ['since=yesterday', /since/],
    ['customer=c1', /query.customer: unknown field/],
  ];
  for (const [q, message] of cases) {
    const res = await user.get(`${A}/workflowspecs/orders/runs?${q}`);
    expectError(res, 400, 'VALIDATION_FAILED');
    assert.match((res.body as { error: { message: string } }).error.message, message, q);
  }
  try {
    await client.searchWorkflows('nope', { vars: { a: 1 } });
    assert.fail('expected SPEC_NOT_FOUND');
  } catch (err) {
    assert.ok(err instanceof ColoniesError && err.code === 'SPEC_NOT_FOUND');
  }
});

test('processes by time range', async () => {
  const all = await client.listProcesses({ executortype: 't-search', count: 100 });
  assert.equal(all.length, 12);
  const some = await client.listProcesses({ since: new Date(T0 + 2000).toISOString(), until: new Date(T0 + 4000).toISOString() });
  assert.equal(some.length, 2);
  const res = await user.get(`${A}/processes?until=soon`);
  expectError(res, 400, 'VALIDATION_FAILED');
});
