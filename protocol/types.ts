/** Objects as they appear in replies. Field names follow ColonyOS. */
import type { ErrorBody } from './errors.ts';
import type { ExecutorState, ProcessState } from './states.ts';
import type { FunctionSpec } from './schemas.ts';
import type { VariableDeclarations } from './variables.ts';

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
  /** A retry's delay: the process may not start its next attempt before this time (null: no delay). See docs/architecture.md, Process semantics. */
  notbefore: string | null;
  /** Why a WAITING process is not running yet; only in the answers of a process or graph get. */
  waitreason?: string;
  /** The name of the run (graph) it belongs to ('' for an unnamed run); present in lists, for a process in a graph. */
  runname?: string;
}

/** An open user task: a ready node of kind usertask, waiting for a user to complete it with data its form accepts. */
export interface UserTask {
  /** The process's id: what completes it. */
  processid: string;
  processgraphid: string;
  /** The run's name ('' for an unnamed run). */
  runname: string;
  nodename: string;
  /** The user who may complete it; null: any user of the colony. */
  assignee: string | null;
  /** A JSON Schema of the data that completes it; null: any JSON object. */
  form: Record<string, unknown> | null;
  /** What it got: its parents' outputs, in order. */
  in: unknown[];
  /** Since when it waits (it became ready). */
  readytime: string;
  /** When it fails unless completed (maxwaittime); null: never. */
  waitdeadline: string | null;
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
  /** The run's name: given at submit, else its spec's or its cron's name ('' for an unnamed submit). */
  name: string;
  /** The registered spec it runs, and which version (null for an ad-hoc submit). */
  specname: string | null;
  specversion: number | null;
  /** Who started it: the user's or executor's name ('' for the colony owner), or the cron that fired it. */
  initiatorname: string;
  cronname: string | null;
  /** Present when one graph is fetched, in submission order; lists leave it out. */
  processids?: string[];
  /** The run's variables as they are now; present when one graph is fetched. */
  variables?: Record<string, unknown>;
}

/** A registered workflow spec: one immutable version. */
export interface WorkflowSpecVersion {
  colonyname: string;
  name: string;
  version: number;
  spec: { functionspecs: FunctionSpec[]; variables: VariableDeclarations };
  hash: string;
  initiatorid: string;
  created: string;
}

/** What registering answers: the version, and `added` false when an identical spec was already registered. */
export interface RegisteredSpec extends WorkflowSpecVersion {
  added: boolean;
}

/** A spec in the colony's list: its latest version and its runs per state. */
export interface WorkflowSpecSummary {
  name: string;
  latestversion: number;
  versions: number;
  created: string;
  runs: StateCounts;
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
  /** The workflow inline (empty when the cron runs a registered spec). */
  functionspecs: FunctionSpec[];
  /** The registered spec it runs (the latest version when specversion is null), with these variables. */
  specname: string | null;
  specversion: number | null;
  variables: Record<string, unknown>;
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

/** An external event posted to a graph, kept until an event node of its name consumes it (`colonies event ls`). */
export interface GraphEvent {
  eventid: string;
  processgraphid: string;
  name: string;
  data: unknown;
  postedtime: string;
  /** The poster's user or executor name ('' for the colony owner's key), and its id. */
  postedbyname: string;
  postedby: string;
  /** The event node that consumed it, or null while it is kept. */
  consumedby: string | null;
  consumedtime: string | null;
}
