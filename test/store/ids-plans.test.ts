/**
 * Short ids are completed by an index range scan of each kind's primary key, in any collation of the
 * database (PGlite's is C, a PostgreSQL cluster's often a language's): `id >= prefix AND id <
 * prefixEnd(prefix)` is a range the B-tree walks, where LIKE 'p%' would need C or text_pattern_ops.
 * Among 20,000 processes and 20,000 graphs with random ids (and a few placed at the awkward edges: a
 * prefix ending in 9 or f, all f's), each lookup returns exactly the colony's ids that start with the
 * prefix. Each statement is EXPLAINed with the parameters the code sends (the runner runs this file on
 * PGlite and on PostgreSQL).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestDb, type TestDb } from '../helpers/db.ts';
import { explaining, planNodes, type PlanNode } from '../helpers/plans.ts';
import { processesSql } from '../../server/store/sql/processes.ts';
import { idsSql } from '../../server/store/sql/ids.ts';
import { randomId } from '../../protocol/crypto.ts';

const ROWS = 20_000;
const COLONY = 'ids';
const OTHER = 'ids-other';
let t: TestDb;
const processIds: string[] = [];
const graphIds: string[] = [];
/** Ids placed at the edges of prefix ranges: 9 → a, f carried over, all f's; one of them in the other colony. */
const EDGES = ['abc9', 'abca', 'abcf', 'abd0', 'ffff', 'fffe'].map((p) => p.padEnd(64, '0'));
const FOREIGN = 'abc9'.padEnd(63, '0') + '1';

before(async () => {
  t = await openTestDb();
  const now = new Date(Date.UTC(2026, 0, 1));
  for (const c of [COLONY, OTHER]) await t.db.query(`INSERT INTO colonies (colonyname, colonyid, created) VALUES ($1, 'id', $2)`, [c, now]);
  const spec = {
    funcname: 'f',
    executortype: 't',
    nodename: 'n',
    args: [],
    kwargs: {},
    maxwaittime: 60,
    maxexectime: 60,
    maxretries: 0,
    priority: 0,
  };
  const ids = [...EDGES, ...Array.from({ length: ROWS - EDGES.length }, () => randomId())];
  processIds.push(...ids);
  for (let i = 0; i < ids.length; i += 2000) {
    const rows = ids.slice(i, i + 2000).map((processid, k) => ({
      processid,
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
  await processesSql.insert(
    t.db,
    [
      {
        processid: FOREIGN,
        colonyname: OTHER,
        processgraphid: null,
        spec: { ...spec, conditions: { dependencies: [] }, label: '' },
        prioritytime: 0,
        input: [],
        waitingparents: 0,
        parents: [],
        children: [],
        initiatorid: 'u',
      },
    ],
    now,
  );
  const graphs = await t.db.query<{ processgraphid: string }>(
    `INSERT INTO processgraphs (processgraphid, colonyname, state, initiatorid, processcount, submissiontime, name)
     SELECT md5(i::text) || md5((-i)::text), $1, 'WAITING', 'u', 1, $2, 'run-' || i FROM generate_series(1, $3::int) AS i
     RETURNING processgraphid`,
    [COLONY, now, ROWS],
  );
  graphIds.push(...graphs.map((g) => g.processgraphid));
  await t.db.query('ANALYZE processes');
  await t.db.query('ANALYZE processgraphs');
});
after(async () => {
  await t.drop();
});

/** The scans of a plan that read the table, as "node type index". */
const scansOf = (plan: PlanNode, table: string) =>
  planNodes(plan)
    .filter((n) => n['Relation Name'] === table)
    .map((n) => `${n['Node Type']} ${n['Index Name'] ?? ''}`.trim());

test('a prefix is looked up with an index range scan of the primary key, both bounds in the index condition', async () => {
  const datcollate = (await t.db.query<{ datcollate: string }>('SELECT datcollate FROM pg_database WHERE datname = current_database()'))[0]!
    .datcollate;
  const plans: PlanNode[] = [];
  const q = explaining(t.db, plans);
  for (const prefix of [processIds[100]!.slice(0, 6), 'abcfff', 'ffffff']) {
    await idsSql.processes(q, COLONY, prefix, 10);
    await idsSql.processgraphs(q, COLONY, prefix, 10);
  }
  plans.forEach((plan, i) => {
    const [table, pkey] = i % 2 === 0 ? ['processes', 'processes_pkey'] : ['processgraphs', 'processgraphs_pkey'];
    assert.deepEqual(scansOf(plan, table), [`Index Scan ${pkey}`], `collation ${datcollate}, statement ${i + 1}: ${JSON.stringify(plan)}`);
    const scan = planNodes(plan).find((n) => n['Relation Name'] === table) as PlanNode & { 'Index Cond'?: string };
    const cond = scan['Index Cond'] ?? '';
    assert.match(cond, />=/, `the lower bound is an index condition: ${cond}`);
    assert.match(cond, /</, `the upper bound is an index condition: ${cond}`);
  });
});

test("a lookup returns exactly the colony's ids that start with the prefix, in id order, at most the limit", async () => {
  const expect = (all: string[], prefix: string, limit: number) =>
    all
      .filter((id) => id.startsWith(prefix))
      .sort()
      .slice(0, limit);
  const prefixes = [
    'abc9',
    'abca',
    'abcf',
    'abcfff',
    'abd',
    'ffff',
    'fff',
    'f',
    processIds[7]!.slice(0, 6),
    processIds[7]!,
    graphIds[3]!.slice(0, 8),
  ];
  for (const prefix of prefixes) {
    const p = (await idsSql.processes(t.db, COLONY, prefix, 10)).map((r) => r.id);
    assert.deepEqual(p, expect(processIds, prefix, 10), `processes starting with ${prefix}`);
    const g = (await idsSql.processgraphs(t.db, COLONY, prefix, 10)).map((r) => r.id);
    assert.deepEqual(g, expect(graphIds, prefix, 10), `graphs starting with ${prefix}`);
  }
  // The other colony's id is in the range but not in the answer (random ids may start with abc9 too).
  const mine = (await idsSql.processes(t.db, COLONY, 'abc9', 10)).map((r) => r.id);
  assert.deepEqual(mine, expect(processIds, 'abc9', 10));
  assert.ok(mine.includes(EDGES[0]!) && !mine.includes(FOREIGN));
  assert.deepEqual(
    (await idsSql.processes(t.db, OTHER, 'abc9', 10)).map((r) => r.id),
    [FOREIGN],
  );
});
