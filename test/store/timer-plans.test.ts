/**
 * The timer sweep and an event's post find their nodes through indexes, not by scanning a large
 * backlog of waiting processes: the sweep through processes_timers_due (only waiting timers), the post
 * through the claim index's ready rows of its colony and the ':event' type. EXPLAINed with the very
 * parameters the code sends, on both engines.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestDb, type TestDb } from '../helpers/db.ts';
import { explaining, planNodes, type PlanNode } from '../helpers/plans.ts';
import { processesSql } from '../../server/store/sql/processes.ts';
import { eventsSql, timersSql } from '../../server/store/sql/events.ts';

const BACKLOG = 20_000;
const COLONY = 'timer-plans';
const now = new Date(Date.UTC(2026, 0, 1));
let t: TestDb;

before(async () => {
  t = await openTestDb();
  await t.db.query(`INSERT INTO colonies (colonyname, colonyid, created) VALUES ($1, 'id', $2)`, [COLONY, now]);
  const row = (i: number, executortype: string, kind?: 'sleep') => ({
    processid: `p${String(i).padStart(6, '0')}`,
    colonyname: COLONY,
    processgraphid: null,
    spec: {
      funcname: kind ?? 'f',
      executortype,
      nodename: '',
      args: [],
      kwargs: {},
      maxwaittime: 0,
      maxexectime: 0,
      maxretries: 0,
      priority: 0,
      conditions: { dependencies: [] },
      label: '',
      ...(kind ? { kind } : {}),
    },
    prioritytime: i,
    input: [],
    waitingparents: 0,
    parents: [],
    children: [],
    initiatorid: 'u',
  });
  for (let i = 0; i < BACKLOG; i += 2000)
    await processesSql.insert(
      t.db,
      Array.from({ length: 2000 }, (_, k) => row(i + k, 't')),
      now,
    );
  // A few hundred timers, one due.
  await processesSql.insert(
    t.db,
    Array.from({ length: 300 }, (_, k) => row(BACKLOG + k, ':sleep', 'sleep')),
    now,
  );
  await t.db.query(`UPDATE processes SET notbefore = $1::timestamptz + (seq * interval '1 second') WHERE executortype = ':sleep'`, [now]);
  await t.db.query('ANALYZE processes');
});
after(async () => {
  await t.drop();
});

const scans = (p: PlanNode) => planNodes(p).filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'processes');

test('the timer sweep reads the waiting timers index; an event post finds its nodes without scanning processes', async () => {
  const plans: PlanNode[] = [];
  const q = explaining(t.db, plans);
  await t.db.transaction(async (tx) => {
    const due = await timersSql.lockDue(explaining(tx, plans), new Date(now.getTime() + 3600_000 * 24 * 365), 500);
    assert.equal(due.length, 300);
  });
  assert.equal(await eventsSql.waitingNode(q, COLONY, 'g'.repeat(64), 'payment-received'), undefined);
  assert.equal(plans.length, 2);
  const [sweep, post] = plans as [PlanNode, PlanNode];
  assert.deepEqual(scans(sweep), [], JSON.stringify(sweep));
  assert.ok(
    planNodes(sweep).some((n) => n['Index Name'] === 'processes_timers_due'),
    `the sweep uses processes_timers_due: ${JSON.stringify(sweep)}`,
  );
  assert.deepEqual(scans(post), [], JSON.stringify(post));
});
