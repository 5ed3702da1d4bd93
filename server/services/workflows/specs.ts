/**
 * Registered workflow specs: immutable versions under a name, runs by name with variables, and the
 * search of runs by their indexed variables. See docs/architecture.md, Workflow specs and variables.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../../errors.ts';
import { SQLSTATE, sqlState, type Queryable } from '../../store/db.ts';
import { specsSql, toSpecVersion, type SpecRow } from '../../store/sql/specs.ts';
import { graphsSql } from '../../store/sql/graphs.ts';
import { toCounts } from '../../store/sql/processes.ts';
import { toProcessGraph } from '../../store/rows.ts';
import { inTransaction, type ServiceDeps } from '../context.ts';
import type { GraphService, Origin, RunPlan } from '../graphs.ts';
import { checkVariableUse } from './variables.ts';
import { checkControlFlow } from './plan.ts';
import { checkExpands } from '../expand.ts';
import { parseVarFilters } from './search.ts';
import { checkDag } from '../../../protocol/dag.ts';
import type { FunctionSpec } from '../../../protocol/schemas.ts';
import type { ProcessState } from '../../../protocol/states.ts';
import type { ProcessGraph, RegisteredSpec, WorkflowSpecSummary, WorkflowSpecVersion } from '../../../protocol/types.ts';
import type { VariableDeclarations } from '../../../protocol/variables.ts';
import { ReadCache } from '../read-cache.ts';

export interface SpecBody {
  functionspecs: FunctionSpec[];
  variables: VariableDeclarations;
}

export interface RunRequest {
  variables: Record<string, unknown>;
  version?: number | undefined;
  name?: string | undefined;
  key?: string | undefined;
}

export interface SearchRequest {
  var?: string | string[] | undefined;
  state?: ProcessState | undefined;
  since?: string | undefined;
  until?: string | undefined;
  count: number;
  offset: number;
}

/** JSON with its object keys sorted: the same spec hashes the same however its keys were ordered. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Everything a submit checks that needs no values: the DAG and the variables' use. */
export function checkSpec(spec: SpecBody): void {
  const problem = checkDag(spec.functionspecs.map((s) => ({ nodename: s.nodename, dependencies: s.conditions.dependencies })));
  if (problem) throw new AppError(problem.code, problem.message, problem.details);
  checkControlFlow(spec.functionspecs);
  checkVariableUse(spec.functionspecs, spec.variables);
  checkExpands(spec.functionspecs, spec.variables);
}

const SPEC_CACHE_MS = 1000;

export function createSpecService(deps: ServiceDeps, graphs: GraphService) {
  const { db, clock } = deps;
  const notFound = (colonyname: string, name: string, version?: number) =>
    new AppError('SPEC_NOT_FOUND', `workflow spec "${name}"${version ? ` version ${version}` : ''} is not registered in colony "${colonyname}"`);

  async function requireSpec(q: Queryable, colonyname: string, name: string, version?: number, share = false): Promise<SpecRow> {
    const row = await specsSql.get(q, colonyname, name, version, share);
    if (!row) throw notFound(colonyname, name, version);
    return row;
  }

  /** How a run of a registered version is planned (also a cron's firing). */
  function runPlan(colonyname: string, row: SpecRow, origin: Origin, r: RunRequest): RunPlan {
    return {
      origin,
      name: r.name,
      key: r.key,
      spec: { name: row.name, version: row.version },
      decls: row.spec.variables,
      given: r.variables,
    };
  }

  // A run reads its spec here: kept for a second (a version registered or removed on another replica
  // is seen within it; on this one at once). The graph's insert checks, under a lock, that the version
  // is still there, so a removal is never crossed (graphsSql.insert).
  const cache = new ReadCache<SpecRow>(SPEC_CACHE_MS, () => clock.monotonic(), 1000);
  const cachedSpec = (colonyname: string, name: string, version?: number): Promise<SpecRow> =>
    cache.get(`${colonyname}\u0000${name}\u0000${version ?? ''}`, () => requireSpec(db, colonyname, name, version));

  return {
    /** Stores a new version, or returns the one an identical spec already has. Validated like a submit. */
    async register(colonyname: string, name: string, spec: SpecBody, initiatorid: string): Promise<RegisteredSpec> {
      checkSpec(spec);
      const hash = createHash('sha256').update(canonical(spec)).digest('hex');
      for (let attempt = 1; ; attempt++) {
        try {
          return await inTransaction(db, async (tx) => {
            const same = await specsSql.byHash(tx, colonyname, name, hash);
            if (same) return { ...toSpecVersion(same), added: false };
            const row = await specsSql.insertNext(tx, { colonyname, name, spec, hash, initiatorid, created: clock.now() });
            return { ...toSpecVersion(row), added: true };
          }).finally(() => cache.forget()); // the latest version changed (after the commit, as in remove)
        } catch (err) {
          // A concurrent register of this name took the version (or this very spec): read again.
          if (attempt >= 5 || sqlState(err) !== SQLSTATE.uniqueViolation) throw err;
        }
      }
    },

    async list(colonyname: string): Promise<WorkflowSpecSummary[]> {
      const [specs, counts] = await Promise.all([specsSql.list(db, colonyname), specsSql.runCounts(db, colonyname)]);
      return specs.map((s) => ({
        name: s.name,
        latestversion: s.latestversion,
        versions: s.versions,
        created: new Date(s.created).toISOString(),
        runs: toCounts(counts.filter((c) => c.specname === s.name)),
      }));
    },

    async get(colonyname: string, name: string, version?: number): Promise<WorkflowSpecVersion> {
      return toSpecVersion(await requireSpec(db, colonyname, name, version));
    },

    /** Removes every version; refused while runs of it wait or run, unless forced (they go on). */
    async remove(colonyname: string, name: string, force: boolean): Promise<void> {
      // Forgotten after the commit: a run in between would have cached what is being removed.
      await inTransaction(db, async (tx) => {
        if ((await specsSql.lockAll(tx, colonyname, name)) === 0) throw notFound(colonyname, name);
        const active = await specsSql.activeRuns(tx, colonyname, name);
        if (active > 0 && !force) {
          throw new AppError('SPEC_IN_USE', `workflow spec "${name}" has ${active} runs waiting or running; wait for them, or remove it with force`, {
            active,
          });
        }
        await specsSql.removeAll(tx, colonyname, name);
      });
      cache.forget();
    },

    /**
     * Runs a registered spec by name: its variables checked against the version's declarations. Also
     * answers the function specs of the version run (what the run asks executors to serve), from the
     * row it ran: a second lookup would be another cache entry to miss, and a read behind the claims.
     */
    async run(colonyname: string, name: string, r: RunRequest, origin: Origin): Promise<{ graph: ProcessGraph; functionspecs: FunctionSpec[] }> {
      if (r.key) {
        const existing = await graphsSql.getByKey(db, colonyname, r.key);
        if (existing) {
          const graph = toProcessGraph(existing);
          const ran =
            graph.specname !== null && graph.specversion !== null ? await cachedSpec(colonyname, graph.specname, graph.specversion) : undefined;
          return { graph, functionspecs: ran?.spec.functionspecs ?? [] };
        }
      }
      const row = await cachedSpec(colonyname, name, r.version);
      const graph = await graphs.submit(colonyname, row.spec.functionspecs, runPlan(colonyname, row, origin, r));
      return { graph, functionspecs: row.spec.functionspecs };
    },

    /** Runs of a spec by the values of its indexed variables (the latest version's declarations), newest first. */
    async search(colonyname: string, name: string, q: SearchRequest): Promise<ProcessGraph[]> {
      const row = await requireSpec(db, colonyname, name);
      const vars = parseVarFilters(row.spec.variables, q.var === undefined ? [] : [q.var].flat(), name);
      const rows = await graphsSql.search(db, colonyname, {
        specname: name,
        vars,
        state: q.state,
        since: q.since,
        until: q.until,
        count: q.count,
        offset: q.offset,
      });
      return rows.map(toProcessGraph);
    },

    /** The plan of a cron's run of a spec (the version it pins, or the latest). */
    async cronPlan(
      tx: Queryable,
      colonyname: string,
      spec: { name: string; version: number | null; variables: Record<string, unknown> },
      origin: Origin,
    ) {
      const row = await requireSpec(tx, colonyname, spec.name, spec.version ?? undefined);
      return { specs: row.spec.functionspecs, run: runPlan(colonyname, row, origin, { variables: spec.variables }) };
    },
  };
}

export type SpecService = ReturnType<typeof createSpecService>;
