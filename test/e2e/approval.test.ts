/**
 * An executor registered but not approved is told so, with how to approve it, not taken for a
 * stranger: by the server (EXECUTOR_NOT_APPROVED naming its state and the approve command), by
 * `colonies executor start` (exit 4) and by the SDK Executor (once, while it keeps asking, then it
 * serves as soon as it is approved). One never registered is told how to register it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { signedAgent, expectError } from '../helpers/signed-agent.ts';
import { generateKeyPair } from '../../protocol/crypto.ts';
import { Executor } from '../../executor/executor.ts';
import { ColoniesError } from '../../executor/transport.ts';
import { baseEnv, errorLine, run } from '../cli/helpers.ts';

let f: Fixture;
before(async () => {
  f = await startFixture();
});
after(() => f.close());

const A = '/colonies/colony-a';
const functions = join('test', 'cli', 'fixtures', 'functions.ts');

/** Requests the server has answered 403 so far. */
async function refusals(): Promise<number> {
  const text = await (await fetch(`${f.url}/metrics`)).text();
  return [...text.matchAll(/^colonies_http_requests_total\{method="[A-Z]+",status="403"\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

test('the server says a pending or rejected executor is registered but not approved, and how to approve it', async () => {
  const key = generateKeyPair();
  await f.a.ownerClient.addExecutor({ executorname: 'waiting-1', executorid: key.id, executortype: 't' });
  const agent = signedAgent(f.url, key.prvkey);
  const pending = await agent.get(`${A}/executors/waiting-1`);
  assert.deepEqual(expectError(pending, 403, 'EXECUTOR_NOT_APPROVED'), { executorname: 'waiting-1', state: 'PENDING' });
  assert.equal(
    (pending.body as { error: { message: string } }).error.message,
    'executor "waiting-1" is registered in colony "colony-a" but PENDING approval: the colony owner approves it with ' +
      '"colonies executor approve --name waiting-1" (POST /colonies/colony-a/executors/waiting-1/approve)',
  );
  await f.a.ownerClient.rejectExecutor('waiting-1');
  const rejected = await agent.post(`${A}/processes/assign`, { timeout: 0 });
  assert.deepEqual(expectError(rejected, 403, 'EXECUTOR_NOT_APPROVED'), { executorname: 'waiting-1', state: 'REJECTED' });
  assert.match(
    (rejected.body as { error: { message: string } }).error.message,
    /^executor "waiting-1" is registered in colony "colony-a" but REJECTED: /,
  );
});

test('executor start of a pending executor: exit 4, saying it waits for approval and how the owner gives it', async () => {
  const key = generateKeyPair();
  await f.a.ownerClient.addExecutor({ executorname: 'waiting-2', executorid: key.id, executortype: 'cli-approval' });
  const env = baseEnv({
    COLONIES_SERVER_URL: f.url,
    COLONIES_COLONY_NAME: f.a.colonyname,
    COLONIES_EXECUTOR_TYPE: 'cli-approval',
    COLONIES_EXECUTOR_NAME: 'waiting-2',
    COLONIES_EXECUTOR_PRVKEY: key.prvkey,
  });
  const r = await run(['executor', 'start', '--functions', functions], env);
  assert.equal(r.code, 4, r.stderr);
  assert.deepEqual(errorLine(r), {
    code: 'EXECUTOR_NOT_APPROVED',
    message:
      `executor waiting-2 (id ${key.id}) is registered in colony colony-a but PENDING approval: ` +
      'the colony owner approves it with "colonies executor approve --name waiting-2", then start it again',
  });

  // Never registered: how to register it.
  const stranger = generateKeyPair();
  const s = await run(['executor', 'start', '--functions', functions, '--name', 'nobody', '--prvkey', stranger.prvkey], env);
  assert.equal(s.code, 4, s.stderr);
  const e = errorLine(s);
  assert.equal(e.code, 'NOT_A_MEMBER');
  assert.equal(
    e.message,
    `executor nobody (id ${stranger.id}) is not registered in colony colony-a: the colony owner registers it with ` +
      `"colonies executor add --name nobody --type cli-approval --executorid ${stranger.id}" and approves it, ` +
      "or start it with the colony owner's key (COLONIES_COLONY_PRVKEY) to register itself",
  );
});

test('the SDK Executor says once that it waits for approval, keeps asking, and serves once approved', async () => {
  const key = generateKeyPair();
  const type = 'sdk-approval';
  await f.a.ownerClient.addExecutor({ executorname: 'waiting-3', executorid: key.id, executortype: type });
  const errors: unknown[] = [];
  const ex = new Executor({
    url: f.url,
    colonyname: f.a.colonyname,
    executortype: type,
    executorname: 'waiting-3',
    prvkey: key.prvkey,
    assignTimeout: 1,
    functions: { double: (_ctx, n: number) => 2 * n },
    onError: (err) => errors.push(err),
  });
  const before = await refusals();
  await ex.start();
  try {
    // It keeps asking: several refusals, one report.
    while ((await refusals()) < before + 4) await new Promise((r) => setTimeout(r, 100));
    assert.equal(errors.length, 1, errors.map(String).join('\n'));
    const err = errors[0] as ColoniesError;
    assert.ok(err instanceof ColoniesError);
    assert.equal(err.code, 'EXECUTOR_NOT_APPROVED');
    assert.equal(
      err.message,
      'executor "waiting-3" is registered in colony "colony-a" but PENDING approval: the colony owner approves it with ' +
        '"colonies executor approve --name waiting-3" (POST /colonies/colony-a/executors/waiting-3/approve); ' +
        'it keeps asking meanwhile and serves once it is let in',
    );
    await f.a.ownerClient.approveExecutor('waiting-3');
    const p = await f.a.userClient.submit({ funcname: 'double', executortype: type, args: [21] });
    const done = await f.a.userClient.waitForProcess(p.processid, 30_000);
    assert.deepEqual([done.state, done.out], ['SUCCESS', [42]]);
  } finally {
    await ex.stop(1000);
  }
});
