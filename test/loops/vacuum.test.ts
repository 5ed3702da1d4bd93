import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestDb, type TestDb } from '../helpers/db.ts';
import { startVacuumLoop } from '../../server/loops/maintenance.ts';
import { silentLogger } from '../../server/log.ts';
import type { Db } from '../../server/store/db.ts';

let testDb: TestDb;
before(async () => {
  testDb = await openTestDb();
});
after(async () => {
  await testDb.drop();
});

test('the vacuum loop vacuums every round and analyzes only every n-th, on the real store', async () => {
  const ran: string[] = [];
  // The real database, with every statement the loop sends recorded.
  const recording: Db = { ...testDb.db, query: async (sql, params) => (ran.push(sql), testDb.db.query(sql, params)) };
  const loop = startVacuumLoop(recording, 5, silentLogger, 3);
  while (ran.length < 7) await new Promise((r) => setTimeout(r, 5));
  await loop.stop();
  const A = 'VACUUM (ANALYZE) processes';
  const V = 'VACUUM processes';
  assert.deepEqual(ran.slice(0, 7), [V, V, A, V, V, A, V]);
  // Every one of them succeeded: the table has been analyzed (its row estimate is set).
  const [row] = await testDb.db.query<{ analyzed: boolean }>(`SELECT reltuples >= 0 AS analyzed FROM pg_class WHERE relname = 'processes'`);
  assert.equal(row!.analyzed, true);
});

test('no planner statistics are gathered for the payload columns of processes', async () => {
  // -1 (PostgreSQL 15) or NULL (PostgreSQL 17, under PGlite) is the default target.
  const rows = await testDb.db.query<{ attname: string; attstattarget: number }>(
    `SELECT attname, coalesce(attstattarget, -1) AS attstattarget FROM pg_attribute WHERE attrelid = 'processes'::regclass AND attnum > 0 AND NOT attisdropped
      AND attname IN ('spec', 'input', 'output', 'errors', 'parents', 'children', 'state') ORDER BY attname`,
  );
  assert.deepEqual(Object.fromEntries(rows.map((r) => [r.attname, Number(r.attstattarget)])), {
    children: 0,
    errors: 0,
    input: 0,
    output: 0,
    parents: 0,
    spec: 0,
    state: -1,
  });
});
