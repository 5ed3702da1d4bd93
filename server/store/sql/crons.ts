import type { Queryable } from '../db.ts';
import type { FunctionSpec } from '../../../protocol/schemas.ts';
import type { Cron } from '../../../protocol/types.ts';

export interface CronRow {
  cronid: string;
  colonyname: string;
  name: string;
  functionspecs: FunctionSpec[];
  cronexpression: string;
  intervalseconds: number;
  waitforprevprocessgraph: boolean;
  initiatorid: string;
  created: Date;
  nextrun: Date;
  lastrun: Date | null;
  lastprocessgraphid: string | null;
  lastrunlatems: number;
  runs: number;
  skips: number;
  lastskipreason: string;
  specname: string | null;
  specversion: number | null;
  variables: Record<string, unknown>;
}

const COLUMNS =
  'cronid, colonyname, name, functionspecs, cronexpression, intervalseconds, waitforprevprocessgraph, initiatorid, created, nextrun, lastrun, lastprocessgraphid, lastrunlatems, runs, skips, lastskipreason, specname, specversion, variables';

export const toCron = (r: CronRow): Cron => ({
  cronid: r.cronid,
  colonyname: r.colonyname,
  name: r.name,
  functionspecs: r.functionspecs,
  specname: r.specname,
  specversion: r.specversion,
  variables: r.variables,
  cronexpression: r.cronexpression,
  interval: r.intervalseconds,
  waitforprevprocessgraph: r.waitforprevprocessgraph,
  initiatorid: r.initiatorid,
  created: new Date(r.created).toISOString(),
  nextrun: new Date(r.nextrun).toISOString(),
  lastrun: r.lastrun ? new Date(r.lastrun).toISOString() : null,
  lastprocessgraphid: r.lastprocessgraphid,
  lastrunlatems: r.lastrunlatems,
  runs: r.runs,
  skips: r.skips,
  lastskipreason: r.lastskipreason,
});

export const cronsSql = {
  insert: (q: Queryable, c: CronRow) =>
    q.query(
      `INSERT INTO crons (${COLUMNS}) VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19::jsonb)`,
      [
        c.cronid,
        c.colonyname,
        c.name,
        JSON.stringify(c.functionspecs),
        c.cronexpression,
        c.intervalseconds,
        c.waitforprevprocessgraph,
        c.initiatorid,
        c.created,
        c.nextrun,
        c.lastrun,
        c.lastprocessgraphid,
        c.lastrunlatems,
        c.runs,
        c.skips,
        c.lastskipreason,
        c.specname,
        c.specversion,
        JSON.stringify(c.variables),
      ],
    ),
  list: (q: Queryable, colonyname: string) => q.query<CronRow>(`SELECT ${COLUMNS} FROM crons WHERE colonyname = $1 ORDER BY name`, [colonyname]),
  get: async (q: Queryable, colonyname: string, name: string, forUpdate = false) =>
    (
      await q.query<CronRow>(`SELECT ${COLUMNS} FROM crons WHERE colonyname = $1 AND name = $2${forUpdate ? ' FOR UPDATE' : ''}`, [colonyname, name])
    )[0],
  remove: async (q: Queryable, colonyname: string, name: string) =>
    (await q.query('DELETE FROM crons WHERE colonyname = $1 AND name = $2 RETURNING cronid', [colonyname, name])).length > 0,
  /** Due crons, locked; another replica's sweep skips them, so each firing happens once. */
  claimDue: (q: Queryable, now: Date, limit: number) =>
    q.query<CronRow>(`SELECT ${COLUMNS} FROM crons WHERE nextrun <= $1 ORDER BY nextrun LIMIT $2 FOR UPDATE SKIP LOCKED`, [now, limit]),
  recordRun: (q: Queryable, cronid: string, r: { nextrun: Date; lastrun: Date; processgraphid: string; latems: number }) =>
    q.query('UPDATE crons SET nextrun = $2, lastrun = $3, lastprocessgraphid = $4, lastrunlatems = $5, runs = runs + 1 WHERE cronid = $1', [
      cronid,
      r.nextrun,
      r.lastrun,
      r.processgraphid,
      r.latems,
    ]),
  recordSkip: (q: Queryable, cronid: string, nextrun: Date, reason: string) =>
    q.query('UPDATE crons SET nextrun = $2, skips = skips + 1, lastskipreason = $3 WHERE cronid = $1', [cronid, nextrun, reason]),
  /** State of the previous run's graph and its leaves' outputs in submission order. */
  previousRun: async (q: Queryable, processgraphid: string) => {
    const g = (await q.query<{ state: string }>('SELECT state FROM processgraphs WHERE processgraphid = $1', [processgraphid]))[0];
    if (!g) return undefined;
    const leaves = await q.query<{ output: unknown[] }>(
      'SELECT output FROM processes WHERE processgraphid = $1 AND cardinality(children) = 0 ORDER BY seq',
      [processgraphid],
    );
    return { state: g.state, leafOutput: leaves.flatMap((l) => l.output) };
  },
};
