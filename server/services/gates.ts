/**
 * Control flow: what follows when a process finishes without succeeding, and the decisions of gated
 * processes (protocol/flow.ts) once their parents have finished. One work list per transaction: a
 * decision may end a process, whose end decides its children in turn. See docs/architecture.md,
 * Control flow.
 */
import type { ColonyEvent } from '../../protocol/events.ts';
import { decideTrigger, evaluateCondition, isServerNode, type ParentOutcome } from '../../protocol/flow.ts';
import { NodeFailed, startServerNode } from './kinds/index.ts';
import { expandNode } from './expand.ts';
import { expandedCount } from '../../protocol/expand.ts';
import { lastError } from '../../protocol/failure.ts';
import type { Queryable } from '../store/db.ts';
import { gatesSql, type DueGate, type EndedRow, type ParentRow } from '../store/sql/gates.ts';
import { graphsSql } from '../store/sql/graphs.ts';
import { countReady, processesSql, type AttemptOutcome, type ChangedRow, type ReadyWork } from '../store/sql/processes.ts';
import { graphEvent, inTransaction, processEvent, type ServiceDeps } from './context.ts';

/** What a transaction's control flow changed, published after it commits. */
export interface FlowOutcome {
  events: ColonyEvent[];
  ready: ReadyWork[];
}

/** A process that finished without succeeding, still to be passed on to its graph and children (read when not known). */
interface Ended extends ChangedRow {
  state: 'FAILED' | 'SKIPPED';
  errors: string[];
  children?: string[];
  /** FAILED because a parent did: part of a failure already found handled, not one of its own. */
  inherited?: boolean;
}

class Flow {
  readonly events: ColonyEvent[] = [];
  private readonly ready: { colonyname: string; executortype: string }[] = [];
  private readonly gates: string[] = [];
  private readonly ended: Ended[] = [];

  constructor(
    private readonly tx: Queryable,
    private readonly now: Date,
  ) {}

  /** Runs the work list dry: ended processes first (they may make gates due), then due gates. */
  async run(first?: DueGate[]): Promise<FlowOutcome> {
    if (first) await this.decide(first);
    for (;;) {
      const e = this.ended.shift();
      if (e) {
        await this.passOn(e);
        continue;
      }
      if (this.gates.length === 0) break;
      await this.decide(await gatesSql.lockDue(this.tx, this.gates.splice(0)));
    }
    return { events: this.events, ready: countReady(this.ready) };
  }

  /**
   * Finishes ready server nodes with their outputs (an event's data, a timer's time, a task's form),
   * as a close would; their children follow in this work list. Returns the ids that finished.
   */
  async complete(outputs: Map<string, unknown[]>): Promise<string[]> {
    if (outputs.size === 0) return [];
    const o = await processesSql.complete(this.tx, outputs, this.now);
    for (const r of o.closed) this.events.push(processEvent(r, this.now));
    for (const g of o.finished) this.events.push(graphEvent(g.colonyname, g.processgraphid, g.state, this.now));
    for (const w of o.ready) for (let i = 0; i < w.n; i++) this.ready.push(w);
    this.gates.push(...o.gates);
    return o.closed.map((r) => r.processid);
  }

  /** A process FAILED for good (retries spent): handled by a descendant, or its graph fails as before. */
  failed(o: AttemptOutcome): void {
    this.events.push(processEvent(o, this.now));
    if (o.state === 'FAILED' && o.processgraphid) this.ended.push({ ...o, state: 'FAILED' });
  }

  private async passOn(e: Ended): Promise<void> {
    const graphid = e.processgraphid!;
    if (e.state === 'FAILED' && !e.inherited && !(await gatesSql.handled(this.tx, e.processid))) return this.failGraph(e, graphid);
    const children = e.children ?? (await childrenOf(this.tx, e.processid));
    const settled = await gatesSql.settle(this.tx, graphid, e.state === 'FAILED' && children.length === 0, this.now);
    if (!settled) return; // the graph had already ended
    if (settled.state === 'SUCCESS' || settled.state === 'FAILED') this.events.push(graphEvent(settled.colonyname, graphid, settled.state, this.now));
    if (children.length === 0) return;
    for (const c of await gatesSql.passOn(this.tx, children)) {
      if (c.gated) {
        if (c.waitingparents === 1) this.gates.push(c.processid);
      } else {
        // A plain child runs only after every parent succeeded (all_success): it ends as its parent did.
        const reason = e.state === 'SKIPPED' ? `skipped: parent ${e.nodename} was skipped` : `not run: parent ${e.nodename} failed`;
        await this.end(c.processid, e.state, reason, true);
      }
    }
  }

  /** An unhandled failure: the graph fails and whatever still waits in it is cancelled (as without control flow). */
  private async failGraph(e: Ended, graphid: string): Promise<void> {
    const reason = `process ${e.processid} failed: ${lastError(e.errors) || 'failed'}`;
    if (await graphsSql.finish(this.tx, graphid, 'FAILED', reason, this.now)) {
      this.events.push(graphEvent(e.colonyname, graphid, 'FAILED', this.now));
      for (const c of await processesSql.cancelInGraph(this.tx, graphid, false, reason, this.now)) this.events.push(processEvent(c, this.now));
    }
  }

  private async end(processid: string, state: 'SKIPPED' | 'FAILED', reason: string, inherited: boolean): Promise<void> {
    const row: EndedRow | undefined = await gatesSql.end(this.tx, processid, state, reason, this.now);
    if (!row) return;
    this.events.push(processEvent(row, this.now));
    this.ended.push({ ...row, state, inherited });
  }

  /** Starts a server node whose gate opened: finished at once with an output, or FAILED when it cannot start. */
  private async startNode(g: DueGate, input: unknown[]): Promise<void> {
    try {
      const output = await startServerNode(this.tx, g, input, this.now);
      if (output) await this.complete(new Map([[g.processid, output]]));
    } catch (err) {
      if (!(err instanceof NodeFailed)) throw err;
      await this.end(g.processid, 'FAILED', err.message, false);
    }
  }

  /** Decides due gates: run (opened for an executor), skip, or fail without running. */
  private async decide(due: DueGate[]): Promise<void> {
    if (due.length === 0) return;
    const parents = new Map((await gatesSql.parents(this.tx, [...new Set(due.flatMap((g) => g.parents))])).map((p) => [p.processid, p]));
    for (const g of due) {
      if (g.graphstate !== 'WAITING' && g.graphstate !== 'RUNNING') continue;
      const mine = g.parents.map((id) => parents.get(id)).filter((p): p is ParentRow => p !== undefined);
      const d = decide(g, mine);
      if (d.run && g.spec.expand !== undefined) await this.expand(g, d.input, mine);
      else if (d.run) {
        const r = await gatesSql.open(this.tx, g.processid, d.input, this.now);
        if (!isServerNode(g.spec)) this.ready.push(r);
        else await this.startNode(g, d.input);
      } else await this.end(g.processid, d.state, d.reason, d.inherited);
    }
  }

  /** An expand node's gate opened: it fails, finishes (a collector, an empty list), or its instances are ready. */
  private async expand(g: DueGate, input: unknown[], parents: ParentRow[]): Promise<void> {
    const x = await expandNode(this.tx, g, input, parents, this.now);
    if ('fail' in x) return this.end(g.processid, 'FAILED', x.fail, false);
    if ('output' in x) {
      await gatesSql.open(this.tx, g.processid, input, this.now);
      await this.complete(new Map([[g.processid, x.output]]));
      return;
    }
    for (const p of x.instances) this.ready.push({ colonyname: p.colonyname, executortype: p.spec.executortype });
    const time = this.now.toISOString();
    this.events.push({
      type: 'processes-added',
      colonyname: g.colonyname,
      processgraphid: g.processgraphid,
      parentprocessid: g.processid,
      count: x.instances.length,
      time,
    });
  }
}

/** A gate's decision: run with this input, or end without running and why. */
type Decision = { run: true; input: unknown[] } | { run: false; state: 'SKIPPED' | 'FAILED'; reason: string; inherited: boolean };

/** The decision for one due gate, from its trigger rule, its parents and its condition. Pure. */
export function decide(g: Pick<DueGate, 'spec' | 'input' | 'variables'>, parents: ParentRow[]): Decision {
  const outcomes = parents.map(outcomeOf);
  const rule = g.spec.conditions.trigger ?? 'all_success';
  const verdict = decideTrigger(rule, outcomes);
  if (verdict === 'skip')
    return { run: false, state: 'SKIPPED', reason: `skipped: trigger rule ${rule} not met (${describe(parents)})`, inherited: false };
  if (verdict === 'fail')
    return { run: false, state: 'FAILED', reason: `not run: trigger rule ${rule} failed upstream (${describe(parents)})`, inherited: true };
  const input = parents.length === 0 ? g.input : inputOf(parents);
  // A collector's condition was decided when it expanded: its parents now are its instances.
  const when = expandedCount(g.spec) === undefined ? g.spec.conditions.when : undefined;
  if (when === undefined) return { run: true, input };
  const ok = evaluateCondition(when, {
    input,
    outputs: Object.fromEntries(parents.map((p) => [p.nodename, p.output])),
    states: Object.fromEntries(parents.map((p) => [p.nodename, p.state])),
    errors: Object.fromEntries(parents.map((p) => [p.nodename, p.errors])),
    vars: g.variables,
  });
  if (typeof ok === 'object') return { run: false, state: 'FAILED', reason: ok.error, inherited: false };
  return ok ? { run: true, input } : { run: false, state: 'SKIPPED', reason: `skipped: conditions.when "${when}" is false`, inherited: false };
}

const outcomeOf = (p: ParentRow): ParentOutcome => (p.state === 'SUCCESS' ? 'SUCCESS' : p.state === 'SKIPPED' ? 'SKIPPED' : 'FAILED');
const describe = (parents: ParentRow[]) => parents.map((p) => `${p.nodename} ${p.state}`).join(', ');

/** A gated process's input: its parents' outputs in order; a failed parent gives {nodename, processid, errors}, a skipped one nothing. */
function inputOf(parents: ParentRow[]): unknown[] {
  return parents.flatMap((p) =>
    p.state === 'SUCCESS'
      ? p.output
      : p.state === 'SKIPPED'
        ? []
        : [{ nodename: p.nodename, processid: p.processid, state: p.state, errors: p.errors }],
  );
}

async function childrenOf(tx: Queryable, processid: string): Promise<string[]> {
  const [row] = await tx.query<{ children: string[] }>('SELECT children FROM processes WHERE processid = $1', [processid]);
  return row?.children ?? [];
}

/**
 * Attempts that failed, inside the caller's transaction: one FAILED for good is passed on — to a
 * handler below it, or its graph fails and the rest is cancelled. Returns the events and ready work.
 */
export async function settleFailures(tx: Queryable, outcomes: AttemptOutcome[], now: Date): Promise<FlowOutcome> {
  const flow = new Flow(tx, now);
  for (const o of outcomes) flow.failed(o);
  return flow.run();
}

/** Finishes ready server nodes with their outputs inside the caller's transaction (see Flow.complete). */
export async function completeNodes(tx: Queryable, outputs: Map<string, unknown[]>, now: Date): Promise<FlowOutcome & { completed: string[] }> {
  const flow = new Flow(tx, now);
  const completed = await flow.complete(outputs);
  return { ...(await flow.run()), completed };
}

/** Decides these gated processes (those due), inside the caller's transaction. */
export async function decideGates(tx: Queryable, ids: string[], now: Date): Promise<FlowOutcome> {
  const flow = new Flow(tx, now);
  return flow.run(ids.length > 0 ? await gatesSql.lockDue(tx, ids) : []);
}

/** Publishes what control flow changed, after the commit. */
export function publishFlow(deps: ServiceDeps, o: FlowOutcome): void {
  deps.bus.ready(o.ready);
  deps.bus.emit(o.events);
}

/**
 * Decides gates a committed close made due, in a transaction of their own. A failure is logged, not
 * thrown: the close has committed, and the sweep decides what is left.
 */
export async function checkGates(deps: ServiceDeps, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  try {
    publishFlow(deps, await inTransaction(deps.db, (tx) => decideGates(tx, ids, deps.clock.now())));
  } catch (err) {
    deps.log.warn('control flow: deciding gates failed; the sweep will', { err: String(err) });
  }
}

/** The sweep: gates left due (a crash between a close and its check), `batch` at a time. Returns how many it decided. */
export async function sweepGates(deps: ServiceDeps, batch = 500): Promise<number> {
  let n = 0;
  for (;;) {
    const { outcome, count } = await inTransaction(deps.db, async (tx) => {
      const due = await gatesSql.lockAnyDue(tx, batch);
      return { outcome: await new Flow(tx, deps.clock.now()).run(due), count: due.length };
    });
    publishFlow(deps, outcome);
    n += count;
    if (count < batch) return n;
  }
}
