/** Registered workflow specs: immutable (colony, name, version) rows. */
import type { Queryable } from '../db.ts';
import type { FunctionSpec } from '../../../protocol/schemas.ts';
import type { ProcessState } from '../../../protocol/states.ts';
import type { WorkflowSpecVersion } from '../../../protocol/types.ts';
import type { VariableDeclarations } from '../../../protocol/variables.ts';

export interface SpecRow {
  colonyname: string;
  name: string;
  version: number;
  spec: { functionspecs: FunctionSpec[]; variables: VariableDeclarations };
  hash: string;
  initiatorid: string;
  created: Date;
}

const COLUMNS = 'colonyname, name, version, spec, hash, initiatorid, created';

export const toSpecVersion = (r: SpecRow): WorkflowSpecVersion => ({
  colonyname: r.colonyname,
  name: r.name,
  version: r.version,
  spec: r.spec,
  hash: r.hash,
  initiatorid: r.initiatorid,
  created: new Date(r.created).toISOString(),
});

export const specsSql = {
  byHash: async (q: Queryable, colonyname: string, name: string, hash: string) =>
    (await q.query<SpecRow>(`SELECT ${COLUMNS} FROM workflowspecs WHERE colonyname = $1 AND name = $2 AND hash = $3`, [colonyname, name, hash]))[0],

  /** Inserts the next version (a concurrent register of the same name makes this a unique violation: retry). */
  insertNext: async (q: Queryable, r: Omit<SpecRow, 'version'>) =>
    (
      await q.query<SpecRow>(
        `INSERT INTO workflowspecs (${COLUMNS})
         SELECT $1, $2, coalesce(max(version), 0) + 1, $3::jsonb, $4, $5, $6 FROM workflowspecs WHERE colonyname = $1 AND name = $2
         RETURNING ${COLUMNS}`,
        [r.colonyname, r.name, JSON.stringify(r.spec), r.hash, r.initiatorid, r.created],
      )
    )[0]!,

  /** One version, or the latest when `version` is undefined; `share` locks it against a concurrent remove. */
  get: async (q: Queryable, colonyname: string, name: string, version?: number, share = false) =>
    (
      await q.query<SpecRow>(
        `SELECT ${COLUMNS} FROM workflowspecs WHERE colonyname = $1 AND name = $2 AND ($3::int IS NULL OR version = $3)
          ORDER BY version DESC LIMIT 1${share ? ' FOR SHARE' : ''}`,
        [colonyname, name, version ?? null],
      )
    )[0],

  list: (q: Queryable, colonyname: string) =>
    q.query<{ name: string; latestversion: number; versions: number; created: Date }>(
      `SELECT name, max(version)::int AS latestversion, count(*)::int AS versions, min(created) AS created
         FROM workflowspecs WHERE colonyname = $1 GROUP BY name ORDER BY name`,
      [colonyname],
    ),

  runCounts: (q: Queryable, colonyname: string) =>
    q.query<{ specname: string; state: ProcessState; n: number }>(
      `SELECT specname, state, count(*)::int AS n FROM processgraphs WHERE colonyname = $1 AND specname IS NOT NULL GROUP BY specname, state`,
      [colonyname],
    ),

  /** Locks every version of a name; returns how many there are. */
  lockAll: async (q: Queryable, colonyname: string, name: string) =>
    (await q.query(`SELECT version FROM workflowspecs WHERE colonyname = $1 AND name = $2 FOR UPDATE`, [colonyname, name])).length,

  activeRuns: async (q: Queryable, colonyname: string, name: string) =>
    (
      await q.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM processgraphs WHERE colonyname = $1 AND specname = $2 AND state IN ('WAITING', 'RUNNING', 'HALTED')`,
        [colonyname, name],
      )
    )[0]!.n,

  removeAll: (q: Queryable, colonyname: string, name: string) =>
    q.query(`DELETE FROM workflowspecs WHERE colonyname = $1 AND name = $2`, [colonyname, name]),
};
