/**
 * Retry policies with a ManualClock: delays grow by the backoff up to the ceiling, with bounded jitter;
 * a delayed retry is WAITING but not assigned until due; failures that are final or of a kind in
 * noretry end the process at once (by the API and the SDK's Executor); exec timeouts follow the
 * policy; the policy's fields are validated everywhere a spec enters. Restarts and wake-ups:
 * test/loops/retries.test.ts.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { issuePaths } from '../helpers/signed-agent.ts';
import { ManualClock, systemClock } from '../../server/clock.ts';
import { ColoniesError } from '../../executor/transport.ts';
import type { ColoniesClient } from '../../executor/client.ts';
import { Executor, type ExecutionContext } from '../../executor/executor.ts';
import type { FunctionSpecInput } from '../../protocol/schemas.ts';
import type { Process } from '../../protocol/types.ts';

const SEC = 1000;
const clock = new ManualClock(Date.UTC(2026, 0, 1));
let f: Fixture;
before(async () => {
  // Deadlines and delays follow the manual clock; signatures keep to real time. No lease expires here.
  f = await startFixture({ clock, authClock: systemClock, config: { leaseSeconds: 100_000 } });
});
after(async () => {
  await f.close();
});

const get = (id: string) => f.a.userClient.getProcess(id);

async function assignOne(client: ColoniesClient): Promise<Process> {
  const [p] = await client.assign({ timeout: 0 });
  assert.ok(p, 'expected a process to assign');
  return p;
}

async function nothingToAssign(client: ColoniesClient): Promise<void> {
  assert.deepEqual(await client.assign({ timeout: 0 }), [], 'nothing is due yet');
}

/** The retry's delay in ms from `from`, checked to be within the jitter's bounds of `seconds`: (0.9 × d, d]. */
function delayOf(p: Process, from: Date, seconds: number): number {
  assert.equal(p.state, 'WAITING');
  assert.ok(p.notbefore, 'a delayed retry has a notbefore');
  const ms = Date.parse(p.notbefore) - from.getTime();
  assert.ok(ms >= 0.9 * seconds * SEC && ms <= seconds * SEC, `delay ${ms} ms is within 90–100% of ${seconds} s`);
  return ms;
}

async function refused(p: Promise<unknown>, code: string): Promise<ColoniesError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ColoniesError, String(err));
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}, but the request succeeded`);
}

test('delays grow by retrybackoff from retrydelay up to maxretrydelay; a delayed retry is not assigned until due', async () => {
  const type = 'retry-growth';
  const e = await f.addExecutor(type);
  const policy = { maxretries: 4, retrydelay: 10, retrybackoff: 3, maxretrydelay: 50, maxwaittime: 60 };
  const { processid } = await f.a.userClient.submit({ funcname: 'flaky', executortype: type, ...policy });
  // Retry 1: 10 s; 2: 30 s; 3: 90 s → the ceiling, 50 s; 4: the ceiling again. Then no retry is left.
  const expected = [10, 30, 50, 50];
  for (const [i, seconds] of expected.entries()) {
    const p = await assignOne(e.client);
    assert.equal(p.attempt, i + 1);
    const failed = await e.client.fail(processid, p.attempt, [`down (attempt ${p.attempt})`]);
    assert.equal(failed.retries, i + 1);
    const ms = delayOf(failed, clock.now(), seconds);
    // Waiting out its delay, the wait deadline counts from when it may run.
    assert.equal(failed.waitdeadline, new Date(Date.parse(failed.notbefore!) + 60 * SEC).toISOString());
    assert.equal(failed.readytime, failed.notbefore);
    // Not assignable a millisecond before; the reader sees which attempt comes when, and why.
    clock.advance(ms - 1);
    await nothingToAssign(e.client);
    const waiting = await get(processid);
    assert.equal(waiting.waitreason, `retry delayed: attempt ${i + 2} of 5 at ${failed.notbefore} (last error: down (attempt ${i + 1}))`);
    clock.advance(1);
  }
  const last = await assignOne(e.client);
  assert.equal(last.attempt, 5);
  const failed = await e.client.fail(processid, last.attempt, ['still down']);
  assert.deepEqual([failed.state, failed.retries, failed.notbefore], ['FAILED', 4, null]);
});

test('retrydelay alone: the backoff defaults to 2 and the ceiling to 100 × retrydelay', async () => {
  const type = 'retry-defaults';
  const e = await f.addExecutor(type);
  const { processid } = await f.a.userClient.submit({ funcname: 'f', executortype: type, maxretries: 9, retrydelay: 1 });
  // 1, 2, 4, … 64, then 128 → the ceiling of 100 s.
  for (const seconds of [1, 2, 4, 8, 16, 32, 64, 100, 100]) {
    const p = await assignOne(e.client);
    const failed = await e.client.fail(processid, p.attempt, ['down']);
    clock.advance(delayOf(failed, clock.now(), seconds));
  }
});

test('no retrydelay: a failed attempt is back at once, as before', async () => {
  const type = 'retry-at-once';
  const e = await f.addExecutor(type);
  const { processid } = await f.a.userClient.submit({ funcname: 'f', executortype: type, maxretries: 1 });
  const p = await assignOne(e.client);
  const failed = await e.client.fail(processid, p.attempt, ['down']);
  assert.deepEqual([failed.state, failed.notbefore], ['WAITING', null]);
  assert.equal((await assignOne(e.client)).attempt, 2);
});

test('jitter: processes failing together come back spread over the last tenth of their delay', async () => {
  const type = 'retry-jitter';
  const e = await f.addExecutor(type);
  const n = 200;
  const spec = { funcname: 'f', executortype: type, maxretries: 1, retrydelay: 100 };
  await Promise.all(Array.from({ length: n }, () => f.a.userClient.submit(spec)));
  const assigned = await e.client.assign({ timeout: 0, count: n });
  assert.equal(assigned.length, n);
  const now = clock.now();
  const failed = await Promise.all(assigned.map((p) => e.client.fail(p.processid, p.attempt, ['the service is down'])));
  const delays = failed.map((p) => delayOf(p, now, 100));
  const spread = Math.max(...delays) - Math.min(...delays);
  assert.ok(spread > 5 * SEC, `the ${n} retries spread over ${spread} ms of the 10 s the jitter allows`);
  assert.ok(new Set(delays).size > n / 2, 'few retries share a millisecond');
});

test('retry: false fails the attempt as final, whatever retries remain, and the error says why', async () => {
  const type = 'retry-final';
  const e = await f.addExecutor(type);
  const { processid } = await f.a.userClient.submit({ funcname: 'f', executortype: type, maxretries: 5, retrydelay: 10 });
  const p = await assignOne(e.client);
  const failed = await e.client.fail(processid, p.attempt, ['bad input', 'at f (f.ts:1)'], { retry: false });
  assert.deepEqual([failed.state, failed.retries, failed.notbefore], ['FAILED', 0, null]);
  assert.deepEqual(failed.errors, ['bad input (not retried: the executor failed it as final)', 'at f (f.ts:1)']);
  assert.ok(failed.endtime);
});

test('noretry: an error kind the spec lists ends the process at once; another kind is retried', async () => {
  const type = 'retry-noretry';
  const e = await f.addExecutor(type);
  const spec = { funcname: 'f', executortype: type, maxretries: 3, noretry: ['ValidationError', 'AuthError'] };
  const listed = await f.a.userClient.submit(spec);
  const p1 = await assignOne(e.client);
  const final = await e.client.fail(listed.processid, p1.attempt, ['amount must be positive'], { errorkind: 'ValidationError' });
  assert.deepEqual([final.state, final.retries], ['FAILED', 0]);
  assert.deepEqual(final.errors, ['amount must be positive (not retried: ValidationError is in noretry)']);

  const other = await f.a.userClient.submit(spec);
  const p2 = await assignOne(e.client);
  const retried = await e.client.fail(other.processid, p2.attempt, ['connection refused'], { errorkind: 'NetworkError' });
  assert.deepEqual([retried.state, retried.retries, retried.errors], ['WAITING', 1, ['connection refused']]);
});

test('a final failure in a graph fails the graph at once, with the reason', async () => {
  const type = 'retry-graph';
  const e = await f.addExecutor(type);
  const g = await f.a.userClient.submitWorkflow([
    { funcname: 'a', executortype: type, maxretries: 3, retrydelay: 5, noretry: ['ValidationError'] },
    { funcname: 'b', executortype: type, conditions: { dependencies: ['a'] } },
  ]);
  const p = await assignOne(e.client);
  await e.client.fail(p.processid, p.attempt, ['bad row 7'], { errorkind: 'ValidationError' });
  const graph = await f.a.userClient.getProcessGraph(g.processgraphid);
  assert.equal(graph.state, 'FAILED');
  assert.match(graph.errors.join('\n'), /bad row 7 \(not retried: ValidationError is in noretry\)/);
});

test('an exec timeout follows the retry policy: delayed, and counted', async () => {
  const type = 'retry-exec-timeout';
  const e = await f.addExecutor(type);
  const { processid } = await f.a.userClient.submit({ funcname: 'slow', executortype: type, maxexectime: 10, maxretries: 2, retrydelay: 5 });
  await assignOne(e.client);
  clock.advance(10 * SEC);
  assert.equal((await f.server.services.processes.expireDeadlines()).exec, 1);
  const retried = await get(processid);
  assert.equal(retried.retries, 1);
  const ms = delayOf(retried, clock.now(), 5);
  assert.match(retried.errors[0]!, /maxexectime of 10 s exceeded/);
  await nothingToAssign(e.client);
  clock.advance(ms);
  const second = await assignOne(e.client);
  assert.equal(second.attempt, 2);
  // The second timeout waits twice as long.
  clock.advance(10 * SEC);
  await f.server.services.processes.expireDeadlines();
  delayOf(await get(processid), clock.now(), 10);
});

test('the SDK Executor: ctx.fail(err, {retry: false}) and a thrown error of a noretry kind end the process; others are retried', async () => {
  const type = 'retry-sdk';
  const e = await f.addExecutor(type);
  class ValidationError extends Error {
    override name = 'ValidationError';
  }
  const executor = new Executor({
    url: f.url,
    colonyname: f.a.colonyname,
    executortype: type,
    executorname: e.name,
    prvkey: e.key.prvkey,
    functions: {
      final: (ctx: ExecutionContext) => ctx.fail(new Error('the account is closed'), { retry: false }),
      invalid: () => {
        throw new ValidationError('amount must be positive');
      },
      flaky: () => {
        throw new Error('connection refused');
      },
    },
    assignTimeout: 1,
  });
  await executor.start();
  try {
    const spec = (funcname: string): FunctionSpecInput => ({
      funcname,
      executortype: type,
      maxretries: 3,
      retrydelay: 60,
      noretry: ['ValidationError'],
    });
    const final = await f.a.userClient.submit(spec('final'));
    const invalid = await f.a.userClient.submit(spec('invalid'));
    const flaky = await f.a.userClient.submit(spec('flaky'));

    const closed = await f.a.userClient.waitForProcess(final.processid, 20_000);
    assert.deepEqual([closed.state, closed.retries], ['FAILED', 0]);
    assert.equal(closed.errors[0], 'the account is closed (not retried: the executor failed it as final)');
    assert.match(closed.errors[1]!, /^Error: the account is closed\n\s+at /, 'the stack follows');

    const refusedInput = await f.a.userClient.waitForProcess(invalid.processid, 20_000);
    assert.deepEqual([refusedInput.state, refusedInput.retries], ['FAILED', 0]);
    assert.equal(refusedInput.errors[0], 'amount must be positive (not retried: ValidationError is in noretry)');

    // A plain Error ("Error" is not in noretry) is retried, after its delay.
    let p = await get(flaky.processid);
    for (let i = 0; i < 500 && p.retries === 0; i++, p = await get(flaky.processid)) await sleep(20);
    assert.deepEqual([p.state, p.retries], ['WAITING', 1]);
    delayOf(p, new Date(Date.parse(p.notbefore!) - 60 * SEC), 60);
  } finally {
    await executor.stop(0);
  }
});

test('the policy is validated where a spec enters: submit, batch, workflow, registered spec, cron', async () => {
  const type = 'retry-validation';
  const base = { funcname: 'f', executortype: type };
  const paths = async (p: Promise<unknown>) => issuePaths((await refused(p, 'VALIDATION_FAILED')).details);
  const bad: [Record<string, unknown>, string][] = [
    [{ retrydelay: -1 }, 'retrydelay'],
    [{ retrydelay: 'soon' }, 'retrydelay'],
    [{ retrydelay: Number.NaN }, 'retrydelay'], // sent as null
    [{ maxretrydelay: -5 }, 'maxretrydelay'],
    [{ retrybackoff: 0.5 }, 'retrybackoff'],
    [{ retrybackoff: 1000 }, 'retrybackoff'],
    [{ retrydelay: 10, maxretrydelay: 5 }, 'maxretrydelay'],
    [{ noretry: 'ValidationError' }, 'noretry'],
    [{ noretry: [''] }, 'noretry.0'],
    [{ noretry: [7] }, 'noretry.0'],
    [{ maxretries: -1 }, 'maxretries'],
    [{ maxretries: -1, retrydelay: 0 }, 'maxretries'],
  ];
  for (const [fields, path] of bad) {
    const spec = { ...base, ...fields } as FunctionSpecInput;
    assert.deepEqual(await paths(f.a.userClient.submit(spec)), [`body.${path}`], JSON.stringify(fields));
  }
  // -1 without a delay names both fields, wherever the spec comes from.
  const unlimited = { ...base, maxretries: -1 };
  const err = await refused(f.a.userClient.submit(unlimited), 'VALIDATION_FAILED');
  assert.match(err.message, /maxretries.*retrydelay/);
  assert.deepEqual(await paths(f.a.userClient.submitWorkflow([unlimited])), ['body.0.maxretries']);
  assert.deepEqual(await paths(f.a.userClient.registerWorkflowSpec('retry-unlimited', { functionspecs: [unlimited] })), [
    'body.spec.functionspecs.0.maxretries',
  ]);
  assert.deepEqual(await paths(f.a.userClient.addCron({ name: 'retry-unlimited', interval: 60, workflow: [unlimited] })), [
    'body.workflow.0.maxretries',
  ]);
  // With a delay, -1 is accepted.
  const ok = await f.a.userClient.submit({ ...unlimited, retrydelay: 1 });
  assert.equal(ok.spec.maxretries, -1);
  // The fail request's kind is checked too.
  const e = await f.addExecutor(type);
  const p = await assignOne(e.client);
  assert.deepEqual(await paths(e.client.fail(p.processid, p.attempt, ['x'], { errorkind: '' })), ['body.errorkind']);
  assert.equal((await get(p.processid)).state, 'RUNNING', 'nothing changed');
});
