/** `colonies dev` and `colonies server start` as subprocesses: env file, a working colony, graceful stop, reuse of keys. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, idOf } from '../../protocol/crypto.ts';
import { createPostgresDatabase, testEngine } from '../helpers/db.ts';
import { parseEnvFile } from '../../cli/dev.ts';
import { baseEnv, closedPort, run, start, tableRows } from './helpers.ts';

let cwd: string;
before(() => {
  cwd = mkdtempSync(join(tmpdir(), 'colonies-cli-dev-'));
});
after(() => {
  rmSync(cwd, { recursive: true, force: true });
});

test('colonies dev: prints URL, env file and keys; the env works; SIGTERM stops it with exit 0; a second run reuses the keys', async () => {
  const port = await closedPort();
  const dev = start(['dev', '--port', String(port)], baseEnv(), { cwd });
  let envFile: string;
  let env: Record<string, string>;
  try {
    const m = await dev.waitFor(/env file +(\S+) \(keys created\)/, 60_000);
    envFile = m[1]!;
    await dev.waitFor(/Ctrl-C stops the server/);
    assert.equal(envFile, join(cwd, '.colonies', 'dev.env'));
    assert.match(dev.stdout(), new RegExp(`running at http://127\\.0\\.0\\.1:${port}\\n`));
    assert.match(dev.stdout(), /source \.colonies\/dev\.env/);
    assert.match(dev.stdout(), /colonies executor start --functions examples\/functions\.ts/);
    assert.equal(statSync(envFile).mode & 0o777, 0o600);
    env = parseEnvFile(readFileSync(envFile, 'utf8'));
    assert.equal(env.COLONIES_SERVER_URL, `http://127.0.0.1:${port}`);
    assert.equal(env.COLONIES_COLONY_NAME, 'dev');
    assert.equal(env.COLONIES_EXECUTOR_TYPE, 'ts-executor');
    for (const k of ['COLONIES_PRVKEY', 'COLONIES_COLONY_PRVKEY', 'COLONIES_SERVER_PRVKEY', 'COLONIES_EXECUTOR_PRVKEY']) {
      assert.match(env[k]!, /^[0-9a-f]{64}$/, k);
      assert.ok(dev.stdout().includes(`${k}=${env[k]}`), `the banner shows ${k}`);
    }

    const [stats, executors] = await Promise.all([
      run(['colony', 'stats'], baseEnv(env), { cwd }),
      run(['executor', 'ls', '--json'], baseEnv(env), { cwd }),
    ]);
    assert.equal(stats.code, 0, stats.stderr);
    assert.match(stats.stdout, /^Colony dev\n/);
    assert.match(stats.stdout, /Executors: 1\n$/);
    assert.deepEqual(tableRows(stats.stdout)[1], ['WAITING', '0', '0']);
    const [e] = JSON.parse(executors.stdout) as { executorname: string; executorid: string; state: string }[];
    assert.deepEqual(
      { name: e?.executorname, id: e?.executorid, state: e?.state },
      { name: 'dev-executor', id: idOf(env.COLONIES_EXECUTOR_PRVKEY!), state: 'APPROVED' },
    );
  } finally {
    const stopped = await dev.stop('SIGTERM');
    assert.equal(stopped.code, 0, stopped.stderr);
  }
  assert.ok(!existsSync(join(cwd, '.colonies', 'dev.pid')), 'the pid file is removed');

  // --env prints the same setup as export lines, without starting a server.
  const printed = await run(['dev', '--env'], baseEnv(), { cwd });
  assert.equal(printed.code, 0, printed.stderr);
  assert.ok(
    printed.stdout
      .split('\n')
      .filter(Boolean)
      .every((l) => /^export COLONIES_[A-Z_]+=\S+$/.test(l)),
  );
  assert.deepEqual(parseEnvFile(printed.stdout), env);

  // A second run reuses keys, store and port; provisioning is idempotent.
  const again = start(['dev'], baseEnv(), { cwd });
  try {
    await again.waitFor(/env file +\S+ \(keys reused\)/, 60_000);
    await again.waitFor(/Ctrl-C stops the server/);
    assert.match(again.stdout(), new RegExp(`running at http://127\\.0\\.0\\.1:${port}\\n`));
    assert.deepEqual(parseEnvFile(readFileSync(envFile, 'utf8')), env);
  } finally {
    const stopped = await again.stop('SIGINT');
    assert.equal(stopped.code, 0, stopped.stderr);
  }
});

test('colonies dev --env in a fresh directory creates the keys and prints them', async () => {
  const fresh = mkdtempSync(join(tmpdir(), 'colonies-cli-dev-env-'));
  try {
    const r = await run(['dev', '--env', '--port', '50123'], baseEnv(), { cwd: fresh });
    assert.equal(r.code, 0, r.stderr);
    const env = parseEnvFile(r.stdout);
    assert.equal(env.COLONIES_SERVER_URL, 'http://127.0.0.1:50123');
    assert.deepEqual(parseEnvFile(readFileSync(join(fresh, '.colonies', 'dev.env'), 'utf8')), env);
    assert.ok(!existsSync(join(fresh, '.colonies', 'data')), 'no server was started');
  } finally {
    rmSync(fresh, { recursive: true, force: true });
  }
});

test('colonies server start: serves on the given port (PostgreSQL or embedded, as this run tests), stops with exit 0 on SIGTERM', async () => {
  const port = await closedPort();
  const serverKey = generateKeyPair();
  const pg = testEngine() === 'postgres' ? await createPostgresDatabase() : undefined;
  const server = start(
    ['server', 'start', '--port', String(port), '--host', '127.0.0.1'],
    baseEnv({ COLONIES_SERVER_PRVKEY: serverKey.prvkey, ...(pg ? { COLONIES_DATABASE_URL: pg.url } : { COLONIES_DATA_DIR: 'memory://' }) }),
  );
  try {
    const [line] = await server.waitFor(/^\{.*"msg":"colonies server listening".*\}$/m, 60_000, 'stderr');
    const listening = JSON.parse(line) as { level: string; engine: string };
    assert.deepEqual([listening.level, listening.engine], ['info', pg ? 'postgres' : 'pglite']);
    const owner = generateKeyPair();
    const env = baseEnv({ COLONIES_SERVER_URL: `http://127.0.0.1:${port}`, COLONIES_SERVER_PRVKEY: serverKey.prvkey });
    const add = await run(['colony', 'add', '--name', 'started', '--colonyid', owner.id, '--json'], env);
    assert.equal(add.code, 0, add.stderr);
    assert.equal((JSON.parse(add.stdout) as { colonyname: string }).colonyname, 'started');
  } finally {
    const stopped = await server.stop('SIGTERM');
    await pg?.drop();
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stderr, /"msg":"stopped"/);
  }
});
