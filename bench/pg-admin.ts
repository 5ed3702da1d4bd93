/**
 * The harness's own PostgreSQL connection: fresh databases (created and dropped by the harness),
 * WAL position, VACUUM between workloads, and the CPU time of the backends serving one database
 * (read from /proc, since PostgreSQL runs on this machine).
 */
import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { sleep } from './common.ts';

const PREFIX = 'colonies_bench_';
export const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export function adminUrl(): string {
  return process.env.COLONIES_BENCH_DATABASE_URL || process.env.COLONIES_TEST_DATABASE_URL || DEFAULT_ADMIN_URL;
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of a process in seconds, or undefined when it is gone or unreadable. */
function procCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": state is field 3, utime 14, stime 15 → indexes 11 and 12 here.
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

export class PgAdmin {
  private constructor(
    private readonly client: pg.Client,
    readonly url: string,
    readonly version: string,
  ) {}

  static async connect(url = adminUrl()): Promise<PgAdmin> {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (err) {
      throw new Error(`cannot reach PostgreSQL at ${url.replace(/:[^:@/]*@/, ':***@')} (set COLONIES_BENCH_DATABASE_URL): ${(err as Error).message}`);
    }
    const { rows } = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
    return new PgAdmin(client, url, rows[0]!.v);
  }

  /** A fresh database; returns its name and URL. The name carries its creation time (see dropStale). */
  async createDatabase(tag: string): Promise<{ name: string; url: string }> {
    const name = `${PREFIX}${Math.floor(Date.now() / 1000)}_${tag}_${randomBytes(3).toString('hex')}`;
    await this.client.query(`CREATE DATABASE ${name}`);
    const u = new URL(this.url);
    u.pathname = '/' + name;
    return { name, url: u.toString() };
  }

  async dropDatabase(name: string): Promise<void> {
    await this.client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  }

  /** Databases that a harness killed with SIGKILL left behind: older than an hour and unused. */
  async dropStale(): Promise<string[]> {
    const { rows } = await this.client.query<{ datname: string }>(
      `SELECT d.datname FROM pg_database d
        WHERE d.datname LIKE 'colonies\\_bench\\_%'
          AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`,
    );
    const cutoff = Date.now() / 1000 - 3600;
    const stale = rows.map((r) => r.datname).filter((n) => Number(n.slice(PREFIX.length).split('_')[0]) < cutoff);
    for (const n of stale) await this.dropDatabase(n);
    return stale;
  }

  async walLsn(): Promise<string> {
    const { rows } = await this.client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    return rows[0]!.lsn;
  }

  async walBytesSince(lsn: string): Promise<number> {
    const { rows } = await this.client.query<{ d: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::text AS d', [lsn]);
    return Number(rows[0]!.d);
  }

  /**
   * Rows inserted, updated and deleted in `db` so far (pg_stat_database), read once the count has
   * settled: a backend reports its counts when it goes idle, at most once a second, so the count is
   * read until it stays the same for a second (at most 4 s).
   */
  async rowsWritten(db: string): Promise<number> {
    const read = async () => {
      const { rows } = await this.client.query<{ n: string }>(
        'SELECT (tup_inserted + tup_updated + tup_deleted)::text AS n FROM pg_stat_database WHERE datname = $1',
        [db],
      );
      return Number(rows[0]!.n);
    };
    let last = await read();
    for (let same = 0, reads = 0; same < 4 && reads < 16; reads++) {
      await sleep(250);
      const n = await read();
      same = n === last ? same + 1 : 0;
      last = n;
    }
    return last;
  }

  /** CPU seconds of each backend connected to `db` (pid → seconds). */
  async backendCpu(db: string): Promise<Map<number, number>> {
    const { rows } = await this.client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [db]);
    const m = new Map<number, number>();
    for (const r of rows) {
      const s = procCpuSeconds(r.pid);
      if (s !== undefined) m.set(r.pid, s);
    }
    return m;
  }

  /** Backends' CPU used since `before` (backends that appeared meanwhile count from zero). */
  async backendCpuSince(db: string, before: Map<number, number>): Promise<number> {
    const after = await this.backendCpu(db);
    let total = 0;
    for (const [pid, s] of after) total += s - (before.get(pid) ?? 0);
    return total;
  }

  /** VACUUM ANALYZE of a database, so each workload starts without its predecessor's dead rows. */
  async vacuum(url: string): Promise<void> {
    await this.run(url, 'VACUUM (ANALYZE)');
  }

  async analyze(url: string): Promise<void> {
    await this.run(url, 'ANALYZE');
  }

  /** One statement on a database of its own connection (VACUUM cannot run inside a transaction). */
  private async run(url: string, sql: string): Promise<void> {
    const c = new pg.Client({ connectionString: url });
    c.on('error', () => {});
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}
