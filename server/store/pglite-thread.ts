/**
 * The embedded store's own thread: PGlite (PostgreSQL in WASM) runs here, so that its work and the
 * server's HTTP, signatures and JSON use two cores instead of taking turns on one, and the server
 * keeps answering (health, live events, requests that need no database) while a statement or a vacuum
 * runs. Started by pglite-db.ts, which speaks to it in the messages declared there.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, parse, protocol, type Transaction } from '@electric-sql/pglite';
import { GENERIC_PLAN } from './db.ts';
import type { ThreadReply, ThreadRequest, ThreadError } from './pglite-db.ts';

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

const port = parentPort!;
/** The rows of a reply, with the names of its json columns (sent as text). */
type Rows = { rows: Record<string, unknown>[]; json: string[] };
const NONE: Rows = { rows: [], json: [] };
const reply = (r: ThreadReply) => port.postMessage(r);

/** What crosses back of an error: its message and its own fields (code = SQLSTATE, detail, constraint…). */
function threadError(err: unknown): ThreadError {
  const e = err instanceof Error ? err : new Error(String(err));
  const fields: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(e)) if (typeof v === 'string' || typeof v === 'number') fields[k] = v;
  return { ...fields, message: e.message, name: e.name };
}

let pglite: PGlite;
try {
  const { dataDir, from } = workerData as { dataDir: string; from?: Uint8Array<ArrayBuffer> };
  pglite = await PGlite.create(dataDir, from ? { loadDataDir: new Blob([from]) } : {});
  reply({ id: 0, ...NONE });
} catch (err) {
  reply({ id: 0, error: threadError(err) });
  process.exit(1);
}

// Parameterised statements run as named prepared statements, in transactions and outside them, as
// they do on PostgreSQL (pg-db.ts): PGlite's query() parses and plans every statement afresh, which
// costs about as much as running it; a named one is parsed once, and
// after its first few runs PostgreSQL's plan cache keeps a generic plan when that is no dearer.
const prepared = new Map<string, Prepared>();
async function prepare(sql: string): Promise<Prepared> {
  const name = `c${prepared.size}`;
  const { messages } = await pglite.execProtocol(
    concat([protocol.serialize.parse({ name, text: sql }), protocol.serialize.describe({ type: 'S', name }), protocol.serialize.sync()]),
    { syncToFs: false },
  );
  const p = { name, paramTypes: parse.parseDescribeStatementResults(messages), rowDescription: messages.find((m) => m.name === 'rowDescription') };
  prepared.set(sql, p);
  return p;
}
// json and jsonb values cross to the main thread as text, parsed there (ThreadReply.json): a string
// clones in one copy, where a parsed value would be walked twice more (cloned here, rebuilt there).
const JSON_TYPES = new Set([114, 3802]);
const parsers = { ...pglite.parsers, 114: (text: string) => text, 3802: (text: string) => text };
const jsonFields = (fields: { name: string; dataTypeID: number }[]) => fields.filter((f) => JSON_TYPES.has(f.dataTypeID)).map((f) => f.name);
const rowsOf = (r: { rows: Record<string, unknown>[]; fields: { name: string; dataTypeID: number }[] }): Rows => ({
  rows: r.rows,
  json: jsonFields(r.fields),
});

// The plan cache mode of the connection: statements marked GENERIC_PLAN run under force_generic_plan,
// every other one under auto (a list's optional filters, `$2 IS NULL OR state = $2`, need a custom plan to
// use an index). Switched only when the kind changes: a drain's statements are all marked.
let planMode: 'auto' | 'force_generic_plan' = 'auto';
async function usePlanMode(mode: typeof planMode): Promise<void> {
  if (planMode === mode) return;
  // A setting of this connection only: nothing to write to the data directory.
  await pglite.execProtocol(protocol.serialize.query(`SET plan_cache_mode = ${mode}`), { syncToFs: false });
  planMode = mode;
}

/** Binds and runs a statement by its name (prepared on its first run); the caller holds the query lock. */
async function execPrepared(sql: string, params: unknown[], syncToFs: boolean): Promise<Rows> {
  const p = prepared.get(sql) ?? (await prepare(sql));
  const values = params.map((v, i) => {
    if (v === null || v === undefined) return null;
    // Every type this SQL binds has a serializer; anything else goes as text, as query() sends it.
    const serialize = pglite.serializers[p.paramTypes[i]!] ?? pglite.serializers.string!;
    return serialize(v);
  });
  const { messages } = await pglite.execProtocol(
    concat([protocol.serialize.bind({ statement: p.name, values }), protocol.serialize.execute({}), protocol.serialize.sync()]),
    { syncToFs },
  );
  return rowsOf(parse.parseResults(p.rowDescription ? [p.rowDescription, ...messages] : messages, parsers)[0]!);
}

const runPrepared = (sql: string, params: unknown[]): Promise<Rows> =>
  // The same locks as query(): no transaction or other statement runs in between.
  pglite._runExclusiveTransaction(() =>
    pglite._runExclusiveQuery(async () => {
      await usePlanMode(sql.startsWith(GENERIC_PLAN) ? 'force_generic_plan' : 'auto');
      return execPrepared(sql, params, true);
    }),
  );

/** A statement of an open transaction (which holds the transaction lock): prepared when it has parameters, as outside. */
const runInTransaction = async (t: Transaction, sql: string, params: unknown[]): Promise<Rows> =>
  params.length > 0
    ? // The transaction's COMMIT syncs, as its query() would.
      pglite._runExclusiveQuery(() => execPrepared(sql, params, false))
    : rowsOf(await t.query(sql, [], { parsers }));

/** An open transaction: its statements arrive one by one until its end. */
type InTransaction = Extract<ThreadRequest, { op: 'query' | 'end' }>;
interface OpenTransaction {
  push(m: InTransaction): void;
}
const transactions = new Map<number, OpenTransaction>();
// Thrown inside the transaction to make PGlite roll it back; caught below, not an error of the caller.
const ROLLBACK = new Error('rollback requested');

function begin(id: number, tx: number): void {
  const queue: InTransaction[] = [];
  let wake: (() => void) | undefined;
  transactions.set(tx, {
    push(m) {
      queue.push(m);
      wake?.();
    },
  });
  const next = async () => {
    while (queue.length === 0) await new Promise<void>((r) => (wake = r));
    wake = undefined;
    return queue.shift()!;
  };
  let started = false;
  let endId: number | undefined;
  pglite
    .transaction(async (t) => {
      // Its statements are planned as usual; SET LOCAL ends with the transaction, so planMode stays true.
      if (planMode !== 'auto') await t.exec('SET LOCAL plan_cache_mode = auto');
      started = true;
      reply({ id, ...NONE });
      for (;;) {
        const m = await next();
        if (m.op === 'end') {
          endId = m.id;
          if (!m.commit) throw ROLLBACK;
          return;
        }
        try {
          reply({ id: m.id, ...(await runInTransaction(t, m.sql, m.params)) });
        } catch (err) {
          reply({ id: m.id, error: threadError(err) });
        }
      }
    })
    .then(
      () => reply({ id: endId!, ...NONE }),
      (err: unknown) => {
        if (err === ROLLBACK) reply({ id: endId!, ...NONE });
        else reply({ id: started && endId !== undefined ? endId : id, error: threadError(err) });
      },
    )
    .finally(() => transactions.delete(tx));
}

const listeners = new Map<number, () => Promise<void>>();

/** A request outside any transaction; its answer is the rows (none for the utility requests). */
async function run(m: Exclude<ThreadRequest, { op: 'begin' | 'end' }>): Promise<Rows> {
  switch (m.op) {
    case 'query':
      return m.params.length > 0 ? runPrepared(m.sql, m.params) : rowsOf(await pglite.query(m.sql, [], { parsers }));
    case 'listen':
      listeners.set(m.id, await pglite.listen(m.channel, (payload) => reply({ id: -1, notify: { listener: m.id, payload } })));
      return NONE;
    case 'unlisten':
      await listeners.get(m.listener)?.();
      listeners.delete(m.listener);
      return NONE;
    case 'dump': {
      const tarball = new Uint8Array(await (await pglite.dumpDataDir('none')).arrayBuffer());
      return { rows: [{ tarball }], json: [] };
    }
    case 'close':
      if (!pglite.closed) await pglite.close();
      return NONE;
  }
}

port.on('message', (m: ThreadRequest) => {
  if (m.op === 'begin') return begin(m.id, m.tx);
  // A transaction's statements and its end go to it, in order.
  if (m.op === 'end' || (m.op === 'query' && m.tx !== undefined)) return transactions.get(m.tx!)!.push(m);
  run(m).then(
    (rows) => reply({ id: m.id, ...rows }),
    (err: unknown) => reply({ id: m.id, error: threadError(err) }),
  );
});
