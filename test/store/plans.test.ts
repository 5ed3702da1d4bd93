/**
 * The hot statements stay index-driven when the planner knows of a large backlog. The claim's LIMIT
 * is a subquery (one slot per process wanted), which the planner guesses as a tenth of the table: with
 * 60,000 analyzed waiting processes it joined the picked rows to a sequential scan of the whole table,
 * and every claim took ~930 ms instead of ~1 ms. Each statement is EXPLAINed with the very parameters
 * the code sends (the runner runs this file on PGlite and on PostgreSQL).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestDb, type TestDb } from '../helpers/db.ts';
import type { Queryable } from '../../server/store/db.ts';
import { processesSql, type CloseRow } from '../../server/store/sql/processes.ts';

const BACKLOG = 20_000;
const COLONY = 'plans';
const EXECUTOR = 'e'.repeat(64);
let t: TestDb;

before(async () => {
  t = await openTestDb();
  const now = new Date(Date.UTC(2026, 0, 1));
  await t.db.query(`INSERT INTO colonies (colonyname, colonyid, created) VALUES ($1, 'id', $2)`, [COLONY, now]);
  await t.db.query(
    `INSERT INTO executors (colonyname, executorname, executorid, executortype, state, registered) VALUES ($1, 'w', $2, 't', 'APPROVED', $3)`,
    [COLONY, EXECUTOR, now],
  );
  const spec = { funcname: 'f', executortype: 't', nodename: '', args: [], kwargs: {}, maxwaittime: 60, maxexectime: 60, maxretries: 0, priority: 0 };
  for (let i = 0; i < BACKLOG; i += 2000) {
    const rows = Array.from({ length: 2000 }, (_, k) => ({
      processid: `p${String(i + k).padStart(6, '0')}`,
      colonyname: COLONY,
      processgraphid: null,
      spec: { ...spec, conditions: { dependencies: [] }, label: '' },
      prioritytime: i + k,
      input: [],
      waitingparents: 0,
      parents: [],
      children: [],
      initiatorid: 'u',
    }));
    await processesSql.insert(t.db, rows, now);
  }
  await t.db.query('ANALYZE processes');
});
after(async () => {
  await t.drop();
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

/** Runs each statement after EXPLAINing it with the same parameters; collects the plans. */
function explaining(q: Queryable, plans: PlanNode[]): Queryable {
  return {
    async query(sql, params) {
      const [row] = await q.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
      const doc = row!['QUERY PLAN'];
      plans.push((typeof doc === 'string' ? (JSON.parse(doc) as { Plan: PlanNode }[]) : (doc as { Plan: PlanNode }[]))[0]!.Plan);
      return q.query(sql, params);
    },
  };
}

function seqScansOfProcesses(node: PlanNode): number {
  const own = node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'processes' ? 1 : 0;
  return own + (node.Plans ?? []).reduce((s, p) => s + seqScansOfProcesses(p), 0);
}

test('claims, close-and-claims, closes and deadline sweeps do not scan the processes table', async () => {
  const plans: PlanNode[] = [];
  const q = explaining(t.db, plans);
  const now = new Date(Date.UTC(2026, 0, 1, 0, 0, 1));
  const claimed = await processesSql.assign(q, COLONY, 't', Array<string>(8).fill(EXECUTOR), now);
  assert.equal(claimed.assigned.length, 8);
  const closes = (rows: typeof claimed.assigned): CloseRow[] =>
    rows.map((p) => ({ processid: p.processid, colonyname: COLONY, executorid: EXECUTOR, attempt: p.attempt, out: [1] }));
  const next = await processesSql.assign(q, COLONY, 't', Array<string>(8).fill(EXECUTOR), now, closes(claimed.assigned));
  assert.equal(next.closed.length, 8, 'the first eight closed');
  assert.equal(next.assigned.length, 8, 'and eight more claimed in the same statement');
  const closed = await processesSql.close(q, closes(next.assigned), now);
  assert.equal(closed.closed.length, 8);
  await processesSql.expireExecutions(q, now, 500);
  await processesSql.expireWaits(q, now, 500);
  assert.equal(plans.length, 5);
  plans.forEach((p, i) => assert.equal(seqScansOfProcesses(p), 0, `statement ${i + 1} of 5 scans processes: ${JSON.stringify(p)}`));
});
