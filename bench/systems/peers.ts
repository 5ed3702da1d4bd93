/**
 * The peers on the same PostgreSQL, each in its own fresh database: pg-boss 10.4, graphile-worker
 * 0.17 (the newest that run on Node 20), and a raw SQL queue as the physical floor. Submission goes
 * through each one's ordinary API from the harness process; the workers run in child processes.
 */
import PgBoss from 'pg-boss';
import { makeWorkerUtils, Logger } from 'graphile-worker';
import pg from 'pg';
import { onCleanup } from '../cleanup.ts';
import type { PgAdmin } from '../pg-admin.ts';
import type { Target } from '../target.ts';
import { RAW_INSERT_MANY, RAW_INSERT_ONE, RAW_SCHEMA } from '../workers/raw.ts';

const CHUNK = 1000;
const QUEUE = 'bench';

export interface PeerShape {
  /** Worker child processes and concurrency (slots) in each: 16 in all. */
  children: number;
  slots: number;
  batch: number;
}

async function freshDb(admin: PgAdmin, tag: string) {
  const db = await admin.createDatabase(tag);
  const drop = onCleanup(`drop ${db.name}`, () => admin.dropDatabase(db.name));
  return { db, drop };
}

export interface PeerSystem {
  targets: Target[];
  close(): Promise<void>;
}

export async function startPgBoss(admin: PgAdmin, shape: PeerShape): Promise<PeerSystem> {
  const { db, drop } = await freshDb(admin, 'pgboss');
  const boss = new PgBoss({ connectionString: db.url, max: 20, supervise: false, schedule: false });
  boss.on('error', () => {});
  await boss.start();
  await boss.createQueue(QUEUE);
  const stop = onCleanup('stop pg-boss client', () => boss.stop({ graceful: false, wait: true, timeout: 2000 }));
  const common = {
    system: 'pg-boss',
    role: 'peer' as const,
    store: 'PostgreSQL' as const,
    db,
    async submitBulk(n: number) {
      for (let i = 0; i < n; i += CHUNK) await boss.insert(Array.from({ length: Math.min(CHUNK, n - i) }, () => ({ name: QUEUE, data: {} })));
    },
    async submitOne(t: number) {
      await boss.send(QUEUE, { t });
    },
    async purge() {
      await boss.purgeQueue(QUEUE);
    },
  };
  const worker = (mode: 'work' | 'fetch', pollMs: number) =>
    Array.from({ length: shape.children }, () => ({
      kind: 'pg-boss' as const,
      mode,
      url: db.url,
      queue: QUEUE,
      slots: shape.slots,
      batch: shape.batch,
      pollMs,
    }));
  return {
    targets: [
      {
        ...common,
        id: 'pg-boss-work',
        variant: 'default',
        settings: `work() × ${shape.children * shape.slots} workers, batchSize ${shape.batch}, pollingIntervalSeconds 0.5 (its minimum; default 2)`,
        workers: worker('work', 500),
      },
      {
        ...common,
        id: 'pg-boss-fetch',
        variant: 'batched',
        settings: `${shape.children * shape.slots} loops of fetch(batchSize ${shape.batch}) → complete(ids), 20 ms sleep when empty`,
        workers: worker('fetch', 20),
      },
    ],
    async close() {
      await stop();
      await drop();
    },
  };
}

export async function startGraphile(admin: PgAdmin, shape: PeerShape & { localQueue: number }): Promise<PeerSystem> {
  const { db, drop } = await freshDb(admin, 'graphile');
  // Our own pool, so that its connections are closed (and their errors handled) before the database is dropped.
  const pgPool = new pg.Pool({ connectionString: db.url, max: 20 });
  pgPool.on('error', () => {});
  pgPool.on('connect', (c) => c.on('error', () => {}));
  const utils = await makeWorkerUtils({ pgPool, logger: new Logger(() => () => {}) });
  await utils.migrate();
  const release = onCleanup('release graphile utils', async () => {
    await utils.release();
    await pgPool.end();
  });
  const common = {
    system: 'graphile-worker',
    role: 'peer' as const,
    store: 'PostgreSQL' as const,
    db,
    async submitBulk(n: number) {
      for (let i = 0; i < n; i += CHUNK)
        await utils.addJobs(Array.from({ length: Math.min(CHUNK, n - i) }, () => ({ identifier: 'noop', payload: {} })));
    },
    async submitOne(t: number) {
      await utils.addJob('noop', { t });
    },
    async purge() {
      await utils.withPgClient((c) => c.query('DELETE FROM graphile_worker._private_jobs'));
    },
  };
  const worker = (mode: 'default' | 'batched') =>
    Array.from({ length: shape.children }, () => ({
      kind: 'graphile-worker' as const,
      mode,
      url: db.url,
      slots: shape.slots,
      localQueue: shape.localQueue,
    }));
  return {
    targets: [
      {
        ...common,
        id: 'graphile-worker-default',
        variant: 'default',
        settings: `run() × ${shape.children} processes, concurrency ${shape.slots} each, defaults (LISTEN/NOTIFY)`,
        workers: worker('default'),
      },
      {
        ...common,
        id: 'graphile-worker-batched',
        variant: 'batched',
        settings: `as default + localQueue.size ${shape.localQueue}, completeJobBatchDelay 0, failJobBatchDelay 0 (its performance preset)`,
        workers: worker('batched'),
      },
    ],
    async close() {
      await release();
      await drop();
    },
  };
}

export async function startRawSql(admin: PgAdmin, o: { children: number; connections: number; batch: number }): Promise<PeerSystem> {
  const { db, drop } = await freshDb(admin, 'raw');
  const client = new pg.Pool({ connectionString: db.url, max: 20 });
  client.on('error', () => {});
  await client.query(RAW_SCHEMA);
  const end = onCleanup('close raw pool', () => client.end());
  const common = {
    system: 'raw SQL',
    role: 'floor' as const,
    store: 'PostgreSQL' as const,
    db,
    async submitBulk(n: number) {
      for (let i = 0; i < n; i += CHUNK) await client.query(RAW_INSERT_MANY, [Array.from({ length: Math.min(CHUNK, n - i) }, () => '{}')]);
    },
    async submitOne(t: number) {
      await client.query({ name: 'insert1', text: RAW_INSERT_ONE, values: [JSON.stringify({ t })] });
    },
    async purge() {
      await client.query('DELETE FROM raw_jobs WHERE state = 0');
    },
  };
  const per = o.connections / o.children;
  const worker = (batch: number) => Array.from({ length: o.children }, () => ({ kind: 'raw-sql' as const, url: db.url, connections: per, batch }));
  return {
    targets: [
      {
        ...common,
        id: 'raw-sql-1',
        variant: 'default',
        settings: `${o.connections} connections (${o.children} processes), 1 row per statement: insert+NOTIFY → UPDATE … SKIP LOCKED → UPDATE done`,
        workers: worker(1),
      },
      {
        ...common,
        id: 'raw-sql-50',
        variant: 'batched',
        settings: `as above, claim and complete ${o.batch} rows per statement (inserts still one per statement)`,
        workers: worker(o.batch),
      },
    ],
    async close() {
      await end();
      await drop();
    },
  };
}
