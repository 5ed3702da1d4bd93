import { mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Db, Queryable } from './db.ts';

/** Messages to the store's thread (pglite-thread.ts); `id` pairs each with its reply. */
export type ThreadRequest =
  | { id: number; op: 'query'; sql: string; params: unknown[]; tx?: number }
  | { id: number; op: 'begin'; tx: number }
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'listen'; channel: string }
  | { id: number; op: 'unlisten'; listener: number }
  | { id: number; op: 'dump' }
  | { id: number; op: 'close' };
/** An error as it crosses threads: its message and its own fields (code = SQLSTATE, detail, …). */
export type ThreadError = { message: string; name: string } & Record<string, string | number>;
export type ThreadReply =
  | { id: number; rows: Record<string, unknown>[]; json: string[] }
  | { id: number; error: ThreadError }
  | { id: -1; notify: { listener: number; payload: string } };
type Request = ThreadRequest extends infer T ? (T extends unknown ? Omit<T, 'id'> : never) : never;

/** json and jsonb columns arrive as text (see pglite-thread.ts). */
function parseJson(rows: Record<string, unknown>[], json: string[]) {
  if (json.length > 0)
    for (const row of rows)
      for (const f of json) {
        const v = row[f];
        if (typeof v === 'string') row[f] = JSON.parse(v);
      }
  return rows;
}

/** The store's thread and the requests waiting for its replies. */
function startThread(dataDir: string, from: Uint8Array | undefined) {
  // execArgv: [] — the entry registers tsx itself; flags of the main thread (a profiler, say) stay there.
  const worker = new Worker(new URL('./pglite-thread.mjs', import.meta.url), { workerData: { dataDir, from }, execArgv: [] });
  const pending = new Map<number, { resolve(rows: Record<string, unknown>[]): void; reject(err: Error): void }>();
  const listeners = new Map<number, (payload: string) => void>();
  let nextId = 0;
  let stopped: Error | undefined;

  worker.on('message', (r: ThreadReply) => {
    if ('notify' in r) return listeners.get(r.notify.listener)?.(r.notify.payload);
    const p = pending.get(r.id);
    if (!p) return;
    pending.delete(r.id);
    // An idle store does not keep the process alive (as PGlite on the main thread did not).
    if (pending.size === 0) worker.unref();
    if ('error' in r) p.reject(Object.assign(new Error(r.error.message), r.error));
    else p.resolve(parseJson(r.rows, r.json));
  });
  const stop = (err: Error) => {
    stopped ??= err;
    for (const p of pending.values()) p.reject(stopped);
    pending.clear();
  };
  worker.on('error', (err) => stop(new Error(`the embedded database failed: ${err.message}`, { cause: err })));
  worker.on('exit', (code) => stop(new Error(`the embedded database has stopped (its thread exited with code ${code})`)));

  const expect = (id: number) =>
    new Promise<Record<string, unknown>[]>((resolve, reject) => {
      if (stopped) return reject(stopped);
      if (pending.size === 0) worker.ref();
      pending.set(id, { resolve, reject });
    });
  const ready = expect(0);
  return {
    ready,
    reserveId: () => ++nextId,
    call<R>(req: Request, id = ++nextId): Promise<R[]> {
      const reply = expect(id);
      if (!stopped) worker.postMessage({ ...req, id });
      return reply as Promise<R[]>;
    },
    /** Calls `onPayload` for each notification of the listen request with this id. */
    onNotify(listener: number, onPayload: (payload: string) => void) {
      listeners.set(listener, onPayload);
      return () => listeners.delete(listener);
    },
    stopped: () => stopped !== undefined,
    terminate: () => worker.terminate(),
  };
}

/**
 * The embedded store: PostgreSQL compiled to WASM, one connection, same SQL and migrations, on its own
 * thread (pglite-thread.ts). It never calls fsync, so data survives a process crash but not an OS crash
 * (README, PostgreSQL and replicas).
 */
export interface PgliteDb extends Db {
  /** The whole database as a tarball, which `createPgliteDb(…, { from })` starts from. */
  dump(): Promise<Uint8Array>;
}

/** `from`: a dump to start from (in a fresh data directory): no initdb, and what it holds, already there. */
export async function createPgliteDb(dataDir: string, o: { from?: Uint8Array } = {}): Promise<PgliteDb> {
  if (!dataDir.startsWith('memory://')) mkdirSync(dataDir, { recursive: true });
  const thread = startThread(dataDir, o.from);
  await thread.ready;
  const query: Queryable['query'] = (sql, params) => thread.call({ op: 'query', sql, params: params ? [...params] : [] });
  let transactions = 0;
  let closing: Promise<void> | undefined;

  return {
    engine: 'pglite',
    query,
    // PGlite never waits for the disk anyway.
    relaxed: { query },
    // The thread holds the transaction open, and every other statement back, until its end arrives.
    async transaction(fn) {
      const tx = ++transactions;
      await thread.call({ op: 'begin', tx });
      let result: Awaited<ReturnType<typeof fn>>;
      try {
        result = await fn({ query: (sql, params) => thread.call({ op: 'query', tx, sql, params: params ? [...params] : [] }) });
      } catch (err) {
        await thread.call({ op: 'end', tx, commit: false }).catch(() => {});
        throw err;
      }
      await thread.call({ op: 'end', tx, commit: true });
      return result;
    },
    async listen(channel, onPayload) {
      const listener = thread.reserveId();
      const forget = thread.onNotify(listener, onPayload);
      await thread.call({ op: 'listen', channel }, listener);
      return async () => {
        forget();
        if (!thread.stopped()) await thread.call({ op: 'unlisten', listener });
      };
    },
    async dump() {
      const [row] = await thread.call<{ tarball: Uint8Array }>({ op: 'dump' });
      return row!.tarball;
    },
    close() {
      closing ??= (async () => {
        if (!thread.stopped()) await thread.call({ op: 'close' });
        await thread.terminate();
      })();
      return closing;
    },
  };
}
