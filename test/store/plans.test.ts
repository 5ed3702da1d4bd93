/**
 * The hot statements stay index-driven when the planner knows of a large backlog: the claim's LIMIT
 * is a subquery (one slot per process wanted), which the planner guesses as a tenth of the table, and
 * so can be tempted into a sequential scan of the whole table. Each statement is EXPLAINed with the
 * very parameters the code sends (the runner runs this file on PGlite and on PostgreSQL).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestDb, type TestDb } from '../helpers/db.ts';
import { GENERIC_PLAN, type Queryable } from '../../server/store/db.ts';
import { explaining, planNodes, type PlanNode } from '../helpers/plans.ts';
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

/** The closes of claimed rows, as their executor hands them in. */
const closesOf = (rows: { processid: string; attempt: number }[]): CloseRow[] =>
  rows.map((p) => ({ processid: p.processid, colonyname: COLONY, executorid: EXECUTOR, attempt: p.attempt, out: [1] }));

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
  const next = await processesSql.assign(q, COLONY, 't', Array<string>(8).fill(EXECUTOR), now, closesOf(claimed.assigned));
  assert.equal(next.closed.length, 8, 'the first eight closed');
  assert.equal(next.assigned.length, 8, 'and eight more claimed in the same statement');
  const closed = await processesSql.close(q, closesOf(next.assigned), now);
  assert.equal(closed.closed.length, 8);
  await processesSql.expireExecutions(q, now, 500);
  await processesSql.expireWaits(q, now, 500);
  await processesSql.comingDue(q, new Date(now.getTime() - 1000), now);
  assert.equal(plans.length, 6);
  plans.forEach((p, i) => assert.equal(seqScansOfProcesses(p), 0, `statement ${i + 1} of 6 scans processes: ${JSON.stringify(p)}`));
  // The claim still walks its index (the retry delay is a filter on the rows it yields); the first
  // delayed retry's time and the sweep's look-up use the small index of delayed retries.
  assert.ok(processScans(plans[0]!).includes('Index Scan processes_claim'), JSON.stringify(processScans(plans[0]!)));
  for (const i of [0, 5])
    assert.ok(
      processScans(plans[i]!).some((s) => s.includes('processes_notbefore')),
      JSON.stringify(processScans(plans[i]!)),
    );
});

test('the embedded store keeps the generic plan of a marked statement and plans the others as usual', async (ctx) => {
  if (t.engine !== 'pglite') return ctx.skip('PostgreSQL ignores the mark (pg_prepared_statements is per connection there)');
  const now = new Date(Date.UTC(2026, 0, 1, 0, 0, 2));
  for (let i = 0; i < 8; i++) {
    const r = await processesSql.assign(t.db, COLONY, 't', [EXECUTOR], now);
    await processesSql.close(t.db, closesOf(r.assigned), now);
    await processesSql.list(t.db, COLONY, { state: 'SUCCESS', count: 5 });
  }
  const plans = await t.db.query<{ marked: boolean; generic: number; custom: number }>(
    `SELECT starts_with(statement, $1) AS marked, generic_plans::int AS generic, custom_plans::int AS custom
       FROM pg_prepared_statements WHERE statement LIKE '%FROM processes%' OR statement LIKE '%UPDATE processes%'`,
    [GENERIC_PLAN],
  );
  const marked = plans.filter((p) => p.marked);
  assert.ok(marked.length >= 2, 'the claim and the close ran as marked prepared statements');
  for (const p of marked) assert.equal(p.custom, 0, `a marked statement was planned per call: ${JSON.stringify(plans)}`);
  assert.ok(marked.reduce((n, p) => n + p.generic, 0) >= 16, 'the eight claims and eight closes ran on generic plans');
  const list = plans.filter((p) => !p.marked);
  assert.ok(
    list.some((p) => p.custom >= 5),
    `an unmarked statement is planned per call at first: ${JSON.stringify(plans)}`,
  );
});

/** The scans of processes in a plan, as node type and index, outermost first. */
function processScans(node: PlanNode): string[] {
  const own = node['Relation Name'] === 'processes' ? [`${node['Node Type']} ${node['Index Name'] ?? ''}`] : [];
  return [...own, ...(node.Plans ?? []).flatMap(processScans)];
}

test("the process list's run name is looked up by key and leaves the plan of processes as it was", async () => {
  const plans: PlanNode[] = [];
  const q = explaining(t.db, plans);
  const withoutRunname: PlanNode[] = [];
  const plain = explaining(t.db, withoutRunname);
  const stripped: Queryable = { query: (sql, params) => plain.query(sql.replace(/, \(SELECT g\.name [^)]*\) AS runname/, ''), params) };
  for (const f of [{ count: 20 }, { state: 'WAITING' as const, count: 20, offset: 100 }]) {
    assert.equal((await processesSql.list(q, COLONY, f)).length, 20);
    await processesSql.list(stripped, COLONY, f);
  }
  plans.forEach((p, i) => {
    const graphs = planNodes(p).filter((n) => n['Relation Name'] === 'processgraphs');
    assert.ok(graphs.length === 1 && graphs[0]!['Node Type'] === 'Index Scan', `list ${i + 1} scans runs: ${JSON.stringify(p)}`);
    assert.deepEqual(processScans(p), processScans(withoutRunname[i]!), `list ${i + 1} reads processes differently`);
  });
});
