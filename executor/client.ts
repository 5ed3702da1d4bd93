/** The typed Colonies client: one method per API operation, bound to a key and (usually) a colony. */
import { createTransport, ColoniesError, type Transport } from './transport.ts';
import { Workflow, type VariableInput } from './workflow.ts';
import { Subscriber, type SubscriptionMessage } from './subscriber.ts';
import type {
  Colony,
  ColonyStats,
  Cron,
  Executor,
  LogEntry,
  Process,
  ProcessGraph,
  ProcessGraphWithProcesses,
  RegisteredSpec,
  SubmitResult,
  Submitted,
  User,
  FunctionInfo,
  GraphEvent,
  UserTask,
  WorkflowSpecSummary,
  WorkflowSpecVersion,
} from '../protocol/types.ts';
import { LIMITS } from '../protocol/schemas.ts';
import { OPERATIONS, routePath, type Operation, type PathParams } from '../protocol/routes.ts';
import { ERROR_CODES } from '../protocol/errors.ts';
import type { ProcessState } from '../protocol/states.ts';
import { FINISHED_STATES } from '../protocol/states.ts';
import type { FunctionSpecInput, WorkflowSpecInput } from '../protocol/schemas.ts';
import type { IdMatches } from '../protocol/ids.ts';

export interface ClientOptions {
  /** Base URL; or host + port. */
  url?: string;
  host?: string;
  port?: number;
  prvkey: string;
  colonyname?: string;
  now?: () => number;
}

export interface ListOptions {
  state?: ProcessState;
  executortype?: string;
  /** Submitted at or after / before these ISO times (processes only). */
  since?: string;
  until?: string;
  label?: string;
  funcname?: string;
  nodename?: string;
  count?: number;
  /** Skip this many of the newest matches. */
  offset?: number;
}

/** A workflow spec to register: its function specs, and the variables it declares. */
export type SpecInput = Workflow | FunctionSpecInput[] | { functionspecs: FunctionSpecInput[]; variables?: Record<string, VariableInput> };

/** How to run a registered spec: a version (default: the latest), a run name, an idempotency key. */
export interface RunOptions {
  version?: number;
  name?: string;
  /** A second run with the same key in the colony returns the first run instead of starting another. */
  key?: string;
}

/**
 * Runs of a spec by its indexed variables: `vars` values are matched for equality; `ranges` give
 * bounds for numbers and times ({ total: { gte: 10, lt: 100 } }).
 */
export interface SearchOptions {
  /** Filters as the server reads them: "name=value", "total>=10" (the CLI's --var). */
  filters?: string[];
  vars?: Record<string, string | number | boolean | object | null>;
  ranges?: Record<string, { gt?: number | string; gte?: number | string; lt?: number | string; lte?: number | string }>;
  state?: ProcessState;
  since?: string;
  until?: string;
  count?: number;
  offset?: number;
}

const RANGE_OPS = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/** The `var` filters of a search, as the server reads them (name=value, name>=value …). */
export function varFilters(o: SearchOptions): string[] {
  const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  const out = [...(o.filters ?? []), ...Object.entries(o.vars ?? {}).map(([k, v]) => `${k}=${text(v)}`)];
  for (const [k, r] of Object.entries(o.ranges ?? {}))
    for (const [op, sym] of Object.entries(RANGE_OPS)) {
      const v = r[op as keyof typeof RANGE_OPS];
      if (v !== undefined) out.push(`${k}${sym}${text(v)}`);
    }
  return out;
}

/** An attempt an executor runs: reported with its assigns and heartbeats (its lease). */
export interface Held {
  processid: string;
  attempt: number;
}

export interface ChildOptions {
  spec: FunctionSpecInput;
  nodename?: string;
  childprocessid?: string;
  insert?: boolean;
}

/** Where a request goes: an operation's method and filled-in path. */
interface Target {
  method: string;
  path: string;
}

export function serverUrl(o: { url?: string | undefined; host?: string | undefined; port?: number | undefined }): string {
  return o.url ?? `http://${o.host ?? 'localhost'}:${o.port ?? 50080}`;
}

export class ColoniesClient {
  readonly transport: Transport;
  readonly colonyname: string | undefined;
  readonly #prvkey: string;

  constructor(opts: ClientOptions) {
    this.transport = createTransport({ url: serverUrl(opts), prvkey: opts.prvkey, ...(opts.now ? { now: opts.now } : {}) });
    this.colonyname = opts.colonyname;
    this.#prvkey = opts.prvkey;
  }

  /** Opens a live connection (WebSocket) signed with this client's key. */
  connect(): Promise<Subscriber> {
    return Subscriber.connect(this.transport.url, this.#prvkey);
  }

  /**
   * Subscribes to a process, a graph or (with neither) the whole colony. The handler gets a snapshot
   * of the current state first, then every change. Resolves to a function that ends it.
   */
  async subscribe(target: { processid?: string; processgraphid?: string }, handler: (m: SubscriptionMessage) => void): Promise<() => void> {
    const sub = await this.connect();
    try {
      const off = await sub.subscribe({ colonyname: this.requireColony(), ...target }, handler);
      return () => {
        off();
        sub.close();
      };
    } catch (err) {
      sub.close();
      throw err;
    }
  }

  /** The caller's id (public key). */
  get id(): string {
    return this.transport.id;
  }

  /** The same server and colony, signing with another key. */
  withKey(prvkey: string): ColoniesClient {
    return new ColoniesClient({ url: this.transport.url, prvkey, ...(this.colonyname ? { colonyname: this.colonyname } : {}) });
  }

  private requireColony(): string {
    if (!this.colonyname) throw new ColoniesError('VALIDATION_FAILED', 'no colony name: pass colonyname (or set COLONIES_COLONY_NAME)');
    return this.colonyname;
  }

  /** An operation's method and path, in this client's colony unless another is named. */
  private at<O extends Operation>(operation: O, params: Omit<PathParams<O>, 'colony'>, colonyname?: string): Target {
    const { method, path } = OPERATIONS[operation];
    const colony = colonyname ?? (path.includes(':colony') ? this.requireColony() : undefined);
    return { method, path: routePath(operation, { ...params, colony } as PathParams<O>) };
  }

  private req<T>(to: Target, body?: unknown, query?: Record<string, string | number | boolean | undefined>, signal?: AbortSignal) {
    return this.transport.request<T>(to.method, to.path, body, { query, signal });
  }

  // Server owner
  addColony(colonyname: string, colonyid: string) {
    return this.req<Colony>(this.at('addColony', {}), { colonyname, colonyid });
  }
  listColonies() {
    return this.req<Colony[]>(this.at('listColonies', {}));
  }
  removeColony(colonyname: string) {
    return this.req<void>(this.at('removeColony', {}, colonyname));
  }

  // Colony
  getColony() {
    return this.req<Colony>(this.at('getColony', {}));
  }
  stats() {
    return this.req<ColonyStats>(this.at('getColonyStats', {}));
  }

  // Executors
  addExecutor(e: { executorname: string; executorid: string; executortype: string; location?: string }) {
    return this.req<Executor>(this.at('addExecutor', {}), e);
  }
  approveExecutor(executorname: string) {
    return this.req<Executor>(this.at('approveExecutor', { name: executorname }));
  }
  rejectExecutor(executorname: string) {
    return this.req<Executor>(this.at('rejectExecutor', { name: executorname }));
  }
  removeExecutor(executorname: string) {
    return this.req<void>(this.at('removeExecutor', { name: executorname }));
  }
  listExecutors() {
    return this.req<Executor[]>(this.at('listExecutors', {}));
  }
  getExecutor(executorname: string) {
    return this.req<Executor>(this.at('getExecutor', { name: executorname }));
  }

  // Users
  addUser(username: string, userid: string) {
    return this.req<User>(this.at('addUser', {}), { username, userid });
  }
  listUsers() {
    return this.req<User[]>(this.at('listUsers', {}));
  }
  removeUser(username: string) {
    return this.req<void>(this.at('removeUser', { name: username }));
  }

  // Processes
  /**
   * Submits one function spec. Calls made together (a Promise.all, or callers resumed by one event,
   * such as the answer to the previous batch) go out as one batch request at the end of the current
   * job, each still answered on its own; a lone call goes out alone, at once.
   */
  submit(spec: FunctionSpecInput): Promise<Submitted<Process>> {
    const colonyname = this.requireColony();
    return new Promise<Submitted<Process>>((resolve, reject) => {
      this.#submits.push({ spec, resolve, reject });
      if (this.#submits.length === 1) queueMicrotask(() => void this.#flushSubmits(colonyname));
    });
  }

  #submits: { spec: FunctionSpecInput; resolve: (p: Submitted<Process>) => void; reject: (e: unknown) => void }[] = [];

  async #flushSubmits(colonyname: string): Promise<void> {
    const batch = this.#submits.splice(0, LIMITS.maxSubmitBatch);
    if (this.#submits.length > 0) setImmediate(() => void this.#flushSubmits(colonyname));
    if (batch.length === 1) {
      const [one] = batch as [(typeof batch)[0]];
      this.req<Submitted<Process>>(this.at('submitProcess', {}, colonyname), one.spec).then(one.resolve, one.reject);
      return;
    }
    try {
      const { results } = await this.req<{ results: SubmitResult[] }>(this.at('submitProcessBatch', {}, colonyname), {
        specs: batch.map((b) => b.spec),
      });
      batch.forEach((b, i) => {
        const r = results[i];
        if (r && 'process' in r) b.resolve(r.process);
        else if (r) b.reject(new ColoniesError(r.error.code, r.error.message, ERROR_CODES[r.error.code]?.status ?? 400, r.error.details));
        else b.reject(new ColoniesError('BAD_RESPONSE', `the server answered ${results.length} results for ${batch.length} specs`));
      });
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }
  getProcess(processid: string) {
    return this.req<Process>(this.at('getProcess', { id: processid }));
  }
  listProcesses(o: ListOptions = {}) {
    return this.req<Process[]>(this.at('listProcesses', {}), undefined, { ...o });
  }
  cancelProcess(processid: string) {
    return this.req<Process>(this.at('cancelProcess', { id: processid }));
  }
  removeProcess(processid: string, o: { force?: boolean } = {}) {
    return this.req<void>(this.at('removeProcess', { id: processid }), undefined, { force: o.force });
  }
  removeAllProcesses(state?: ProcessState) {
    return this.req<{ removed: number }>(this.at('removeAllProcesses', {}), undefined, { state });
  }
  /**
   * Long-poll for up to `timeout` seconds; resolves to [] when nothing came. `holding` (every attempt
   * this executor runs) renews their lease, and gives back any RUNNING process of its not listed.
   */
  async assign(o: { timeout?: number; count?: number } & LeaseReportOptions = {}, signal?: AbortSignal): Promise<Process[]> {
    const body = { timeout: o.timeout ?? 10, count: o.count ?? 1, ...leaseReport(o) };
    return (await this.req<{ processes: Process[] }>(this.at('assign', {}), body, undefined, signal)).processes;
  }
  /**
   * Reports the attempts this executor runs (its lease), made by run `instance` of it (see assign);
   * `revoked` lists those that are over (cancelled, expired, lost): stop them.
   */
  heartbeat(holding: Held[], instance?: string) {
    return this.req<{ revoked: string[] }>(this.at('executorHeartbeat', {}), { holding, ...(instance ? { instance } : {}) });
  }
  close(processid: string, attempt: number, out: unknown[]) {
    return this.req<void>(this.at('closeProcess', { id: processid }), { attempt, out });
  }
  /**
   * Closes what this executor finished, then long-polls for up to `count` more: one request per
   * cycle. `closed`/`refused` are as for closeMany.
   */
  async closeAndAssign(
    closes: { processid: string; attempt: number; out: unknown[] }[],
    o: { timeout?: number; count?: number } & LeaseReportOptions = {},
    signal?: AbortSignal,
  ): Promise<{ processes: Process[]; closed: string[]; refused: string[] }> {
    const r = await this.req<{ processes: Process[]; closed?: string[]; refused?: string[] }>(
      this.at('assign', {}),
      { timeout: o.timeout ?? 10, count: o.count ?? 1, closes, ...leaseReport(o) },
      undefined,
      signal,
    );
    return { processes: r.processes, closed: r.closed ?? [], refused: r.refused ?? [] };
  }
  /** Closes many processes in one request (one transaction); `refused` lists those no longer this executor's. */
  closeMany(closes: { processid: string; attempt: number; out: unknown[] }[]) {
    return this.req<{ closed: string[]; refused: string[] }>(this.at('closeProcesses', {}), { closes });
  }
  /**
   * Fails the attempt; with no errors the server records a reason naming this executor and the attempt.
   * `retry: false` makes the failure final (FAILED whatever retries remain); `errorkind` (such as the
   * thrown error's name) is not retried when the spec lists it in `noretry`.
   */
  fail(processid: string, attempt: number, errors: string[] = [], o: { retry?: boolean; errorkind?: string } = {}) {
    return this.req<Process>(this.at('failProcess', { id: processid }), {
      attempt,
      errors,
      ...(o.retry === false ? { retry: false } : {}),
      ...(o.errorkind !== undefined ? { errorkind: o.errorkind } : {}),
    });
  }
  addLog(processid: string, message: string) {
    return this.req<void>(this.at('addLog', { id: processid }), { message });
  }
  getLogs(processid: string, o: { since?: number; count?: number } = {}) {
    return this.req<LogEntry[]>(this.at('getLogs', { id: processid }), undefined, { ...o });
  }
  getExecutorLogs(executorid: string, o: { since?: number; count?: number } = {}) {
    return this.req<LogEntry[]>(this.at('getExecutorLogs', { executorid }), undefined, { ...o });
  }

  // Process graphs (workflows)
  submitWorkflow(wf: Workflow | WorkflowSpecInput) {
    return this.req<Submitted<ProcessGraph>>(this.at('submitWorkflow', {}), wf instanceof Workflow ? wf.toJSON() : wf);
  }
  getProcessGraph(processgraphid: string) {
    return this.req<ProcessGraphWithProcesses>(this.at('getProcessGraph', { id: processgraphid }));
  }
  /** Graphs, newest first; label/funcname/nodename keep graphs with at least one such process. */
  listProcessGraphs(o: Omit<ListOptions, 'executortype'> = {}) {
    return this.req<ProcessGraph[]>(this.at('listProcessGraphs', {}), undefined, { ...o });
  }
  findProcess(processgraphid: string, nodename: string) {
    return this.req<Process>(this.at('findProcess', { id: processgraphid, nodename }));
  }
  cancelProcessGraph(processgraphid: string) {
    return this.req<ProcessGraph>(this.at('cancelProcessGraph', { id: processgraphid }));
  }
  /** Stops assigning the graph's processes until resumed; running ones finish (GRAPH_HALTED when already halted, PROCESS_FINISHED when done). */
  haltProcessGraph(processgraphid: string) {
    return this.req<ProcessGraph>(this.at('haltProcessGraph', { id: processgraphid }));
  }
  /** Goes on with a halted graph (GRAPH_NOT_HALTED when it is not halted). */
  resumeProcessGraph(processgraphid: string) {
    return this.req<ProcessGraph>(this.at('resumeProcessGraph', { id: processgraphid }));
  }
  removeProcessGraph(processgraphid: string, o: { force?: boolean } = {}) {
    return this.req<void>(this.at('removeProcessGraph', { id: processgraphid }), undefined, { force: o.force });
  }
  removeAllProcessGraphs(state?: ProcessState) {
    return this.req<{ removed: number }>(this.at('removeAllProcessGraphs', {}), undefined, { state });
  }
  /** add_child: splices a process into this running graph, as a child of the process this executor runs. */
  addChild(
    processgraphid: string,
    parentprocessid: string,
    childprocessid: string | null | undefined,
    spec: FunctionSpecInput,
    nodename: string,
    insert: boolean,
  ) {
    return this.req<Process>(this.at('addChild', { id: processgraphid }), {
      parentprocessid,
      ...(childprocessid ? { childprocessid } : {}),
      spec,
      nodename,
      insert,
    });
  }
  /** Many children in one transaction (fan-outs of thousands). */
  addChildren(processgraphid: string, parentprocessid: string, children: ChildOptions[]) {
    return this.req<Process[]>(this.at('addChildren', { id: processgraphid }), { parentprocessid, children });
  }
  /**
   * Posts an external event to a graph: the event node waiting longest for `name` finishes with
   * [data]; with none waiting the event is kept for the first to come. `consumedby` says which.
   */
  postEvent(processgraphid: string, name: string, data: unknown = null) {
    return this.req<GraphEvent>(this.at('postEvent', { id: processgraphid }), { name, data });
  }
  /** A graph's external events, oldest first, each with the node that consumed it (or null: kept). */
  listEvents(processgraphid: string) {
    return this.req<GraphEvent[]>(this.at('listEvents', { id: processgraphid }));
  }

  // Registered workflow specs
  /** Registers a spec under a name: a new version, or the version an identical spec already has (`added` false). */
  registerWorkflowSpec(name: string, spec: SpecInput) {
    const body = spec instanceof Workflow ? { functionspecs: spec.functionspecs, variables: spec.variables } : spec;
    return this.req<RegisteredSpec>(this.at('registerWorkflowSpec', {}), { name, spec: body });
  }
  listWorkflowSpecs() {
    return this.req<WorkflowSpecSummary[]>(this.at('listWorkflowSpecs', {}));
  }
  getWorkflowSpec(name: string, o: { version?: number } = {}) {
    return this.req<WorkflowSpecVersion>(this.at('getWorkflowSpec', { name }), undefined, { version: o.version });
  }
  /** Removes every version; refused (SPEC_IN_USE) while runs wait or run, unless `force`. */
  removeWorkflowSpec(name: string, o: { force?: boolean } = {}) {
    return this.req<void>(this.at('removeWorkflowSpec', { name }), undefined, { force: o.force });
  }
  /** Runs a registered spec by name with its variables: runWorkflow('quickstart', {'input-name': 'obi-wan'}). */
  runWorkflow(name: string, variables: Record<string, unknown> = {}, o: RunOptions = {}) {
    return this.req<Submitted<ProcessGraph>>(this.at('runWorkflow', { name }), { variables, ...o });
  }
  /** Runs of a spec by the values of its indexed variables, newest first. */
  searchWorkflows(name: string, o: SearchOptions = {}) {
    const to = this.at('searchWorkflows', { name });
    const q = new URLSearchParams();
    for (const f of varFilters(o)) q.append('var', f);
    for (const k of ['state', 'since', 'until', 'count', 'offset'] as const) if (o[k] !== undefined) q.append(k, String(o[k]));
    const qs = q.toString().replace(/\+/g, '%20');
    // Repeated `var` parameters: written into the path, which is signed as it is sent.
    return this.req<ProcessGraph[]>({ method: to.method, path: to.path + (qs ? `?${qs}` : '') });
  }

  // Short ids
  /** The processes and process graphs of the colony whose id starts with `prefix` (at least 6 hex characters), at most 10 of each. */
  findIds(prefix: string) {
    return this.req<IdMatches>(this.at('findIds', { prefix }));
  }

  // User tasks
  /** Open user tasks of the colony, oldest first; `mine`: those assigned to this identity's user or to anyone. */
  listTasks(o: { mine?: boolean; count?: number; offset?: number } = {}) {
    return this.req<UserTask[]>(this.at('listTasks', {}), undefined, { ...o });
  }
  /** Completes a user task with data its form accepts; answers the process (SUCCESS, output [data]). */
  completeTask(processid: string, data: unknown) {
    return this.req<Process>(this.at('completeTask', { id: processid }), { data });
  }

  // Crons
  addCron(c: {
    name: string;
    workflow?: Workflow | WorkflowSpecInput;
    /** Or a registered spec, run with these variables (the latest version unless one is given). */
    spec?: { name: string; version?: number; variables?: Record<string, unknown> };
    cronexpression?: string;
    interval?: number;
    waitforprevprocessgraph?: boolean;
  }) {
    return this.req<Cron>(this.at('addCron', {}), { ...c, workflow: c.workflow instanceof Workflow ? c.workflow.toJSON() : c.workflow });
  }
  listCrons() {
    return this.req<Cron[]>(this.at('listCrons', {}));
  }
  getCron(name: string) {
    return this.req<Cron>(this.at('getCron', { name }));
  }
  removeCron(name: string) {
    return this.req<void>(this.at('removeCron', { name }));
  }
  /** Fires the cron now; `skipped` says why nothing was submitted (waitforprevprocessgraph). */
  runCron(name: string) {
    return this.req<{ cron: Cron; processgraph: ProcessGraph | null; skipped: string | null }>(this.at('runCron', { name }));
  }

  /** Resolves with the process once it has finished (SUCCESS, FAILED or CANCELLED). Uses the live connection, not polling. */
  async waitForProcess(processid: string, timeoutMs = 60_000): Promise<Process> {
    const finished = (m: SubscriptionMessage) =>
      m.type === 'snapshot'
        ? m.snapshot.of === 'process' && isFinished(m.snapshot.process.state)
        : m.type === 'event' && m.event.type === 'process' && m.event.processid === processid && isFinished(m.event.state);
    return this.waitFor({ processid }, finished, () => this.getProcess(processid), timeoutMs, `process ${processid}`);
  }

  /** Resolves with the graph (and its processes) once it has finished. */
  async waitForProcessGraph(processgraphid: string, timeoutMs = 60_000): Promise<ProcessGraphWithProcesses> {
    const finished = (m: SubscriptionMessage) =>
      m.type === 'snapshot'
        ? m.snapshot.of === 'processgraph' && isFinished(m.snapshot.processgraph.state)
        : m.type === 'event' && m.event.type === 'processgraph' && isFinished(m.event.state);
    return this.waitFor({ processgraphid }, finished, () => this.getProcessGraph(processgraphid), timeoutMs, `process graph ${processgraphid}`);
  }

  /** Subscribes and resolves when `done` says so; reconnects (a new snapshot) if the connection drops. */
  private async waitFor<T>(
    target: { processid?: string; processgraphid?: string },
    done: (m: SubscriptionMessage) => boolean,
    fetch: () => Promise<T>,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      let timer: NodeJS.Timeout | undefined;
      let stop: (() => void) | undefined;
      try {
        await new Promise<void>((resolve, reject) => {
          timer = setTimeout(
            () => reject(new ColoniesError('TIMEOUT', `${what} did not finish within ${timeoutMs} ms`)),
            Math.max(0, until - Date.now()),
          );
          this.connect()
            .then(async (sub) => {
              sub.onClose(reject);
              stop = () => sub.close();
              await sub.subscribe({ colonyname: this.requireColony(), ...target }, (m) =>
                m.type === 'ended' ? reject(m.error) : done(m) && resolve(),
              );
            })
            .catch(reject);
        });
        return await fetch();
      } catch (err) {
        const retry = err instanceof ColoniesError && err.code === 'UNREACHABLE' && Date.now() < until - 200;
        if (!retry) throw err;
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        clearTimeout(timer);
        stop?.();
      }
    }
  }

  // Functions known to the colony
  /** Declares the functions this executor serves (replacing what it declared before); the Executor runtime does it when it starts. */
  declareFunctions(funcnames: string[]) {
    return this.req<{ functions: string[] }>(this.at('declareFunctions', {}), { functions: funcnames });
  }
  /** The functions approved executors declared, per executor type: how many executors serve each, how many are online. */
  listFunctions() {
    return this.req<FunctionInfo[]>(this.at('listFunctions', {}));
  }
}

/**
 * An executor's lease report: `holding`, every attempt it runs; `instance`, a random name of this run
 * of the executor program (new at each start), so that work whose assignment never reached this run
 * is tried again without spending a retry.
 */
export interface LeaseReportOptions {
  holding?: Held[];
  instance?: string;
}

const leaseReport = (o: LeaseReportOptions) => (o.holding ? { holding: o.holding, ...(o.instance ? { instance: o.instance } : {}) } : {});

const isFinished = (s: ProcessState) => FINISHED_STATES.includes(s);
