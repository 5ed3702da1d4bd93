/** `colonies process …` and `colonies log get` against a fixture server, with an SDK executor in this test process. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fixture } from '../helpers/fixture.ts';
import type { ExecutionContext } from '../../executor/executor.ts';
import type { Process } from '../../protocol/types.ts';
import { cliFixture, errorLine, run, tableRows, userEnv, type CliFixture } from './helpers.ts';

const TYPE = 'cli-proc';
let f: Fixture;
let dir: string;
let env: CliFixture['env'];
let stop: CliFixture['stop'];
let release: () => void = () => undefined;
const held = new Promise<void>((r) => (release = r));

before(async () => {
  ({ f, dir, env, stop } = await cliFixture({
    name: TYPE,
    concurrency: 3,
    functions: {
      sum_nums: (_ctx: ExecutionContext, a: number, b: number) => a + b,
      boom: () => {
        throw new Error('boom: the function failed');
      },
      chatty: async (ctx: ExecutionContext, n: number) => {
        for (let i = 1; i <= n; i++) await ctx.log(`line ${i} of ${n}`);
        return n;
      },
      hold: async () => {
        await held;
        return 'released';
      },
    },
  }));
});
after(async () => {
  release();
  await stop();
});

const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const ID = /^[0-9a-f]{64}\n$/;

describe('process submit', () => {
  test('inline flags: prints the id; --wait prints the output as JSON', async () => {
    const r = await run(['process', 'submit', '--funcname', 'no_such_executor_fn', '--args', '[1]', '--type', 'nobody-serves-this'], env());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, ID);
    const p = await f.a.userClient.getProcess(r.stdout.trim());
    assert.deepEqual(p.spec.args, [1]);
    assert.equal(p.spec.executortype, 'nobody-serves-this');

    const w = await run(['process', 'submit', '--funcname', 'sum_nums', '--args', '[1, 2]', '--type', TYPE, '--wait'], env());
    assert.equal(w.code, 0, w.stderr);
    assert.equal(w.stdout, '[3]\n');
    assert.match(w.stderr, /SUCCESS/);
  });

  test('--spec file with --wait --json prints the finished process; a failing function is exit 1 with its error', async () => {
    const spec = file('sum.json', JSON.stringify({ funcname: 'sum_nums', args: [20, 22], executortype: TYPE, maxexectime: 30 }));
    const ok = await run(['process', 'submit', '--spec', spec, '--wait', '--json'], env());
    assert.equal(ok.code, 0, ok.stderr);
    const p = JSON.parse(ok.stdout) as Process;
    assert.equal(p.state, 'SUCCESS');
    assert.deepEqual(p.out, [42]);

    const bad = await run(['process', 'submit', '--funcname', 'boom', '--type', TYPE, '--wait'], env());
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    const lines = bad.stderr.trim().split('\n');
    const e = /^error: FAILED: process ([0-9a-f]{64}) \(boom\) ended FAILED: boom: the function failed \(attempt 1 of 1\)$/.exec(lines.at(-1)!);
    assert.ok(e, bad.stderr);

    // The failed process: psf lists it with its error, get shows the error with its stack.
    const psf = await run(['process', 'psf'], env());
    const rows = tableRows(psf.stdout);
    assert.deepEqual(rows[0], ['PROCESS ID', 'FUNCNAME', 'ARGS', 'EXECUTOR TYPE', 'WORKFLOW', 'END TIME', 'ERROR']);
    const row = rows.find((r) => r[0] === e[1]);
    assert.ok(row, psf.stdout);
    assert.equal(row[1], 'boom');
    assert.equal(row[4], '-', 'a standalone process belongs to no workflow');
    assert.equal(row[6], 'boom: the function failed (attempt 1 of 1)');

    const get = await run(['process', 'get', '-p', e[1]!], env());
    assert.equal(get.code, 0, get.stderr);
    for (const section of ['Process ', 'Function spec', 'Input / output', 'Times', 'Errors'])
      assert.match(get.stdout, new RegExp(`^${section}`, 'm'));
    assert.match(get.stdout, /│ State +│ FAILED/);
    assert.match(get.stdout, /│ Executor +│ cli-proc-\d+ \(/);
    assert.match(get.stdout, /│ Initiator +│ alice \(/);
    assert.match(get.stdout, /│ 2 +│ Error: boom: the function failed/);
    assert.match(get.stdout, /│ +│ +at /); // the stack, one frame per line
  });

  test('bad input is exit 2 before anything is sent: missing file, invalid JSON, schema, a list, a bad --args', async () => {
    const invalid = file('invalid.json', '{"funcname": "x",');
    const noType = file('notype.json', JSON.stringify({ funcname: 'x' }));
    const list = file('list.json', JSON.stringify([{ funcname: 'x', executortype: TYPE }]));
    const rs = await Promise.all([
      run(['process', 'submit', '--spec', join(dir, 'missing.json')], env()),
      run(['process', 'submit', '--spec', invalid], env()),
      run(['process', 'submit', '--spec', noType], env()),
      run(['process', 'submit', '--spec', list], env()),
      run(['process', 'submit', '--funcname', 'x', '--type', TYPE, '--args', '{"a":1}'], env()),
    ]);
    assert.deepEqual(
      rs.map((r) => r.code),
      [2, 2, 2, 2, 2],
    );
    assert.deepEqual(
      rs.map((r) => errorLine(r).code),
      ['FILE_NOT_FOUND', 'BAD_SPEC', 'VALIDATION_FAILED', 'VALIDATION_FAILED', 'USAGE'],
    );
    assert.match(errorLine(rs[0]).message, /missing\.json does not exist/);
    assert.match(errorLine(rs[1]).message, /invalid\.json:1:18: invalid JSON: unexpected end of input: '}' is missing$/);
    assert.match(errorLine(rs[2]).message, /executortype: executortype is required/);
    assert.match(errorLine(rs[3]).message, /workflow submit/);
    assert.match(errorLine(rs[4]).message, /--args must be a JSON array/);
  });

  test('--maxretries -1 with --retrydelay retries without limit and process get shows it; -2, or -1 without a delay, is refused naming the field', async () => {
    const submit = (...flags: string[]) => run(['process', 'submit', '--funcname', 'forever', '--type', 'nobody-serves-this', ...flags], env());
    const [ok, bad, undelayed] = await Promise.all([
      submit('--maxretries', '-1', '--retrydelay', '5', '--retrybackoff', '3'),
      submit('--maxretries', '-2'),
      submit('--maxretries', '-1'),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const id = ok.stdout.trim();
    assert.equal((await f.a.userClient.getProcess(id)).spec.maxretries, -1);
    assert.equal(bad.code, 2);
    assert.equal(errorLine(bad).code, 'VALIDATION_FAILED');
    assert.match(errorLine(bad).message, /maxretries: -1 \(retry without limit\) or 0 to 1000/);
    assert.equal(undelayed.code, 2);
    assert.match(errorLine(undelayed).message, /maxretries: maxretries -1 \(retry without limit\) needs a retrydelay greater than 0/);

    const get = await run(['process', 'get', '-p', id], env());
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /│ Retries +│ 0 of unlimited \(attempt 0\)/);
    assert.match(get.stdout, /│ Max retries +│ unlimited/);
    assert.match(get.stdout, /│ Retry delay +│ 5 s, × 3 each retry, at most 500 s/);
  });

  test('process get and workflow get show a delayed retry: which attempt comes when, and the last error', async () => {
    const type = 'cli-retry-delayed';
    const e = await f.addExecutor(type);
    const spec = { funcname: 'fetch', executortype: type, maxretries: 3, retrydelay: 600 };
    const g = await f.a.userClient.submitWorkflow([spec]);
    const [p] = await e.client.assign({ timeout: 0 });
    const failed = await e.client.fail(p!.processid, p!.attempt, ['connection refused', 'Error: connection refused\n    at fetch (f.ts:1)']);
    // Local time of day: the retry is due in about ten minutes, today unless the test runs near midnight.
    const at = new Date(failed.notbefore!);
    const sameDay = at.toDateString() === new Date().toDateString();
    const hms = [at.getHours(), at.getMinutes(), at.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
    const shown = `retry delayed: attempt 2 of 4 at ${sameDay ? '' : '\\S+ '}${hms}`;
    const [get, wf] = await Promise.all([
      run(['process', 'get', '-p', p!.processid], env()),
      run(['workflow', 'get', '-g', g.processgraphid], env()),
    ]);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, new RegExp(`│ Waiting +│ ${shown}`));
    // The attempt's message, not its trace's first line.
    assert.match(get.stdout, /│ Last error +│ connection refused/);
    assert.equal(wf.code, 0, wf.stderr);
    assert.match(wf.stdout, new RegExp(`fetch: ${shown} \\(last error: connection refused\\)`));
  });
});

describe('process listings, get, cancel, remove', () => {
  test('ps shows running, psw waiting, psc cancelled; --json prints the raw objects; cancel and remove', async () => {
    const running = (await f.a.userClient.submit({ funcname: 'hold', executortype: TYPE })).processid;
    const waiting = (await f.a.userClient.submit({ funcname: 'later', args: ['x', 1], executortype: 'nobody', label: 'batch-7' })).processid;
    await f.a.userClient.submitWorkflow({ name: 'nightly-etl', functionspecs: [{ funcname: 'named-step', executortype: 'nobody' }] });
    const unnamed = await f.a.userClient.submitWorkflow([{ funcname: 'unnamed-step', executortype: 'nobody' }]);
    for (let i = 0; i < 100 && (await f.a.userClient.getProcess(running)).state !== 'RUNNING'; i++) await new Promise((r) => setTimeout(r, 50));

    const [ps, psw, pswJson, labelled, byFuncname] = await Promise.all([
      run(['process', 'ps'], env()),
      run(['process', 'psw'], env()),
      run(['process', 'psw', '--json', '--executortype', 'nobody'], env()),
      run(['process', 'psw', '--label', 'no-such-label'], env()),
      run(['process', 'psw', '--funcname', 'later', '--offset', '0', '--json'], env()),
    ]);
    assert.equal(ps.code, 0, ps.stderr);
    assert.deepEqual(tableRows(ps.stdout)[0], ['PROCESS ID', 'FUNCNAME', 'ARGS', 'EXECUTOR TYPE', 'WORKFLOW', 'START TIME']);
    const runRow = tableRows(ps.stdout).find((r) => r[0] === running);
    assert.ok(runRow, ps.stdout);
    assert.equal(runRow[1], 'hold');
    assert.match(runRow[5]!, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const waitRow = tableRows(psw.stdout).find((r) => r[0] === waiting);
    assert.deepEqual(waitRow?.slice(1, 4), ['later', '["x",1]', 'nobody']);
    assert.equal(tableRows(psw.stdout)[0]![5], 'SUBMISSION TIME');
    assert.equal(waitRow?.[4], '-');
    // A process of a run shows the run's name, or its graph's short id when the run has none.
    const rowOf = (funcname: string) => tableRows(psw.stdout).find((r) => r[1] === funcname);
    assert.equal(rowOf('named-step')?.[4], 'nightly-etl', psw.stdout);
    assert.equal(rowOf('unnamed-step')?.[4], unnamed.processgraphid.slice(0, 12) + '…', psw.stdout);
    const raw = JSON.parse(pswJson.stdout) as Process[];
    assert.ok(raw.some((p) => p.processid === waiting && p.spec.label === 'batch-7'));
    assert.ok(raw.every((p) => p.spec.executortype === 'nobody'));
    assert.deepEqual(
      (JSON.parse(byFuncname.stdout) as Process[]).map((p) => p.processid),
      [waiting],
    );
    assert.equal(labelled.code, 0);
    assert.equal(labelled.stdout, '');
    assert.match(labelled.stderr, /No waiting processes found/);

    // -q: only the ids, one per line, for scripts; nothing at all when there are none; not with --json.
    const [quiet, quietNone, quietJson] = await Promise.all([
      run(['process', 'psw', '--funcname', 'later', '-q'], env()),
      run(['process', 'psw', '--label', 'no-such-label', '--quiet'], env()),
      run(['process', 'psw', '-q', '--json'], env()),
    ]);
    assert.deepEqual([quiet.code, quiet.stdout, quiet.stderr], [0, `${waiting}\n`, '']);
    assert.deepEqual([quietNone.code, quietNone.stdout, quietNone.stderr], [0, '', '']);
    assert.equal(quietJson.code, 2);
    assert.match(errorLine(quietJson).message, /--json or --quiet/);

    const removeRunning = await run(['process', 'remove', '-p', running], env());
    assert.equal(removeRunning.code, 1);
    assert.equal(errorLine(removeRunning).code, 'PROCESS_IS_RUNNING');

    const cancel = await run(['process', 'cancel', '-p', waiting], env());
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, /CANCELLED/);
    const psc = await run(['process', 'psc', '--count', '5'], env());
    assert.ok(tableRows(psc.stdout).some((r) => r[0] === waiting));

    const forced = await run(['process', 'remove', '-p', running, '--force'], env());
    assert.equal(forced.code, 0, forced.stderr);
    const gone = await run(['process', 'get', '-p', running, '--json'], env());
    assert.equal(gone.code, 5);
    release();
  });

  test('removeall refuses without --yes when stdin is not a terminal, takes one state flag, removes', async () => {
    const p = await f.a.userClient.submit({ funcname: 'to_remove', executortype: 'nobody' });
    const owner = () => userEnv(f, f.a, { COLONIES_COLONY_PRVKEY: f.a.owner.prvkey });
    const [refused, twoFlags] = await Promise.all([
      run(['process', 'removeall', '--waiting'], owner()),
      run(['process', 'removeall', '--waiting', '--failed', '--yes'], owner()),
    ]);
    assert.equal(refused.code, 2);
    assert.equal(errorLine(refused).code, 'CONFIRMATION_REQUIRED');
    assert.equal((await f.a.userClient.getProcess(p.processid)).state, 'WAITING');
    assert.equal(twoFlags.code, 2);
    assert.match(errorLine(twoFlags).message, /at most one of --waiting, --successful, --failed, --cancelled/);

    // Removing everything is the colony owner's: a user's key alone is not enough, and the message says whose is.
    const [noOwnerKey, notTheOwner] = await Promise.all([
      run(['process', 'removeall', '--waiting', '--yes'], env()),
      run(['process', 'removeall', '--waiting', '--yes', '--colony-prvkey', f.a.user.prvkey], env()),
    ]);
    assert.equal(noOwnerKey.code, 2);
    assert.deepEqual(errorLine(noOwnerKey), {
      code: 'MISSING_KEY',
      message: `no private key: this needs the colony owner's key: set COLONIES_COLONY_PRVKEY or pass --colony-prvkey (source .colonies/dev.env after "colonies dev")`,
    });
    assert.equal(notTheOwner.code, 4);
    assert.deepEqual(errorLine(notTheOwner), { code: 'FORBIDDEN', message: `only the owner of colony "${f.a.colonyname}" may do this` });
    assert.equal((await f.a.userClient.getProcess(p.processid)).state, 'WAITING');

    const ok = await run(['process', 'removeall', '--waiting', '--yes'], owner());
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^Removed [1-9]\d* processes\n$/);
    await assert.rejects(f.a.userClient.getProcess(p.processid), { code: 'PROCESS_NOT_FOUND' });
  });
});

describe('log get', () => {
  test('prints the lines a function logged, as text, --json and --follow (ends when the process has finished)', async () => {
    const p = await f.a.userClient.submit({ funcname: 'chatty', args: [3], executortype: TYPE });
    const follow = await run(['log', 'get', '-p', p.processid, '--follow'], env());
    assert.equal(follow.code, 0, follow.stderr);
    assert.deepEqual(
      follow.stdout
        .trim()
        .split('\n')
        .map((l) => l.replace(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} {2}/, '')),
      ['line 1 of 3', 'line 2 of 3', 'line 3 of 3'],
    );
    assert.match(follow.stderr, /SUCCESS/);

    const [text, json] = await Promise.all([
      run(['log', 'get', '-p', p.processid, '--count', '2'], env()),
      run(['log', 'get', '-p', p.processid, '--json'], env()),
    ]);
    assert.equal(text.stdout.trim().split('\n').length, 2);
    const entries = JSON.parse(json.stdout) as { message: string; seq: number }[];
    assert.deepEqual(
      entries.map((e) => e.message),
      ['line 1 of 3', 'line 2 of 3', 'line 3 of 3'],
    );
  });
});
