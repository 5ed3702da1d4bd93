import { mkdirSync } from 'node:fs';
import { PGlite, parse, protocol } from '@electric-sql/pglite';
import type { Db, Queryable } from './db.ts';

type BackendMessage = Awaited<ReturnType<PGlite['execProtocol']>>['messages'][number];

/** A statement parsed once under a name: its parameter types and the row description of its result. */
interface Prepared {
  name: string;
  paramTypes: number[];
  rowDescription: BackendMessage | undefined;
}

const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

/**
 * The embedded store: PostgreSQL compiled to WASM, one connection, same SQL and migrations.
 * It never calls fsync, so data survives a process crash but not an OS crash (see README).
 */
export async function createPgliteDb(dataDir: string): Promise<Db> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  const run = async <R>(q: Pick<PGlite, 'query'>, sql: string, params?: readonly unknown[]): Promise<R[]> =>
    (await q.query<R>(sql, params ? [...params] : [])).rows;

  // Parameterised statements outside transactions run as named prepared statements, as they do on
  // PostgreSQL (pg-db.ts): PGlite's query() parses and plans every statement afresh, which cost about
  // as much as running it (a close-and-claim planned in 1.3–2.2 ms); a named one is parsed once, and
  // after its first few runs PostgreSQL's plan cache keeps a generic plan when that is no dearer.
  const prepared = new Map<string, Prepared>();
  const prepare = async (sql: string): Promise<Prepared> => {
    const name = `c${prepared.size}`;
    const { messages } = await pglite.execProtocol(
      concat([protocol.serialize.parse({ name, text: sql }), protocol.serialize.describe({ type: 'S', name }), protocol.serialize.sync()]),
      { syncToFs: false },
    );
    const p = { name, paramTypes: parse.parseDescribeStatementResults(messages), rowDescription: messages.find((m) => m.name === 'rowDescription') };
    prepared.set(sql, p);
    return p;
  };
  const runPrepared = <R>(sql: string, params: readonly unknown[]): Promise<R[]> =>
    // The same locks as query(): no transaction or other statement runs in between.
    pglite._runExclusiveTransaction(() =>
      pglite._runExclusiveQuery(async () => {
        const p = prepared.get(sql) ?? (await prepare(sql));
        const values = params.map((v, i) => {
          if (v === null || v === undefined) return null;
          // Every type this SQL binds has a serializer; anything else goes as text, as query() sends it.
          const serialize = pglite.serializers[p.paramTypes[i]!] ?? pglite.serializers.string!;
          return serialize(v);
        });
        const { messages } = await pglite.execProtocol(
          concat([protocol.serialize.bind({ statement: p.name, values }), protocol.serialize.execute({}), protocol.serialize.sync()]),
        );
        return parse.parseResults(p.rowDescription ? [p.rowDescription, ...messages] : messages, pglite.parsers)[0]!.rows as R[];
      }),
    );

  const query: Queryable['query'] = (sql, params) => (params && params.length > 0 ? runPrepared(sql, params) : run(pglite, sql, params));
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
