/**
 * The close: RUNNING processes become SUCCESS, the children they release become ready (or start at
 * once on an idle long-poll's offered slot), and their graphs count the successes. One statement,
 * atomic without BEGIN/COMMIT round trips: a child's decrement commits with the output it stands for.
 * See docs/architecture.md, Process semantics and The dispatcher.
 */
import { GENERIC_PLAN, type Queryable } from '../../db.ts';
import { STORED_PROCESS_COLUMNS } from '../../rows.ts';
import { deadlineSql } from './deadline.ts';
import { jsonParam, rowsAsArrays } from './json.ts';
import { CHANGED, countReady, type ChangedRow, type ClaimedRow, type CloseOutcome, type CloseRow, type Offer } from './types.ts';

/** Where a close finds its parameters in the statement it is part of ($n names). */
export interface CloseParams {
  /** The closes, keyed by "processid/attempt" (see closesParam). */
  closes: string;
  now: string;
  /** The closed processes' ids. */
  ids: string;
}

export const HANDED_ROWS = rowsAsArrays<ClaimedRow>(STORED_PROCESS_COLUMNS);
const CLOSED_ROWS = rowsAsArrays<ChangedRow>(CHANGED);

/**
 * Idle long-polls a close may hand the children it releases to: `idle` is a JSON array of
 * {c: colony, t: executortype, e: executorid, n: slots}, oldest first. A claim that closes offers its
 * own unused slots before them (`askSlots`). Slots of an executor no longer APPROVED are dropped.
 */
export const offersCte = (idle: string, askSlots: boolean) => `
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
// `closed`, looked up in one object built once per statement (a join to `closed` was planned as a scan
// of every close for every parent).
const HANDED_INPUT = `(
  SELECT coalesce(jsonb_agg(e.v ORDER BY par.ord, e.ord), '[]'::jsonb)
    FROM unnest(c.parents) WITH ORDINALITY AS par(id, ord)
    JOIN processes pp ON pp.processid = par.id
   CROSS JOIN LATERAL jsonb_array_elements(
     coalesce((SELECT jsonb_object_agg(cl.processid, cl.output) FROM closed cl) -> par.id, pp.output)) WITH ORDINALITY AS e(v, ord))`;

// The rows are found by their ids (the primary key serves `= ANY` on any store, with or without
// statistics), and each row finds its close in `closes`, an object keyed by "processid/attempt" (a
// binary search; a close of another attempt has no key there), not by joining a list of closes: the
// planner, which expects few RUNNING rows, compared every row with every close. The RUNNING check is
// written `IS TRUE` so that no index on state can drive the update instead: the list index's RUNNING
// range is full of dead entries in a busy queue.
// The variables a process sets from its output (varsets, NULL for every other): {name: value}.
const SETS = `CASE WHEN p.varsets IS NULL THEN NULL ELSE (
  SELECT jsonb_object_agg(v.key, coalesce(p.output #> ARRAY(SELECT jsonb_array_elements_text(v.value)), 'null'::jsonb))
    FROM jsonb_each(p.varsets) v) END AS sets`;
const closedCte = ({ closes, now, ids }: CloseParams, handing: boolean) => `
closed AS (
  UPDATE processes p SET state = 'SUCCESS', output = ${closes}::jsonb -> (p.processid || '/' || p.attempt) -> 'out',
         endtime = ${now}::timestamptz, execdeadline = NULL
   WHERE p.processid = ANY(${ids}::text[]) AND (p.state = 'RUNNING') IS TRUE
     AND p.colonyname = ${closes}::jsonb -> (p.processid || '/' || p.attempt) ->> 'colonyname'
     AND p.assignedexecutorid = ${closes}::jsonb -> (p.processid || '/' || p.attempt) ->> 'executorid'
  RETURNING ${CHANGED}, p.children${handing ? ', p.output' : ''}, ${SETS}
)`;

// A node the server runs itself (an event, a timer, a user task: protocol/flow.ts) finishes with its
// output ($closes: processid → output) from WAITING, where it waited ready, not from RUNNING on an executor.
const completedCte = ({ closes, now, ids }: CloseParams) => `
closed AS (
  UPDATE processes p SET state = 'SUCCESS', output = ${closes}::jsonb -> p.processid, endtime = ${now}::timestamptz,
         starttime = coalesce(p.starttime, ${now}::timestamptz), waitdeadline = NULL, execdeadline = NULL
   WHERE p.processid = ANY(${ids}::text[]) AND p.state = 'WAITING' AND p.gated AND p.waitingparents = 0
  RETURNING ${CHANGED}, p.children, ${SETS}
)`;

// In id order: the update below, driven by it, then locks shared children (a DAG's fan-in) in the
// same order in every statement, so concurrent closes queue for them rather than deadlock.
const PLAIN_CHILDREN = `
children AS (
  SELECT id, count(*)::int AS n, NULL::text AS handto FROM closed, unnest(closed.children) AS id GROUP BY id ORDER BY id
)`;
// As PLAIN_CHILDREN; besides, a child this snapshot sees released by these closes alone takes the
// next offered slot of its type.
// A child reading variables (varrefs) is left to the claim, which sees the ones this close sets.
const HANDABLE = `c.state = 'WAITING' AND c.waitingparents = d.n AND c.varrefs IS NULL`;
const HANDING_CHILDREN = `
children AS (
  SELECT k.id, k.n, k.version, o.executorid AS handto FROM (
    SELECT d.id, d.n, c.xmin AS version, c.colonyname, c.executortype,
           CASE WHEN ${HANDABLE} THEN row_number() OVER (
             PARTITION BY c.colonyname, c.executortype, ${HANDABLE} ORDER BY c.prioritytime, c.seq) END AS rank
      FROM (SELECT id, count(*)::int AS n FROM closed, unnest(closed.children) AS id GROUP BY id) d
      JOIN processes c ON c.processid = d.id
  ) k LEFT JOIN offers o ON o.colonyname = k.colonyname AND o.executortype = k.executortype AND o.rank = k.rank
  ORDER BY k.id
)`;

// A gated child (see protocol/flow.ts) whose last parent closed: the server decides it after the commit.
const GATE_DUE = `CASE WHEN c.gated AND c.state = 'WAITING' AND c.waitingparents = 1 THEN c.processid END AS gate`;

/** Each child loses one waiting parent per closed parent, and is ready, with its wait deadline, at zero. */
const RELEASED_WHEN = `c.waitingparents = d.n AND c.state = 'WAITING'`;
const releasedCte = (now: string) => `
released AS (
  UPDATE processes c
     SET waitingparents = c.waitingparents - d.n,
         readytime = CASE WHEN ${RELEASED_WHEN} THEN ${now}::timestamptz ELSE c.readytime END,
         waitdeadline = ${deadlineSql(now, 'c.maxwaittime', RELEASED_WHEN, 'c.waitdeadline')}
    FROM children d
   WHERE c.processid = d.id
  RETURNING c.colonyname, c.executortype, (c.waitingparents = 0 AND c.state = 'WAITING') AS ready, NULL::json AS handed, ${GATE_DUE}
)`;
// As releasedCte; a child handed over (see HANDED) starts RUNNING on its slot instead, with its input.
// Whole rows only for the children handed over (a fan-in's parents list is long: not for every close).
const handingReleasedCte = (now: string) => `
released AS (
  UPDATE processes c
     SET waitingparents = c.waitingparents - d.n,
         state = CASE WHEN ${HANDED} THEN 'RUNNING' ELSE c.state END,
         assignedexecutorid = CASE WHEN ${HANDED} THEN d.handto ELSE c.assignedexecutorid END,
         attempt = CASE WHEN ${HANDED} THEN c.attempt + 1 ELSE c.attempt END,
         starttime = CASE WHEN ${HANDED} THEN ${now}::timestamptz ELSE c.starttime END,
         execdeadline = ${deadlineSql(now, 'c.maxexectime', HANDED, 'c.execdeadline')},
         input = CASE WHEN ${HANDED} THEN ${HANDED_INPUT} ELSE c.input END,
         readytime = CASE WHEN ${RELEASED_WHEN} THEN ${now}::timestamptz ELSE c.readytime END,
         waitdeadline = CASE WHEN ${HANDED} THEN NULL ELSE ${deadlineSql(now, 'c.maxwaittime', RELEASED_WHEN, 'c.waitdeadline')} END
    FROM children d
   WHERE c.processid = d.id
  RETURNING c.colonyname, c.executortype, (c.waitingparents = 0 AND c.state = 'WAITING') AS ready,
            CASE WHEN d.handto IS NOT NULL AND c.state = 'RUNNING' AND c.assignedexecutorid = d.handto THEN ${HANDED_ROWS.sql('c.')} END AS handed,
            ${GATE_DUE}
)`;

/** Each graph counts its successes (a HALTED one too); when all its processes have finished it is SUCCESS, or FAILED when a leaf failed (see gates.ts). */
const countedCte = (now: string) => `
counted AS (
  UPDATE processgraphs g
     SET successcount = g.successcount + d.n,
         state = CASE WHEN g.successcount + g.settledcount + d.n < g.processcount THEN g.state WHEN g.leavesfailed > 0 THEN 'FAILED' ELSE 'SUCCESS' END,
         endtime = CASE WHEN g.successcount + g.settledcount + d.n >= g.processcount THEN ${now}::timestamptz ELSE g.endtime END,
         variables = CASE WHEN d.sets IS NULL THEN g.variables
           ELSE g.variables || (SELECT jsonb_object_agg(x.key, x.value) FROM jsonb_array_elements(d.sets) s, jsonb_each(s.value) x) END
    FROM (SELECT processgraphid AS id, count(*)::int AS n, jsonb_agg(sets) FILTER (WHERE sets IS NOT NULL) AS sets
            FROM closed WHERE processgraphid IS NOT NULL GROUP BY 1) d
   WHERE g.processgraphid = d.id AND g.state IN ('WAITING', 'RUNNING', 'HALTED')
  RETURNING g.processgraphid, g.colonyname, g.state
)`;

/**
 * The CTEs of a whole close (closed, children, released, counted). The plain close costs less to plan
 * and to run than the handing one, which must follow `offersCte` and starts the children it can.
 */
export const plainCloseCtes = (p: CloseParams) => [closedCte(p, false), PLAIN_CHILDREN, releasedCte(p.now), countedCte(p.now)].join(',');
export const handingCloseCtes = (p: CloseParams) => [closedCte(p, true), HANDING_CHILDREN, handingReleasedCte(p.now), countedCte(p.now)].join(',');

// json arrays of the columns wanted: cheaper for the database than a jsonb of the whole row with keys dropped.
export const CLOSED_COLUMNS = `
  (SELECT coalesce(json_agg(${CLOSED_ROWS.sql('')}), '[]'::json) FROM closed) AS closed,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('colonyname', colonyname, 'executortype', executortype)), '[]'::jsonb)
     FROM released WHERE ready) AS ready,
  (SELECT coalesce(json_agg(handed), '[]'::json) FROM released WHERE handed IS NOT NULL) AS handed,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('processgraphid', processgraphid, 'colonyname', colonyname, 'state', state)), '[]'::jsonb)
     FROM counted WHERE state IN ('SUCCESS', 'FAILED')) AS finished,
  (SELECT coalesce(json_agg(gate), '[]'::json) FROM released WHERE gate IS NOT NULL) AS gates`;

const CLOSE_PARAMS: CloseParams = { closes: '$1', now: '$2', ids: '$3' };
const COMPLETE_SQL = `WITH ${[completedCte(CLOSE_PARAMS), PLAIN_CHILDREN, releasedCte(CLOSE_PARAMS.now), countedCte(CLOSE_PARAMS.now)].join(',')} SELECT ${CLOSED_COLUMNS}`;
const CLOSE_SQL = `${GENERIC_PLAN}WITH ${plainCloseCtes(CLOSE_PARAMS)} SELECT ${CLOSED_COLUMNS}`;
const CLOSE_HANDING_SQL = `${GENERIC_PLAN}WITH ${offersCte('$4', false)}, ${handingCloseCtes(CLOSE_PARAMS)} SELECT ${CLOSED_COLUMNS}`;

/** As a close statement returns it: closed and handed rows as arrays (see rowsAsArrays). */
export interface ClosedResult {
  closed: unknown[][];
  ready: { colonyname: string; executortype: string }[];
  handed: unknown[][];
  finished: { processgraphid: string; colonyname: string; state: 'SUCCESS' | 'FAILED' }[];
  gates: string[];
}

export const closeOutcome = (r: ClosedResult): CloseOutcome => ({
  closed: CLOSED_ROWS.read(r.closed),
  ready: countReady(r.ready),
  handed: HANDED_ROWS.read(r.handed),
  finished: r.finished,
  gates: r.gates,
});

export const offersParam = (offers: Offer[]) => jsonParam(offers.map((o) => ({ c: o.colonyname, t: o.executortype, e: o.executorid, n: o.count })));

/** Closes keyed by "processid/attempt", as the close statement looks them up. */
export const closesParam = (closes: CloseRow[]) =>
  jsonParam(
    Object.fromEntries(closes.map((c) => [`${c.processid}/${c.attempt}`, { colonyname: c.colonyname, executorid: c.executorid, out: c.out }])),
  );

export const closeSql = {
  /**
   * Closes RUNNING processes as SUCCESS (colony, executor and attempt fencing) with everything that
   * follows, in one statement; with `offers`, a child it releases starts on one of them when one of
   * its type is left. Returns the rows that closed, where work became ready, the children started and
   * the graphs that finished.
   */
  close: async (q: Queryable, closes: CloseRow[], now: Date, offers?: Offer[]): Promise<CloseOutcome> => {
    const params = [closesParam(closes), now, closes.map((c) => c.processid)];
    const [r] = await q.query<ClosedResult>(offers ? CLOSE_HANDING_SQL : CLOSE_SQL, offers ? [...params, offersParam(offers)] : params);
    return closeOutcome(r!);
  },

  /**
   * Finishes ready server nodes (gated, WAITING with no parent left) as SUCCESS with their outputs,
   * with everything that follows a close. Returns what a close returns; a node no longer ready is not closed.
   */
  complete: async (q: Queryable, outputs: Map<string, unknown[]>, now: Date): Promise<CloseOutcome> => {
    const [r] = await q.query<ClosedResult>(COMPLETE_SQL, [jsonParam(Object.fromEntries(outputs)), now, [...outputs.keys()]]);
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
};
