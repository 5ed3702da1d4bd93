/**
 * A workflow planned before any write: its processes (ids, edges, roots' input), its variables
 * (checked, references resolved or left for the claim), its name and who started it; then written in
 * the caller's transaction and announced after the commit.
 */
import { AppError } from '../../errors.ts';
import type { Queryable } from '../../store/db.ts';
import { processesSql, type NewProcess } from '../../store/sql/processes.ts';
import { graphsSql, type IndexedVar, type NewGraphRow } from '../../store/sql/graphs.ts';
import type { ServiceDeps } from '../context.ts';
import { newProcess } from '../processes.ts';
import { indexedVars } from './index-values.ts';
import { planVariables } from './variables.ts';
import { checkDag } from '../../../protocol/dag.ts';
import { controlFlowProblem, isGated } from '../../../protocol/flow.ts';
import { checkExpands } from '../expand.ts';
import { decideGates, publishFlow, type FlowOutcome } from '../gates.ts';
import { randomId } from '../../../protocol/crypto.ts';
import type { FunctionSpec } from '../../../protocol/schemas.ts';
import type { ColonyEvent } from '../../../protocol/events.ts';
import type { ProcessGraph } from '../../../protocol/types.ts';
import type { VariableDeclarations } from '../../../protocol/variables.ts';

/** Who started a run: the caller (a user's or executor's name) or a cron. */
export interface Origin {
  initiatorid: string;
  initiatorname: string;
  cronname?: string | null | undefined;
}

/** What names a run and gives its variables: ad-hoc submits, runs of registered specs and crons alike. */
export interface RunPlan {
  origin: Origin;
  name?: string | undefined;
  key?: string | undefined;
  spec?: { name: string; version: number } | undefined;
  decls: VariableDeclarations;
  given: Record<string, unknown>;
}

export interface PlannedGraph {
  processgraphid: string;
  colonyname: string;
  initiatorid: string;
  rows: NewProcess[];
  graph: NewGraphRow;
  indexed: IndexedVar[];
}

/**
 * Expands a workflow into its processes (ids, edges, roots' input) after checking it is a DAG and its
 * variables (see workflows/variables.ts). Pure: nothing is written. `rootInput` replaces the roots'
 * args (a cron chaining its previous run).
 */
export function planGraph(
  colonyname: string,
  specs: FunctionSpec[],
  initiatorid: string,
  now: Date,
  rootInput?: unknown[],
  run?: RunPlan,
): PlannedGraph {
  const problem = checkDag(specs.map((s) => ({ nodename: s.nodename, dependencies: s.conditions.dependencies })));
  if (problem) throw new AppError(problem.code, problem.message, problem.details);
  checkControlFlow(specs);
  const decls = run?.decls ?? {};
  checkExpands(specs, decls);
  const vars = planVariables(specs, decls, run?.given ?? {});
  const processgraphid = randomId();
  const ids = new Map<string, string>();
  for (const s of specs) ids.set(s.nodename, randomId());
  const children = new Map<string, string[]>();
  for (const s of specs) for (const d of s.conditions.dependencies) children.set(d, [...(children.get(d) ?? []), ids.get(s.nodename)!]);
  const rows = vars.specs.map((s, i) => {
    const parents = s.conditions.dependencies.map((d) => ids.get(d)!);
    const gated = isGated(s);
    return newProcess(colonyname, s, initiatorid, now, {
      processid: ids.get(s.nodename)!,
      processgraphid,
      parents,
      children: children.get(s.nodename) ?? [],
      // A gated process counts its gate too: the server decides it when its parents have finished.
      waitingparents: parents.length + (gated ? 1 : 0),
      gated,
      input: parents.length > 0 ? [] : (rootInput ?? s.args),
      ...vars.late[i],
    });
  });
  const graph: NewGraphRow = {
    processgraphid,
    colonyname,
    initiatorid,
    processcount: rows.length,
    submissiontime: now,
    name: run?.name ?? run?.origin.cronname ?? run?.spec?.name ?? '',
    specname: run?.spec?.name ?? null,
    specversion: run?.spec?.version ?? null,
    initiatorname: run?.origin.initiatorname ?? '',
    cronname: run?.origin.cronname ?? null,
    variables: vars.values,
    idempotencykey: run?.key ?? null,
  };
  return { processgraphid, colonyname, initiatorid, rows, graph, indexed: indexedVars(decls, vars.values) };
}

/** Refuses a workflow whose control flow cannot work (see protocol/flow.ts controlFlowProblem) with a 400 naming the field. */
export function checkControlFlow(specs: FunctionSpec[]): void {
  const bad = controlFlowProblem(specs);
  if (bad) throw new AppError('VALIDATION_FAILED', `${bad.path}: ${bad.message}`, { issues: [bad] });
}

/** The wire form of a graph just written from `g` (what reading it back would return, without the read). */
export function freshGraph(g: PlannedGraph, now: Date): ProcessGraph {
  return {
    processgraphid: g.processgraphid,
    colonyname: g.colonyname,
    state: 'WAITING',
    initiatorid: g.initiatorid,
    processcount: g.rows.length,
    successcount: 0,
    submissiontime: now.toISOString(),
    starttime: null,
    endtime: null,
    errors: [],
    name: g.graph.name,
    specname: g.graph.specname,
    specversion: g.graph.specversion,
    initiatorname: g.graph.initiatorname,
    cronname: g.graph.cronname,
    processids: g.rows.map((r) => r.processid),
    variables: g.graph.variables,
  };
}

/**
 * Writes a planned graph inside the caller's transaction, and decides its gated roots there (a
 * condition on the run's variables, say). Returns what those decisions changed, for announceGraph.
 */
export async function writeGraph(tx: Queryable, g: PlannedGraph, now: Date): Promise<FlowOutcome | undefined> {
  if (!(await graphsSql.insert(tx, g.graph, g.indexed))) {
    throw new AppError('SPEC_NOT_FOUND', `workflow spec "${g.graph.specname}" version ${g.graph.specversion} was removed`);
  }
  await processesSql.insert(tx, g.rows, now);
  const gatedRoots = g.rows.filter((r) => r.gated && r.parents.length === 0).map((r) => r.processid);
  return gatedRoots.length > 0 ? decideGates(tx, gatedRoots, now) : undefined;
}

/** After the commit: wake executors for the roots, tell subscribers (the graph first, then what its gated roots did). */
export function announceGraph(deps: ServiceDeps, g: PlannedGraph, now: Date, flow?: FlowOutcome): void {
  deps.bus.ready(readyRoots(g.rows));
  const startedby = g.graph.cronname ? `cron ${g.graph.cronname}` : g.graph.initiatorname;
  const started: ColonyEvent = {
    type: 'processgraph',
    colonyname: g.colonyname,
    processgraphid: g.processgraphid,
    state: 'WAITING',
    time: now.toISOString(),
    name: g.graph.name,
    specname: g.graph.specname,
    startedby,
  };
  deps.bus.emit([started]);
  if (flow) publishFlow(deps, flow);
}

function readyRoots(rows: NewProcess[]) {
  const roots = rows.filter((r) => r.waitingparents === 0);
  const byType = new Map<string, number>();
  for (const r of roots) byType.set(r.spec.executortype, (byType.get(r.spec.executortype) ?? 0) + 1);
  return [...byType].map(([executortype, n]) => ({ colonyname: rows[0]!.colonyname, executortype, n }));
}
