/**
 * Control flow in process graphs: conditions (CEL `conditions.when`), trigger rules, SKIPPED, failure
 * handlers, and the graph's state from its leaves. Driven step by step through an executor's client.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { processesSql } from '../../server/store/sql/processes.ts';
import { graphKit, node, states, take } from '../helpers/graphs.ts';

let f: Fixture;
before(async () => {
  f = await startFixture();
});
after(async () => {
  await f.close();
});

const { setup, graph, freshType } = graphKit(() => f, 'flow');

test('conditions.when: a false condition skips the process, and its all_success children with it', async () => {
  const { e, wf } = await setup(
    { func: 'amount' },
    { func: 'big', dependencies: ['amount'], when: 'input[0] > 100' },
    { func: 'small', dependencies: ['amount'], when: 'input[0] <= 100' },
    { func: 'after_big', dependencies: ['big'] },
  );
  const g = await f.a.userClient.submitWorkflow(wf);
  const amount = await take(e, 'amount');
  await e.close(amount.processid, amount.attempt, [250]);
  const big = await take(e, 'big');
  assert.deepEqual(big.in, [250], 'a gated process gets its parents outputs as input');
  let now = await graph(g.processgraphid);
  assert.equal(node(now, 'small').state, 'SKIPPED');
  assert.match(node(now, 'small').errors.at(-1)!, /conditions\.when "input\[0\] <= 100" is false/);
  await e.close(big.processid, big.attempt, ['shipped']);
  await take(e, 'after_big').then((p) => e.close(p.processid, p.attempt, []));
  now = await graph(g.processgraphid);
  assert.equal(now.state, 'SUCCESS', 'every leaf ended SUCCESS or SKIPPED');
  assert.deepEqual(states(now), { amount: 'SUCCESS', big: 'SUCCESS', small: 'SKIPPED', after_big: 'SUCCESS' });

  // The other branch: the plain child of a skipped process is skipped too, and the graph still succeeds.
  const g2 = await f.a.userClient.submitWorkflow(wf);
  const a2 = await take(e, 'amount');
  await e.close(a2.processid, a2.attempt, [5]);
  const small = await take(e, 'small');
  await e.close(small.processid, small.attempt, []);
  const done = await graph(g2.processgraphid);
  assert.deepEqual(states(done), { amount: 'SUCCESS', big: 'SKIPPED', small: 'SUCCESS', after_big: 'SKIPPED' });
  assert.equal(done.state, 'SUCCESS');
});

test('conditions.when reads run variables and parents by nodename; a root condition is decided at submit', async () => {
  const { e, wf } = await setup(
    { func: 'eu_only', when: 'vars.region == "eu"' },
    { func: 'check', when: 'true' },
    { func: 'route', dependencies: ['check'], when: 'outputs["check"][0].ok && states["check"] == "SUCCESS"' },
  );
  wf.variable('region', { type: 'string', required: true });
  const g = await f.a.userClient.submitWorkflow({ ...wf.toJSON(), variables: { region: { type: 'string', default: 'us' } } });
  let now = await graph(g.processgraphid);
  assert.equal(node(now, 'eu_only').state, 'SKIPPED');
  const check = await take(e, 'check');
  await e.close(check.processid, check.attempt, [{ ok: true }]);
  const route = await take(e, 'route');
  await e.close(route.processid, route.attempt, []);
  now = await graph(g.processgraphid);
  assert.equal(now.state, 'SUCCESS');
});

test('a failure handler (one_failed) runs with the failed parent errors; the failure no longer fails the graph', async () => {
  const { e, wf } = await setup(
    { func: 'charge' },
    { func: 'ship', dependencies: ['charge'] },
    { func: 'refund', dependencies: ['charge'], trigger: 'one_failed' },
  );
  const g = await f.a.userClient.submitWorkflow(wf);
  const charge = await take(e, 'charge');
  await e.fail(charge.processid, charge.attempt, ['card declined']);
  const refund = await take(e, 'refund');
  assert.equal(refund.in.length, 1);
  assert.deepEqual(refund.in[0], { nodename: 'charge', processid: charge.processid, state: 'FAILED', errors: ['card declined'] });
  let now = await graph(g.processgraphid);
  assert.equal(now.state, 'RUNNING', 'a handled failure does not end the graph');
  assert.equal(node(now, 'ship').state, 'FAILED', 'the plain child fails without running (upstream failed)');
  assert.match(node(now, 'ship').errors.at(-1)!, /parent charge failed/);
  await e.close(refund.processid, refund.attempt, ['refunded']);
  now = await graph(g.processgraphid);
  // ship is a leaf that failed: handled failures upstream do not make the graph succeed.
  assert.equal(now.state, 'FAILED');
});

test('a handler that is not needed is skipped; all_done and none_failed joins', async () => {
  const { e, wf } = await setup(
    { func: 'work' },
    { func: 'on_error', dependencies: ['work'], trigger: 'one_failed' },
    { func: 'cleanup', dependencies: ['work', 'on_error'], trigger: 'all_done' },
    { func: 'report', dependencies: ['on_error'], trigger: 'none_failed' },
  );
  const g = await f.a.userClient.submitWorkflow(wf);
  const work = await take(e, 'work');
  await e.close(work.processid, work.attempt, [1]);
  const cleanup = await take(e, 'cleanup');
  assert.deepEqual(cleanup.in, [1], 'a skipped parent gives nothing');
  await e.close(cleanup.processid, cleanup.attempt, []);
  const report = await take(e, 'report');
  await e.close(report.processid, report.attempt, []);
  const now = await graph(g.processgraphid);
  assert.deepEqual(states(now), { work: 'SUCCESS', on_error: 'SKIPPED', cleanup: 'SUCCESS', report: 'SUCCESS' });
  assert.equal(now.state, 'SUCCESS');
  assert.equal(now.successcount, 3);
});

test('a handled failure: the graph succeeds when its leaves do', async () => {
  const { e, wf } = await setup({ func: 'risky' }, { func: 'recover', dependencies: ['risky'], trigger: 'all_done' });
  const g = await f.a.userClient.submitWorkflow(wf);
  const risky = await take(e, 'risky');
  await e.fail(risky.processid, risky.attempt, ['boom']);
  const recover = await take(e, 'recover');
  await e.close(recover.processid, recover.attempt, ['ok']);
  const now = await graph(g.processgraphid);
  assert.deepEqual(states(now), { risky: 'FAILED', recover: 'SUCCESS' });
  assert.equal(now.state, 'SUCCESS');
});

test('an unhandled failure behaves as before: the graph fails and the rest is cancelled', async () => {
  const { e, wf } = await setup({ func: 'a' }, { func: 'b' }, { func: 'c', dependencies: ['a'], when: 'true' });
  const g = await f.a.userClient.submitWorkflow(wf);
  const first = await take(e, 'a');
  await e.fail(first.processid, first.attempt, ['nope']);
  const now = await graph(g.processgraphid);
  assert.equal(now.state, 'FAILED');
  assert.deepEqual(states(now), { a: 'FAILED', b: 'CANCELLED', c: 'CANCELLED' });
});

test('a condition that fails to evaluate fails the process (a handler may catch it)', async () => {
  const { e, wf } = await setup(
    { func: 'src' },
    { func: 'odd', dependencies: ['src'], when: 'input[0].missing > 1' },
    { func: 'catch', dependencies: ['odd'], trigger: 'one_failed' },
  );
  const g = await f.a.userClient.submitWorkflow(wf);
  const src = await take(e, 'src');
  await e.close(src.processid, src.attempt, [{ present: 1 }]);
  const handler = await take(e, 'catch');
  assert.match(JSON.stringify(handler.in), /conditions\.when/);
  await e.close(handler.processid, handler.attempt, []);
  const now = await graph(g.processgraphid);
  assert.equal(node(now, 'odd').state, 'FAILED');
  assert.equal(now.state, 'SUCCESS');
});

test('bad control flow is refused with 400 naming the field, and nothing is stored', async () => {
  const type = freshType();
  const before = (await f.a.userClient.listProcessGraphs({ count: 1000 })).length;
  const bad = async (spec: Record<string, unknown>, field: RegExp) => {
    const err = await f.a.userClient
      .submitWorkflow({
        functionspecs: [
          { funcname: 'a', executortype: type },
          { funcname: 'b', executortype: type, ...spec },
        ],
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    assert.ok(err, `expected ${JSON.stringify(spec)} to be refused`);
    assert.equal((err as { status: number }).status, 400);
    assert.match((err as Error).message, field);
  };
  await bad({ conditions: { dependencies: ['a'], when: 'input[0] >' } }, /functionspecs\.1\.conditions\.when.*CEL/);
  await bad({ conditions: { dependencies: ['a'], trigger: 'sometimes' } }, /functionspecs\.1\.conditions\.trigger/);
  await bad({ conditions: { trigger: 'one_failed' } }, /functionspecs\[1\]\.conditions\.trigger.*needs dependencies/);
  const standalone = await f.a.userClient.submit({ funcname: 'x', executortype: type, conditions: { dependencies: [], when: 'true' } }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.equal((standalone as { status: number }).status, 400);
  assert.match((standalone as Error).message, /conditions\.when/);
  assert.equal((await f.a.userClient.listProcessGraphs({ count: 1000 })).length, before);
});

test('a gate left due by a crash between a close and its decision is decided by the sweep', async () => {
  const { e, wf } = await setup({ func: 'first' }, { func: 'second', dependencies: ['first'], when: 'input[0] == 7' });
  const g = await f.a.userClient.submitWorkflow(wf);
  const first = await take(e, 'first');
  // The close statement alone, as a server that died before deciding the gates it made due.
  const executorid = first.assignedexecutorid!;
  const closed = await processesSql.close(
    f.server.db,
    [{ processid: first.processid, colonyname: f.a.colonyname, executorid, attempt: first.attempt, out: [7] }],
    new Date(),
  );
  assert.equal(closed.gates.length, 1);
  assert.equal(node(await graph(g.processgraphid), 'second').ready, false, 'undecided: not ready');
  const swept = await f.server.services.processes.expireDeadlines();
  assert.equal(swept.gates, 1);
  await take(e, 'second').then((p) => e.close(p.processid, p.attempt, []));
  assert.equal((await graph(g.processgraphid)).state, 'SUCCESS');
});

test('a registered spec is refused for control flow that cannot work, naming the field', async () => {
  const type = freshType();
  const register = (functionspecs: unknown[]) =>
    f.a.userClient.registerWorkflowSpec('flow-bad', { functionspecs } as never).then(
      () => undefined,
      (e: unknown) => e as Error & { status: number },
    );
  let err = await register([{ funcname: 'a', executortype: type, conditions: { trigger: 'one_failed' } }]);
  assert.equal(err?.status, 400);
  assert.match(err.message, /functionspecs\[0\]\.conditions\.trigger: trigger rule one_failed needs dependencies/);
  err = await register([{ funcname: 'a', executortype: type, conditions: { when: 'vars.x ==' } }]);
  assert.equal(err?.status, 400);
  assert.match(err.message, /conditions\.when.*CEL/);
});
