/**
 * One migrated database per test file, on the engine this run tests:
 * COLONIES_TEST_ENGINE=pglite (default, in memory) or postgres (a fresh database on
 * COLONIES_TEST_DATABASE_URL's server, dropped at the end).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Db } from '../../server/store/db.ts';
import { createPgDb } from '../../server/store/pg-db.ts';
import { createPgliteDb } from '../../server/store/pglite-db.ts';
import { migrate } from '../../server/store/migrate.ts';

export type Engine = 'pglite' | 'postgres';

export function testEngine(): Engine {
  return process.env.COLONIES_TEST_ENGINE === 'postgres' ? 'postgres' : 'pglite';
}

export interface TestDb {
  db: Db;
  engine: Engine;
  /** Connection string of the test database (postgres only), for a second server replica. */
  url: string | undefined;
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.COLONIES_TEST_DATABASE_URL;
  if (!url) throw new Error('COLONIES_TEST_ENGINE=postgres needs COLONIES_TEST_DATABASE_URL');
  return url;
}

/** A fresh empty PostgreSQL database; returns its URL and a function that drops it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = adminUrl();
  const name = 'colonies_test_' + randomBytes(6).toString('hex');
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE ${name}`);
  await client.end();
  const u = new URL(admin);
  u.pathname = '/' + name;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function openTestDb(engine: Engine = testEngine()): Promise<TestDb> {
  if (engine === 'pglite') {
    const db = await createPgliteDb('memory://');
    await migrate(db);
    return { db, engine, url: undefined, drop: () => db.close() };
  }
  const created = await createPostgresDatabase();
  const db = createPgDb({ connectionString: created.url, max: 8 });
  await migrate(db);
  return {
    db,
    engine,
    url: created.url,
    async drop() {
      await db.close();
      await created.drop();
    },
  };
}
