/**
 * The store contract, exercised through the services on the engine this run tests (the runner runs
 * the file on PGlite and on PostgreSQL): migrations, durability across a restart, unique violations,
 * cascades, queue order and SKIP LOCKED claims.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTestDb, type TestDb } from '../helpers/db.ts';
import { createColoniesServer, type ColoniesServer } from '../../server/main.ts';
import { loadServerConfig, type ServerConfig } from '../../server/config.ts';
import { ManualClock } from '../../server/clock.ts';
import { silentLogger } from '../../server/log.ts';
import { isAppError } from '../../server/errors.ts';
import { loadMigrations, migrate } from '../../server/store/migrate.ts';
import { sqlState } from '../../server/store/db.ts';
import { FunctionSpec, type FunctionSpecInput } from '../../protocol/schemas.ts';
import { generateKeyPair } from '../../protocol/crypto.ts';

const clock = new ManualClock(Date.UTC(2026, 0, 1));
const config: ServerConfig = { ...loadServerConfig({}), logLevel: 'silent' };
let testDb: TestDb;
let server: ColoniesServer;

before(async () => {
  testDb = await openTestDb();
  server = await createColoniesServer(config, { db: testDb.db, clock, log: silentLogger, loops: false });
});
after(async () => {
  await server.close();
  await testDb.drop();
});

const spec = (o: Partial<FunctionSpecInput> & { executortype: string }) => FunctionSpec.parse({ funcname: 'f', ...o });
const owner = generateKeyPair();
const user = generateKeyPair();
let colonies = 0;

/** A fresh colony with an owner key, and an approved executor of `type`. */
async function colony(s: ColoniesServer, type = 't'): Promise<{ colonyname: string; executor: { id: string; executortype: string } }> {
  const colonyname = `store-${++colonies}-${Math.random().toString(36).slice(2, 8)}`;
  await s.services.colonies.addColony(colonyname, owner.id);
  const executor = { id: generateKeyPair().id, executortype: type };
  await s.services.colonies.addExecutor(colonyname, { executorname: 'worker', executorid: executor.id, executortype: type, location: 'here' });
  await s.services.colonies.setExecutorState(colonyname, 'worker', 'APPROVED');
  return { colonyname, executor };
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isAppError(err), `expected an AppError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

test('migrations are recorded once and running them again applies nothing', async () => {
  const files = loadMigrations();
  assert.ok(files.length >= 1);
  const rows = await testDb.db.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');
  assert.deepEqual(
    rows.map((r) => ({ version: r.version, name: r.name })),
    files.map((m) => ({ version: m.version, name: m.name })),
  );
  assert.deepEqual(await migrate(testDb.db), [], 'a second run applies nothing');
  assert.deepEqual(await migrate(testDb.db), [], 'nor a third');
  const after = await testDb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
  assert.equal(after[0]!.n, files.length);
  // The schema is intact and usable after the re-runs.
  const c = await colony(server);
  await server.services.processes.submit(c.colonyname, spec({ executortype: 't' }), user.id);
  assert.equal((await server.services.processes.stats(c.colonyname)).WAITING, 1);
});

test('data survives a restart of the server (same data dir / same database)', async () => {
  let dataDir: string | undefined;
  const cfg: ServerConfig = { ...config };
  if (testDb.engine === 'pglite') {
    dataDir = mkdtempSync(join(tmpdir(), 'colonies-store-'));
    cfg.dataDir = dataDir;
    cfg.databaseUrl = undefined;
  } else {
    cfg.databaseUrl = testDb.url;
    cfg.dbPoolSize = 3;
  }
  try {
    // First life: the server opens (and migrates) its own store, writes, and shuts down.
    const first = await createColoniesServer(cfg, { clock, log: silentLogger, loops: false });
    const c = await colony(first, 'durable');
    const done = await first.services.processes.submit(c.colonyname, spec({ executortype: 'durable', args: [1, 'two'] }), user.id);
    const [claimed] = await first.services.processes.assign(c.colonyname, c.executor, 1, 0);
    assert.equal(claimed!.processid, done.processid);
    await first.services.processes.addLog(c.colonyname, c.executor.id, done.processid, 'hello from the first life');
    await first.services.processes.close(c.colonyname, c.executor.id, { processid: done.processid, attempt: 1, out: [{ x: 42 }] });
    const waiting = await first.services.processes.submit(c.colonyname, spec({ executortype: 'durable', priority: 3 }), user.id);
    const g = await first.services.graphs.submit(
      c.colonyname,
      [spec({ executortype: 'durable', nodename: 'a' }), spec({ executortype: 'durable', nodename: 'b', conditions: { dependencies: ['a'] } })],
      user.id,
    );
    await first.close();

    // Second life: everything is still there and the queue carries on.
    const second = await createColoniesServer(cfg, { clock, log: silentLogger, loops: false });
    try {
      assert.deepEqual(await migrate(second.db), [], 'the reopened store is already migrated');
      assert.equal((await second.services.colonies.getColony(c.colonyname)).colonyid, owner.id);
      const ex = await second.services.colonies.getExecutor(c.colonyname, 'worker');
      assert.equal(ex.state, 'APPROVED');
      assert.equal(ex.location, 'here');
      const p = await second.services.processes.get(c.colonyname, done.processid);
      assert.equal(p.state, 'SUCCESS');
      assert.deepEqual(p.in, [1, 'two']);
      assert.deepEqual(p.out, [{ x: 42 }]);
      const logs = await second.services.processes.logs(c.colonyname, done.processid, 0, 10);
      assert.deepEqual(
        logs.map((l) => l.message),
        ['hello from the first life'],
      );
      const graph = await second.services.graphs.getWithProcesses(c.colonyname, g.processgraphid);
      assert.equal(graph.processes.length, 2);
      assert.deepEqual(graph.processes[1]!.parents, [graph.processes[0]!.processid]);
      const next = await second.services.processes.assign(c.colonyname, c.executor, 5, 0);
      assert.deepEqual(
        next.map((x) => x.processid),
        [waiting.processid, graph.processes[0]!.processid],
        'the queue survived, in priority order',
      );
    } finally {
      await second.close();
    }
  } finally {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
});

test('parameterised statements (prepared on both engines) round-trip every bound type and survive their own errors', async () => {
  const { db } = testDb;
  const sql = `SELECT $1::text AS t, $2::int AS i, $3::timestamptz AS at, $4::jsonb AS j, $5::text[] AS a, $6::text AS missing`;
  const at = new Date(Date.UTC(2026, 4, 6, 7, 8, 9, 123));
  for (let round = 0; round < 8; round++) {
    // Eight runs: past the point where PostgreSQL's plan cache may switch to a generic plan.
    const [row] = await db.query<{ t: string; i: number; at: Date; j: unknown; a: string[]; missing: null }>(sql, [
      `it's ${round}`,
      round,
      at,
      JSON.stringify({ round, nested: ['x'] }),
      ['a', 'b,c', ''],
      null,
    ]);
    assert.deepEqual(row, { t: `it's ${round}`, i: round, at, j: { round, nested: ['x'] }, a: ['a', 'b,c', ''], missing: null });
  }
  // A failing run reports its SQLSTATE; the statement and the connection stay usable.
  const cast = `SELECT $1::int AS n`;
  assert.deepEqual(await db.query(cast, ['41']), [{ n: 41 }]);
  await assert.rejects(db.query(cast, ['forty-two']), (err: unknown) => sqlState(err) === '22P02');
  assert.deepEqual(await db.query(cast, ['42']), [{ n: 42 }]);
  await assert.rejects(db.query(`SELECT $1::int FROM no_such_table`, [1]), (err: unknown) => sqlState(err) === '42P01');
  assert.deepEqual(await db.query(cast, ['43']), [{ n: 43 }]);
});

test("a transaction's parameterised statements run prepared too; a failing one rolls its transaction back", async () => {
  const { db } = testDb;
  const sql = `SELECT $1::text AS t, $2::int AS i, $3::timestamptz AS at, $4::jsonb AS j, $5::text[] AS a, $6::text AS missing /* in a transaction */`;
  const at = new Date(Date.UTC(2026, 4, 6, 7, 8, 9, 123));
  await db.transaction(async (tx) => {
    for (let round = 0; round < 8; round++) {
      const [row] = await tx.query(sql, [`it's ${round}`, round, at, JSON.stringify({ round }), ['a', 'b,c', ''], null]);
      assert.deepEqual(row, { t: `it's ${round}`, i: round, at, j: { round }, a: ['a', 'b,c', ''], missing: null });
    }
    // The connection knows it by name: parsed once, not on every run.
    const known = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement = $1`, [sql]);
    assert.deepEqual(known, [{ n: 1 }]);
  });
  const insert = 'INSERT INTO colonies (colonyname, colonyid, created) VALUES ($1, $2, $3)';
  const named = async (colonyname: string) =>
    (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM colonies WHERE colonyname = $1', [colonyname]))[0]!.n;
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.query(insert, ['tx-prepared-rolled-back', 'id', at]);
      await tx.query(`SELECT $1::int AS n`, ['forty-two']);
    }),
    (err: unknown) => sqlState(err) === '22P02',
  );
  assert.equal(await named('tx-prepared-rolled-back'), 0, 'the failing statement rolled back the insert before it');
  // The statement first run in the rolled-back transaction still runs (and commits) in the next one.
  await db.transaction((tx) => tx.query(insert, ['tx-prepared-committed', 'id', at]));
  assert.equal(await named('tx-prepared-committed'), 1);
});

test('unique violations surface as ALREADY_EXISTS', async () => {
  const { colonies: cs, graphs, processes } = server.services;
  const c = await colony(server);
  await rejectsWith(cs.addColony(c.colonyname, generateKeyPair().id), 'ALREADY_EXISTS');
  await rejectsWith(
    cs.addExecutor(c.colonyname, { executorname: 'worker', executorid: generateKeyPair().id, executortype: 't', location: '' }),
    'ALREADY_EXISTS',
  );
  await rejectsWith(
    cs.addExecutor(c.colonyname, { executorname: 'other-name', executorid: c.executor.id, executortype: 't', location: '' }),
    'ALREADY_EXISTS',
  );
  const alice = generateKeyPair().id;
  await cs.addUser(c.colonyname, 'alice', alice);
  await rejectsWith(cs.addUser(c.colonyname, 'alice', generateKeyPair().id), 'ALREADY_EXISTS');
  await rejectsWith(cs.addUser(c.colonyname, 'bob', alice), 'ALREADY_EXISTS');
  // The same names are free in another colony.
  const other = await colony(server);
  await cs.addUser(other.colonyname, 'alice', alice);

  // A nodename names one process in its graph: add_child with a taken name is refused whole.
  const g = await graphs.submit(c.colonyname, [spec({ executortype: 't', nodename: 'root' })], user.id);
  const [root] = await processes.assign(c.colonyname, c.executor, 1, 0);
  await rejectsWith(
    graphs.addChildren(c.colonyname, g.processgraphid, c.executor.id, root!.processid, [
      { spec: spec({ executortype: 't' }), nodename: 'fresh', insert: false },
      { spec: spec({ executortype: 't' }), nodename: 'root', insert: false },
    ]),
    'ALREADY_EXISTS',
  );
  const after = await graphs.getWithProcesses(c.colonyname, g.processgraphid);
  assert.equal(after.processes.length, 1, 'the refused batch wrote nothing');
  assert.equal(after.processcount, 1);
  assert.deepEqual(after.processes[0]!.children, []);
});

test('removing a colony removes everything in it, and nothing elsewhere', async () => {
  const { colonies: cs, graphs, processes } = server.services;
  const doomed = await colony(server);
  const kept = await colony(server);
  for (const c of [doomed, kept]) {
    await cs.addUser(c.colonyname, 'u', generateKeyPair().id);
    await processes.submit(c.colonyname, spec({ executortype: 't' }), user.id);
    await graphs.submit(
      c.colonyname,
      [spec({ executortype: 't', nodename: 'a' }), spec({ executortype: 't', nodename: 'b', conditions: { dependencies: ['a'] } })],
      user.id,
    );
    const [running] = await processes.assign(c.colonyname, c.executor, 1, 0);
    await processes.addLog(c.colonyname, c.executor.id, running!.processid, 'a line');
  }
  // Every table that names a colony, found from the schema so that later tables are covered too.
  const tables = (
    await testDb.db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.columns WHERE column_name = 'colonyname' AND table_schema = current_schema() ORDER BY table_name`,
    )
  ).map((r) => r.table_name);
  assert.ok(tables.includes('processes') && tables.includes('logs') && tables.includes('executors'));
  const rowsIn = async (colonyname: string) => {
    const counts: Record<string, number> = {};
    for (const t of tables)
      counts[t] = (await testDb.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${t}" WHERE colonyname = $1`, [colonyname]))[0]!.n;
    return counts;
  };
  const before = await rowsIn(doomed.colonyname);
  assert.ok(before.processes === 3 && before.processgraphs === 1 && before.logs === 1 && before.users === 1 && before.executors === 1);
  const keptBefore = await rowsIn(kept.colonyname);

  await cs.removeColony(doomed.colonyname);
  const gone = await rowsIn(doomed.colonyname);
  for (const t of tables) assert.equal(gone[t], 0, `${t} still has rows of the removed colony`);
  assert.deepEqual(await rowsIn(kept.colonyname), keptBefore);
  await rejectsWith(cs.getColony(doomed.colonyname), 'COLONY_NOT_FOUND');
  await rejectsWith(cs.membership(doomed.colonyname, doomed.executor.id), 'COLONY_NOT_FOUND');
  await rejectsWith(cs.removeColony(doomed.colonyname), 'COLONY_NOT_FOUND');
});

test('queue order: priority first (a priority point is a day of FIFO), FIFO within a priority', async () => {
  const c = await colony(server, 'order');
  const submit = (name: string, priority: number) =>
    server.services.processes.submit(c.colonyname, spec({ executortype: 'order', funcname: name, priority }), user.id);
  clock.advance(1000);
  await submit('p0-first', 0);
  await submit('p0-same-instant', 0); // same timestamp: insertion order decides
  await submit('p2', 2);
  await submit('neg', -1);
  clock.advance(60_000);
  await submit('p0-later', 0);
  await submit('p1', 1);
  await submit('p2-later', 2);
  clock.advance(23 * 3600 * 1000); // almost a day later
  await submit('p1-next-day', 1); // still ahead of yesterday's priority 0 (less than a day later)
  clock.advance(2 * 3600 * 1000);
  await submit('p1-after-a-day', 1); // more than a day after the priority-0 work: behind it
  clock.advance(24 * 3600 * 1000);
  await submit('p0-two-days-later', 0); // behind 'neg', whose priority -1 put it a day back
  const got: string[] = [];
  for (;;) {
    const [p] = await server.services.processes.assign(c.colonyname, c.executor, 1, 0);
    if (!p) break;
    got.push(p.spec.funcname);
  }
  assert.deepEqual(got, [
    'p2',
    'p2-later',
    'p1',
    'p1-next-day',
    'p0-first',
    'p0-same-instant',
    'p0-later',
    'p1-after-a-day',
    'neg',
    'p0-two-days-later',
  ]);
});

test('concurrent assigns never hand out the same process (SKIP LOCKED claims)', async () => {
  const c = await colony(server, 'claims');
  const N = 200;
  const ids = new Set<string>();
  for (let i = 0; i < N; i++) ids.add((await server.services.processes.submit(c.colonyname, spec({ executortype: 'claims' }), user.id)).processid);
  const got: string[] = [];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (;;) {
        const ps = await server.services.processes.assign(c.colonyname, c.executor, 7, 0);
        if (ps.length === 0) return;
        got.push(...ps.map((p) => p.processid));
      }
    }),
  );
  assert.equal(got.length, N, 'no process was handed out twice');
  assert.deepEqual(new Set(got), ids);
  const stats = await server.services.processes.stats(c.colonyname);
  assert.equal(stats.RUNNING, N);
  assert.equal(stats.WAITING, 0);
});

test('a claim skips a row another transaction holds locked instead of waiting for it (PostgreSQL)', async (t) => {
  if (testDb.engine !== 'postgres') {
    t.skip('PGlite has one connection: no second transaction can hold a lock meanwhile');
    return;
  }
  const c = await colony(server, 'skip');
  const first = await server.services.processes.submit(c.colonyname, spec({ executortype: 'skip' }), user.id);
  const second = await server.services.processes.submit(c.colonyname, spec({ executortype: 'skip' }), user.id);
  await testDb.db.transaction(async (tx) => {
    await tx.query('SELECT processid FROM processes WHERE processid = $1 FOR UPDATE', [first.processid]);
    // Through the pool's other connections: the head of the queue is locked, so the claim takes the next one at once.
    const started = Date.now();
    const ps = await server.services.processes.assign(c.colonyname, c.executor, 5, 0);
    assert.deepEqual(
      ps.map((p) => p.processid),
      [second.processid],
    );
    assert.ok(Date.now() - started < 2000, 'the claim did not wait for the lock');
  });
  const [p] = await server.services.processes.assign(c.colonyname, c.executor, 5, 0);
  assert.equal(p?.processid, first.processid, 'once the lock is gone the first one is claimed');
});

test('claims commit without waiting for the disk; accepted work (submits, closes) waits for it (PostgreSQL)', async (t) => {
  if (testDb.engine !== 'postgres') {
    t.skip('PGlite never waits for the disk');
    return;
  }
  const setting = async (q: { query: TestDb['db']['query'] }) =>
    (await q.query<{ synchronous_commit: string }>('SHOW synchronous_commit'))[0]!.synchronous_commit;
  assert.equal(await setting(testDb.db.relaxed), 'off');
  assert.equal(await setting(testDb.db), 'on');
  await testDb.db.transaction(async (tx) => assert.equal(await setting(tx), 'on'));
  // And a claim through it is an ordinary claim: the process is RUNNING when read back on another connection.
  const c = await colony(server, 'relaxed');
  const p = await server.services.processes.submit(c.colonyname, spec({ executortype: 'relaxed' }), user.id);
  const [claimed] = await server.services.processes.assign(c.colonyname, c.executor, 1, 0);
  assert.equal(claimed?.processid, p.processid);
  assert.equal((await server.services.processes.get(c.colonyname, p.processid)).state, 'RUNNING');
});
