import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startFixture, startReplica, type Fixture } from '../helpers/fixture.ts';
import { Executor, type ExecutionContext } from '../../executor/executor.ts';
import { ColoniesClient } from '../../executor/client.ts';
import { Subscriber, type SubscriptionMessage } from '../../executor/subscriber.ts';
import type { ColoniesError } from '../../executor/transport.ts';
import type { ColonyEvent } from '../../protocol/events.ts';

const mapReduce = {
  functionspecs: [
    { funcname: 'map', executortype: 'mr' },
    { funcname: 'reduce', executortype: 'mr', conditions: { dependencies: ['map'] } },
  ],
};

const functions = {
  async map(ctx: ExecutionContext) {
    const reduce = await ctx.client.findProcess(ctx.process.processgraphid!, 'reduce');
    for (let i = 0; i < 5; i++) {
      await ctx.addChild(
        { funcname: 'gen_nums', executortype: 'mr' },
        `gen_nums_${i}`,
        i === 0 ? { insert: true } : { childprocessid: reduce.processid },
      );
    }
  },
  gen_nums: () => [1, 2],
  reduce: (_ctx: ExecutionContext, ...nums: number[]) => nums.reduce((a, b) => a + b, 0),
  talk: async (ctx: ExecutionContext) => {
    await ctx.log('hello from talk');
    return 'ok';
  },
};

function collector() {
  const messages: SubscriptionMessage[] = [];
  const waiters: { pred: (e: ColonyEvent) => boolean; resolve(): void }[] = [];
  return {
    messages,
    handler: (m: SubscriptionMessage) => {
      messages.push(m);
      if (m.type === 'event') for (const w of waiters.filter((w) => w.pred(m.event))) w.resolve();
    },
    events: () => messages.flatMap((m) => (m.type === 'event' ? [m.event] : [])),
    until: (pred: (e: ColonyEvent) => boolean, ms = 10_000) =>
      new Promise<void>((resolve, reject) => {
        if (messages.some((m) => m.type === 'event' && pred(m.event))) return resolve();
        const t = setTimeout(() => reject(new Error('event did not arrive')), ms);
        waiters.push({ pred, resolve: () => (clearTimeout(t), resolve()) });
      }),
  };
}

// One server for the two suites that follow (the lifecycle suite starts servers of its own).
let f: Fixture;
before(async () => {
  f = await startFixture();
});
after(() => f.close());

describe('live events over WebSocket', () => {
  let executor: Executor;
  before(async () => {
    executor = new Executor({
      url: f.url,
      colonyname: f.a.colonyname,
      executortype: 'mr',
      colonyPrvkey: f.a.owner.prvkey,
      functions,
      concurrency: 4,
      assignTimeout: 2,
    });
    await executor.start();
  });
  after(() => executor.stop(1000));

  test('a graph subscriber sees every state change of a map-reduce, in order', async () => {
    const client = f.a.userClient;
    // Subscribe to the whole colony first, so no event of the new graph can be missed.
    const c = collector();
    const stop = await client.subscribe({}, c.handler);
    try {
      const g = await client.submitWorkflow(mapReduce);
      await c.until((e) => e.type === 'processgraph' && e.processgraphid === g.processgraphid && e.state === 'SUCCESS');
      const events = c.events().filter((e) => 'processgraphid' in e && e.processgraphid === g.processgraphid);
      const graphStates = events.flatMap((e) => (e.type === 'processgraph' ? [e.state] : []));
      assert.deepEqual(graphStates, ['WAITING', 'RUNNING', 'SUCCESS']);
      const perProcess = new Map<string, string[]>();
      for (const e of events) if (e.type === 'process') perProcess.set(e.nodename, [...(perProcess.get(e.nodename) ?? []), e.state]);
      assert.deepEqual([...perProcess.keys()].sort(), ['gen_nums_0', 'gen_nums_1', 'gen_nums_2', 'gen_nums_3', 'gen_nums_4', 'map', 'reduce']);
      for (const [node, states] of perProcess) assert.deepEqual(states, ['RUNNING', 'SUCCESS'], node);
      assert.equal(events.filter((e) => e.type === 'processes-added').length, 5);
      assert.equal(events[events.length - 1]!.type, 'processgraph', 'the graph SUCCESS comes last');
      const reduceDone = events.findIndex((e) => e.type === 'process' && e.nodename === 'reduce' && e.state === 'SUCCESS');
      const lastGen = Math.max(
        ...events.map((e, i) => (e.type === 'process' && e.nodename.startsWith('gen_nums') && e.state === 'SUCCESS' ? i : -1)),
      );
      assert.ok(lastGen < reduceDone, 'reduce finishes after every gen_nums');
      const result = await client.findProcess(g.processgraphid, 'reduce');
      assert.deepEqual(result.out, [15]);
    } finally {
      stop();
    }
  });

  test('a subscriber that connects after the fact gets the current state at once', async () => {
    const client = f.a.userClient;
    const g = await client.submitWorkflow(mapReduce);
    await client.waitForProcessGraph(g.processgraphid, 10_000);
    const c = collector();
    const stop = await client.subscribe({ processgraphid: g.processgraphid }, c.handler);
    stop();
    const snap = c.messages[0];
    assert.equal(snap?.type, 'snapshot');
    assert.ok(snap.type === 'snapshot' && snap.snapshot.of === 'processgraph');
    assert.equal(snap.snapshot.processgraph.state, 'SUCCESS');
    assert.equal(snap.snapshot.processgraph.processes.length, 7);
  });

  test('snapshots say why a waiting process waits, as the HTTP reads do', async () => {
    const client = f.a.userClient;
    const g = await client.submitWorkflow({ functionspecs: [{ funcname: 'idle', executortype: 'nobody-serves-ws' }] });
    const [p] = (await client.getProcessGraph(g.processgraphid)).processes;
    const expected = (await client.getProcess(p!.processid)).waitreason;
    assert.match(expected ?? '', /nobody-serves-ws/);
    const byProcess = collector();
    (await client.subscribe({ processid: p!.processid }, byProcess.handler))();
    const byGraph = collector();
    (await client.subscribe({ processgraphid: g.processgraphid }, byGraph.handler))();
    const [one, graph] = [byProcess.messages[0], byGraph.messages[0]];
    assert.ok(one?.type === 'snapshot' && one.snapshot.of === 'process');
    assert.equal(one.snapshot.process.waitreason, expected);
    assert.ok(graph?.type === 'snapshot' && graph.snapshot.of === 'processgraph');
    assert.equal(graph.snapshot.processgraph.processes[0]!.waitreason, expected);
    await client.removeProcessGraph(g.processgraphid);
  });

  test('process subscribers get log lines live', async () => {
    const client = f.a.userClient;
    const c = collector();
    const stop = await client.subscribe({}, c.handler);
    try {
      const p = await client.submit({ funcname: 'talk', executortype: 'mr' });
      await c.until((e) => e.type === 'process' && e.processid === p.processid && e.state === 'SUCCESS');
      const logs = c.events().filter((e) => e.type === 'log' && e.processid === p.processid);
      assert.deepEqual(
        logs.map((l) => l.type === 'log' && l.message),
        ['hello from talk'],
      );
      // A late subscriber to the process gets the lines in its snapshot.
      const late = collector();
      (await client.subscribe({ processid: p.processid }, late.handler))();
      const snap = late.messages[0];
      assert.ok(snap?.type === 'snapshot' && snap.snapshot.of === 'process');
      assert.deepEqual(
        snap.snapshot.logs.map((l) => l.message),
        ['hello from talk'],
      );
    } finally {
      stop();
    }
  });
});

describe('who hears what over WebSocket', () => {
  test('a client of colony A sees nothing of colony B and cannot subscribe to it', async () => {
    const c = collector();
    const stop = await f.a.userClient.subscribe({}, c.handler);
    try {
      const bExec = await f.addExecutor('mr', f.b);
      const p = await f.b.userClient.submit({ funcname: 'gen_nums', executortype: 'mr' });
      const [got] = await bExec.client.assign({ timeout: 2 });
      await bExec.client.close(got!.processid, got!.attempt, [1]);
      // A marker in colony A: once it arrives, B's events (earlier) would have arrived too.
      const marker = await f.a.userClient.submit({ funcname: 'nobody', executortype: 'marker' });
      await c.until((e) => e.type === 'process' && e.processid === marker.processid);
      assert.ok(
        c.events().every((e) => e.colonyname === f.a.colonyname),
        'only colony A events',
      );
      assert.ok(!c.events().some((e) => 'processid' in e && e.processid === p.processid));
      await f.a.userClient.cancelProcess(marker.processid);
    } finally {
      stop();
    }
    const sub = await f.a.userClient.connect();
    try {
      await assert.rejects(
        sub.subscribe({ colonyname: f.b.colonyname }, () => {}),
        (err: ColoniesError) => err.code === 'NOT_A_MEMBER',
      );
    } finally {
      sub.close();
    }
  });

  test('the hello must be signed and come first', async () => {
    const ws = new WebSocket(f.url.replace('http', 'ws') + '/api/v1/ws');
    await new Promise((r) => ws.once('open', r));
    const next = () =>
      new Promise<{ type: string; error?: { code: string } }>((r) =>
        ws.once('message', (d) => r(JSON.parse((d as Buffer).toString('utf8')) as { type: string; error?: { code: string } })),
      );
    ws.send(JSON.stringify({ type: 'subscribe', sub: 'x', colonyname: f.a.colonyname }));
    assert.equal((await next()).error?.code, 'UNAUTHENTICATED');
    ws.send(JSON.stringify({ type: 'hello', id: f.a.user.id, timestamp: String(Date.now()), nonce: 'ab'.repeat(16), signature: '00'.repeat(64) }));
    assert.equal((await next()).error?.code, 'BAD_SIGNATURE');
    ws.send('not json');
    assert.equal((await next()).error?.code, 'MALFORMED_JSON');
    ws.close();
    await assert.rejects(
      Subscriber.connect(f.url, '11'.repeat(32)).then((s) => s.subscribe({ colonyname: f.a.colonyname }, () => {})),
      (err: ColoniesError) => ['NOT_A_MEMBER'].includes(err.code),
    );
  });
});

describe('WebSocket lifecycle', () => {
  test('server shutdown closes live connections cleanly', async () => {
    const f = await startFixture();
    const sub = await f.a.userClient.connect();
    const closed = new Promise<Error>((r) => sub.onClose(r));
    await sub.subscribe({ colonyname: f.a.colonyname }, () => {});
    await f.close();
    assert.match((await closed).message, /1001/);
  });

  test('events cross replicas sharing one PostgreSQL database', async (t) => {
    if (process.env.COLONIES_TEST_ENGINE !== 'postgres') {
      t.skip('needs PostgreSQL (two servers on one database)');
      return;
    }
    const f = await startFixture();
    const { url: url2, close: closeSecond } = await startReplica(f);
    try {
      const onSecond = new ColoniesClient({ url: url2, prvkey: f.a.user.prvkey, colonyname: f.a.colonyname });
      const c = collector();
      const stop = await onSecond.subscribe({}, c.handler);
      // An executor long-polling on replica 2 is woken by a submit on replica 1.
      const execOnSecond = new ColoniesClient({ url: url2, prvkey: f.a.executor.prvkey, colonyname: f.a.colonyname });
      const assigned = execOnSecond.assign({ timeout: 10 });
      const p = await f.a.userClient.submit({ funcname: 'x', executortype: 'test-executor' });
      const [got] = await assigned;
      assert.equal(got!.processid, p.processid);
      await execOnSecond.close(got!.processid, got!.attempt, ['done']);
      await c.until((e) => e.type === 'process' && e.processid === p.processid && e.state === 'SUCCESS');
      // Every change reaches a subscriber on the other replica: the WAITING of the submit on replica 1
      // arrives through NOTIFY. Order is guaranteed per replica only (docs/protocol.md, Live events): replica 1's
      // NOTIFY may land after replica 2 already reported its own RUNNING.
      await c.until((e) => e.type === 'process' && e.processid === p.processid && e.state === 'WAITING');
      const states = c.events().flatMap((e) => (e.type === 'process' && e.processid === p.processid ? [e.state] : []));
      assert.deepEqual([...states].sort(), ['RUNNING', 'SUCCESS', 'WAITING']);
      assert.equal(states.indexOf('RUNNING') < states.indexOf('SUCCESS'), true, "replica 2's own changes arrive in order");
      stop();
    } finally {
      await closeSecond();
      await f.close();
    }
  });
});
