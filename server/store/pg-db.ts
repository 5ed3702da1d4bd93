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

// A connection attempt that hangs (an unreachable host) fails instead, so the request gets a 503 in time.
const CONNECT_TIMEOUT_MS = 10_000;
// The OS notices a connection cut without a word (no FIN/RST) on its keepalive probes.
const KEEPALIVE = { keepAlive: true, keepAliveInitialDelayMillis: 10_000 } as const;

export function createPgDb(opts: PgDbOptions): Db {
  const common = { connectionString: opts.connectionString, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, ...KEEPALIVE };
  const pool = new pg.Pool({ ...common, max: opts.max ?? 12 });
  // Claims commit without waiting for the WAL flush (see Db.relaxed): a few connections suffice, as
  // concurrent claims share one statement.
  const relaxedPool = new pg.Pool({ ...common, max: 3, options: '-c synchronous_commit=off' });
  // An idle client losing its connection must not crash the server; the pool replaces it.
  pool.on('error', () => {});
  relaxedPool.on('error', () => {});
  const listeners = new Set<Relistener>();

  return {
    engine: 'postgres',
    query: (sql, params) => run(pool, sql, params),
    relaxed: { query: (sql, params) => run(relaxedPool, sql, params) },
    async transaction(fn) {
      const client = await pool.connect();
      let broken: Error | undefined;
      // A checked-out client has no listener of the pool's: a connection lost between two statements
      // would be an unhandled 'error' event (the process ends). Noted, it keeps the client out of the pool.
      const onError = (err: Error) => void (broken ??= err);
      client.on('error', onError);
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
          broken ??= rollbackErr as Error;
        }
        throw err;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    },
    async listen(channel, onPayload, onState) {
      const l = new Relistener(common, channel, onPayload, onState ?? (() => {}));
      await l.start();
      listeners.add(l);
      return async () => {
        listeners.delete(l);
        await l.stop();
      };
    },
    async close() {
      await Promise.all([...listeners].map((l) => l.stop()));
      listeners.clear();
      await Promise.all([pool.end(), relaxedPool.end()]);
    },
  };
}

const RELISTEN_FIRST_DELAY_MS = 50;
const RELISTEN_MAX_DELAY_MS = 1000;
// A LISTEN connection cut silently would never notice; a cheap query on it now and then does.
const PROBE_INTERVAL_MS = 5000;
const PROBE_TIMEOUT_MS = 2000;

/**
 * One LISTEN connection that comes back by itself: lost (an error, its end, a probe unanswered), it is
 * replaced with backoff (capped at RELISTEN_MAX_DELAY_MS) until a new one listens; onState says when
 * it is down (false) and listening again (true), since notifications sent meanwhile are lost.
 */
class Relistener {
  private client: pg.Client | undefined;
  private stopped = false;
  private delay = RELISTEN_FIRST_DELAY_MS;
  private retry: NodeJS.Timeout | undefined;
  private readonly probe: NodeJS.Timeout;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly channel: string,
    private readonly onPayload: (payload: string) => void,
    private readonly onState: (listening: boolean) => void,
  ) {
    this.probe = setInterval(() => this.check(), PROBE_INTERVAL_MS);
    this.probe.unref();
  }

  /** The first connection: start-up fails when it cannot listen, as it fails when it cannot migrate. */
  async start(): Promise<void> {
    try {
      await this.connect();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.probe);
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.config);
    const lost = () => this.lost(client);
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (msg) => {
      if (msg.channel === this.channel) this.onPayload(msg.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(this.channel)}`);
    } catch (err) {
      void client.end().catch(() => {});
      throw err;
    }
    if (this.stopped) {
      void client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.delay = RELISTEN_FIRST_DELAY_MS;
    this.onState(true);
  }

  /** Only the current client's loss counts (an old one's late events, or a failed attempt's, do not). */
  private lost(client: pg.Client): void {
    if (client !== this.client || this.stopped) return;
    this.client = undefined;
    void client.end().catch(() => {});
    this.onState(false);
    this.reconnect();
  }

  private reconnect(): void {
    this.retry = setTimeout(() => {
      this.connect().catch(() => {
        if (this.stopped) return;
        this.delay = Math.min(this.delay * 2, RELISTEN_MAX_DELAY_MS);
        this.reconnect();
      });
    }, this.delay);
    this.retry.unref();
  }

  private check(): void {
    const client = this.client;
    if (!client) return;
    client.query({ text: 'SELECT 1', query_timeout: PROBE_TIMEOUT_MS } as pg.QueryConfig).catch(() => this.lost(client));
  }
}
