/**
 * Fan-out over a list (`expand`): one process per element of a run variable or a parent's output,
 * their outputs collected in order for the next node; empty lists, values that are not lists, failing
 * instances, add_child inside an instance, registered specs and bad input. Driven step by step through
 * an executor's client.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { funcSpec } from '../../executor/workflow.ts';
import { MAX_EXPAND } from '../../protocol/expand.ts';
import { renderDag } from '../../cli/dag.ts';
import { graphKit, node, states, take, takeAll } from '../helpers/graphs.ts';

let f: Fixture;
before(async () => {
  f = await startFixture();
});
after(async () => {
  await f.close();
});

const { setup, graph, freshType } = graphKit(() => f, 'expand');

const refused = (p: Promise<unknown>) =>
  p.then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e as Error & { status: number },
  );

test('expand over a run variable: one process per element, the next node gets their outputs in order', async () => {
  const { e, wf } = await setup({ func: 'resize', args: ['px'], expand: { $var: 'files' } }, { func: 'merge', dependencies: ['resize'] });
  wf.variable('files', { type: 'json', required: true });
  const files = ['a.png', 'b.png', 'c.png', 'd.png', 'e.png', 'f.png'];
  const g = await f.a.userClient.submitWorkflow({ ...wf.toJSON(), variables: { files: { type: 'json', default: files } } });

  const instances = await takeAll(e, files.length);
  assert.deepEqual(
    instances.map((p) => p.spec.nodename),
    files.map((_, i) => `resize[${i}]`),
  );
  for (const [i, p] of instances.entries()) {
    assert.deepEqual(p.spec.args, ['px', files[i]], "an instance's args are the node's, then its element");
    assert.deepEqual(p.in, ['px', files[i]], 'and that is its input: the function receives its element last');
    assert.equal(p.spec.expand, undefined);
  }
  let now = await graph(g.processgraphid);
  const collector = node(now, 'resize');
  assert.equal(collector.state, 'WAITING');
  assert.equal((collector.spec as { expanded?: number }).expanded, files.length, 'the node is marked with how many it became');
  assert.deepEqual(
    collector.parents,
    instances.map((p) => p.processid),
  );
  assert.equal(now.processcount, 2 + files.length);
  assert.match(renderDag(now.processes), /resize\[\*\] ×6/, 'workflow get draws the instances as one group');

  // Closed out of order: the collector still lists their outputs in index order.
  for (const p of [...instances].reverse()) await e.close(p.processid, p.attempt, [String(p.spec.args[1]).toUpperCase()]);
  const merge = await take(e, 'merge');
  assert.deepEqual(
    merge.in,
    files.map((x) => x.toUpperCase()),
  );
  await e.close(merge.processid, merge.attempt, ['done']);
  now = await graph(g.processgraphid);
  assert.equal(now.state, 'SUCCESS');
  assert.equal(node(now, 'resize').state, 'SUCCESS');
  assert.deepEqual(
    node(now, 'resize').out,
    files.map((x) => x.toUpperCase()),
  );
  assert.equal(now.successcount, 2 + files.length);
});

test("expand over a parent's output with a path; an instance returning a list contributes each element", async () => {
  const { e, wf } = await setup(
    { func: 'list' },
    { func: 'proc', dependencies: ['list'], expand: { $output: 'list', path: '$[0].items' } },
    { func: 'join', dependencies: ['proc'] },
  );
  const g = await f.a.userClient.submitWorkflow(wf);
  const list = await take(e, 'list');
  await e.close(list.processid, list.attempt, [{ items: ['x', 'y'] }]);
  const [p0, p1] = await takeAll(e, 2);
  assert.deepEqual(p0!.in, ['x']);
  assert.deepEqual(p1!.in, ['y']);
  assert.deepEqual(p0!.parents, [list.processid], 'an instance descends from the node parents');
  const listNow = node(await graph(g.processgraphid), 'list');
  assert.deepEqual(listNow.children, [p0!.processid, p1!.processid], 'which name the instances in the node place');
  await e.close(p1!.processid, p1!.attempt, ['Y1', 'Y2']);
  await e.close(p0!.processid, p0!.attempt, ['X']);
  const join = await take(e, 'join');
  assert.deepEqual(join.in, ['X', 'Y1', 'Y2']);
  await e.close(join.processid, join.attempt, []);
  assert.equal((await graph(g.processgraphid)).state, 'SUCCESS');
});

test('an empty list: the node succeeds at once with output [] and nothing is created', async () => {
  const { e, wf } = await setup({ func: 'each', expand: { $var: 'items' } }, { func: 'after', dependencies: ['each'] });
  const g = await f.a.userClient.submitWorkflow({ ...wf.toJSON(), variables: { items: { type: 'json', default: [] } } });
  const after = await take(e, 'after');
  assert.deepEqual(after.in, []);
  await e.close(after.processid, after.attempt, []);
  const now = await graph(g.processgraphid);
  assert.deepEqual(states(now), { each: 'SUCCESS', after: 'SUCCESS' });
  assert.deepEqual(node(now, 'each').out, []);
  assert.equal(now.processcount, 2);
  assert.equal(now.state, 'SUCCESS');
});

test('a value that is not a list fails the node with a clear error; a handler may catch it', async () => {
  const { e, wf } = await setup(
    { func: 'src' },
    { func: 'each', dependencies: ['src'], expand: { $output: 'src', path: '$[0]' } },
    { func: 'catch', dependencies: ['each'], trigger: 'one_failed' },
  );
  const g = await f.a.userClient.submitWorkflow(wf);
  const src = await take(e, 'src');
  await e.close(src.processid, src.attempt, [{ not: 'a list' }]);
  const handler = await take(e, 'catch');
  await e.close(handler.processid, handler.attempt, []);
  const now = await graph(g.processgraphid);
  assert.equal(node(now, 'each').state, 'FAILED');
  assert.match(node(now, 'each').errors.at(-1)!, /^expand: \$output "src" at \$\[0\] is an object .* not a list$/);
  assert.equal(now.state, 'SUCCESS');

  // Without a handler, the graph fails; a missing path reads as nothing.
  const { e: e2, wf: wf2 } = await setup({ func: 'src' }, { func: 'each', dependencies: ['src'], expand: { $output: 'src', path: '$[0].files' } });
  const g2 = await f.a.userClient.submitWorkflow(wf2);
  const src2 = await take(e2, 'src');
  await e2.close(src2.processid, src2.attempt, [{}]);
  const now2 = await graph(g2.processgraphid);
  assert.equal(now2.state, 'FAILED');
  assert.match(node(now2, 'each').errors.at(-1)!, /is null \(nothing there\), not a list/);
});

test(`a list longer than ${MAX_EXPAND} fails the node instead of expanding`, async () => {
  const { wf } = await setup({ func: 'each', expand: { $var: 'items' } });
  const items = Array.from({ length: MAX_EXPAND + 1 }, (_, i) => i);
  const g = await f.a.userClient.submitWorkflow({ ...wf.toJSON(), variables: { items: { type: 'json', default: items } } });
  const now = await graph(g.processgraphid);
  assert.equal(now.state, 'FAILED');
  assert.equal(now.processcount, 1);
  assert.match(node(now, 'each').errors.at(-1)!, new RegExp(`holds ${MAX_EXPAND + 1} elements; at most ${MAX_EXPAND}`));
});

test('an instance that fails: the graph fails and the rest is cancelled, unless a handler catches it', async () => {
  const { e, wf } = await setup({ func: 'each', expand: { $var: 'items' } }, { func: 'next', dependencies: ['each'] });
  const g = await f.a.userClient.submitWorkflow({ ...wf.toJSON(), variables: { items: { type: 'json', default: [1, 2, 3] } } });
  const first = await take(e, 'each[0]');
  await e.fail(first.processid, first.attempt, ['bad element']);
  let now = await graph(g.processgraphid);
  assert.equal(now.state, 'FAILED');
  assert.deepEqual(states(now), { each: 'CANCELLED', next: 'CANCELLED', 'each[0]': 'FAILED', 'each[1]': 'CANCELLED', 'each[2]': 'CANCELLED' });

  // With a handler below the collector: the collector fails upstream once every instance has finished.
  const { e: e2, wf: wf2 } = await setup(
    { func: 'each', expand: { $var: 'items' } },
    { func: 'next', dependencies: ['each'] },
    { func: 'recover', dependencies: ['each'], trigger: 'one_failed' },
  );
  const g2 = await f.a.userClient.submitWorkflow({ ...wf2.toJSON(), variables: { items: { type: 'json', default: [1, 2] } } });
  const [a, b] = await takeAll(e2, 2);
  await e2.fail(a!.processid, a!.attempt, ['bad element']);
  now = await graph(g2.processgraphid);
  assert.equal(node(now, 'each').state, 'WAITING', 'the collector waits for the other instance');
  await e2.close(b!.processid, b!.attempt, [2]);
  const recover = await take(e2, 'recover');
  assert.equal((recover.in[0] as { nodename: string }).nodename, 'each');
  await e2.close(recover.processid, recover.attempt, []);
  now = await graph(g2.processgraphid);
  assert.equal(node(now, 'each').state, 'FAILED');
  assert.match(node(now, 'each').errors.at(-1)!, /trigger rule all_success failed upstream/);
  assert.equal(node(now, 'next').state, 'FAILED');
});

test('add_child inside an instance: the added process takes its place before the collector', async () => {
  const { e, wf, type } = await setup({ func: 'each', expand: { $var: 'items' } }, { func: 'sum', dependencies: ['each'] });
  const g = await f.a.userClient.submitWorkflow({ ...wf.toJSON(), variables: { items: { type: 'json', default: [1, 2] } } });
  const [i0, i1] = await takeAll(e, 2);
  await e.addChild(g.processgraphid, i0!.processid, null, funcSpec({ func: 'double', executortype: type }), 'double', true);
  await e.close(i0!.processid, i0!.attempt, [10]);
  const double = await take(e, 'double');
  assert.deepEqual(double.in, [10]);
  await e.close(double.processid, double.attempt, [20]);
  await e.close(i1!.processid, i1!.attempt, [2]);
  const sum = await take(e, 'sum');
  assert.deepEqual(sum.in, [20, 2]);
  await e.close(sum.processid, sum.attempt, [22]);
  const now = await graph(g.processgraphid);
  assert.equal(now.state, 'SUCCESS');
  assert.equal(now.processcount, 5);
});

test('a registered spec with expand, run by name with its list', async () => {
  const { e, wf } = await setup(
    { func: 'each', args: ['pre'], expand: { $var: 'order', path: '$.lines' } },
    { func: 'total', dependencies: ['each'] },
  );
  wf.variable('order', { type: 'json', required: true });
  const name = `spec-${freshType()}`;
  await f.a.userClient.registerWorkflowSpec(name, wf);
  const g = await f.a.userClient.runWorkflow(name, { order: { lines: [{ sku: 'a' }, { sku: 'b' }] } });
  const [l0, l1] = await takeAll(e, 2);
  assert.deepEqual(l0!.in, ['pre', { sku: 'a' }]);
  assert.deepEqual(l1!.in, ['pre', { sku: 'b' }]);
  await e.close(l0!.processid, l0!.attempt, [1]);
  await e.close(l1!.processid, l1!.attempt, [2]);
  const total = await take(e, 'total');
  assert.deepEqual(total.in, [1, 2]);
  await e.close(total.processid, total.attempt, []);
  assert.equal((await graph(g.processgraphid)).state, 'SUCCESS');
});

test('a false condition skips the expand node without expanding it', async () => {
  const { e, wf } = await setup({ func: 'src' }, { func: 'each', dependencies: ['src'], expand: { $output: 'src' }, when: 'size(input) > 2' });
  const g = await f.a.userClient.submitWorkflow(wf);
  const src = await take(e, 'src');
  await e.close(src.processid, src.attempt, [1, 2]);
  const now = await graph(g.processgraphid);
  assert.deepEqual(states(now), { src: 'SUCCESS', each: 'SKIPPED' });
  assert.equal(now.state, 'SUCCESS');
});

test('bad expand is refused with 400 naming the field, at submit and at registration, and nothing is stored', async () => {
  const type = freshType();
  const before = (await f.a.userClient.listProcessGraphs({ count: 1000 })).length;
  const specs = (expand: unknown, extra: Record<string, unknown> = {}) => [
    { funcname: 'a', executortype: type },
    { funcname: 'b', executortype: type, conditions: { dependencies: ['a'] }, expand, ...extra },
  ];
  const decls = { files: { type: 'json' as const }, name: { type: 'string' as const } };
  const cases: [unknown, RegExp, Record<string, unknown>?][] = [
    [{ $output: 'c' }, /functionspecs\[1\]\.expand: \$output "c" is not a dependency of "b"/],
    [{ $var: 'nope' }, /functionspecs\[1\]\.expand: variable "nope" is not declared/],
    [{ $var: 'name' }, /functionspecs\[1\]\.expand: variable "name" is a string: a list is held by a json variable/],
    [{ $var: 'files', $output: 'a' }, /functionspecs\.1\.expand.*one of them/],
    [{ $var: 'files', extra: 1 }, /functionspecs\.1\.expand\.extra/],
    [{ $var: 'files', path: 'items' }, /functionspecs\.1\.expand\.path/],
    [['files'], /functionspecs\.1\.expand/],
    [{ $var: 'files' }, /functionspecs\.1\.expand: a node of kind sleep/, { kind: 'sleep', seconds: 1, executortype: undefined }],
  ];
  for (const [expand, message, extra] of cases) {
    const err = await refused(f.a.userClient.submitWorkflow({ functionspecs: specs(expand, extra) as never, variables: decls }));
    assert.equal(err.status, 400, JSON.stringify(expand));
    assert.match(err.message, message);
    const reg = await refused(f.a.userClient.registerWorkflowSpec(`bad-${type}`, { functionspecs: specs(expand, extra) as never, variables: decls }));
    assert.equal(reg.status, 400);
    assert.match(reg.message, /expand/);
  }
  const standalone = await refused(f.a.userClient.submit({ funcname: 'x', executortype: type, expand: { $var: 'files' } }));
  assert.equal(standalone.status, 400);
  assert.match(standalone.message, /^expand: .*submit it in a workflow/);
  assert.equal((await f.a.userClient.listProcessGraphs({ count: 1000 })).length, before);
  assert.equal((await f.a.userClient.listWorkflowSpecs()).filter((s) => s.name.startsWith('bad-expand')).length, 0);
});
