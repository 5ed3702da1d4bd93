import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Db, Queryable } from './db.ts';

// Named (prepared) statements save the parse/plan on every hot-path call; the name is the text's hash.
const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = 'c' + createHash('sha1').update(sql).digest('hex').slice(0, 20);
    statementNames.set(sql, name);
  }
  return name;
}

async function run<R>(client: pg.Pool | pg.PoolClient, sql: string, params: readonly unknown[] | undefined): Promise<R[]> {
  // Utility statements (DDL, BEGIN) go unnamed: only parameterised queries are worth preparing.
  const res =
    params && params.length > 0 ? await client.query({ name: statementName(sql), text: sql, values: [...params] }) : await client.query(sql);
  return res.rows as R[];
}

export interface PgDbOptions {
  connectionString: string;
  max?: number;
}

export function createPgDb(opts: PgDbOptions): Db {
  const pool = new pg.Pool({ connectionString: opts.connectionString, max: opts.max ?? 12 });
  // Claims commit without waiting for the WAL flush (see Db.relaxed): a few connections suffice, as
  // concurrent claims share one statement.
  const relaxedPool = new pg.Pool({ connectionString: opts.connectionString, max: 3, options: '-c synchronous_commit=off' });
  // An idle client losing its connection must not crash the server; the pool replaces it.
  pool.on('error', () => {});
  relaxedPool.on('error', () => {});
  const listeners: pg.Client[] = [];

  return {
    engine: 'postgres',
    query: (sql, params) => run(pool, sql, params),
    relaxed: { query: (sql, params) => run(relaxedPool, sql, params) },
    async transaction(fn) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const tx: Queryable = { query: (sql, params) => run(client, sql, params) };
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackErr) {
          broken = rollbackErr as Error;
        }
        throw err;
      } finally {
        client.release(broken);
      }
    },
    async listen(channel, onPayload) {
      const client = new pg.Client({ connectionString: opts.connectionString });
      client.on('error', () => {});
      await client.connect();
      client.on('notification', (msg) => {
        if (msg.channel === channel) onPayload(msg.payload ?? '');
      });
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      listeners.push(client);
      return async () => {
        listeners.splice(listeners.indexOf(client), 1);
        await client.end().catch(() => {});
      };
    },
    async close() {
      await Promise.all(listeners.splice(0).map((c) => c.end().catch(() => {})));
      await Promise.all([pool.end(), relaxedPool.end()]);
    },
  };
}
