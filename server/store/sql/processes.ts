/**
 * Process SQL. Every state change is set-based with row locks; batch forms take a JSON array so
 * that one statement serves one process or ten thousand (the coalescer and fan-outs rely on it).
 */
import { GENERIC_PLAN, type Queryable } from '../db.ts';
import { PROCESS_COLUMNS, STORED_PROCESS_COLUMNS, parentOutputs, type ProcessRow } from '../rows.ts';
import type { FunctionSpec } from '../../../protocol/schemas.ts';
import type { ProcessState } from '../../../protocol/states.ts';
import type { StateCounts } from '../../../protocol/types.ts';

export interface NewProcess {
  processid: string;
  colonyname: string;
  processgraphid: string | null;
  spec: FunctionSpec;
  prioritytime: number;
  input: unknown[];
  waitingparents: number;
  parents: string[];
  children: string[];
  initiatorid: string;
}

/** Where new ready work appeared: long-polls of this colony and executor type are woken. */
export interface ReadyWork {
  colonyname: string;
  executortype: string;
  n: number;
}

const jsonParam = (v: unknown) => JSON.stringify(v);

/** What a live event needs to know of a process that changed state. */
export interface ChangedRow {
  processid: string;
  colonyname: string;
  processgraphid: string | null;
  nodename: string;
  funcname: string;
  executortype: string;
  state: ProcessState;
  retries: number;
  assignedexecutorid: string | null;
}
const CHANGED = 'p.processid, p.colonyname, p.processgraphid, p.nodename, p.funcname, p.executortype, p.state, p.retries, p.assignedexecutorid';

// New processes, WAITING; or RUNNING at once when `handoff` names a long-polling executor that is
// still APPROVED (a submit handed straight to an idle executor: no claim round trip).
const INSERT_SQL = `${GENERIC_PLAN}
INSERT INTO processes (processid, colonyname, processgraphid, nodename, funcname, executortype, label, spec, state,
  prioritytime, input, maxretries, maxwaittime, maxexectime, waitingparents, parents, children, initiatorid,
  submissiontime, readytime, waitdeadline, assignedexecutorid, attempt, starttime, execdeadline)
SELECT r.processid, r.colonyname, r.processgraphid, r.spec->>'nodename', r.spec->>'funcname', r.spec->>'executortype',
  r.spec->>'label', r.spec, CASE WHEN e.executorid IS NULL THEN 'WAITING' ELSE 'RUNNING' END,
  r.prioritytime, r.input, (r.spec->>'maxretries')::int,
  (r.spec->>'maxwaittime')::int, (r.spec->>'maxexectime')::int, r.waitingparents,
  ARRAY(SELECT jsonb_array_elements_text(r.parents)), ARRAY(SELECT jsonb_array_elements_text(r.children)),
  r.initiatorid, $2::timestamptz,
  CASE WHEN r.waitingparents = 0 THEN $2::timestamptz END,
  CASE WHEN r.waitingparents = 0 AND e.executorid IS NULL AND (r.spec->>'maxwaittime')::int > 0
       THEN $2::timestamptz + make_interval(secs => (r.spec->>'maxwaittime')::int) END,
  e.executorid,
  CASE WHEN e.executorid IS NULL THEN 0 ELSE 1 END,
  CASE WHEN e.executorid IS NOT NULL THEN $2::timestamptz END,
  CASE WHEN e.executorid IS NOT NULL AND (r.spec->>'maxexectime')::int > 0
       THEN $2::timestamptz + make_interval(secs => (r.spec->>'maxexectime')::int) END
FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (processid text, colonyname text, processgraphid text, spec jsonb,
  prioritytime bigint, input jsonb, waitingparents int, parents jsonb, children jsonb, initiatorid text, handoff text))
  WITH ORDINALITY AS r(processid, colonyname, processgraphid, spec, prioritytime, input, waitingparents, parents, children, initiatorid, handoff, ord)
LEFT JOIN executors e ON r.handoff IS NOT NULL AND r.waitingparents = 0
  AND e.colonyname = r.colonyname AND e.executorid = r.handoff AND e.state = 'APPROVED'
ORDER BY r.ord
RETURNING processid, assignedexecutorid`;

// Claims for several waiting callers at once: $3 lists one executor id per slot (an executor asking
// for three takes three slots), and the i-th ready process in queue order goes to the i-th slot.
// Slots of an executor that is no longer APPROVED (rejected or removed while it waited) are dropped,
// in the same statement, so a revoked executor is never handed work.
// A child's input (its parents' outputs) is fixed here. It is complete: the claim only sees a child
// whose last parent's close committed before the statement began (waitingparents = 0 in its snapshot;
// a later change is re-checked under the row lock), and every parent's output committed with or
// before that parent's own close.
const CLAIMING = `
slots AS (
  SELECT s.executorid, row_number() OVER (ORDER BY s.ord) AS ord
    FROM unnest($3::text[]) WITH ORDINALITY AS s(executorid, ord)
   WHERE EXISTS (SELECT 1 FROM executors e WHERE e.colonyname = $1 AND e.executorid = s.executorid AND e.state = 'APPROVED')
), picked AS (
  SELECT processid, row_number() OVER (ORDER BY prioritytime, seq) AS rn FROM (
    SELECT processid, prioritytime, seq FROM processes
     WHERE colonyname = $1 AND executortype = $2 AND state = 'WAITING' AND waitingparents = 0
     ORDER BY prioritytime, seq
     LIMIT (SELECT count(*) FROM slots)
     FOR UPDATE SKIP LOCKED
  ) x
), assigned AS (
  -- The i-th row takes the i-th slot by subscript: joining the slots instead was planned as a nested
  -- loop over them (the planner guesses two slots), quadratic in a batch — 20 ms of a 52 ms claim of 250.
  -- The rows are found by their ids (= ANY, the primary key): the planner guesses the LIMIT above as a
  -- tenth of the table, and joined picked to a scan of all of it once it knew of a large backlog
  -- (60,000 analyzed waiting rows: 930 ms per claim instead of 1 ms; test/store/plans.test.ts).
  UPDATE processes p
     SET state = 'RUNNING', assignedexecutorid = (SELECT array_agg(s.executorid ORDER BY s.ord) FROM slots s)[picked.rn],
         attempt = p.attempt + 1, starttime = $4, waitdeadline = NULL,
         execdeadline = CASE WHEN p.maxexectime > 0 THEN $4::timestamptz + make_interval(secs => p.maxexectime) END,
         input = CASE WHEN cardinality(p.parents) > 0 THEN ${parentOutputs('p')} ELSE p.input END
    FROM picked
   WHERE p.processid = picked.processid AND p.processid = ANY(ARRAY(SELECT processid FROM picked))
  RETURNING p.*, picked.rn
), started AS (
  -- A graph row locked by another statement is being started, counted or finished by it: skip it
  -- rather than wait (a claim that closes too holds child rows that the other may be waiting for).
  UPDATE processgraphs g SET state = 'RUNNING', starttime = $4
   WHERE g.processgraphid IN (
     SELECT w.processgraphid FROM processgraphs w
      WHERE w.processgraphid IN (SELECT processgraphid FROM assigned WHERE processgraphid IS NOT NULL) AND w.state = 'WAITING'
        FOR UPDATE SKIP LOCKED)
  RETURNING g.processgraphid
)`;
// Rows a statement returns as one JSON value (one value to parse instead of a row per process), each row
// an array of its columns in this order: cheaper for the database to build than an object with its keys.
const rowsAsArrays = <T>(columns: string) => {
  const names = columns.split(', ').map((col) => col.replace(/^\w+\./, ''));
  return {
    /** The row as a json array, its columns read from `from` ("c." or ""). */
    sql: (from: string) => `json_build_array(${names.map((col) => from + col).join(', ')})`,
    read: (rows: unknown[][]): T[] =>
      rows.map((a) => {
        const row: Record<string, unknown> = {};
        for (let i = 0; i < names.length; i++) row[names[i]!] = a[i];
        return row as T;
      }),
  };
};
const CLAIMED_ROWS = rowsAsArrays<ClaimedRow>(`${STORED_PROCESS_COLUMNS}, rn, graphstarted`);
const HANDED_ROWS = rowsAsArrays<ClaimedRow>(STORED_PROCESS_COLUMNS);
const CLOSED_ROWS = rowsAsArrays<ChangedRow>(CHANGED);

// The claimed rows in slot order, and `exhausted`: this snapshot held no ready process of the type
// beyond those claimed, not even one that SKIP LOCKED passed over (locked by a statement that may yet
// roll back). Looked for only when the rows ran out before the slots did, so a busy queue pays nothing.
const CLAIMED = `(SELECT coalesce(json_agg(${CLAIMED_ROWS.sql('a.')} ORDER BY a.rn), '[]'::json) FROM (
  SELECT ${STORED_PROCESS_COLUMNS}, rn, (processgraphid IN (SELECT processgraphid FROM started)) AS graphstarted FROM assigned) a) AS assigned,
  CASE WHEN (SELECT count(*) FROM picked) < (SELECT count(*) FROM slots) THEN (
    -- In queue order, as the claim reads: NOT EXISTS was planned as a scan of the whole table.
    SELECT w.processid FROM processes w
     WHERE w.colonyname = $1 AND w.executortype = $2 AND w.state = 'WAITING' AND w.waitingparents = 0
       AND w.processid <> ALL(ARRAY(SELECT processid FROM picked))
     ORDER BY w.prioritytime, w.seq LIMIT 1) IS NULL
  ELSE false END AS exhausted`;

// Idle long-polls a close may hand the children it releases to: `idle` is a JSON array of
// {c: colony, t: executortype, e: executorid, n: slots}, oldest first; a claim that closes offers its
// own unused slots before them. Slots of an executor no longer APPROVED are dropped.
const offering = (idle: string, askSlots: boolean) => `
offers AS (
  SELECT o.colonyname, o.executortype, o.executorid,
         row_number() OVER (PARTITION BY o.colonyname, o.executortype ORDER BY o.src, o.ord, o.k) AS rank FROM (
    ${askSlots ? `SELECT $1::text AS colonyname, $2::text AS executortype, s.executorid, 0 AS src, s.ord, 1 AS k FROM slots s WHERE s.ord > (SELECT count(*) FROM picked) UNION ALL` : ''}
    SELECT i.c AS colonyname, i.t AS executortype, i.e AS executorid, 1 AS src, i.ord, k
      FROM ROWS FROM (jsonb_to_recordset(${idle}::jsonb) AS (c text, t text, e text, n int)) WITH ORDINALITY AS i(c, t, e, n, ord),
           generate_series(1, i.n) AS k
     WHERE EXISTS (SELECT 1 FROM executors x WHERE x.colonyname = i.c AND x.executorid = i.e AND x.state = 'APPROVED')
  ) o
)`;

// A released child handed to an idle long-poll starts RUNNING in the statement that released it: one
// statement per hop of a chain instead of a close and then a claim. Only when this snapshot already
// saw every other parent closed (so their outputs are visible here: the input is complete; `handto`
// is only set then) and the row under its lock is the version this snapshot saw (xmin: no concurrent
// change of its parents, count or state since; comparing the parents themselves would detoast a
// fan-in's whole list on every close).
const HANDED = `(d.handto IS NOT NULL AND c.xmin = d.version)`;
// The input of a handed child: its parents' outputs in order, this statement's closes taking theirs from
// `closed` — looked up in one object of them built once per statement: a join to `closed` was planned as
// a scan of every close for every parent (a 10,000-parent reduce handed over with 50 closes: 500,000 rows).
const HANDED_INPUT = `(
  SELECT coalesce(jsonb_agg(e.v ORDER BY par.ord, e.ord), '[]'::jsonb)
    FROM unnest(c.parents) WITH ORDINALITY AS par(id, ord)
    JOIN processes pp ON pp.processid = par.id
   CROSS JOIN LATERAL jsonb_array_elements(
     coalesce((SELECT jsonb_object_agg(cl.processid, cl.output) FROM closed cl) -> par.id, pp.output)) WITH ORDINALITY AS e(v, ord))`;

// A close, whole: the processes become SUCCESS, each child loses one waiting parent per closed parent
// (and is ready, with its wait deadline, at zero — or RUNNING at once on an offered slot, see HANDED;
// a child left WAITING gets its input when it is claimed), and each graph counts its successes
// (SUCCESS when all are). `closes`, `now` and `ids` name its parameters. With `handoff` it follows
// `offers` and starts the children it can; without, it is the plain close, which costs less to plan
// and to run (it made a close-and-claim of 8 on PGlite a third dearer when PGlite still planned every statement).
// The rows are found by their ids (`ids`: the primary key serves `= ANY` on any store, with or without
// statistics), and each row finds its close in `closes`, an object keyed by "processid/attempt" (a
// binary search; a close of another attempt has no key there), not by joining a list of closes: the
// planner, which expects few RUNNING rows, compared every row with every close. The RUNNING check is
// written `IS TRUE` so that no index on state can drive the update instead: the list index's RUNNING
// range is full of dead entries in a busy queue.
const closing = (closes: string, now: string, ids: string, handoff: boolean) => {
  const HANDED_SET = `
         state = CASE WHEN ${HANDED} THEN 'RUNNING' ELSE c.state END,
         assignedexecutorid = CASE WHEN ${HANDED} THEN d.handto ELSE c.assignedexecutorid END,
         attempt = CASE WHEN ${HANDED} THEN c.attempt + 1 ELSE c.attempt END,
         starttime = CASE WHEN ${HANDED} THEN ${now}::timestamptz ELSE c.starttime END,
         execdeadline = CASE WHEN ${HANDED} AND c.maxexectime > 0 THEN ${now}::timestamptz + make_interval(secs => c.maxexectime)
                             ELSE c.execdeadline END,
         input = CASE WHEN ${HANDED} THEN ${HANDED_INPUT} ELSE c.input END,`;
  return `
closed AS (
  UPDATE processes p SET state = 'SUCCESS', output = ${closes}::jsonb -> (p.processid || '/' || p.attempt) -> 'out',
         endtime = ${now}::timestamptz, execdeadline = NULL
   WHERE p.processid = ANY(${ids}::text[]) AND (p.state = 'RUNNING') IS TRUE
     AND p.colonyname = ${closes}::jsonb -> (p.processid || '/' || p.attempt) ->> 'colonyname'
     AND p.assignedexecutorid = ${closes}::jsonb -> (p.processid || '/' || p.attempt) ->> 'executorid'
  RETURNING ${CHANGED}, p.children${handoff ? ', p.output' : ''}
), children AS (
  -- In id order: the update below, driven by it, then locks shared children (a DAG's fan-in) in the
  -- same order in every statement, so concurrent closes queue for them rather than deadlock. A child
  -- this snapshot sees released by these closes alone takes the next offered slot of its type.
  ${
    handoff
      ? `SELECT k.id, k.n, k.version, o.executorid AS handto FROM (
    SELECT d.id, d.n, c.xmin AS version, c.colonyname, c.executortype,
           CASE WHEN c.state = 'WAITING' AND c.waitingparents = d.n THEN row_number() OVER (
             PARTITION BY c.colonyname, c.executortype, c.state = 'WAITING' AND c.waitingparents = d.n ORDER BY c.prioritytime, c.seq) END AS rank
      FROM (SELECT id, count(*)::int AS n FROM closed, unnest(closed.children) AS id GROUP BY id) d
      JOIN processes c ON c.processid = d.id
  ) k LEFT JOIN offers o ON o.colonyname = k.colonyname AND o.executortype = k.executortype AND o.rank = k.rank
  ORDER BY k.id`
      : `SELECT id, count(*)::int AS n, NULL::text AS handto FROM closed, unnest(closed.children) AS id GROUP BY id ORDER BY id`
  }
), released AS (
  UPDATE processes c
     SET waitingparents = c.waitingparents - d.n,${handoff ? HANDED_SET : ''}
         readytime = CASE WHEN c.waitingparents = d.n AND c.state = 'WAITING' THEN ${now}::timestamptz ELSE c.readytime END,
         waitdeadline = CASE ${handoff ? `WHEN ${HANDED} THEN NULL` : ''}
                             WHEN c.waitingparents = d.n AND c.state = 'WAITING' AND c.maxwaittime > 0
                             THEN ${now}::timestamptz + make_interval(secs => c.maxwaittime) ELSE c.waitdeadline END
    FROM children d
   WHERE c.processid = d.id
  -- Whole rows only for the children handed over (a fan-in's parents list is long: not for every close).
  RETURNING c.colonyname, c.executortype, (c.waitingparents = 0 AND c.state = 'WAITING') AS ready,
            ${handoff ? `CASE WHEN d.handto IS NOT NULL AND c.state = 'RUNNING' AND c.assignedexecutorid = d.handto THEN ${HANDED_ROW} END` : 'NULL::json'} AS handed
), counted AS (
  UPDATE processgraphs g
     SET successcount = g.successcount + d.n,
         state = CASE WHEN g.successcount + d.n >= g.processcount THEN 'SUCCESS' ELSE g.state END,
         endtime = CASE WHEN g.successcount + d.n >= g.processcount THEN ${now}::timestamptz ELSE g.endtime END
    FROM (SELECT processgraphid AS id, count(*)::int AS n FROM closed WHERE processgraphid IS NOT NULL GROUP BY 1) d
   WHERE g.processgraphid = d.id AND g.state IN ('WAITING', 'RUNNING')
  RETURNING g.processgraphid, g.colonyname, g.state
)`;
};
const HANDED_ROW = HANDED_ROWS.sql('c.');
// json arrays of the columns wanted: building a jsonb of the whole row and dropping keys cost the
// database 6 µs more per process in a close-and-claim loop (64 → 58 µs).
const CLOSED = `
  (SELECT coalesce(json_agg(${CLOSED_ROWS.sql('')}), '[]'::json) FROM closed) AS closed,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('colonyname', colonyname, 'executortype', executortype)), '[]'::jsonb)
     FROM released WHERE ready) AS ready,
  (SELECT coalesce(json_agg(handed), '[]'::json) FROM released WHERE handed IS NOT NULL) AS handed,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('processgraphid', processgraphid, 'colonyname', colonyname)), '[]'::jsonb)
     FROM counted WHERE state = 'SUCCESS') AS finished`;

// One statement is atomic and needs no BEGIN/COMMIT round trips: the decrement commits with the output it stands for.
const CLOSE_SQL = `${GENERIC_PLAN}WITH ${closing('$1', '$2', '$3', false)} SELECT ${CLOSED}`;
const CLOSE_HANDING_SQL = `${GENERIC_PLAN}WITH ${offering('$4', false)}, ${closing('$1', '$2', '$3', true)} SELECT ${CLOSED}`;
const ASSIGN_SQL = `${GENERIC_PLAN}WITH ${CLAIMING} SELECT ${CLAIMED}`;
// An executor's results and its next claim in one statement (one round trip). The claim reads the
// snapshot from before the closes, so a child they release is not among the claimed rows: it goes to
// a slot the claim left unused (or an idle long-poll) through the offers, else to the next claim.
// No graph is both counted and started here: a graph with a process closing is no longer WAITING.
const CLOSE_AND_ASSIGN_SQL = `${GENERIC_PLAN}WITH ${CLAIMING}, ${closing('$5', '$4', '$6', false)} SELECT ${CLOSED}, ${CLAIMED}`;
const CLOSE_AND_ASSIGN_HANDING_SQL = `${GENERIC_PLAN}WITH ${CLAIMING}, ${offering('$7', true)}, ${closing('$5', '$4', '$6', true)} SELECT ${CLOSED}, ${CLAIMED}`;

// One failed attempt: back to WAITING while retries remain, else FAILED. Shared by fail and exec timeouts.
const RETRY_OR_FAIL_SET = `
  state = CASE WHEN p.retries < p.maxretries THEN 'WAITING' ELSE 'FAILED' END,
  retries = CASE WHEN p.retries < p.maxretries THEN p.retries + 1 ELSE p.retries END,
  errors = p.errors || t.errors,
  assignedexecutorid = CASE WHEN p.retries < p.maxretries THEN NULL ELSE p.assignedexecutorid END,
  endtime = CASE WHEN p.retries < p.maxretries THEN NULL ELSE $1::timestamptz END,
  readytime = CASE WHEN p.retries < p.maxretries THEN $1::timestamptz ELSE p.readytime END,
  waitdeadline = CASE WHEN p.retries < p.maxretries AND p.maxwaittime > 0
                      THEN $1::timestamptz + make_interval(secs => p.maxwaittime) END,
  execdeadline = NULL`;
const RETRY_OR_FAIL_RETURNING = `RETURNING ${CHANGED}, p.errors`;

const FAIL_SQL = `
WITH t AS (
  SELECT processid, $6::jsonb AS errors FROM processes
   WHERE processid = $2 AND colonyname = $3 AND state = 'RUNNING' AND assignedexecutorid = $4 AND attempt = $5
   FOR UPDATE
)
UPDATE processes p SET ${RETRY_OR_FAIL_SET} FROM t WHERE p.processid = t.processid ${RETRY_OR_FAIL_RETURNING}`;

const EXEC_TIMEOUT_SQL = `
WITH t AS (
  SELECT processid,
         jsonb_build_array(format('maxexectime of %s s exceeded (attempt %s, executor %s)', maxexectime, attempt, assignedexecutorid)) AS errors
    FROM processes
   WHERE state = 'RUNNING' AND execdeadline <= $1
   ORDER BY execdeadline
   LIMIT $2
   FOR UPDATE SKIP LOCKED
)
UPDATE processes p SET ${RETRY_OR_FAIL_SET} FROM t WHERE p.processid = t.processid ${RETRY_OR_FAIL_RETURNING}`;

const WAIT_TIMEOUT_SQL = `
WITH t AS (
  SELECT processid FROM processes
   WHERE state = 'WAITING' AND waitdeadline <= $1
   ORDER BY waitdeadline
   LIMIT $2
   FOR UPDATE SKIP LOCKED
)
UPDATE processes p
   SET state = 'FAILED', endtime = $1, waitdeadline = NULL,
       errors = p.errors || jsonb_build_array(format('maxwaittime of %s s exceeded: no executor was assigned in time', p.maxwaittime))
  FROM t WHERE p.processid = t.processid
${RETRY_OR_FAIL_RETURNING}`;

export interface AttemptOutcome extends ChangedRow {
  errors: string[];
}

export interface CloseRow {
  processid: string;
  colonyname: string;
  executorid: string;
  attempt: number;
  out: unknown[];
}

/** A claimed process as the claim returns it (JSON: its times are ISO strings). */
export type ClaimedRow = ProcessRow & { graphstarted: boolean | null };

/** As the close statement returns it: closed and handed rows as arrays (see rowsAsArrays). */
interface ClosedResult {
  closed: unknown[][];
  ready: { colonyname: string; executortype: string }[];
  handed: unknown[][];
  finished: { processgraphid: string; colonyname: string }[];
}

/**
 * What a close did: the rows that closed, where work became ready (left WAITING), the children it
 * started on offered slots (`handed`, each RUNNING on its assignedexecutorid), the graphs that finished.
 */
export interface CloseOutcome {
  closed: ChangedRow[];
  ready: ReadyWork[];
  handed: ClaimedRow[];
  finished: { processgraphid: string; colonyname: string }[];
}

/** An idle long-poll's slots offered to a close for the children it releases. */
export interface Offer {
  colonyname: string;
  executortype: string;
  executorid: string;
  count: number;
}
const offersParam = (offers: Offer[]) => jsonParam(offers.map((o) => ({ c: o.colonyname, t: o.executortype, e: o.executorid, n: o.count })));

/** Closes keyed by "processid/attempt", as the close statement looks them up. */
const closesParam = (closes: CloseRow[]) =>
  jsonParam(
    Object.fromEntries(closes.map((c) => [`${c.processid}/${c.attempt}`, { colonyname: c.colonyname, executorid: c.executorid, out: c.out }])),
  );

const closeOutcome = (r: ClosedResult): CloseOutcome => ({
  closed: CLOSED_ROWS.read(r.closed),
  ready: countReady(r.ready),
  handed: HANDED_ROWS.read(r.handed),
  finished: r.finished,
});

export interface ListFilter {
  state?: ProcessState | undefined;
  executortype?: string | undefined;
  label?: string | undefined;
  funcname?: string | undefined;
  nodename?: string | undefined;
  count: number;
  offset?: number | undefined;
}

export const processesSql = {
  /** Inserts new processes; those with a `handoff` executor (still APPROVED) start RUNNING on it. Returns the ids handed off. */
  insert: async (q: Queryable, rows: (NewProcess & { handoff?: string | null })[], now: Date): Promise<Map<string, string>> => {
    const handed = new Map<string, string>();
    if (rows.length === 0) return handed;
    for (const r of await q.query<{ processid: string; assignedexecutorid: string | null }>(INSERT_SQL, [jsonParam(rows), now]))
      if (r.assignedexecutorid) handed.set(r.processid, r.assignedexecutorid);
    return handed;
  },

  get: async (q: Queryable, colonyname: string, processid: string) =>
    (await q.query<ProcessRow>(`SELECT ${PROCESS_COLUMNS} FROM processes WHERE processid = $1 AND colonyname = $2`, [processid, colonyname]))[0],

  getMany: (q: Queryable, colonyname: string, processids: string[]) =>
    q.query<ProcessRow>(`SELECT ${PROCESS_COLUMNS} FROM processes WHERE processid = ANY($1::text[]) AND colonyname = $2 ORDER BY seq`, [
      processids,
      colonyname,
    ]),

  getForUpdate: (q: Queryable, colonyname: string, processids: string[]) =>
    q.query<ProcessRow>(
      `SELECT ${PROCESS_COLUMNS} FROM processes WHERE processid = ANY($1::text[]) AND colonyname = $2 ORDER BY processid FOR UPDATE`,
      [processids, colonyname],
    ),

  list: (q: Queryable, colonyname: string, f: ListFilter) =>
    q.query<ProcessRow>(
      `SELECT ${PROCESS_COLUMNS} FROM processes
        WHERE colonyname = $1 AND ($2::text IS NULL OR state = $2) AND ($3::text IS NULL OR executortype = $3) AND ($4::text IS NULL OR label = $4)
          AND ($5::text IS NULL OR funcname = $5) AND ($6::text IS NULL OR nodename = $6)
        ORDER BY submissiontime DESC, seq DESC LIMIT $7 OFFSET $8`,
      [colonyname, f.state ?? null, f.executortype ?? null, f.label ?? null, f.funcname ?? null, f.nodename ?? null, f.count, f.offset ?? 0],
    ),

  findByNodename: async (q: Queryable, colonyname: string, processgraphid: string, nodename: string) =>
    (
      await q.query<ProcessRow>(`SELECT ${PROCESS_COLUMNS} FROM processes WHERE processgraphid = $1 AND nodename = $2 AND colonyname = $3`, [
        processgraphid,
        nodename,
        colonyname,
      ])
    )[0],

  listByGraph: (q: Queryable, processgraphid: string) =>
    q.query<ProcessRow>(`SELECT ${PROCESS_COLUMNS} FROM processes WHERE processgraphid = $1 ORDER BY seq`, [processgraphid]),

  /**
   * Claims ready processes in queue order for the given slots (one executor id per process wanted),
   * after closing `closes` in the same statement when there are any (see close: with `offers`, the
   * children they release go to the slots the claim left unused, then to the offers).
   */
  assign: async (q: Queryable, colonyname: string, executortype: string, slots: string[], now: Date, closes: CloseRow[] = [], offers?: Offer[]) => {
    if (closes.length === 0) {
      const [r] = await q.query<{ assigned: unknown[][]; exhausted: boolean }>(ASSIGN_SQL, [colonyname, executortype, slots, now]);
      return { assigned: CLAIMED_ROWS.read(r!.assigned), exhausted: r!.exhausted, closed: [], ready: [], handed: [], finished: [] };
    }
    const params = [colonyname, executortype, slots, now, closesParam(closes), closes.map((c) => c.processid)];
    const [r] = await q.query<ClosedResult & { assigned: unknown[][]; exhausted: boolean }>(
      offers ? CLOSE_AND_ASSIGN_HANDING_SQL : CLOSE_AND_ASSIGN_SQL,
      offers ? [...params, offersParam(offers)] : params,
    );
    return { assigned: CLAIMED_ROWS.read(r!.assigned), exhausted: r!.exhausted, ...closeOutcome(r!) };
  },

  /**
   * Closes RUNNING processes as SUCCESS (colony, executor and attempt fencing) with everything that
   * follows, in one statement (CLOSE_SQL); with `offers` (CLOSE_HANDING_SQL), a child it releases starts
   * on one of them when one of its type is left. Returns the rows that closed, where work became ready,
   * the children started and the graphs that finished.
   */
  close: async (q: Queryable, closes: CloseRow[], now: Date, offers?: Offer[]): Promise<CloseOutcome> => {
    const params = [closesParam(closes), now, closes.map((c) => c.processid)];
    const [r] = await q.query<ClosedResult>(offers ? CLOSE_HANDING_SQL : CLOSE_SQL, offers ? [...params, offersParam(offers)] : params);
    return closeOutcome(r!);
  },

  /** Of these closes, those already done: SUCCESS by that executor on that attempt (a retried close). */
  alreadyClosed: async (q: Queryable, closes: CloseRow[]) =>
    (
      await q.query<{ processid: string }>(
        `SELECT p.processid FROM processes p
           JOIN jsonb_to_recordset($1::jsonb) AS c(processid text, colonyname text, executorid text, attempt int)
             ON p.processid = c.processid AND p.colonyname = c.colonyname AND p.state = 'SUCCESS'
            AND p.assignedexecutorid = c.executorid AND p.attempt = c.attempt`,
        [jsonParam(closes.map(({ out: _out, ...c }) => c))],
      )
    ).map((r) => r.processid),

  fail: async (q: Queryable, colonyname: string, processid: string, executorid: string, attempt: number, errors: string[], now: Date) =>
    (await q.query<AttemptOutcome>(FAIL_SQL, [now, processid, colonyname, executorid, attempt, jsonParam(errors)]))[0],

  expireExecutions: (q: Queryable, now: Date, limit: number) => q.query<AttemptOutcome>(EXEC_TIMEOUT_SQL, [now, limit]),

  expireWaits: (q: Queryable, now: Date, limit: number) => q.query<AttemptOutcome>(WAIT_TIMEOUT_SQL, [now, limit]),

  /** Cancels one process that has not finished; returns its graph id (or null), undefined if nothing changed. */
  cancel: async (q: Queryable, colonyname: string, processid: string, reason: string, now: Date) =>
    (
      await q.query<ChangedRow>(
        `UPDATE processes p SET state = 'CANCELLED', endtime = $3, waitdeadline = NULL, execdeadline = NULL, errors = errors || $4::jsonb
          WHERE processid = $1 AND colonyname = $2 AND state IN ('WAITING', 'RUNNING') RETURNING ${CHANGED}`,
        [processid, colonyname, now, jsonParam([reason])],
      )
    )[0],

  /** Cancels what is left of a graph: WAITING processes, and RUNNING ones too when asked. */
  cancelInGraph: (q: Queryable, processgraphid: string, alsoRunning: boolean, reason: string, now: Date) =>
    q.query<ChangedRow>(
      `UPDATE processes p SET state = 'CANCELLED', endtime = $2, waitdeadline = NULL, execdeadline = NULL, errors = errors || $3::jsonb
        WHERE processgraphid = $1 AND (state = 'WAITING' OR ($4 AND state = 'RUNNING')) RETURNING ${CHANGED}`,
      [processgraphid, now, jsonParam([reason]), alsoRunning],
    ),

  /** Puts claimed-but-undelivered processes back without counting a retry. */
  requeue: (q: Queryable, colonyname: string, executorid: string, processids: string[]) =>
    q.query<ChangedRow>(
      `UPDATE processes p SET state = 'WAITING', assignedexecutorid = NULL, starttime = NULL, execdeadline = NULL
        WHERE processid = ANY($1::text[]) AND colonyname = $2 AND assignedexecutorid = $3 AND state = 'RUNNING' RETURNING ${CHANGED}`,
      [processids, colonyname, executorid],
    ),

  remove: async (q: Queryable, colonyname: string, processid: string) =>
    (await q.query('DELETE FROM processes WHERE processid = $1 AND colonyname = $2 RETURNING processid', [processid, colonyname])).length > 0,

  /** Removes standalone processes (not part of a graph) in the given states. */
  removeAll: async (q: Queryable, colonyname: string, states: ProcessState[]) =>
    (
      await q.query<{ n: number }>(
        `WITH d AS (DELETE FROM processes WHERE colonyname = $1 AND processgraphid IS NULL AND state = ANY($2::text[]) RETURNING 1) SELECT count(*)::int AS n FROM d`,
        [colonyname, states],
      )
    )[0]!.n,

  stateCounts: async (q: Queryable, colonyname: string): Promise<StateCounts> =>
    toCounts(
      await q.query<{ state: ProcessState; n: number }>('SELECT state, count(*)::int AS n FROM processes WHERE colonyname = $1 GROUP BY state', [
        colonyname,
      ]),
    ),

  /** Rewrites the edges of existing rows (add_child); values are computed under the rows' locks. */
  updateEdges: async (q: Queryable, rows: { processid: string; parents: string[]; children: string[]; waitingparents: number }[]) => {
    if (rows.length === 0) return;
    await q.query(
      `UPDATE processes p SET parents = ARRAY(SELECT jsonb_array_elements_text(r.parents)), children = ARRAY(SELECT jsonb_array_elements_text(r.children)),
              waitingparents = r.waitingparents
         FROM jsonb_to_recordset($1::jsonb) AS r(processid text, parents jsonb, children jsonb, waitingparents int)
        WHERE p.processid = r.processid`,
      [jsonParam(rows)],
    );
  },
};

export function toCounts(rows: { state: ProcessState; n: number }[]): StateCounts {
  const counts: StateCounts = { WAITING: 0, RUNNING: 0, SUCCESS: 0, FAILED: 0, CANCELLED: 0 };
  for (const r of rows) counts[r.state] = r.n;
  return counts;
}

export function countReady(rows: { colonyname: string; executortype: string }[]): ReadyWork[] {
  const byKey = new Map<string, ReadyWork>();
  for (const r of rows) {
    const key = r.colonyname + '\u0000' + r.executortype;
    const w = byKey.get(key);
    if (w) w.n++;
    else byKey.set(key, { colonyname: r.colonyname, executortype: r.executortype, n: 1 });
  }
  return [...byKey.values()];
}
