/** The shapes the process statements take and return, shared by the services that call them. */
import type { ColonyEvent } from '../../../../protocol/events.ts';
import type { FunctionSpec } from '../../../../protocol/schemas.ts';
import type { ProcessState } from '../../../../protocol/states.ts';
import type { ProcessRow } from '../../rows.ts';

/** A process about to be inserted (a submit, a graph's node, an added child). */
export interface NewProcess {
  processid: string;
  colonyname: string;
  processgraphid: string | null;
  spec: FunctionSpec;
  prioritytime: number;
  input: unknown[];
  waitingparents: number;
  parents: string[];
  children: string[];
  initiatorid: string;
  /** References to variables set while the run goes on, resolved when the process is claimed (graphs only). */
  varrefs?: { at: (string | number)[]; var: string; path: string[] }[];
  /** Variables this process sets from its output when it closes: name → steps of the path. */
  varsets?: Record<string, string[]>;
  /** Started, skipped or failed by the server when its parents finish (see protocol/flow.ts); its waitingparents counts the gate too. */
  gated?: boolean;
}

/** Where new ready work appeared: long-polls of this colony and executor type are woken. */
export interface ReadyWork {
  colonyname: string;
  executortype: string;
  n: number;
}

/** What a live event needs to know of a process that changed state: the process event, less its type and time. */
export type ChangedRow = Omit<Extract<ColonyEvent, { type: 'process' }>, 'type' | 'time'>;

/** The columns of a ChangedRow, read from the row `p`. */
export const CHANGED =
  'p.processid, p.colonyname, p.processgraphid, p.nodename, p.funcname, p.executortype, p.state, p.retries, p.assignedexecutorid';

/** A failed attempt's outcome: retried (WAITING) or FAILED, with the errors so far and, for a delayed retry, when it may start. */
export interface AttemptOutcome extends ChangedRow {
  errors: string[];
  notbefore: Date | null;
}

/** One executor's result for one attempt of a process, as a close hands it in. */
export interface CloseRow {
  processid: string;
  colonyname: string;
  executorid: string;
  attempt: number;
  out: unknown[];
}

/** A claimed process as the claim returns it (JSON: its times are ISO strings). */
export type ClaimedRow = ProcessRow & { graphstarted: boolean | null };

/**
 * What a close did: the rows that closed, where work became ready (left WAITING), the children it
 * started on offered slots (`handed`, each RUNNING on its assignedexecutorid), the graphs that finished.
 */
export interface CloseOutcome {
  closed: ChangedRow[];
  ready: ReadyWork[];
  handed: ClaimedRow[];
  finished: { processgraphid: string; colonyname: string; state: 'SUCCESS' | 'FAILED' }[];
  /** Gated children whose last parent this close finished: the server decides them now (services/gates). */
  gates: string[];
}

/**
 * What a claim did: the rows claimed in slot order, whether the queue is exhausted, when its first
 * delayed retry comes due (null: none, or not looked for), and its closes' outcome.
 */
export interface ClaimOutcome extends CloseOutcome {
  assigned: ClaimedRow[];
  exhausted: boolean;
  nextdue: Date | null;
}

/** An idle long-poll's slots offered to a close for the children it releases. */
export interface Offer {
  colonyname: string;
  executortype: string;
  executorid: string;
  count: number;
}

export interface ListFilter {
  state?: ProcessState | undefined;
  executortype?: string | undefined;
  label?: string | undefined;
  funcname?: string | undefined;
  nodename?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  count: number;
  offset?: number | undefined;
}

/** Ready work counted per colony and executor type. */
export function countReady(rows: { colonyname: string; executortype: string }[]): ReadyWork[] {
  const byKey = new Map<string, ReadyWork>();
  for (const r of rows) {
    const key = r.colonyname + '\u0000' + r.executortype;
    const w = byKey.get(key);
    if (w) w.n++;
    else byKey.set(key, { colonyname: r.colonyname, executortype: r.executortype, n: 1 });
  }
  return [...byKey.values()];
}
