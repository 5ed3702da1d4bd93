/**
 * Searching 20,000 runs of a spec by an indexed variable is served by the variables' indexes, not a
 * scan: equality on a string (and on json, as text), ranges on numbers and times, each statement
 * EXPLAINed with the parameters the code sends (the runner runs this file on PGlite and PostgreSQL).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestDb, type TestDb } from '../helpers/db.ts';
import { explaining, planNodes, type PlanNode } from '../helpers/plans.ts';
import { graphsSql, type RunFilter } from '../../server/store/sql/graphs.ts';

const RUNS = 20_000;
const COLONY = 'plans';
let t: TestDb;

before(async () => {
  t = await openTestDb();
  const t0 = new Date(Date.UTC(2026, 0, 1));
  await t.db.query(`INSERT INTO colonies (colonyname, colonyid, created) VALUES ($1, 'id', $2)`, [COLONY, t0]);
  // Runs of two specs; each run of "orders" has a customer (1,000 distinct), a total and a due time.
  await t.db.query(
    `INSERT INTO processgraphs (processgraphid, colonyname, state, initiatorid, processcount, submissiontime, name, specname, specversion)
     SELECT 'g' || i, $1::text, CASE WHEN i % 10 = 1 THEN 'WAITING' ELSE 'SUCCESS' END, 'u', 1, $2::timestamptz + i * interval '1 second',
            'orders', CASE WHEN i % 5 = 0 THEN 'other' ELSE 'orders' END, 1
       FROM generate_series(1, $3::int) AS i`,
    [COLONY, t0, RUNS],
  );
  await t.db.query(
    `INSERT INTO workflowvars (processgraphid, colonyname, specname, varname, s, n, t, submissiontime)
     SELECT g.processgraphid, g.colonyname, g.specname, v.varname,
            CASE v.varname WHEN 'customer' THEN 'c' || (g.i % 1000) WHEN 'tags' THEN jsonb_build_array(g.i % 7)::text END,
            CASE WHEN v.varname = 'total' THEN g.i * 1.5 END,
            CASE WHEN v.varname = 'due' THEN $1::timestamptz + g.i * interval '1 hour' END,
            g.submissiontime
       FROM (SELECT processgraphid, colonyname, specname, submissiontime, substr(processgraphid, 2)::int AS i FROM processgraphs) g,
            (VALUES ('customer'), ('total'), ('due'), ('tags')) AS v(varname)`,
    [t0],
  );
  await t.db.query('ANALYZE processgraphs');
  await t.db.query('ANALYZE workflowvars');
});
after(async () => {
  await t.drop();
});

const filter = (vars: RunFilter['vars'], more: Partial<RunFilter> = {}): RunFilter => ({ specname: 'orders', vars, count: 20, offset: 0, ...more });

test('runs by an indexed variable are found through its index, never by scanning', async () => {
  const cases: [string, RunFilter, string, number][] = [
    ['string equality', filter([{ varname: 'customer', column: 's', op: '=', value: 'c42' }]), 'workflowvars_s', 20],
    ['json equality', filter([{ varname: 'tags', column: 'j', op: '=', value: '[3]' }]), 'workflowvars_s', 20],
    [
      'number range',
      filter([
        { varname: 'total', column: 'n', op: '>=', value: 150 },
        { varname: 'total', column: 'n', op: '<', value: 180 },
      ]),
      'workflowvars_n',
      16,
    ],
    [
      'time range',
      filter([
        { varname: 'due', column: 't', op: '>', value: '2026-01-03T00:00:00Z' },
        { varname: 'due', column: 't', op: '<=', value: '2026-01-03T05:00:00Z' },
      ]),
      'workflowvars_t',
      4,
    ],
    ['equality with state', filter([{ varname: 'customer', column: 's', op: '=', value: 'c41' }], { state: 'WAITING' }), 'workflowvars_s', 20],
  ];
  for (const [what, f, index, expected] of cases) {
    const plans: PlanNode[] = [];
    const rows = await graphsSql.search(explaining(t.db, plans), COLONY, f);
    assert.equal(rows.length, expected, what);
    assert.ok(
      rows.every((r) => r.specname === 'orders'),
      what,
    );
    const all = planNodes(plans[0]!);
    assert.ok(
      all.some((n) => n['Index Name'] === index),
      `${what}: ${index} is used: ${JSON.stringify(plans[0])}`,
    );
    assert.ok(!all.some((n) => n['Node Type'] === 'Seq Scan'), `${what}: no sequential scan: ${JSON.stringify(plans[0])}`);
  }
});
