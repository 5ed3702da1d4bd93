/** Process graphs (workflows): expansion of a spec into processes, reading, cancelling, add_child. */
import { AppError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';
import { processesSql, type NewProcess } from '../store/sql/processes.ts';
import { graphsSql, type GraphFilter } from '../store/sql/graphs.ts';
import { haltSql } from '../store/sql/halt.ts';
import { SQLSTATE, sqlState } from '../store/db.ts';
import { toProcess, toProcessGraph, type ProcessRow } from '../store/rows.ts';
import { graphEvent, inTransaction, processEvent, uniquely, type ServiceDeps } from './context.ts';
import { newProcess } from './processes.ts';
import { createHaltService } from './halt.ts';
import { noRunVariables } from './processes/lifecycle.ts';
import { announceGraph, freshGraph, planGraph, writeGraph, type RunPlan } from './workflows/plan.ts';
import type { FunctionSpec } from '../../protocol/schemas.ts';
import { isGated } from '../../protocol/flow.ts';
import type { Process, ProcessGraph, ProcessGraphWithProcesses, StateCounts } from '../../protocol/types.ts';
import type { ProcessState } from '../../protocol/states.ts';

export interface ChildSpec {
  spec: FunctionSpec;
  nodename?: string | undefined;
  childprocessid?: string | undefined;
  insert: boolean;
}

export function createGraphService(deps: ServiceDeps) {
  const { db, clock } = deps;

  async function requireGraph(colonyname: string, processgraphid: string): Promise<ProcessGraph> {
    const row = await graphsSql.get(db, colonyname, processgraphid);
    if (!row) throw new AppError('PROCESSGRAPH_NOT_FOUND', `process graph ${processgraphid} is not in colony "${colonyname}"`);
    return toProcessGraph(row);
  }

  return {
    /**
     * Validates the whole spec before any write, then writes the graph and all its processes in one
     * transaction. With a key, a run the key already started is returned instead (same id).
     */
    async submit(colonyname: string, specs: FunctionSpec[], origin: string | RunPlan): Promise<ProcessGraph> {
      const now = clock.now();
      const run: RunPlan = typeof origin === 'string' ? { origin: { initiatorid: origin, initiatorname: '' }, decls: {}, given: {} } : origin;
      if (run.key) {
        const existing = await graphsSql.getByKey(db, colonyname, run.key);
        if (existing) return toProcessGraph(existing);
      }
      const planned = planGraph(colonyname, specs, run.origin.initiatorid, now, undefined, run);
      let flow;
      try {
        flow = await inTransaction(db, (tx) => writeGraph(tx, planned, now));
      } catch (err) {
        // Two requests with one key at once: the second finds the first's run.
        const first = run.key && sqlState(err) === SQLSTATE.uniqueViolation ? await graphsSql.getByKey(db, colonyname, run.key) : undefined;
        if (first) return toProcessGraph(first);
        throw err;
      }
      // The reply is the graph as written, not read back: once announced, an idle executor may have
      // started it before a read would run.
      announceGraph(deps, planned, now, flow);
      return flow ? requireGraph(colonyname, planned.processgraphid) : freshGraph(planned, now);
    },

    get: requireGraph,

    async getWithProcesses(colonyname: string, processgraphid: string): Promise<ProcessGraphWithProcesses> {
      const graph = await requireGraph(colonyname, processgraphid);
      const processes = (await processesSql.listByGraph(db, processgraphid)).map(toProcess);
      return { ...graph, processes };
    },

    async list(colonyname: string, filter: GraphFilter): Promise<ProcessGraph[]> {
      return (await graphsSql.list(db, colonyname, filter)).map(toProcessGraph);
    },

    async findProcess(colonyname: string, processgraphid: string, nodename: string): Promise<Process> {
      await requireGraph(colonyname, processgraphid);
      const row = await processesSql.findByNodename(db, colonyname, processgraphid, nodename);
      if (!row) throw new AppError('PROCESS_NOT_FOUND', `no process with nodename "${nodename}" in process graph ${processgraphid}`);
      return toProcess(row);
    },

    async stats(colonyname: string): Promise<StateCounts> {
      return graphsSql.stateCounts(db, colonyname);
    },

    async cancel(colonyname: string, processgraphid: string): Promise<ProcessGraph> {
      const now = clock.now();
      const cancelled = await inTransaction(db, async (tx) => {
        const g = await graphsSql.lockForUpdate(tx, colonyname, processgraphid);
        if (!g) throw new AppError('PROCESSGRAPH_NOT_FOUND', `process graph ${processgraphid} is not in colony "${colonyname}"`);
        if (!(await graphsSql.finish(tx, processgraphid, 'CANCELLED', 'cancelled by user', now))) {
          throw new AppError('PROCESS_FINISHED', `process graph ${processgraphid} is already ${g.state}`);
        }
        return processesSql.cancelInGraph(tx, processgraphid, true, 'cancelled by user', now);
      });
      deps.bus.emit([graphEvent(colonyname, processgraphid, 'CANCELLED', now), ...cancelled.map((c) => processEvent(c, now))]);
      return requireGraph(colonyname, processgraphid);
    },

    /** Removes a graph and its processes; a running one only with force (it is cancelled first). */
    async remove(colonyname: string, processgraphid: string, force: boolean): Promise<void> {
      await inTransaction(db, async (tx) => {
        const g = await graphsSql.lockForUpdate(tx, colonyname, processgraphid);
        if (!g) throw new AppError('PROCESSGRAPH_NOT_FOUND', `process graph ${processgraphid} is not in colony "${colonyname}"`);
        if ((g.state === 'RUNNING' || g.state === 'HALTED') && !force) {
          throw new AppError('PROCESS_IS_RUNNING', `process graph ${processgraphid} is ${g.state}; cancel it first or pass force=true`);
        }
        await graphsSql.remove(tx, colonyname, processgraphid);
      });
    },

    async removeAll(colonyname: string, state: ProcessState | undefined): Promise<number> {
      if (state === 'RUNNING' || state === 'HALTED') {
        throw new AppError('VALIDATION_FAILED', `${state.toLowerCase()} process graphs cannot be removed in bulk; cancel them first`);
      }
      const states: ProcessState[] = state ? [state] : ['WAITING', 'SUCCESS', 'FAILED', 'CANCELLED', 'SKIPPED'];
      return graphsSql.removeAll(db, colonyname, states);
    },

    /**
     * add_child, one or many, in one transaction. The caller must be the executor running the parent.
     * insert=true splices the new process between the parent and all its current children;
     * insert=false adds it as a child of the parent and, with childprocessid, as an extra parent of that
     * child. Only the parent and the named children are locked and rewritten: cost is independent of graph size.
     */
    addChildren: (colonyname: string, processgraphid: string, executorid: string, parentprocessid: string, items: ChildSpec[]): Promise<Process[]> =>
      addChildren(deps, { colonyname, processgraphid, executorid, parentprocessid }, items),

    /** halt and resume (services/halt.ts). */
    ...createHaltService(deps),
  };
}

/** Where add_child adds: the graph, and the parent that its running executor extends. */
interface AddTarget {
  colonyname: string;
  processgraphid: string;
  executorid: string;
  parentprocessid: string;
}

/** The edges of a process as add_child rewrites them. */
interface Edges {
  processid: string;
  parents: string[];
  children: string[];
  waitingparents: number;
  state: ProcessState;
}

/** add_child (see createGraphService): locks what changes, plans the new processes, writes them. */
async function addChildren(deps: ServiceDeps, t: AddTarget, items: ChildSpec[]): Promise<Process[]> {
  const now = deps.clock.now();
  const created = await inTransaction(deps.db, async (tx) => {
    const parent = await lockParent(tx, t);
    const edges = await lockEdges(tx, t, parent, items);
    const { news, changed } = planChildren(t, edges, items, now);
    await uniquely('a process with this nodename in the graph', () => processesSql.insert(tx, [...news.values()], now));
    await processesSql.updateEdges(
      tx,
      [...changed].map((id) => edges.get(id)!),
    );
    // Last, under the graph's row lock: a graph that failed (or was cancelled) meanwhile takes no new
    // work, and one that fails after us cancels our new WAITING processes with the rest.
    const state = await graphsSql.addProcessCount(tx, t.processgraphid, news.size);
    if (!state) throw new AppError('INVALID_GRAPH_CHANGE', `process graph ${t.processgraphid} has finished; nothing can be added to it`);
    // A halted graph's new processes wait for its resume with the rest.
    if (state === 'HALTED') await haltSql.haltNew(tx, [...news.keys()]);
    return [...news.keys()];
  });
  deps.bus.emit([
    {
      type: 'processes-added',
      colonyname: t.colonyname,
      processgraphid: t.processgraphid,
      parentprocessid: t.parentprocessid,
      count: created.length,
      time: now.toISOString(),
    },
  ]);
  return (await processesSql.getMany(deps.db, t.colonyname, created)).map(toProcess);
}

/** Locks the parent; only the executor running it may add to it. */
async function lockParent(tx: Queryable, t: AddTarget): Promise<ProcessRow> {
  const [parent] = await processesSql.getForUpdate(tx, t.colonyname, [t.parentprocessid]);
  if (!parent || parent.processgraphid !== t.processgraphid) {
    throw new AppError('PROCESS_NOT_FOUND', `process ${t.parentprocessid} is not in process graph ${t.processgraphid}`);
  }
  if (parent.state !== 'RUNNING' || parent.assignedexecutorid !== t.executorid) {
    throw new AppError(
      'INVALID_GRAPH_CHANGE',
      `only the executor running process ${t.parentprocessid} may add children to it (it is ${parent.state})`,
    );
  }
  return parent;
}

/**
 * Locks and reads the edges that change: the parent's current children only when one item splices in
 * (insert=true), plus the named childprocessids, and the parent's own. A fan-out of thousands in
 * batches then costs each batch its own size, not the size the parent has grown to.
 */
async function lockEdges(tx: Queryable, t: AddTarget, parent: ProcessRow, items: ChildSpec[]): Promise<Map<string, Edges>> {
  const splices = items.some((i) => i.insert);
  const touched = new Set<string>([...(splices ? parent.children : []), ...items.flatMap((i) => (i.childprocessid ? [i.childprocessid] : []))]);
  touched.delete(parent.processid);
  const edges = new Map<string, Edges>();
  for (const r of await processesSql.getForUpdate(tx, t.colonyname, [...touched])) {
    if (r.processgraphid !== t.processgraphid) continue;
    edges.set(r.processid, {
      processid: r.processid,
      parents: [...r.parents],
      children: [...r.children],
      waitingparents: r.waitingparents,
      state: r.state,
    });
  }
  edges.set(parent.processid, {
    processid: parent.processid,
    parents: parent.parents,
    children: [...parent.children],
    waitingparents: 0,
    state: parent.state,
  });
  return edges;
}

/** The new processes, each a child of the parent, with the edges they change rewritten in `edges`; `changed` names the rows to write back. */
function planChildren(
  t: AddTarget,
  edges: Map<string, Edges>,
  items: ChildSpec[],
  now: Date,
): { news: Map<string, NewProcess>; changed: Set<string> } {
  const parentEdges = edges.get(t.parentprocessid)!;
  const changed = new Set<string>([t.parentprocessid]);
  const news = new Map<string, NewProcess>();
  const edgesOf = (id: string) => edges.get(id) ?? news.get(id)!;
  for (const item of items) {
    // Children are added while the run goes on; the variables' plan was made at its start.
    if (item.spec.setvariables) throw noRunVariables('spec.setvariables');
    const spec = { ...item.spec, nodename: item.nodename ?? item.spec.nodename };
    const gated = isGated(spec);
    const p = newProcess(t.colonyname, spec, t.executorid, now, {
      processgraphid: t.processgraphid,
      parents: [t.parentprocessid],
      waitingparents: gated ? 2 : 1,
      gated,
      input: [],
    });
    if (item.insert) {
      p.children = parentEdges.children;
      for (const c of p.children) {
        const e = edgesOf(c);
        e.parents = e.parents.map((x) => (x === t.parentprocessid ? p.processid : x));
        if (edges.has(c)) changed.add(c);
      }
      parentEdges.children = [p.processid];
    } else {
      parentEdges.children.push(p.processid);
      if (item.childprocessid) {
        const child = edges.get(item.childprocessid);
        if (!child) throw new AppError('PROCESS_NOT_FOUND', `process ${item.childprocessid} is not in process graph ${t.processgraphid}`);
        if (child.state !== 'WAITING' && child.state !== 'HALTED') {
          throw new AppError('INVALID_GRAPH_CHANGE', `process ${item.childprocessid} is ${child.state}; only a waiting process can get a new parent`);
        }
        p.children = [child.processid];
        child.parents.push(p.processid);
        child.waitingparents += 1;
        changed.add(child.processid);
      }
    }
    news.set(p.processid, p);
  }
  return { news, changed };
}

export { announceGraph, freshGraph, planGraph, writeGraph, type Origin, type PlannedGraph, type RunPlan } from './workflows/plan.ts';

export type GraphService = ReturnType<typeof createGraphService>;
