/**
 * Cron schedules. A due cron is fired by whichever replica claims it first (FOR UPDATE SKIP LOCKED)
 * in the same transaction that submits its graph and moves `nextrun` past now, so each firing happens
 * exactly once. Missed slots (server down) collapse into one late firing, recorded in lastrunlatems.
 */
import { AppError, isAppError } from '../errors.ts';
import type { SpecService } from './workflows/specs.ts';
import { cronsSql, toCron, type CronRow } from '../store/sql/crons.ts';
import { inTransaction, uniquely, type ServiceDeps } from './context.ts';
import { announceGraph, planGraph, writeGraph, type PlannedGraph } from './graphs.ts';
import type { FlowOutcome } from './gates.ts';
import { checkCronExpression, nextCronTime, nextIntervalTime } from './schedule.ts';
import type { Queryable } from '../store/db.ts';
import { graphsSql } from '../store/sql/graphs.ts';
import { toProcessGraph } from '../store/rows.ts';
import { randomId } from '../../protocol/crypto.ts';
import { INT32_MAX } from '../../protocol/values.ts';
import type { FunctionSpec } from '../../protocol/schemas.ts';
import type { Cron, ProcessGraph } from '../../protocol/types.ts';

export interface NewCron {
  name: string;
  /** The workflow inline, or a registered spec to run with variables. */
  functionspecs?: FunctionSpec[] | undefined;
  spec?: { name: string; version?: number | undefined; variables: Record<string, unknown> } | undefined;
  cronexpression?: string | undefined;
  interval?: number | undefined;
  waitforprevprocessgraph: boolean;
}

function nextRun(c: Pick<CronRow, 'cronexpression' | 'intervalseconds' | 'created'>, after: Date): Date {
  if (c.intervalseconds > 0) return nextIntervalTime(c.created, c.intervalseconds, after);
  const t = nextCronTime(c.cronexpression, after);
  // An expression that never matches again (e.g. 30 February) parks the cron far in the future.
  return t ?? new Date(after.getTime() + 100 * 365 * 24 * 3600 * 1000);
}

/** The graph a firing submits: the inline workflow, or the registered spec with the cron's variables; named after the cron. */
async function planFiring(specs: SpecService, q: Queryable, c: CronRow, now: Date, input: unknown[] | undefined): Promise<PlannedGraph> {
  const origin = { initiatorid: c.initiatorid, initiatorname: '', cronname: c.name };
  if (c.specname) {
    const p = await specs.cronPlan(q, c.colonyname, { name: c.specname, version: c.specversion, variables: c.variables }, origin);
    return planGraph(c.colonyname, p.specs, c.initiatorid, now, input, p.run);
  }
  return planGraph(c.colonyname, c.functionspecs, c.initiatorid, now, input, { origin, decls: {}, given: {} });
}

export function createCronService(deps: ServiceDeps, specs: SpecService) {
  const { db, clock } = deps;

  const notFound = (colonyname: string, name: string) => new AppError('CRON_NOT_FOUND', `cron "${name}" is not in colony "${colonyname}"`);

  /** Fires one claimed cron inside the transaction: submits its graph, chaining the previous run's leaf outputs. */
  async function fire(
    tx: Queryable,
    c: CronRow,
    now: Date,
    scheduled: boolean,
  ): Promise<{ graph?: PlannedGraph; flow?: FlowOutcome | undefined; skipped?: string }> {
    const next = scheduled ? nextRun(c, now) : c.nextrun;
    const prev = c.lastprocessgraphid ? await cronsSql.previousRun(tx, c.lastprocessgraphid) : undefined;
    if (c.waitforprevprocessgraph && prev && (prev.state === 'WAITING' || prev.state === 'RUNNING' || prev.state === 'HALTED')) {
      const reason = `previous run ${c.lastprocessgraphid} is still ${prev.state}`;
      await cronsSql.recordSkip(tx, c.cronid, next, reason);
      return { skipped: reason };
    }
    const input = prev?.state === 'SUCCESS' ? prev.leafOutput : undefined;
    let graph: PlannedGraph;
    try {
      graph = await planFiring(specs, tx, c, now, input);
    } catch (err) {
      // The spec was removed, or its new version no longer takes the cron's variables: skip, saying why.
      if (!isAppError(err)) throw err;
      const reason = `cannot run: ${err.message}`;
      await cronsSql.recordSkip(tx, c.cronid, next, reason);
      return { skipped: reason };
    }
    const flow = await writeGraph(tx, graph, now);
    await cronsSql.recordRun(tx, c.cronid, {
      nextrun: next,
      lastrun: now,
      processgraphid: graph.processgraphid,
      // An int column: a firing later than 24.8 days (a long downtime) records the most it holds, not an error.
      latems: scheduled ? Math.min(INT32_MAX, Math.max(0, now.getTime() - new Date(c.nextrun).getTime())) : 0,
    });
    return { graph, flow };
  }

  return {
    async add(colonyname: string, initiatorid: string, n: NewCron): Promise<Cron> {
      if (n.cronexpression) {
        const check = checkCronExpression(n.cronexpression);
        if (!check.valid) {
          throw new AppError('INVALID_CRON_EXPRESSION', `invalid cron expression "${n.cronexpression}": ${check.errors.join('; ')}`, {
            errors: check.errors,
          });
        }
      }
      const now = clock.now();
      const row: CronRow = {
        cronid: randomId(),
        colonyname,
        name: n.name,
        functionspecs: n.functionspecs ?? [],
        specname: n.spec?.name ?? null,
        specversion: n.spec?.version ?? null,
        variables: n.spec?.variables ?? {},
        cronexpression: n.cronexpression ?? '',
        intervalseconds: n.interval ?? 0,
        waitforprevprocessgraph: n.waitforprevprocessgraph,
        initiatorid,
        created: now,
        nextrun: now,
        lastrun: null,
        lastprocessgraphid: null,
        lastrunlatems: 0,
        runs: 0,
        skips: 0,
        lastskipreason: '',
      };
      row.nextrun = nextRun(row, now);
      await planFiring(specs, db, row, now, undefined); // a bad workflow or variables are refused now, not at the first firing
      await uniquely(`cron "${n.name}"`, () => cronsSql.insert(db, row));
      return toCron(row);
    },

    async list(colonyname: string): Promise<Cron[]> {
      return (await cronsSql.list(db, colonyname)).map(toCron);
    },

    async get(colonyname: string, name: string): Promise<Cron> {
      const row = await cronsSql.get(db, colonyname, name);
      if (!row) throw notFound(colonyname, name);
      return toCron(row);
    },

    async remove(colonyname: string, name: string): Promise<void> {
      if (!(await cronsSql.remove(db, colonyname, name))) throw notFound(colonyname, name);
    },

    /** Run now, outside the schedule (nextrun unchanged). waitforprevprocessgraph still applies. */
    async run(colonyname: string, name: string): Promise<{ cron: Cron; processgraph: ProcessGraph | null; skipped: string | null }> {
      const now = clock.now();
      const result = await inTransaction(db, async (tx) => {
        const c = await cronsSql.get(tx, colonyname, name, true);
        if (!c) throw notFound(colonyname, name);
        return fire(tx, c, now, false);
      });
      if (result.graph) announceGraph(deps, result.graph, now, result.flow);
      const cron = await this.get(colonyname, name);
      const g = result.graph ? await graphsSql.get(db, colonyname, result.graph.processgraphid) : undefined;
      return { cron, processgraph: g ? toProcessGraph(g) : null, skipped: result.skipped ?? null };
    },

    /** One sweep: fires every due cron once. Safe on any number of replicas. Returns how many fired. */
    async fireDue(batch = 50): Promise<{ fired: number; skipped: number }> {
      let fired = 0;
      let skipped = 0;
      for (;;) {
        const now = clock.now();
        const results = await inTransaction(db, async (tx) => {
          const due = await cronsSql.claimDue(tx, now, batch);
          const out: { graph?: PlannedGraph; flow?: FlowOutcome | undefined; skipped?: string }[] = [];
          for (const c of due) out.push(await fire(tx, c, now, true));
          return out;
        });
        for (const r of results) {
          if (r.graph) {
            announceGraph(deps, r.graph, now, r.flow);
            fired++;
          } else skipped++;
        }
        if (results.length < batch) return { fired, skipped };
      }
    },
  };
}

export type CronService = ReturnType<typeof createCronService>;
