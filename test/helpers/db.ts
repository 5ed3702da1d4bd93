/**
 * One migrated database per test file, on the engine this run tests:
 * COLONIES_TEST_ENGINE=pglite (default, in memory) or postgres (a fresh database on
 * COLONIES_TEST_DATABASE_URL's server, dropped at the end).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

const MIGRATIONS = new URL('../../migrations/', import.meta.url);

/**
 * A migrated embedded database as a tarball, made once per version of the migrations and PGlite and
 * kept in the temp folder: each test file's store starts from it, skipping initdb and the migrations
 * (about 3 s of a file's start on a 2-core machine). Written whole, then renamed: files starting
 * together may each make it, and none reads half of one.
 */
async function migratedTemplate(): Promise<Uint8Array> {
  const hash = createHash('sha256');
  for (const f of readdirSync(MIGRATIONS).sort()) hash.update(f).update(readFileSync(new URL(f, MIGRATIONS)));
  hash.update(readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url)));
  const file = join(tmpdir(), `colonies-test-pglite-${hash.digest('hex').slice(0, 16)}.tar`);
  try {
    return readFileSync(file);
  } catch {
    const db = await createPgliteDb('memory://');
    try {
      await migrate(db);
      const tarball = await db.dump();
      const partial = `${file}.${process.pid}.partial`;
      writeFileSync(partial, tarball);
      renameSync(partial, file);
      return tarball;
    } finally {
      await db.close();
    }
  }
}

/**
 * A store of its own that can be closed and opened again, for restarts: a PGlite data directory (the
 * first open starts it from the migrated template) or a PostgreSQL database. Each open() connects anew.
 */
export async function reopenableTestDb(): Promise<{ open(): Promise<TestDb>; remove(): Promise<void> }> {
  if (testEngine() === 'pglite') {
    const dir = mkdtempSync(join(tmpdir(), 'colonies-test-store-'));
    let from: Uint8Array | undefined = await migratedTemplate();
    return {
      async open() {
        const db = await createPgliteDb(join(dir, 'data'), { from });
        from = undefined; // from now on, what the directory holds
        return { db, engine: 'pglite', url: undefined, drop: () => db.close() };
      },
      remove: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const created = await createPostgresDatabase();
  return {
    async open() {
      const db = createPgDb({ connectionString: created.url, max: 4 });
      await migrate(db);
      return { db, engine: 'postgres', url: created.url, drop: () => db.close() };
    },
    remove: () => created.drop(),
  };
}

export async function openTestDb(engine: Engine = testEngine()): Promise<TestDb> {
  if (engine === 'pglite') {
    const db = await createPgliteDb('memory://', { from: await migratedTemplate() });
    await migrate(db); // applies none: the template holds them all
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
