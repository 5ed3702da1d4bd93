/**
 * Halt and resume of a process graph. A halt stops handing out the graph's processes: its WAITING
 * ones become HALTED (out of the claim), RUNNING ones finish and their results count, and whatever
 * would become WAITING meanwhile (released children, retries, added children) is HALTED too. A resume
 * puts them back, decides the gates that came due meanwhile and starts its ready server nodes again.
 * See docs/architecture.md, Halt and resume.
 */
import { AppError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';
import { graphsSql } from '../store/sql/graphs.ts';
import { haltSql, type ResumedRow } from '../store/sql/halt.ts';
import { countReady } from '../store/sql/processes.ts';
import type { DueGate } from '../store/sql/gates.ts';
import { isServerNode } from '../../protocol/flow.ts';
import { FINISHED_STATES } from '../../protocol/states.ts';
import type { ColonyEvent } from '../../protocol/events.ts';
import type { ProcessGraph } from '../../protocol/types.ts';
import { toProcessGraph } from '../store/rows.ts';
import { completeNodes, decideGates, publishFlow, type FlowOutcome } from './gates.ts';
import { startServerNode } from './kinds/index.ts';
import { graphEvent, inTransaction, processEvent, type ServiceDeps } from './context.ts';

export function createHaltService(deps: ServiceDeps) {
  const { db, clock } = deps;

  /** The graph, locked; 404 when it is not in the colony. */
  async function lockGraph(tx: Queryable, colonyname: string, processgraphid: string) {
    const g = await graphsSql.lockForUpdate(tx, colonyname, processgraphid);
    if (!g) throw new AppError('PROCESSGRAPH_NOT_FOUND', `process graph ${processgraphid} is not in colony "${colonyname}"`);
    return g;
  }

  async function reread(colonyname: string, processgraphid: string): Promise<ProcessGraph> {
    const row = await graphsSql.get(db, colonyname, processgraphid);
    if (!row) throw new AppError('PROCESSGRAPH_NOT_FOUND', `process graph ${processgraphid} is not in colony "${colonyname}"`);
    return toProcessGraph(row);
  }

  return {
    /** Halts a WAITING or RUNNING graph: 409 when it has finished or is already halted. */
    async halt(colonyname: string, processgraphid: string): Promise<ProcessGraph> {
      const now = clock.now();
      const halted = await inTransaction(db, async (tx) => {
        const g = await lockGraph(tx, colonyname, processgraphid);
        if (g.state === 'HALTED') throw new AppError('GRAPH_HALTED', `process graph ${processgraphid} is already HALTED`);
        if (FINISHED_STATES.includes(g.state)) throw new AppError('PROCESS_FINISHED', `process graph ${processgraphid} is already ${g.state}`);
        return haltSql.halt(tx, processgraphid);
      });
      deps.bus.emit([graphEvent(colonyname, processgraphid, 'HALTED', now), ...halted.map((p) => processEvent(p, now))]);
      return reread(colonyname, processgraphid);
    },

    /** Resumes a HALTED graph (back to RUNNING, or WAITING when nothing of it ever started): 409 when it is not halted. */
    async resume(colonyname: string, processgraphid: string): Promise<ProcessGraph> {
      const now = clock.now();
      const { events, flows } = await inTransaction(db, async (tx) => {
        const g = await lockGraph(tx, colonyname, processgraphid);
        if (g.state !== 'HALTED') throw new AppError('GRAPH_NOT_HALTED', `process graph ${processgraphid} is ${g.state}, not HALTED`);
        const resumed = (await haltSql.resume(tx, processgraphid, now))!;
        const events: ColonyEvent[] = [
          graphEvent(colonyname, processgraphid, resumed.state, now),
          ...resumed.processes.map((p) => processEvent(p, now)),
        ];
        return { events, flows: await goOn(tx, resumed.processes, resumed.state, resumed.variables, now) };
      });
      deps.bus.emit(events);
      for (const f of flows) publishFlow(deps, f);
      return reread(colonyname, processgraphid);
    },
  };
}

/**
 * What the halt held back, inside the resume's transaction: ready executor work is announced, gates
 * that came due are decided, and ready server nodes are started again (start functions are
 * idempotent: an event posted or a time reached during the halt is taken now).
 */
async function goOn(
  tx: Queryable,
  processes: ResumedRow[],
  graphstate: DueGate['graphstate'],
  variables: Record<string, unknown>,
  now: Date,
): Promise<FlowOutcome[]> {
  const ready = processes.filter((p) => p.waitingparents === 0 && !isServerNode(p.spec));
  const flows: FlowOutcome[] = [{ events: [], ready: countReady(ready) }];
  const outputs = new Map<string, unknown[]>();
  for (const p of processes) {
    if (!p.gated || p.waitingparents !== 0 || !isServerNode(p.spec)) continue;
    const node: DueGate = { ...p, processgraphid: p.processgraphid!, graphstate, variables };
    const output = await startServerNode(tx, node, p.input, now);
    if (output) outputs.set(p.processid, output);
  }
  if (outputs.size > 0) flows.push(await completeNodes(tx, outputs, now));
  const due = processes.filter((p) => p.gated && p.waitingparents === 1).map((p) => p.processid);
  if (due.length > 0) flows.push(await decideGates(tx, due, now));
  return flows;
}

export type HaltService = ReturnType<typeof createHaltService>;
