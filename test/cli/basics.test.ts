/** The CLI's plumbing and its admin nouns: help, usage errors, exit codes, keys, colonies, users, executors. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { generateKeyPair, idOf } from '../../protocol/crypto.ts';
import { baseEnv, closedPort, errorLine, run, tableRows, userEnv } from './helpers.ts';

let f: Fixture;
before(async () => {
  f = await startFixture();
});
after(async () => {
  await f.close();
});

const serverEnv = () => baseEnv({ COLONIES_SERVER_URL: f.url, COLONIES_SERVER_PRVKEY: f.serverKey.prvkey });
const ownerEnv = () => baseEnv({ COLONIES_SERVER_URL: f.url, COLONIES_COLONY_NAME: f.a.colonyname, COLONIES_COLONY_PRVKEY: f.a.owner.prvkey });
const TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

describe('help and usage', () => {
  test('--help lists the nouns, the exit codes and examples; a command has connection options and examples', async () => {
    const [top, ps] = await Promise.all([run(['--help'], baseEnv()), run(['process', 'ps', '--help'], baseEnv())]);
    assert.equal(top.code, 0);
    for (const noun of ['dev', 'server', 'key', 'colony', 'user', 'executor', 'process', 'workflow', 'log'])
      assert.match(top.stdout, new RegExp(`\\n  ${noun}\\b`));
    assert.match(top.stdout, /Exit codes: 0 ok, 1 the work failed, 2 usage/);
    assert.equal(ps.code, 0);
    assert.match(ps.stdout, /--count <n>/);
    assert.match(ps.stdout, /Connection[^\n]*:\n\s+--url <url>/);
    assert.match(ps.stdout, /Examples:\n {2}colonies process ps/);
  });

  test('an unknown command or a bad option value is one USAGE line and exit 2', async () => {
    const [unknown, badCount] = await Promise.all([run(['procss', 'ps'], baseEnv()), run(['process', 'ps', '--count', 'many'], userEnv(f))]);
    assert.equal(unknown.code, 2);
    assert.equal(errorLine(unknown).code, 'USAGE');
    assert.match(errorLine(unknown).message, /unknown command 'procss'.*Did you mean process/);
    assert.equal(badCount.code, 2);
    assert.match(errorLine(badCount).message, /--count <n>.*must be a positive integer/);
  });
});

describe('keys', () => {
  test('key generate prints a private key and its id, as text and as JSON', async () => {
    const [text, json] = await Promise.all([run(['key', 'generate'], baseEnv()), run(['key', 'generate', '--json'], baseEnv())]);
    assert.equal(text.code, 0);
    const m = /^prvkey\s+([0-9a-f]{64})\nid\s+([0-9a-f]{64})\n$/.exec(text.stdout);
    assert.ok(m, text.stdout);
    assert.equal(idOf(m[1]!), m[2]);
    const kp = JSON.parse(json.stdout) as { prvkey: string; id: string };
    assert.equal(idOf(kp.prvkey), kp.id);
    assert.notEqual(kp.prvkey, m[1]);
  });
});

describe('colonies', () => {
  test('add, ls (table and --json), stats, remove', async () => {
    const owner = generateKeyPair();
    const add = await run(['colony', 'add', '--name', 'cli-colony', '--colonyid', owner.id], serverEnv());
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /Colony cli-colony added/);

    const ls = await run(['colony', 'ls'], serverEnv());
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /^╭─+┬─+┬─+╮\n/);
    assert.match(ls.stdout, /╰─+┴─+┴─+╯\n$/);
    const rows = tableRows(ls.stdout);
    assert.deepEqual(rows[0], ['NAME', 'COLONY ID', 'CREATED']);
    const row = rows.find((r) => r[0] === 'cli-colony');
    assert.ok(row);
    assert.equal(row[1], owner.id);
    assert.match(row[2]!, TIME);

    const json = await run(['colony', 'ls', '--json'], serverEnv());
    const list = JSON.parse(json.stdout) as { colonyname: string; colonyid: string }[];
    assert.deepEqual(list.map((c) => c.colonyname).sort(), ['cli-colony', 'colony-a', 'colony-b']);

    const stats = await run(['colony', 'stats', '--json'], userEnv(f));
    assert.equal(stats.code, 0, stats.stderr);
    const s = JSON.parse(stats.stdout) as { processes: Record<string, number>; executors: number };
    assert.equal(s.executors, 1);
    assert.equal(typeof s.processes.WAITING, 'number');

    const statsTable = await run(['colony', 'stats'], userEnv(f));
    assert.match(statsTable.stdout, /^Colony colony-a\n/);
    assert.deepEqual(tableRows(statsTable.stdout)[0], ['STATE', 'PROCESSES', 'WORKFLOWS']);
    assert.deepEqual(
      tableRows(statsTable.stdout)
        .slice(1)
        .map((r) => r[0]),
      ['WAITING', 'RUNNING', 'SUCCESS', 'FAILED', 'CANCELLED', 'SKIPPED', 'HALTED'],
    );
    assert.match(statsTable.stdout, /Executors: 1\n$/);

    const rm = await run(['colony', 'remove', '--name', 'cli-colony'], serverEnv());
    assert.equal(rm.code, 0, rm.stderr);
    const again = await run(['colony', 'remove', '--name', 'cli-colony'], serverEnv());
    assert.equal(again.code, 5);
    assert.equal(errorLine(again).code, 'COLONY_NOT_FOUND');
  });
});

describe('users', () => {
  test('add, ls, remove (colony owner); a user may list but not add', async () => {
    const bob = generateKeyPair();
    const add = await run(['user', 'add', '--name', 'bob', '--userid', bob.id], ownerEnv());
    assert.equal(add.code, 0, add.stderr);
    const ls = await run(['user', 'ls'], userEnv(f));
    assert.equal(ls.code, 0, ls.stderr);
    assert.deepEqual(tableRows(ls.stdout).slice(1).sort(), [
      ['alice', f.a.user.id],
      ['bob', bob.id],
    ]);
    const denied = await run(['user', 'add', '--name', 'eve', '--userid', generateKeyPair().id, '--colony-prvkey', f.a.user.prvkey], userEnv(f));
    assert.equal(denied.code, 4);
    assert.equal(errorLine(denied).code, 'FORBIDDEN');
    const rm = await run(['user', 'remove', '--name', 'bob'], ownerEnv());
    assert.equal(rm.code, 0, rm.stderr);
    const json = JSON.parse((await run(['user', 'ls', '--json'], userEnv(f))).stdout) as { username: string }[];
    assert.deepEqual(
      json.map((u) => u.username),
      ['alice'],
    );
  });
});

describe('executors', () => {
  test('add (PENDING), approve, get, reject, remove, and a missing one is exit 5', async () => {
    const key = generateKeyPair();
    const add = await run(['executor', 'add', '--name', 'gpu-1', '--type', 'gpu', '--executorid', key.id, '--location', 'rack 7'], ownerEnv());
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /Executor gpu-1 added \(type gpu, PENDING\)/);

    const ls = await run(['executor', 'ls'], userEnv(f));
    const rows = tableRows(ls.stdout);
    assert.deepEqual(rows[0], ['NAME', 'TYPE', 'STATE', 'LIVENESS', 'LOCATION', 'LAST HEARD FROM', 'EXECUTOR ID']);
    assert.deepEqual(
      rows.find((r) => r[0] === 'gpu-1'),
      ['gpu-1', 'gpu', 'PENDING', 'offline', 'rack 7', '-', key.id],
    );

    assert.equal((await run(['executor', 'approve', '--name', 'gpu-1'], ownerEnv())).code, 0);
    const get = await run(['executor', 'get', '--name', 'gpu-1'], userEnv(f));
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /^Executor gpu-1\n╭/);
    assert.ok(tableRows(get.stdout).some((r) => r[0] === 'State' && r[1] === 'APPROVED'));
    assert.ok(
      tableRows(get.stdout).some((r) => r[0] === 'Liveness' && r[1] === 'offline'),
      'never heard from',
    );
    assert.ok(tableRows(get.stdout).some((r) => r[0] === 'Executor ID' && r[1] === key.id));

    assert.equal((await run(['executor', 'reject', '--name', 'gpu-1'], ownerEnv())).code, 0);
    const json = JSON.parse((await run(['executor', 'get', '--name', 'gpu-1', '--json'], userEnv(f))).stdout) as {
      state: string;
      executorid: string;
    };
    assert.equal(json.state, 'REJECTED');
    assert.equal(json.executorid, key.id);

    assert.equal((await run(['executor', 'remove', '--name', 'gpu-1'], ownerEnv())).code, 0);
    const gone = await run(['executor', 'get', '--name', 'gpu-1'], userEnv(f));
    assert.equal(gone.code, 5);
    assert.equal(errorLine(gone).code, 'EXECUTOR_NOT_FOUND');
  });
});

describe('errors', () => {
  test('a missing key is exit 2 naming the variable; a malformed key too', async () => {
    const [noKey, noOwner, badKey] = await Promise.all([
      run(['process', 'ps'], baseEnv({ COLONIES_SERVER_URL: f.url, COLONIES_COLONY_NAME: 'colony-a' })),
      run(['colony', 'ls'], baseEnv({ COLONIES_SERVER_URL: f.url })),
      run(['process', 'ps', '--prvkey', 'not-a-key'], userEnv(f)),
    ]);
    assert.equal(noKey.code, 2);
    assert.equal(errorLine(noKey).code, 'MISSING_KEY');
    assert.match(errorLine(noKey).message, /COLONIES_PRVKEY/);
    assert.equal(noOwner.code, 2);
    assert.match(errorLine(noOwner).message, /COLONIES_SERVER_PRVKEY/);
    assert.equal(badKey.code, 2);
    assert.equal(errorLine(badKey).code, 'BAD_KEY');
  });

  test('an unreachable server is exit 3 with one line naming the URL', async () => {
    const port = await closedPort();
    const r = await run(['process', 'ps'], userEnv(f, f.a, { COLONIES_SERVER_URL: `http://127.0.0.1:${port}` }));
    assert.equal(r.code, 3);
    const e = errorLine(r);
    assert.equal(e.code, 'UNREACHABLE');
    assert.match(e.message, new RegExp(`http://127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
    assert.equal(r.stdout, '');
  });

  test('not allowed is exit 4 (a user listing colonies, a member of another colony); not found is exit 5', async () => {
    const [forbidden, otherColony, missing] = await Promise.all([
      run(['colony', 'ls', '--server-prvkey', f.a.user.prvkey], userEnv(f)),
      run(['process', 'ps', '--colony', f.b.colonyname], userEnv(f)),
      run(['process', 'get', '-p', 'ab'.repeat(32)], userEnv(f)),
    ]);
    assert.equal(forbidden.code, 4);
    assert.equal(errorLine(forbidden).code, 'FORBIDDEN');
    assert.equal(otherColony.code, 4);
    assert.equal(errorLine(otherColony).code, 'NOT_A_MEMBER');
    assert.equal(missing.code, 5);
    assert.equal(errorLine(missing).code, 'PROCESS_NOT_FOUND');
  });
});
