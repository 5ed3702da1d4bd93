/**
 * The claim: ready processes in queue order for the slots of the long-polls asking, optionally with
 * those executors' closes in the same statement (one round trip per result and next process).
 * See docs/architecture.md, The dispatcher.
 */
import { GENERIC_PLAN, type Queryable } from '../../db.ts';
import { STORED_PROCESS_COLUMNS, parentOutputs } from '../../rows.ts';
import { CLOSED_COLUMNS, closeOutcome, closesParam, handingCloseCtes, offersCte, offersParam, plainCloseCtes, type ClosedResult } from './close.ts';
import { deadlineSql } from './deadline.ts';
import { rowsAsArrays } from './json.ts';
import type { ClaimOutcome, ClaimedRow, CloseRow, Offer } from './types.ts';

// Claims for several waiting callers at once: $3 lists one executor id per slot (an executor asking
// for three takes three slots), and the i-th ready process in queue order goes to the i-th slot.
// Slots of an executor that is no longer APPROVED (rejected or removed while it waited) are dropped,
// in the same statement, so a revoked executor is never handed work.
// A child's input (its parents' outputs) is fixed here (a gated one's was, when its gate opened). It is complete: the claim only sees a child
// whose last parent's close committed before the statement began (waitingparents = 0 in its snapshot;
// a later change is re-checked under the row lock), and every parent's output committed with or
// before that parent's own close.
// `assigned`: the i-th row takes the i-th slot by subscript (joining the slots instead was planned as a
// nested loop over them, quadratic in a batch), and the rows are found by their ids (= ANY, the primary
// key: the planner guesses the LIMIT as a tenth of the table, and joined `picked` to a scan of all of it
// once it knew of a large backlog; test/store/plans.test.ts).
// `started`: a graph row locked by another statement is being started, counted or finished by it: skip
// it rather than wait (a claim that closes too holds child rows that the other may be waiting for).
// A retry waiting out its delay (notbefore, NULL for every other process) is passed over until it is due:
// a filter on the rows the claim index yields, so the plan stays the same (docs/performance.md).
// A process reading variables its run sets as it goes (varrefs, NULL for every other) gets their values now.
const RESOLVED_SPEC = `CASE WHEN p.varrefs IS NULL THEN p.spec
  ELSE colonies_resolve(p.spec, p.varrefs, (SELECT g.variables FROM processgraphs g WHERE g.processgraphid = p.processgraphid)) END`;
const CLAIMING = `
slots AS (
  SELECT s.executorid, row_number() OVER (ORDER BY s.ord) AS ord
    FROM unnest($3::text[]) WITH ORDINALITY AS s(executorid, ord)
   WHERE EXISTS (SELECT 1 FROM executors e WHERE e.colonyname = $1 AND e.executorid = s.executorid AND e.state = 'APPROVED')
), picked AS (
  SELECT processid, row_number() OVER (ORDER BY prioritytime, seq) AS rn FROM (
    SELECT processid, prioritytime, seq FROM processes
     WHERE colonyname = $1 AND executortype = $2 AND state = 'WAITING' AND waitingparents = 0
       AND (notbefore IS NULL OR notbefore <= $4)
     ORDER BY prioritytime, seq
     LIMIT (SELECT count(*) FROM slots)
     FOR UPDATE SKIP LOCKED
  ) x
), assigned AS (
  UPDATE processes p
     SET state = 'RUNNING', assignedexecutorid = (SELECT array_agg(s.executorid ORDER BY s.ord) FROM slots s)[picked.rn],
         attempt = p.attempt + 1, starttime = $4, waitdeadline = NULL,
         execdeadline = ${deadlineSql('$4', 'p.maxexectime')},
         input = CASE WHEN cardinality(p.parents) > 0 AND NOT p.gated THEN ${parentOutputs('p')} ELSE p.input END,
         spec = ${RESOLVED_SPEC}
    FROM picked
   WHERE p.processid = picked.processid AND p.processid = ANY(ARRAY(SELECT processid FROM picked))
  RETURNING p.*, picked.rn
), started AS (
  UPDATE processgraphs g SET state = 'RUNNING', starttime = $4
   WHERE g.processgraphid IN (
     SELECT w.processgraphid FROM processgraphs w
      WHERE w.processgraphid IN (SELECT processgraphid FROM assigned WHERE processgraphid IS NOT NULL) AND w.state = 'WAITING'
        FOR UPDATE SKIP LOCKED)
  RETURNING g.processgraphid
)`;

const CLAIMED_ROWS = rowsAsArrays<ClaimedRow>(`${STORED_PROCESS_COLUMNS}, rn, graphstarted`);

// The claimed rows in slot order, and `exhausted`: this snapshot held no ready process of the type
// beyond those claimed, not even one that SKIP LOCKED passed over (locked by a statement that may yet
// roll back). Looked for only when the rows ran out before the slots did, so a busy queue pays nothing;
// in queue order, as the claim reads (NOT EXISTS was planned as a scan of the whole table). A retry not
// yet due does not count, but `nextdue` says when the first one is (processes_notbefore): the queue is
// empty until then at most. The deadline sweep wakes the long-polls when it comes due (wakeDue, lifecycle.ts).
const CLAIMED_COLUMNS = `(SELECT coalesce(json_agg(${CLAIMED_ROWS.sql('a.')} ORDER BY a.rn), '[]'::json) FROM (
  SELECT ${STORED_PROCESS_COLUMNS}, rn, (processgraphid IN (SELECT processgraphid FROM started)) AS graphstarted FROM assigned) a) AS assigned,
  CASE WHEN (SELECT count(*) FROM picked) < (SELECT count(*) FROM slots) THEN (
    SELECT w.processid FROM processes w
     WHERE w.colonyname = $1 AND w.executortype = $2 AND w.state = 'WAITING' AND w.waitingparents = 0
       AND (w.notbefore IS NULL OR w.notbefore <= $4) AND w.processid <> ALL(ARRAY(SELECT processid FROM picked))
     ORDER BY w.prioritytime, w.seq LIMIT 1) IS NULL
  ELSE false END AS exhausted,
  CASE WHEN (SELECT count(*) FROM picked) < (SELECT count(*) FROM slots) THEN (
    SELECT min(d.notbefore) FROM processes d
     WHERE d.state = 'WAITING' AND d.notbefore > $4 AND d.colonyname = $1 AND d.executortype = $2)
  END AS nextdue`;

const ASSIGN_SQL = `${GENERIC_PLAN}WITH ${CLAIMING} SELECT ${CLAIMED_COLUMNS}`;
// An executor's results and its next claim in one statement (one round trip). The claim reads the
// snapshot from before the closes, so a child they release is not among the claimed rows: it goes to
// a slot the claim left unused (or an idle long-poll) through the offers, else to the next claim.
// No graph is both counted and started here: a graph with a process closing is no longer WAITING.
const CLOSES = { closes: '$5', now: '$4', ids: '$6' };
const CLOSE_AND_ASSIGN_SQL = `${GENERIC_PLAN}WITH ${CLAIMING}, ${plainCloseCtes(CLOSES)} SELECT ${CLOSED_COLUMNS}, ${CLAIMED_COLUMNS}`;
const CLOSE_AND_ASSIGN_HANDING_SQL = `${GENERIC_PLAN}WITH ${CLAIMING}, ${offersCte('$7', true)}, ${handingCloseCtes(CLOSES)} SELECT ${CLOSED_COLUMNS}, ${CLAIMED_COLUMNS}`;

/** Told of every claim statement once it answered: for tests that count statements. */
export type ClaimObserver = (claim: { colonyname: string; executortype: string; slots: number; claimed: number }) => void;
let observer: ClaimObserver | undefined;

/** Sets (or, with undefined, removes) the one claim observer of this process. Costs nothing when unset. */
export function observeClaims(o: ClaimObserver | undefined): void {
  observer = o;
}

interface Claimed {
  assigned: unknown[][];
  exhausted: boolean;
  nextdue: Date | string | null;
}
const claimed = (row: Claimed) => ({
  assigned: CLAIMED_ROWS.read(row.assigned),
  exhausted: row.exhausted,
  nextdue: row.nextdue === null ? null : new Date(row.nextdue),
});

async function assign(q: Queryable, colonyname: string, executortype: string, slots: string[], now: Date, closes: CloseRow[] = [], offers?: Offer[]) {
  let r: ClaimOutcome;
  if (closes.length === 0) {
    const [row] = await q.query<Claimed>(ASSIGN_SQL, [colonyname, executortype, slots, now]);
    r = { ...claimed(row!), closed: [], ready: [], handed: [], finished: [], gates: [] };
  } else {
    const params = [colonyname, executortype, slots, now, closesParam(closes), closes.map((c) => c.processid)];
    const [row] = await q.query<ClosedResult & Claimed>(
      offers ? CLOSE_AND_ASSIGN_HANDING_SQL : CLOSE_AND_ASSIGN_SQL,
      offers ? [...params, offersParam(offers)] : params,
    );
    r = { ...claimed(row!), ...closeOutcome(row!) };
  }
  observer?.({ colonyname, executortype, slots: slots.length, claimed: r.assigned.length });
  return r;
}

export const claimSql = {
  /**
   * Claims ready processes in queue order for the given slots (one executor id per process wanted),
   * after closing `closes` in the same statement when there are any (see closeSql.close: with `offers`,
   * the children they release go to the slots the claim left unused, then to the offers).
   */
  assign,
};
