/**
 * The physical floor: a bare queue table, one statement per step, no framework.
 *   insert (+ NOTIFY in the same statement) → claim with FOR UPDATE SKIP LOCKED → complete,
 * over `connections` connections (one loop each), claiming and completing 1 or `batch` rows per
 * statement. Prepared statements; idle loops wait for a NOTIFY (or 100 ms).
 */
import pg from 'pg';
import type { WorkerArgs } from '../common.ts';
import type { JobRunner, Sink } from './runner.ts';

type Args = Extract<WorkerArgs, { kind: 'raw-sql' }>;

export const RAW_CHANNEL = 'raw_jobs';

export const RAW_SCHEMA = `
CREATE TABLE IF NOT EXISTS raw_jobs (
  id          bigserial PRIMARY KEY,
  payload     jsonb NOT NULL,
  state       smallint NOT NULL DEFAULT 0,
  created_at  timestamptz NOT NULL DEFAULT now(),
  started_at  timestamptz,
  finished_at timestamptz
);
CREATE INDEX IF NOT EXISTS raw_jobs_waiting ON raw_jobs (id) WHERE state = 0;`;

/** One job, one statement: the insert and its wake-up. */
export const RAW_INSERT_ONE = `WITH j AS (INSERT INTO raw_jobs (payload) VALUES ($1) RETURNING id) SELECT pg_notify('${RAW_CHANNEL}', '') FROM j`;
/** Bulk (pre-submission only): n rows in one statement. */
export const RAW_INSERT_MANY = `WITH j AS (INSERT INTO raw_jobs (payload) SELECT p FROM unnest($1::jsonb[]) AS p RETURNING id) SELECT pg_notify('${RAW_CHANNEL}', '') FROM (SELECT 1 FROM j LIMIT 1) x`;

const CLAIM = `UPDATE raw_jobs SET state = 1, started_at = now()
  WHERE id IN (SELECT id FROM raw_jobs WHERE state = 0 ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
  RETURNING id, payload`;
const COMPLETE_ONE = `UPDATE raw_jobs SET state = 2, finished_at = now() WHERE id = $1`;
const COMPLETE_MANY = `UPDATE raw_jobs SET state = 2, finished_at = now() WHERE id = ANY($1::bigint[])`;

export async function createRawRunner(args: Args, sink: Sink): Promise<JobRunner> {
  const clients = await Promise.all(
    Array.from({ length: args.connections }, async () => {
      const c = new pg.Client({ connectionString: args.url });
      c.on('error', (err) => sink.error(err));
      await c.connect();
      return c;
    }),
  );
  const listener = new pg.Client({ connectionString: args.url });
  listener.on('error', (err) => sink.error(err));
  await listener.connect();
  // Wake-ups: a generation counter so that a NOTIFY between an empty claim and the wait is not lost.
  let generation = 0;
  const waiters = new Set<() => void>();
  listener.on('notification', () => {
    generation++;
    for (const w of waiters) w();
    waiters.clear();
  });
  await listener.query(`LISTEN ${RAW_CHANNEL}`);
  const waitFor = (gen: number) =>
    new Promise<void>((resolve) => {
      if (gen !== generation) return resolve();
      const t = setTimeout(done, 100);
      function done() {
        clearTimeout(t);
        waiters.delete(done);
        resolve();
      }
      waiters.add(done);
    });

  let stopping = false;
  let loops: Promise<void>[] = [];

  async function loop(c: pg.Client): Promise<void> {
    while (!stopping) {
      const gen = generation;
      try {
        const { rows } = await c.query<{ id: string; payload: { t?: number } }>({ name: 'claim', text: CLAIM, values: [args.batch] });
        if (rows.length === 0) {
          await waitFor(gen);
          continue;
        }
        for (const r of rows) sink.started(r.payload.t);
        if (rows.length === 1) await c.query({ name: 'complete1', text: COMPLETE_ONE, values: [rows[0]!.id] });
        else await c.query({ name: 'completeN', text: COMPLETE_MANY, values: [rows.map((r) => r.id)] });
        sink.done(rows.length);
      } catch (err) {
        sink.error(err);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  return {
    async start() {
      stopping = false;
      loops = clients.map(loop);
    },
    async stop() {
      stopping = true;
      for (const w of [...waiters]) w();
      await Promise.all(loops);
      loops = [];
    },
    async close() {
      await Promise.all([...clients, listener].map((c) => c.end().catch(() => undefined)));
    },
  };
}
