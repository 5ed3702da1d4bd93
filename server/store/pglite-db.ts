import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable } from './db.ts';

/**
 * The embedded store: PostgreSQL compiled to WASM, one connection, same SQL and migrations.
 * It never calls fsync, so data survives a process crash but not an OS crash (see README).
 */
export async function createPgliteDb(dataDir: string): Promise<Db> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  const run = async <R>(q: Pick<PGlite, 'query'>, sql: string, params?: readonly unknown[]): Promise<R[]> =>
    (await q.query<R>(sql, params ? [...params] : [])).rows;

  const query: Queryable['query'] = (sql, params) => run(pglite, sql, params);
  return {
    engine: 'pglite',
    query,
    // PGlite never waits for the disk anyway.
    relaxed: { query },
    transaction: (fn) =>
      pglite.transaction(async (t) => {
        const tx: Queryable = { query: (sql, params) => run(t, sql, params) };
        return fn(tx);
      }),
    async listen(channel, onPayload) {
      const unsubscribe = await pglite.listen(channel, onPayload);
      return unsubscribe;
    },
    async close() {
      if (!pglite.closed) await pglite.close();
    },
  };
}
