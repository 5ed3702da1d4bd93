/**
 * Data flow through process graphs, end to end through the SDK: a child's input is the concatenation
 * of its parents' outputs in dependency order (roots get their args), whatever order the parents finish in.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { funcSpec, Workflow } from '../../executor/workflow.ts';
import type { ExecutionContext } from '../../executor/executor.ts';
import { prng, serve } from './serve.ts';

let f: Fixture;
before(async () => {
  f = await startFixture();
});
after(async () => {
  await f.close();
});

const byNode = <T extends { spec: { nodename: string } }>(ps: T[], name: string): T => {
  const p = ps.find((x) => x.spec.nodename === name);
  assert.ok(p, `no process ${name}`);
  return p;
};

test('two steps: gen_nums → (1, 2) → sum_nums = 3', async () => {
  const type = 'two-step';
  const ex = await serve(f, type, {
    gen_nums: () => [1, 2],
    sum_nums: (_ctx: ExecutionContext, a: number, b: number) => a + b,
  });
  try {
    const wf = new Workflow()
      .add(funcSpec({ func: 'gen_nums', executortype: type }))
      .add(funcSpec({ func: 'sum_nums', executortype: type, dependencies: ['gen_nums'] }));
    const g = await f.a.userClient.submitWorkflow(wf);
    assert.equal(g.state, 'WAITING');
    assert.equal(g.processcount, 2);
    const done = await f.a.userClient.waitForProcessGraph(g.processgraphid, 20_000);
    assert.equal(done.state, 'SUCCESS');
    assert.equal(done.successcount, 2);
    assert.ok(done.starttime && done.endtime, 'start and end times are recorded');
    const gen = byNode(done.processes, 'gen_nums');
    const sum = byNode(done.processes, 'sum_nums');
    assert.deepEqual(gen.out, [1, 2]);
    assert.deepEqual(sum.in, [1, 2]);
    assert.deepEqual(sum.out, [3]);
    assert.deepEqual(sum.parents, [gen.processid]);
    assert.deepEqual(gen.children, [sum.processid]);
    assert.deepEqual((await f.a.userClient.findProcess(g.processgraphid, 'sum_nums')).out, [3]);
  } finally {
    await ex.stop(1000);
  }
});

test('fan-in: input follows dependency order, not completion order', async () => {
  const type = 'fan-in';
  const e = await f.addExecutor(type);
  const wf = new Workflow()
    .add(funcSpec({ func: 'a', executortype: type, args: ['root-a'] }))
    .add(funcSpec({ func: 'b', executortype: type }))
    .add(funcSpec({ func: 'c', executortype: type }))
    .add(funcSpec({ func: 'join', executortype: type, dependencies: ['a', 'b', 'c'] }));
  const g = await f.a.userClient.submitWorkflow(wf);
  const roots = await e.client.assign({ timeout: 1, count: 3 });
  assert.equal(roots.length, 3);
  assert.deepEqual(byNode(roots, 'a').in, ['root-a'], 'a root keeps its args as input');
  // Finish in the order c, a, b; the join must still see a's, then b's, then c's output.
  const out: Record<string, unknown[]> = { a: ['a1'], b: ['b1', 'b2'], c: [{ c: 3 }] };
  for (const name of ['c', 'a', 'b']) {
    const p = byNode(roots, name);
    await e.client.close(p.processid, p.attempt, out[name]!);
    const join = await f.a.userClient.findProcess(g.processgraphid, 'join');
    assert.equal(join.ready, name === 'b', `join is ready only after its last parent (${name} just closed)`);
    // Ready and not claimed yet, it already shows the input it will get (gathered for good at the claim).
    if (join.ready) assert.deepEqual(join.in, ['a1', 'b1', 'b2', { c: 3 }]);
  }
  const [join] = await e.client.assign({ timeout: 1 });
  assert.ok(join);
  assert.equal(join.spec.nodename, 'join');
  assert.deepEqual(join.in, ['a1', 'b1', 'b2', { c: 3 }]);
  assert.deepEqual((await f.a.userClient.getProcess(join.processid)).in, join.in, 'the claimed input is stored');
  await e.client.close(join.processid, join.attempt, []);
  assert.equal((await f.a.userClient.getProcessGraph(g.processgraphid)).state, 'SUCCESS');
});

test('diamond: a → (b, c) → d runs each node once with the right inputs', async () => {
  const type = 'diamond';
  const calls: string[] = [];
  const ex = await serve(f, type, {
    a: () => (calls.push('a'), 2),
    b: (_ctx: ExecutionContext, x: number) => (calls.push('b'), x + 1),
    c: (_ctx: ExecutionContext, x: number) => (calls.push('c'), x * 10),
    d: (_ctx: ExecutionContext, y: number, z: number) => (calls.push('d'), y * z),
  });
  try {
    const wf = new Workflow()
      .add(funcSpec({ func: 'd', executortype: type, dependencies: ['b', 'c'] }))
      .add(funcSpec({ func: 'b', executortype: type, dependencies: ['a'] }))
      .add(funcSpec({ func: 'c', executortype: type, dependencies: ['a'] }))
      .add(funcSpec({ func: 'a', executortype: type }));
    const g = await f.a.userClient.submitWorkflow(wf);
    const done = await f.a.userClient.waitForProcessGraph(g.processgraphid, 20_000);
    assert.equal(done.state, 'SUCCESS');
    assert.deepEqual(byNode(done.processes, 'b').in, [2]);
    assert.deepEqual(byNode(done.processes, 'c').in, [2]);
    assert.deepEqual(byNode(done.processes, 'd').in, [3, 20]);
    assert.deepEqual(byNode(done.processes, 'd').out, [60]);
    assert.deepEqual([...calls].sort(), ['a', 'b', 'c', 'd']);
    assert.equal(calls[0], 'a');
    assert.equal(calls[3], 'd');
  } finally {
    await ex.stop(1000);
  }
});

test('a 100-node random DAG (seeded): every input is its parents’ outputs in dependency order', async (t) => {
  const type = 'random-dag';
  const seed = 20260101;
  t.diagnostic(`seed ${seed}`);
  const rand = prng(seed);
  const names = Array.from({ length: 100 }, (_, i) => `n${i}`);
  const deps = new Map<string, string[]>();
  for (let i = 0; i < names.length; i++) {
    const k = i === 0 ? 0 : Math.floor(rand() * 4); // 0–3 parents, all earlier in the order
    const ds = new Set<string>();
    while (ds.size < Math.min(k, i)) ds.add(names[Math.floor(rand() * i)]!);
    deps.set(names[i]!, [...ds]);
  }
  // Submit in a shuffled order: the server must not depend on specs arriving parents-first.
  const order = [...names].sort(() => rand() - 0.5);
  const wf = new Workflow();
  for (const n of order) wf.add(funcSpec({ func: 'node', nodename: n, executortype: type, args: [`arg-${n}`], dependencies: deps.get(n)! }));
  let calls = 0;
  const ex = await serve(
    f,
    type,
    {
      node: async (ctx: ExecutionContext) => {
        calls++;
        // A little jitter shuffles completion order across the executor's slots.
        await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 3)));
        return ctx.process.spec.nodename;
      },
    },
    6,
  );
  try {
    const g = await f.a.userClient.submitWorkflow(wf);
    const done = await f.a.userClient.waitForProcessGraph(g.processgraphid, 60_000);
    assert.equal(done.state, 'SUCCESS');
    assert.equal(done.successcount, 100);
    assert.equal(calls, 100);
    const idOf = new Map(done.processes.map((p) => [p.spec.nodename, p.processid]));
    for (const p of done.processes) {
      const ds = deps.get(p.spec.nodename)!;
      assert.deepEqual(p.out, [p.spec.nodename]);
      assert.deepEqual(
        p.parents,
        ds.map((d) => idOf.get(d)),
        `${p.spec.nodename}'s parents`,
      );
      assert.deepEqual(p.in, ds.length === 0 ? [`arg-${p.spec.nodename}`] : ds, `${p.spec.nodename}'s input`);
    }
    const roots = done.processes.filter((p) => p.parents.length === 0).length;
    t.diagnostic(`${roots} roots, ${[...deps.values()].reduce((n, d) => n + d.length, 0)} edges`);
  } finally {
    await ex.stop(1000);
  }
});

test('map-reduce with add_child: map adds five gen_nums (insert=true, then insert=false into reduce); reduce gets 15', async () => {
  const type = 'map-reduce';
  const ex = await serve(f, type, {
    map: async (ctx: ExecutionContext) => {
      const reduce = await ctx.client.findProcess(ctx.process.processgraphid!, 'reduce');
      const gen = funcSpec({ func: 'gen_nums', executortype: type });
      await ctx.addChild(gen, 'gen_nums_0', { insert: true });
      for (let i = 1; i < 5; i++) await ctx.addChild(gen, `gen_nums_${i}`, { insert: false, childprocessid: reduce.processid });
    },
    gen_nums: () => [1, 2],
    reduce: (_ctx: ExecutionContext, ...nums: number[]) => nums.reduce((s, n) => s + n, 0),
  });
  try {
    const wf = new Workflow()
      .add(funcSpec({ func: 'map', executortype: type }))
      .add(funcSpec({ func: 'reduce', executortype: type, dependencies: ['map'] }));
    const g = await f.a.userClient.submitWorkflow(wf);
    const done = await f.a.userClient.waitForProcessGraph(g.processgraphid, 20_000);
    assert.equal(done.state, 'SUCCESS');
    assert.equal(done.processcount, 7);
    assert.equal(done.successcount, 7);
    const map = byNode(done.processes, 'map');
    const reduce = byNode(done.processes, 'reduce');
    const gens = [0, 1, 2, 3, 4].map((i) => byNode(done.processes, `gen_nums_${i}`));
    assert.deepEqual(reduce.in, [1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);
    assert.deepEqual(reduce.out, [15]);
    // insert=true spliced gen_nums_0 between map and reduce; the others joined as extra parents of reduce.
    assert.deepEqual(
      reduce.parents,
      gens.map((p) => p.processid),
    );
    assert.deepEqual(
      map.children,
      gens.map((p) => p.processid),
    );
    for (const p of gens) {
      assert.deepEqual(p.parents, [map.processid]);
      assert.deepEqual(p.children, [reduce.processid]);
      assert.equal(p.initiatorid, ex.id, 'children are initiated by the executor that added them');
    }
  } finally {
    await ex.stop(1000);
  }
});
