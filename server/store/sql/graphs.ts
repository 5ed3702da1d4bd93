import type { Queryable } from '../db.ts';
import type { ProcessGraphRow } from '../rows.ts';
import type { ProcessState } from '../../../protocol/states.ts';
import type { StateCounts } from '../../../protocol/types.ts';
import { toCounts } from './processes.ts';

export interface GraphFilter {
  state?: ProcessState | undefined;
  label?: string | undefined;
  funcname?: string | undefined;
  nodename?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  count: number;
  offset?: number | undefined;
}

const GRAPH_COLUMNS =
  'g.processgraphid, g.colonyname, g.state, g.initiatorid, g.processcount, g.successcount, g.submissiontime, g.starttime, g.endtime, g.errors, ' +
  'g.name, g.specname, g.specversion, g.initiatorname, g.cronname';

/** A graph about to be written, with what names it (all but the ids may be empty). */
const NEW_GRAPH =
  'processgraphid, colonyname, state, initiatorid, processcount, submissiontime, name, specname, specversion, initiatorname, cronname, variables, idempotencykey';

export interface NewGraphRow {
  processgraphid: string;
  colonyname: string;
  initiatorid: string;
  processcount: number;
  submissiontime: Date;
  name: string;
  specname: string | null;
  specversion: number | null;
  initiatorname: string;
  cronname: string | null;
  variables: Record<string, unknown>;
  idempotencykey: string | null;
}

/** One indexed variable of a run, in the column of its type. */
export interface IndexedVar {
  varname: string;
  s: string | null;
  n: number | null;
  t: string | null;
  /** json values go in s as canonical jsonb text, computed by the database. */
  json?: unknown;
}

/** A filter on an indexed variable: equality, or a range bound on n or t. */
export interface VarFilter {
  varname: string;
  /** j: a json value, compared as canonical jsonb text in s. */
  column: 's' | 'n' | 't' | 'j';
  op: '=' | '>=' | '>' | '<=' | '<';
  value: string | number;
}

export interface RunFilter {
  specname: string;
  vars: VarFilter[];
  state?: ProcessState | undefined;
  since?: string | undefined;
  until?: string | undefined;
  count: number;
  offset: number;
}

export const graphsSql = {
  /**
   * Inserts a graph; a run of a registered spec only while its version is still there (locked FOR
   * SHARE against a removal), with the index rows of its variables, in the same statement. False
   * when the version was removed.
   */
  insert: async (q: Queryable, g: NewGraphRow, vars: IndexedVar[] = []): Promise<boolean> => {
    const params = [
      g.processgraphid,
      g.colonyname,
      g.initiatorid,
      g.processcount,
      g.submissiontime,
      g.name,
      g.specname,
      g.specversion,
      g.initiatorname,
      g.cronname,
      JSON.stringify(g.variables),
      g.idempotencykey,
    ];
    if (!g.specname) {
      await q.query(`INSERT INTO processgraphs (${NEW_GRAPH}) VALUES ($1, $2, 'WAITING', $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12)`, params);
      return true;
    }
    const [r] = await q.query<{ n: number }>(
      `WITH s AS (SELECT version FROM workflowspecs WHERE colonyname = $2 AND name = $7 AND version = $8 FOR SHARE),
       g AS (INSERT INTO processgraphs (${NEW_GRAPH})
             SELECT $1, $2, 'WAITING', $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12 WHERE EXISTS (SELECT 1 FROM s)
             RETURNING processgraphid),
       v AS (INSERT INTO workflowvars (processgraphid, colonyname, specname, varname, s, n, t, submissiontime)
             SELECT g.processgraphid, $2, $7, x.varname, coalesce(x.s, CASE WHEN x.json IS NOT NULL THEN x.json::text END), x.n, x.t, $5
               FROM g, jsonb_to_recordset($13::jsonb) AS x(varname text, s text, n double precision, t timestamptz, json jsonb))
       SELECT count(*)::int AS n FROM g`,
      [...params, JSON.stringify(vars)],
    );
    return r!.n > 0;
  },

  /** The run a caller's key started, if any. */
  getByKey: async (q: Queryable, colonyname: string, key: string) =>
    (
      await q.query<ProcessGraphRow>(
        `SELECT ${GRAPH_COLUMNS}, NULL AS processids FROM processgraphs g WHERE g.colonyname = $1 AND g.idempotencykey = $2`,
        [colonyname, key],
      )
    )[0],

  /**
   * Runs of a spec, newest first, by indexed variables: the first filter is served by its index
   * (workflowvars_s/_n/_t), the others are checked per run. Values are parameters; only column names
   * and operators, from fixed sets, are written into the statement.
   */
  search: (q: Queryable, colonyname: string, f: RunFilter) => {
    const params: unknown[] = [colonyname, f.specname, f.state ?? null, f.since ?? null, f.until ?? null, f.count, f.offset];
    const cond = (alias: string, v: VarFilter) => {
      params.push(v.varname, v.value);
      const cast = { n: '::double precision', t: '::timestamptz', s: '::text', j: '::jsonb::text' }[v.column];
      return `${alias}.varname = $${params.length - 1} AND ${alias}.${v.column === 'j' ? 's' : v.column} ${v.op} $${params.length}${cast}`;
    };
    const [first, ...rest] = f.vars;
    const more = rest
      .map(
        (v, i) =>
          `AND EXISTS (SELECT 1 FROM workflowvars w${i} WHERE w${i}.processgraphid = g.processgraphid AND w${i}.colonyname = $1 AND w${i}.specname = $2 AND ${cond(`w${i}`, v)})`,
      )
      .join(' ');
    const filters = `AND ($3::text IS NULL OR g.state = $3) AND ($4::timestamptz IS NULL OR g.submissiontime >= $4) AND ($5::timestamptz IS NULL OR g.submissiontime < $5)`;
    const sql = first
      ? `SELECT ${GRAPH_COLUMNS} FROM workflowvars v JOIN processgraphs g ON g.processgraphid = v.processgraphid
          WHERE v.colonyname = $1 AND v.specname = $2 AND ${cond('v', first)}
            AND ($4::timestamptz IS NULL OR v.submissiontime >= $4) AND ($5::timestamptz IS NULL OR v.submissiontime < $5)
            ${filters} ${more}
          ORDER BY v.submissiontime DESC, g.processgraphid LIMIT $6 OFFSET $7`
      : `SELECT ${GRAPH_COLUMNS} FROM processgraphs g
          WHERE g.colonyname = $1 AND g.specname = $2 ${filters}
          ORDER BY g.submissiontime DESC, g.processgraphid LIMIT $6 OFFSET $7`;
    return q.query<ProcessGraphRow>(sql, params);
  },

  get: async (q: Queryable, colonyname: string, processgraphid: string) =>
    (
      await q.query<ProcessGraphRow>(
        `SELECT ${GRAPH_COLUMNS}, g.variables, ARRAY(SELECT p.processid FROM processes p WHERE p.processgraphid = g.processgraphid ORDER BY p.seq) AS processids
           FROM processgraphs g WHERE g.processgraphid = $1 AND g.colonyname = $2`,
        [processgraphid, colonyname],
      )
    )[0],

  lockForUpdate: async (q: Queryable, colonyname: string, processgraphid: string) =>
    (
      await q.query<ProcessGraphRow>(`SELECT ${GRAPH_COLUMNS} FROM processgraphs g WHERE g.processgraphid = $1 AND g.colonyname = $2 FOR UPDATE`, [
        processgraphid,
        colonyname,
      ])
    )[0],

  list: (q: Queryable, colonyname: string, f: GraphFilter) =>
    q.query<ProcessGraphRow>(
      `SELECT ${GRAPH_COLUMNS} FROM processgraphs g
        WHERE g.colonyname = $1 AND ($2::text IS NULL OR g.state = $2)
          AND ($3::text IS NULL AND $4::text IS NULL AND $5::text IS NULL OR EXISTS (
                SELECT 1 FROM processes p WHERE p.processgraphid = g.processgraphid
                   AND ($3::text IS NULL OR p.label = $3) AND ($4::text IS NULL OR p.funcname = $4) AND ($5::text IS NULL OR p.nodename = $5)))
          AND ($8::timestamptz IS NULL OR g.submissiontime >= $8) AND ($9::timestamptz IS NULL OR g.submissiontime < $9)
        ORDER BY g.submissiontime DESC, g.processgraphid LIMIT $6 OFFSET $7`,
      [
        colonyname,
        f.state ?? null,
        f.label ?? null,
        f.funcname ?? null,
        f.nodename ?? null,
        f.count,
        f.offset ?? 0,
        f.since ?? null,
        f.until ?? null,
      ],
    ),

  /** Adds successes; a graph whose every process succeeded becomes SUCCESS. Returns graphs that finished. */
  /** Ends an unfinished graph (HALTED too) as FAILED or CANCELLED with a reason; false when it had already finished. */
  finish: async (q: Queryable, processgraphid: string, state: 'FAILED' | 'CANCELLED', reason: string, now: Date) =>
    (
      await q.query(
        `UPDATE processgraphs SET state = $2, endtime = $3, errors = errors || $4::jsonb WHERE processgraphid = $1 AND state IN ('WAITING', 'RUNNING', 'HALTED') RETURNING processgraphid`,
        [processgraphid, state, now, JSON.stringify([reason])],
      )
    ).length > 0,

  /** Counts processes added to a graph that is still going (HALTED too) and returns its state; undefined when it has finished (nothing may be added then). */
  addProcessCount: async (q: Queryable, processgraphid: string, n: number) =>
    (
      await q.query<{ state: ProcessState }>(
        `UPDATE processgraphs SET processcount = processcount + $2 WHERE processgraphid = $1 AND state IN ('WAITING', 'RUNNING', 'HALTED') RETURNING state`,
        [processgraphid, n],
      )
    )[0]?.state,

  remove: async (q: Queryable, colonyname: string, processgraphid: string) =>
    (await q.query('DELETE FROM processgraphs WHERE processgraphid = $1 AND colonyname = $2 RETURNING processgraphid', [processgraphid, colonyname]))
      .length > 0,

  removeAll: async (q: Queryable, colonyname: string, states: ProcessState[]) =>
    (
      await q.query<{ n: number }>(
        `WITH d AS (DELETE FROM processgraphs WHERE colonyname = $1 AND state = ANY($2::text[]) RETURNING 1) SELECT count(*)::int AS n FROM d`,
        [colonyname, states],
      )
    )[0]!.n,

  stateCounts: async (q: Queryable, colonyname: string): Promise<StateCounts> =>
    toCounts(
      await q.query<{ state: ProcessState; n: number }>('SELECT state, count(*)::int AS n FROM processgraphs WHERE colonyname = $1 GROUP BY state', [
        colonyname,
      ]),
    ),
};
