/** Objects as they appear in replies. Field names follow ColonyOS. */
import type { ErrorBody } from './errors.ts';
import type { ExecutorState, ProcessState } from './states.ts';
import type { FunctionSpec } from './schemas.ts';

export interface Colony {
  colonyname: string;
  colonyid: string;
  created: string;
}

export interface Executor {
  executorname: string;
  executorid: string;
  executortype: string;
  colonyname: string;
  state: ExecutorState;
  location: string;
  registered: string;
  lastheardfrom: string | null;
  /** Heard from within the server's lease (COLONIES_LEASE_SECONDS): its running processes are safe. */
  online: boolean;
}

export interface User {
  username: string;
  userid: string;
  colonyname: string;
}

export interface Process {
  processid: string;
  colonyname: string;
  processgraphid: string | null;
  spec: FunctionSpec;
  state: ProcessState;
  /** Set when all parents succeeded (roots: at submission). */
  ready: boolean;
  in: unknown[];
  out: unknown[];
  errors: string[];
  retries: number;
  /** Attempt number of the current/last assignment; a close must name it (fencing). */
  attempt: number;
  parents: string[];
  children: string[];
  initiatorid: string;
  assignedexecutorid: string | null;
  submissiontime: string;
  readytime: string | null;
  starttime: string | null;
  endtime: string | null;
  waitdeadline: string | null;
  execdeadline: string | null;
  /** Why a WAITING process is not running yet; only in the answers of a process or graph get. */
  waitreason?: string;
}

export interface ProcessGraph {
  processgraphid: string;
  colonyname: string;
  state: ProcessState;
  initiatorid: string;
  processcount: number;
  successcount: number;
  submissiontime: string;
  starttime: string | null;
  endtime: string | null;
  /** Why the graph failed or was cancelled. */
  errors: string[];
  /** Present when one graph is fetched, in submission order; lists leave it out. */
  processids?: string[];
}

export interface ProcessGraphWithProcesses extends ProcessGraph {
  processes: Process[];
}

export interface LogEntry {
  processid: string;
  executorid: string;
  message: string;
  time: string;
  seq: number;
}

export type StateCounts = Record<ProcessState, number>;

export interface ColonyStats {
  processes: StateCounts;
  processgraphs: StateCounts;
  executors: number;
}

export interface Cron {
  cronid: string;
  colonyname: string;
  name: string;
  functionspecs: FunctionSpec[];
  cronexpression: string;
  /** Seconds between firings (0 when a cron expression is used). */
  interval: number;
  waitforprevprocessgraph: boolean;
  initiatorid: string;
  created: string;
  nextrun: string;
  lastrun: string | null;
  lastprocessgraphid: string | null;
  /** How late the last firing was, in ms (large when the server was down at the due time). */
  lastrunlatems: number;
  runs: number;
  skips: number;
  lastskipreason: string;
}

/** One spec's answer in a batch submit: the process, or the error its single submit would have got. */
export type SubmitResult = { process: Submitted<Process> } | ErrorBody;

/** A submit's answer: what was written, and `warnings` when some function no executor serves yet. */
export type Submitted<T> = T & { warnings?: string[] };

/** A function the colony's approved executors declared, per executor type (`colonies function ls`). */
export interface FunctionInfo {
  funcname: string;
  executortype: string;
  /** Approved executors of this type that declared it, and how many of them are online (heard within the lease). */
  executors: number;
  online: number;
  executornames: string[];
}
