/**
 * The SDK Executor against a real server: results come back, a throwing function fails its process
 * with message and stack, retries, a killed executor's process is retried elsewhere once its
 * maxexectime passes (server deadline loop running), and graceful / forced stops.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { requestsServed, startFixture, type Fixture } from '../helpers/fixture.ts';
import { childTaking } from '../helpers/spawn-executor.ts';
import { Executor, type ExecutionContext, type ExecutorFunction } from '../../executor/executor.ts';

let f: Fixture;
before(async () => {
  // The deadline loop runs for real here, every 100 ms, so a 1 s maxexectime expires quickly.
  f = await startFixture({ loops: true, config: { deadlineIntervalMs: 100 } });
});
after(async () => {
  await f.close();
});

async function serve(type: string, functions: Record<string, ExecutorFunction>, o: { concurrency?: number; url?: string } = {}): Promise<Executor> {
  const e = await f.addExecutor(type);
  const ex = new Executor({
    url: o.url ?? f.url,
    colonyname: f.a.colonyname,
    executortype: type,
    executorname: e.name,
    prvkey: e.key.prvkey,
    functions,
    concurrency: o.concurrency ?? 1,
    assignTimeout: 5,
  });
  await ex.start();
  return ex;
}

/** A promise with its resolve function, to let a test wait for a function to start. */
function signal<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

test('a function’s return value is the process output: scalars become [x], arrays stay lists; logs are kept', async () => {
  const type = 'e2e-output';
  const ex = await serve(type, {
    add: async (ctx: ExecutionContext, a: number, b: number) => {
      await ctx.log(`adding ${a} and ${b}`);
      return a + b;
    },
    pair: () => ['x', { y: 1 }],
    nothing: () => undefined,
  });
  try {
    const add = await f.a.userClient.submit({ funcname: 'add', executortype: type, args: [2, 3] });
    const pair = await f.a.userClient.submit({ funcname: 'pair', executortype: type });
    const nothing = await f.a.userClient.submit({ funcname: 'nothing', executortype: type });
    const added = await f.a.userClient.waitForProcess(add.processid, 20_000);
    assert.equal(added.state, 'SUCCESS');
    assert.deepEqual(added.out, [5]);
    assert.equal(added.assignedexecutorid, ex.id);
    assert.deepEqual(
      (await f.a.userClient.getLogs(add.processid)).map((l) => l.message),
      ['adding 2 and 3'],
    );
    assert.deepEqual((await f.a.userClient.waitForProcess(pair.processid, 20_000)).out, ['x', { y: 1 }]);
    const none = await f.a.userClient.waitForProcess(nothing.processid, 20_000);
    assert.equal(none.state, 'SUCCESS');
    assert.deepEqual(none.out, []);
  } finally {
    await ex.stop(1000);
  }
  // Counted when the server's answer to the close arrives, which can come after SUCCESS is visible.
  assert.equal(ex.stats.closed, 3);
});

test("every node's function gets its spec's args and kwargs in ctx; a child's input is still its parents' outputs", async () => {
  const type = 'e2e-args';
  const seen: Record<string, { input: unknown[]; args: unknown[]; kwargs: Record<string, unknown> }> = {};
  const ex = await serve(type, {
    gen: (ctx: ExecutionContext, ...input: unknown[]) => {
      seen[ctx.process.spec.nodename] = { input, args: ctx.args, kwargs: ctx.kwargs };
      return [1, 2];
    },
    scale: (ctx: ExecutionContext, ...input: number[]) => {
      seen[ctx.process.spec.nodename] = { input, args: ctx.args, kwargs: ctx.kwargs };
      const [factor] = ctx.args as [number];
      return input.map((n) => n * factor + (ctx.kwargs.offset as number));
    },
  });
  try {
    const g = await f.a.userClient.submitWorkflow([
      { funcname: 'gen', executortype: type, args: ['root-arg'], kwargs: { size: 2 } },
      { funcname: 'scale', executortype: type, args: [10], kwargs: { offset: 1 }, conditions: { dependencies: ['gen'] } },
    ]);
    const done = await f.a.userClient.waitForProcessGraph(g.processgraphid, 20_000);
    assert.equal(done.state, 'SUCCESS');
    assert.deepEqual(seen, {
      gen: { input: ['root-arg'], args: ['root-arg'], kwargs: { size: 2 } },
      scale: { input: [1, 2], args: [10], kwargs: { offset: 1 } },
    });
    assert.deepEqual(done.processes.find((p) => p.spec.nodename === 'scale')!.out, [11, 21]);
  } finally {
    await ex.stop(1000);
  }
});

test('a busy executor hands in its results with its next assign: about one request per batch of processes', async () => {
  const type = 'e2e-cycle';
  const N = 60;
  const requests = () => requestsServed(f.url);
  const submitted = await Promise.all(
    Array.from({ length: N }, (_, i) => f.a.userClient.submit({ funcname: 'twice', executortype: type, args: [i] })),
  );
  const before = await requests();
  const ex = await serve(type, { twice: (_ctx: ExecutionContext, x: number) => 2 * x }, { concurrency: 10 });
  try {
    for (const [i, p] of submitted.entries()) assert.deepEqual((await f.a.userClient.waitForProcess(p.processid, 20_000)).out, [2 * i]);
  } finally {
    await ex.stop(1000);
  }
  assert.equal(ex.stats.closed, N);
  // An assign per batch of ten (each carries the previous batch's closes) plus registration and the declaration of its
  // functions; the N waits above don't count.
  const used = (await requests()) - before - N;
  console.log(`# ${N} processes, concurrency 10: ${used} requests`);
  assert.ok(used <= N / 10 + 5, `${used} requests for ${N} processes`);
});

test('a function that throws fails its process with the message and the stack', async () => {
  const type = 'e2e-throws';
  const ex = await serve(type, {
    explode: () => {
      throw new Error('kaput: the widget is missing');
    },
  });
  try {
    const p = await f.a.userClient.submit({ funcname: 'explode', executortype: type });
    const done = await f.a.userClient.waitForProcess(p.processid, 20_000);
    assert.equal(done.state, 'FAILED');
    assert.equal(done.errors[0], 'kaput: the widget is missing');
    assert.match(done.errors[1]!, /^Error: kaput: the widget is missing\n\s+at /, 'the second entry is the stack');
    assert.match(done.errors[1]!, /executor\.test\.ts/, 'the stack points into the function');
    const unknown = await f.a.userClient.submit({ funcname: 'not_served', executortype: type });
    const refused = await f.a.userClient.waitForProcess(unknown.processid, 20_000);
    assert.equal(refused.state, 'FAILED');
    assert.match(refused.errors[0]!, /function "not_served" is not served by executor .*\(it serves: explode\)/);
  } finally {
    await ex.stop(1000);
  }
  // Counted once the server has answered the fail, which can come after the FAILED state is visible:
  // stop() waits for every run to finish reporting.
  assert.equal(ex.stats.failed, 2);
});

test('retries: fails twice, then succeeds with maxretries=3 → SUCCESS with retries=2', async () => {
  const type = 'e2e-retries';
  const calls = new Map<string, number>();
  const ex = await serve(type, {
    flaky: (ctx: ExecutionContext, n: number) => {
      const call = (calls.get(ctx.process.processid) ?? 0) + 1;
      calls.set(ctx.process.processid, call);
      assert.equal(ctx.process.attempt, call, 'each try is a new attempt');
      if (call <= 2) throw new Error(`try ${call} failed`);
      return n * 2;
    },
  });
  try {
    const p = await f.a.userClient.submit({ funcname: 'flaky', executortype: type, args: [21], maxretries: 3 });
    const done = await f.a.userClient.waitForProcess(p.processid, 20_000);
    assert.equal(done.state, 'SUCCESS');
    assert.equal(done.retries, 2);
    assert.equal(done.attempt, 3);
    assert.deepEqual(done.out, [42]);
    assert.deepEqual(
      done.errors.filter((e) => !e.includes('\n')),
      ['try 1 failed', 'try 2 failed'],
    );
    assert.equal(calls.get(p.processid), 3);

    // With too few retries the same function fails for good after maxretries+1 tries.
    const q = await f.a.userClient.submit({ funcname: 'flaky', executortype: type, args: [1], maxretries: 1 });
    const failed = await f.a.userClient.waitForProcess(q.processid, 20_000);
    assert.equal(failed.state, 'FAILED');
    assert.equal(failed.retries, 1);
    assert.equal(calls.get(q.processid), 2);
  } finally {
    await ex.stop(1000);
  }
});

test('a killed executor’s process is retried after maxexectime and then succeeds on another executor', async (t) => {
  const type = 'e2e-killed';
  const p = await f.a.userClient.submit({ funcname: 'hang', executortype: type, maxexectime: 1, maxretries: 2 });
  // Waits until the child has taken the process and is stuck in it.
  const doomed = await childTaking(f, type);
  let rescuer: Executor | undefined;
  try {
    assert.equal(doomed.taken, p.processid);
    const running = await f.a.userClient.getProcess(p.processid);
    assert.equal(running.state, 'RUNNING');
    assert.equal(running.assignedexecutorid, doomed.id);

    doomed.child.kill('SIGKILL');
    const [, sig] = (await doomed.exited) as [number | null, NodeJS.Signals | null];
    assert.equal(sig, 'SIGKILL');
    const killedAt = Date.now();

    rescuer = await serve(type, { hang: () => 'recovered' });
    const done = await f.a.userClient.waitForProcess(p.processid, 20_000);
    t.diagnostic(`recovered ${Date.now() - killedAt} ms after the kill`);
    assert.equal(done.state, 'SUCCESS');
    assert.deepEqual(done.out, ['recovered']);
    assert.equal(done.retries, 1);
    assert.equal(done.attempt, 2);
    assert.equal(done.assignedexecutorid, rescuer.id);
    assert.equal(done.errors.length, 1);
    assert.match(done.errors[0]!, /maxexectime of 1 s exceeded \(attempt 1/);
    assert.ok(done.errors[0]!.includes(doomed.id), 'the error names the killed executor');
  } finally {
    await doomed.kill();
    await rescuer?.stop(1000);
  }
});

test('graceful stop: a running function finishes and its result is closed; no new work is taken', async () => {
  const type = 'e2e-graceful';
  const started = signal();
  let finished = false;
  const ex = await serve(type, {
    slow: async () => {
      started.resolve();
      await sleep(300);
      finished = true;
      return 'finished';
    },
  });
  const p = await f.a.userClient.submit({ funcname: 'slow', executortype: type });
  await started.promise;
  await ex.stop(10_000);
  assert.ok(finished, 'stop waited for the function');
  const done = await f.a.userClient.getProcess(p.processid);
  assert.equal(done.state, 'SUCCESS', 'closed before stop resolved');
  assert.deepEqual(done.out, ['finished']);
  await ex.done;

  const later = await f.a.userClient.submit({ funcname: 'slow', executortype: type });
  await sleep(200);
  assert.equal((await f.a.userClient.getProcess(later.processid)).state, 'WAITING', 'a stopped executor takes nothing');
  await f.a.userClient.cancelProcess(later.processid);
});

test('forced stop (grace 0): the running process is failed at once so the server retries it elsewhere', async () => {
  const type = 'e2e-forced';
  const started = signal();
  let sawAbort = false;
  const ex = await serve(type, {
    stuck: (ctx: ExecutionContext) =>
      new Promise((resolve) => {
        started.resolve();
        ctx.signal.addEventListener('abort', () => {
          sawAbort = true;
          resolve('too late'); // returned after the stop: must not be closed
        });
      }),
  });
  const p = await f.a.userClient.submit({ funcname: 'stuck', executortype: type, maxretries: 1 });
  await started.promise;
  await ex.stop(0);
  await ex.done;
  assert.ok(sawAbort, 'the function saw ctx.signal abort');
  const failedOnce = await f.a.userClient.getProcess(p.processid);
  assert.equal(failedOnce.state, 'WAITING', 'back in the queue, not stuck RUNNING until maxexectime');
  assert.equal(failedOnce.retries, 1);
  assert.deepEqual(failedOnce.errors, ['executor stopped before the function finished']);
  assert.deepEqual(failedOnce.out, []);

  const other = await serve(type, { stuck: () => 'done elsewhere' });
  try {
    const done = await f.a.userClient.waitForProcess(p.processid, 20_000);
    assert.equal(done.state, 'SUCCESS');
    assert.deepEqual(done.out, ['done elsewhere']);
    assert.equal(done.assignedexecutorid, other.id);
  } finally {
    await other.stop(1000);
  }
});

/** A TCP proxy to the server that can be taken down (connections refused, open ones cut) and brought back on its port. */
async function proxyTo(url: string): Promise<{ url: string; down(): Promise<void>; up(): Promise<void>; close(): Promise<void> }> {
  const target = new URL(url);
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const up = async () => {
    server = net.createServer((c) => {
      const s = net.connect(Number(target.port), target.hostname);
      for (const x of [c, s]) {
        sockets.add(x);
        x.on('close', () => sockets.delete(x));
        x.on('error', () => (x === c ? s : c).destroy());
      }
      c.pipe(s).pipe(c);
    });
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  };
  const down = async () => {
    const closed = new Promise<void>((r) => server!.close(() => r()));
    for (const x of sockets) x.destroy();
    await closed;
  };
  await up();
  return { url: `http://127.0.0.1:${port}`, up, down, close: down };
}

test('held results go in within about a second of the server answering again (the SDK caps its backoff)', async (t) => {
  const type = 'e2e-backoff';
  const proxy = await proxyTo(f.url);
  const started = signal();
  const finish = signal();
  const ex = await serve(
    type,
    {
      held: async () => {
        started.resolve();
        await finish.promise;
        return 'kept';
      },
    },
    { url: proxy.url },
  );
  try {
    const p = await f.a.userClient.submit({ funcname: 'held', executortype: type });
    await started.promise;
    await proxy.down();
    finish.resolve(); // its close now fails, and is retried with a growing backoff
    // Long enough for an uncapped doubling backoff (0.1, 0.2, … 3.2 s) to be sleeping for seconds.
    await sleep(7000);
    assert.equal((await f.a.userClient.getProcess(p.processid)).state, 'RUNNING', 'the server has not heard the close');
    await proxy.up();
    const back = Date.now();
    const done = await f.a.userClient.waitForProcess(p.processid, 10_000);
    const ms = new Date(done.endtime!).getTime() - back; // when the server closed it
    t.diagnostic(`closed ${ms} ms after the server was reachable again`);
    assert.equal(done.state, 'SUCCESS');
    assert.deepEqual(done.out, ['kept']);
    // About a second (a capped backoff, and slack for a busy machine); an uncapped one was still sleeping, for seconds.
    assert.ok(ms <= 2000, `closed ${ms} ms after the server came back`);
  } finally {
    await ex.stop(1000);
    await proxy.close();
  }
});
