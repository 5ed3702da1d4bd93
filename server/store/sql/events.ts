/**
 * The statements of external events and timers (services/kinds/event.ts, sleep.ts): events kept per
 * graph until an event node consumes them, the ready event nodes an event may finish, and the wake
 * times of sleep nodes. Each runs inside the caller's transaction.
 */
import type { Queryable } from '../db.ts';
import type { ProcessState } from '../../../protocol/states.ts';
import type { GraphEvent } from '../../../protocol/types.ts';
import { serverExecutorType } from '../../../protocol/flow.ts';
import { jsonParam } from './processes/json.ts';

interface GraphEventRow {
  eventid: string;
  processgraphid: string;
  name: string;
  data: unknown;
  postedtime: Date | string;
  postedby: string;
  postedbyname: string;
  consumedby: string | null;
  consumedtime: Date | string | null;
}

export interface NewGraphEvent {
  eventid: string;
  processgraphid: string;
  colonyname: string;
  name: string;
  data: unknown;
  postedby: string;
  postedbyname: string;
  consumedby: string | null;
}

const EVENT_COLUMNS = 'eventid, processgraphid, name, data, postedtime, postedby, postedbyname, consumedby, consumedtime';
const EVENT_NODE = serverExecutorType('event');
// A constant in the text, not a parameter: the planner matches it with the partial index processes_timers_due.
const SLEEP_NODE = serverExecutorType('sleep');

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

export const toGraphEvent = (r: GraphEventRow): GraphEvent => ({
  eventid: r.eventid,
  processgraphid: r.processgraphid,
  name: r.name,
  data: r.data,
  postedtime: iso(r.postedtime)!,
  postedbyname: r.postedbyname,
  postedby: r.postedby,
  consumedby: r.consumedby,
  consumedtime: iso(r.consumedtime),
});

export const eventsSql = {
  /**
   * Serialises, per graph and event name, a post with an event node reaching its gate: without it each
   * could miss the other (the post finds no node waiting, the node finds no event kept) and both wait.
   */
  lockName: async (q: Queryable, processgraphid: string, name: string): Promise<void> => {
    await q.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`colonies-event/${processgraphid}/${name}`]);
  },

  /** The graph's state, when it is in the colony. */
  graphState: async (q: Queryable, colonyname: string, processgraphid: string) =>
    (
      await q.query<{ state: ProcessState }>(`SELECT state FROM processgraphs WHERE processgraphid = $1 AND colonyname = $2`, [
        processgraphid,
        colonyname,
      ])
    )[0]?.state,

  /** The ready event node of the graph waiting longest for this name (read through the claim index's ready rows). */
  waitingNode: async (q: Queryable, colonyname: string, processgraphid: string, name: string) =>
    (
      await q.query<{ processid: string }>(
        `SELECT processid FROM processes
          WHERE colonyname = $1 AND executortype = $4 AND state = 'WAITING' AND waitingparents = 0
            AND processgraphid = $2 AND gated AND spec->>'event' = $3
          ORDER BY prioritytime, seq LIMIT 1`,
        [colonyname, processgraphid, name, EVENT_NODE],
      )
    )[0]?.processid,

  insert: async (q: Queryable, e: NewGraphEvent, now: Date) =>
    toGraphEvent(
      (
        await q.query<GraphEventRow>(
          `INSERT INTO graphevents (eventid, processgraphid, colonyname, name, data, postedtime, postedby, postedbyname, consumedby, consumedtime)
           VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, CASE WHEN $9::text IS NULL THEN NULL ELSE $6::timestamptz END)
           RETURNING ${EVENT_COLUMNS}`,
          [e.eventid, e.processgraphid, e.colonyname, e.name, jsonParam(e.data), now, e.postedby, e.postedbyname, e.consumedby],
        )
      )[0]!,
    ),

  /** The oldest kept event of this name in the graph, now consumed by the node; undefined when none is kept. */
  consumeOldest: async (q: Queryable, processgraphid: string, name: string, processid: string, now: Date) =>
    (
      await q.query<{ eventid: string; data: unknown }>(
        `UPDATE graphevents e SET consumedby = $3, consumedtime = $4
          WHERE e.eventid = (SELECT eventid FROM graphevents WHERE processgraphid = $1 AND name = $2 AND consumedby IS NULL
                              ORDER BY seq LIMIT 1 FOR UPDATE)
          RETURNING e.eventid, e.data`,
        [processgraphid, name, processid, now],
      )
    )[0],

  list: async (q: Queryable, processgraphid: string) =>
    (await q.query<GraphEventRow>(`SELECT ${EVENT_COLUMNS} FROM graphevents WHERE processgraphid = $1 ORDER BY seq`, [processgraphid])).map(
      toGraphEvent,
    ),
};

export const timersSql = {
  /** Sets a sleep node's wake time unless it has one (a start called again keeps it); returns the wake time. */
  set: async (q: Queryable, processid: string, wake: Date) =>
    new Date(
      (
        await q.query<{ notbefore: Date | string }>(
          `UPDATE processes SET notbefore = coalesce(notbefore, $2) WHERE processid = $1 RETURNING notbefore`,
          [processid, wake],
        )
      )[0]!.notbefore,
    ),

  /** Up to `limit` sleep nodes due by `now` that no other transaction holds, locked (the sweep's; any replica). */
  lockDue: async (q: Queryable, now: Date, limit: number) =>
    (
      await q.query<{ processid: string; notbefore: Date | string }>(
        `SELECT processid, notbefore FROM processes
          WHERE state = 'WAITING' AND executortype = '${SLEEP_NODE}' AND notbefore IS NOT NULL AND notbefore <= $1
          ORDER BY notbefore LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now, limit],
      )
    ).map((r) => ({ processid: r.processid, wake: new Date(r.notbefore) })),

  /** The wake times of these sleep nodes. */
  wakeTimes: async (q: Queryable, processids: string[]) =>
    (
      await q.query<{ processid: string; notbefore: Date | string | null }>(
        `SELECT processid, notbefore FROM processes WHERE processid = ANY($1::text[])`,
        [processids],
      )
    ).map((r) => ({ processid: r.processid, wake: r.notbefore === null ? null : new Date(r.notbefore) })),
};
