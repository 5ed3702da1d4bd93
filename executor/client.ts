/** The typed Colonies client: one method per API operation, bound to a key and (usually) a colony. */
import { createTransport, ColoniesError, type Transport } from './transport.ts';
import { Workflow } from './workflow.ts';
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
  SubmitResult,
  User,
} from '../protocol/types.ts';
import { LIMITS } from '../protocol/schemas.ts';
import { ERROR_CODES } from '../protocol/errors.ts';
import type { ProcessState } from '../protocol/states.ts';
import { FINISHED_STATES } from '../protocol/states.ts';
import type { FunctionSpecInput, WorkflowSpecInput } from '../protocol/schemas.ts';

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
  label?: string;
  funcname?: string;
  nodename?: string;
  count?: number;
  /** Skip this many of the newest matches. */
  offset?: number;
}

export interface ChildOptions {
  spec: FunctionSpecInput;
  nodename?: string;
  childprocessid?: string;
  insert?: boolean;
}

const enc = encodeURIComponent;

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

  private c(): string {
    return `/colonies/${enc(this.requireColony())}`;
  }

  private req<T>(method: string, path: string, body?: unknown, query?: Record<string, string | number | boolean | undefined>, signal?: AbortSignal) {
    return this.transport.request<T>(method, path, body, { query, signal });
  }

  // Server owner
  addColony(colonyname: string, colonyid: string) {
    return this.req<Colony>('POST', '/colonies', { colonyname, colonyid });
  }
  listColonies() {
    return this.req<Colony[]>('GET', '/colonies');
  }
  removeColony(colonyname: string) {
    return this.req<void>('DELETE', `/colonies/${enc(colonyname)}`);
  }

  // Colony
  getColony() {
    return this.req<Colony>('GET', this.c());
  }
  stats() {
    return this.req<ColonyStats>('GET', `${this.c()}/stats`);
  }

  // Executors
  addExecutor(e: { executorname: string; executorid: string; executortype: string; location?: string }) {
    return this.req<Executor>('POST', `${this.c()}/executors`, e);
  }
  approveExecutor(executorname: string) {
    return this.req<Executor>('POST', `${this.c()}/executors/${enc(executorname)}/approve`);
  }
  rejectExecutor(executorname: string) {
    return this.req<Executor>('POST', `${this.c()}/executors/${enc(executorname)}/reject`);
  }
  removeExecutor(executorname: string) {
    return this.req<void>('DELETE', `${this.c()}/executors/${enc(executorname)}`);
  }
  listExecutors() {
    return this.req<Executor[]>('GET', `${this.c()}/executors`);
  }
  getExecutor(executorname: string) {
    return this.req<Executor>('GET', `${this.c()}/executors/${enc(executorname)}`);
  }

  // Users
  addUser(username: string, userid: string) {
    return this.req<User>('POST', `${this.c()}/users`, { username, userid });
  }
  listUsers() {
    return this.req<User[]>('GET', `${this.c()}/users`);
  }
  removeUser(username: string) {
    return this.req<void>('DELETE', `${this.c()}/users/${enc(username)}`);
  }

  // Processes
  /**
   * Submits one function spec. Calls made together (a Promise.all, or callers resumed by one event,
   * such as the answer to the previous batch) go out as one batch request at the end of the current
   * job, each still answered on its own; a lone call goes out alone, at once.
   */
  submit(spec: FunctionSpecInput): Promise<Process> {
    const path = this.c();
    return new Promise<Process>((resolve, reject) => {
      this.#submits.push({ spec, resolve, reject });
      if (this.#submits.length === 1) queueMicrotask(() => void this.#flushSubmits(path));
    });
  }

  #submits: { spec: FunctionSpecInput; resolve: (p: Process) => void; reject: (e: unknown) => void }[] = [];

  async #flushSubmits(path: string): Promise<void> {
    const batch = this.#submits.splice(0, LIMITS.maxSubmitBatch);
    if (this.#submits.length > 0) setImmediate(() => void this.#flushSubmits(path));
    if (batch.length === 1) {
      const [one] = batch as [(typeof batch)[0]];
      this.req<Process>('POST', `${path}/processes`, one.spec).then(one.resolve, one.reject);
      return;
    }
    try {
      const { results } = await this.req<{ results: SubmitResult[] }>('POST', `${path}/processes/batch`, { specs: batch.map((b) => b.spec) });
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
    return this.req<Process>('GET', `${this.c()}/processes/${enc(processid)}`);
  }
  listProcesses(o: ListOptions = {}) {
    return this.req<Process[]>('GET', `${this.c()}/processes`, undefined, { ...o });
  }
  cancelProcess(processid: string) {
    return this.req<Process>('POST', `${this.c()}/processes/${enc(processid)}/cancel`);
  }
  removeProcess(processid: string, o: { force?: boolean } = {}) {
    return this.req<void>('DELETE', `${this.c()}/processes/${enc(processid)}`, undefined, { force: o.force });
  }
  removeAllProcesses(state?: ProcessState) {
    return this.req<{ removed: number }>('DELETE', `${this.c()}/processes`, undefined, { state });
  }
  /** Long-poll for up to `timeout` seconds; resolves to [] when nothing came. */
  async assign(o: { timeout?: number; count?: number } = {}, signal?: AbortSignal): Promise<Process[]> {
    return (
      await this.req<{ processes: Process[] }>(
        'POST',
        `${this.c()}/processes/assign`,
        { timeout: o.timeout ?? 10, count: o.count ?? 1 },
        undefined,
        signal,
      )
    ).processes;
  }
  close(processid: string, attempt: number, out: unknown[]) {
    return this.req<void>('POST', `${this.c()}/processes/${enc(processid)}/close`, { attempt, out });
  }
  /**
   * Closes what this executor finished, then long-polls for up to `count` more: one request per
   * cycle. `closed`/`refused` are as for closeMany.
   */
  async closeAndAssign(
    closes: { processid: string; attempt: number; out: unknown[] }[],
    o: { timeout?: number; count?: number } = {},
    signal?: AbortSignal,
  ): Promise<{ processes: Process[]; closed: string[]; refused: string[] }> {
    const r = await this.req<{ processes: Process[]; closed?: string[]; refused?: string[] }>(
      'POST',
      `${this.c()}/processes/assign`,
      { timeout: o.timeout ?? 10, count: o.count ?? 1, closes },
      undefined,
      signal,
    );
    return { processes: r.processes, closed: r.closed ?? [], refused: r.refused ?? [] };
  }
  /** Closes many processes in one request (one transaction); `refused` lists those no longer this executor's. */
  closeMany(closes: { processid: string; attempt: number; out: unknown[] }[]) {
    return this.req<{ closed: string[]; refused: string[] }>('POST', `${this.c()}/processes/close`, { closes });
  }
  fail(processid: string, attempt: number, errors: string[]) {
    return this.req<Process>('POST', `${this.c()}/processes/${enc(processid)}/fail`, { attempt, errors });
  }
  addLog(processid: string, message: string) {
    return this.req<void>('POST', `${this.c()}/processes/${enc(processid)}/logs`, { message });
  }
  getLogs(processid: string, o: { since?: number; count?: number } = {}) {
    return this.req<LogEntry[]>('GET', `${this.c()}/processes/${enc(processid)}/logs`, undefined, { ...o });
  }
  getExecutorLogs(executorid: string, o: { since?: number; count?: number } = {}) {
    return this.req<LogEntry[]>('GET', `${this.c()}/executors/${enc(executorid)}/logs`, undefined, { ...o });
  }

  // Process graphs (workflows)
  submitWorkflow(wf: Workflow | WorkflowSpecInput) {
    return this.req<ProcessGraph>('POST', `${this.c()}/processgraphs`, wf instanceof Workflow ? wf.toJSON() : wf);
  }
  getProcessGraph(processgraphid: string) {
    return this.req<ProcessGraphWithProcesses>('GET', `${this.c()}/processgraphs/${enc(processgraphid)}`);
  }
  /** Graphs, newest first; label/funcname/nodename keep graphs with at least one such process. */
  listProcessGraphs(o: Omit<ListOptions, 'executortype'> = {}) {
    return this.req<ProcessGraph[]>('GET', `${this.c()}/processgraphs`, undefined, { ...o });
  }
  findProcess(processgraphid: string, nodename: string) {
    return this.req<Process>('GET', `${this.c()}/processgraphs/${enc(processgraphid)}/nodes/${enc(nodename)}`);
  }
  cancelProcessGraph(processgraphid: string) {
    return this.req<ProcessGraph>('POST', `${this.c()}/processgraphs/${enc(processgraphid)}/cancel`);
  }
  removeProcessGraph(processgraphid: string, o: { force?: boolean } = {}) {
    return this.req<void>('DELETE', `${this.c()}/processgraphs/${enc(processgraphid)}`, undefined, { force: o.force });
  }
  removeAllProcessGraphs(state?: ProcessState) {
    return this.req<{ removed: number }>('DELETE', `${this.c()}/processgraphs`, undefined, { state });
  }
  /** pycolonies' add_child(processgraphid, parentprocessid, childprocessid, spec, nodename, insert). */
  addChild(
    processgraphid: string,
    parentprocessid: string,
    childprocessid: string | null | undefined,
    spec: FunctionSpecInput,
    nodename: string,
    insert: boolean,
  ) {
    return this.req<Process>('POST', `${this.c()}/processgraphs/${enc(processgraphid)}/children`, {
      parentprocessid,
      ...(childprocessid ? { childprocessid } : {}),
      spec,
      nodename,
      insert,
    });
  }
  /** Many children in one transaction (fan-outs of thousands). */
  addChildren(processgraphid: string, parentprocessid: string, children: ChildOptions[]) {
    return this.req<Process[]>('POST', `${this.c()}/processgraphs/${enc(processgraphid)}/children/batch`, { parentprocessid, children });
  }

  // Crons
  addCron(c: {
    name: string;
    workflow: Workflow | WorkflowSpecInput;
    cronexpression?: string;
    interval?: number;
    waitforprevprocessgraph?: boolean;
  }) {
    return this.req<Cron>('POST', `${this.c()}/crons`, { ...c, workflow: c.workflow instanceof Workflow ? c.workflow.toJSON() : c.workflow });
  }
  listCrons() {
    return this.req<Cron[]>('GET', `${this.c()}/crons`);
  }
  getCron(name: string) {
    return this.req<Cron>('GET', `${this.c()}/crons/${enc(name)}`);
  }
  removeCron(name: string) {
    return this.req<void>('DELETE', `${this.c()}/crons/${enc(name)}`);
  }
  /** Fires the cron now; `skipped` says why nothing was submitted (waitforprevprocessgraph). */
  runCron(name: string) {
    return this.req<{ cron: Cron; processgraph: ProcessGraph | null; skipped: string | null }>('POST', `${this.c()}/crons/${enc(name)}/run`);
  }

  /** Resolves with the process once it has finished (SUCCESS, FAILED or CANCELLED). Uses the live connection, not polling. */
  async waitForProcess(processid: string, timeoutMs = 60_000): Promise<Process> {
    const finished = (m: SubscriptionMessage) =>
      m.type === 'snapshot'
        ? m.snapshot.of === 'process' && isFinished(m.snapshot.process.state)
        : m.event.type === 'process' && m.event.processid === processid && isFinished(m.event.state);
    return this.waitFor({ processid }, finished, () => this.getProcess(processid), timeoutMs, `process ${processid}`);
  }

  /** Resolves with the graph (and its processes) once it has finished. */
  async waitForProcessGraph(processgraphid: string, timeoutMs = 60_000): Promise<ProcessGraphWithProcesses> {
    const finished = (m: SubscriptionMessage) =>
      m.type === 'snapshot'
        ? m.snapshot.of === 'processgraph' && isFinished(m.snapshot.processgraph.state)
        : m.event.type === 'processgraph' && isFinished(m.event.state);
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
              await sub.subscribe({ colonyname: this.requireColony(), ...target }, (m) => done(m) && resolve());
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
}

const isFinished = (s: ProcessState) => FINISHED_STATES.includes(s);
