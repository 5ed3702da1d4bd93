// Scratch probe (not committed): per-row cost of claim and close statements on PostgreSQL.
import pg from 'pg';
import { createPgDb } from '../../server/store/pg-db.ts';
import { migrate } from '../../server/store/migrate.ts';
import { processesSql } from '../../server/store/sql/processes.ts';
import { newProcess } from '../../server/services/processes.ts';
import { FunctionSpec } from '../../protocol/schemas.ts';

const N = Number(process.env.N ?? 20000), B = Number(process.env.B ?? 50);
const name = 'probe_' + Date.now();
const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const db = createPgDb({ connectionString: `postgres://postgres@127.0.0.1:5432/${name}` });
try {
  await migrate(db);
  for (const ix of (process.env.DROP ?? '').split(',').filter(Boolean)) await db.query(`DROP INDEX ${ix}`);
  if (process.env.DDL) await db.query(process.env.DDL);
  const now = new Date();
  await db.query(`INSERT INTO colonies VALUES ('c', 'cid', now())`);
  await db.query(`INSERT INTO executors (colonyname, executorname, executorid, executortype, state, registered) VALUES ('c','e','eid','bench','APPROVED', now())`);
  const spec = FunctionSpec.parse({ funcname: 'noop', executortype: 'bench' });
  for (let i = 0; i < N; i += 500) {
    await processesSql.insert(db, Array.from({ length: Math.min(500, N - i) }, () => newProcess('c', spec, 'uid', now)), now);
  }
  await db.query('VACUUM ANALYZE processes');
  const slots = Array<string>(B).fill('eid');
  if (process.env.EXPLAIN) {
    let captured: { sql: string; params: unknown[] } | undefined;
    const spy = { query: async (sql: string, params?: unknown[]) => { captured = { sql, params: params ?? [] }; return db.query(sql, params); } };
    for (let i = 0; i < 20; i++) {
      const r = await processesSql.assign(db, 'c', 'bench', slots, new Date());
      await processesSql.close(db, r.assigned.map((p) => ({ processid: p.processid, attempt: p.attempt, out: [], colonyname: 'c', executorid: 'eid' })), new Date());
    }
    await processesSql.assign(spy as never, 'c', 'bench', slots, new Date());
    const claimSql = captured!;
    for (let i = 0; i < 3; i++) {
      const plan = await db.query<{ 'QUERY PLAN': string }>('EXPLAIN (ANALYZE, BUFFERS) ' + claimSql.sql, claimSql.params.map((p) => p instanceof Date ? new Date() : p));
      if (i === 2) console.log(plan.map((r) => r['QUERY PLAN']).join('\n'));
    }
    const r = await processesSql.assign(db, 'c', 'bench', slots, new Date());
    await processesSql.close(spy as never, r.assigned.map((p) => ({ processid: p.processid, attempt: p.attempt, out: [], colonyname: 'c', executorid: 'eid' })), new Date());
    const closeSql = captured!;
    const plan = await db.query<{ 'QUERY PLAN': string }>('EXPLAIN (ANALYZE, BUFFERS) ' + closeSql.sql.replace(/AND \(p.state = 'RUNNING'\) IS TRUE/, ''), closeSql.params);
    console.log(plan.map((r) => r['QUERY PLAN']).join('\n'));
    process.exit(0);
  }
  const P = Number(process.env.P ?? 1);
  const pgcpu = async () => {
    const r = await db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`);
    const fs = await import('node:fs');
    let t = 0;
    for (const { pid } of r) { try { const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' '); t += (Number(f[11]) + Number(f[12])) / 100; } catch {} }
    return t;
  };
  await Promise.all(Array.from({ length: 4 }, () => db.query('SELECT pg_sleep(0.01)')));
  await db.relaxed.query('SELECT pg_sleep(0.01)', [] as never);
  const c0 = await pgcpu();
  const t0 = performance.now();
  let claimed = 0;
  await Promise.all(Array.from({ length: P }, async () => {
    let pending: { processid: string; attempt: number }[] = [];
    for (;;) {
      if (process.env.RAW) {
        if (pending.length) await db.query(`UPDATE processes SET state = 'SUCCESS', output = '[]', endtime = $2, execdeadline = NULL WHERE processid = ANY($1::text[]) AND state = 'RUNNING'`, [pending.map((p) => p.processid), new Date()]);
        const J = process.env.RAW === 'json' || process.env.RAW === 'jsonb';
        const rows0 = await db.relaxed.query<any>(`${J ? 'WITH u AS (' : ''}UPDATE processes SET state = 'RUNNING', assignedexecutorid = 'eid', attempt = attempt + 1, starttime = $1, waitdeadline = NULL, execdeadline = $1::timestamptz + make_interval(secs => maxexectime)
          WHERE processid IN (SELECT processid FROM processes WHERE colonyname = 'c' AND executortype = 'bench' AND state = 'WAITING' AND waitingparents = 0 ORDER BY prioritytime, seq LIMIT ${B} FOR UPDATE SKIP LOCKED) RETURNING ${process.env.RAW === 'all' || J ? '*' : 'processid, attempt'}${J ? `) SELECT ${process.env.RAW}_agg(u) AS a FROM u` : ''}`, [new Date()]);
        const rows: { processid: string; attempt: number }[] = J ? (rows0[0].a ?? []) : rows0;
        if (rows.length === 0 && pending.length === 0) break;
        claimed += rows.length;
        pending = rows;
        continue;
      }
      const r = await processesSql.assign(pending.length ? db : db.relaxed, 'c', 'bench', slots, new Date(), pending.map((p) => ({ ...p, out: [], colonyname: 'c', executorid: 'eid' })));
      if (r.assigned.length === 0 && pending.length === 0) break;
      claimed += r.assigned.length;
      pending = r.assigned.map((p) => ({ processid: p.processid, attempt: p.attempt }));
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  const cpu = (await pgcpu()) - c0;
  console.log(`P=${P} B=${B}: ${claimed} in ${secs.toFixed(2)} s = ${(claimed / secs).toFixed(0)}/s; PG CPU ${cpu.toFixed(2)} s = ${(cpu * 1e6 / claimed).toFixed(0)} µs/job`);
  const st = await db.query(`SELECT pg_size_pretty(pg_total_relation_size('processes')) t, pg_size_pretty(pg_relation_size('processes')) h, (SELECT avg(pg_column_size(p.*))::int FROM processes p) rowsize`);
  console.log(st[0]);
} finally {
  await db.close?.();
  await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
  await admin.end();
}
