/** The signed HTTP API as the dashboard uses it (same origin, /api/v1). */
import { signedHeaders } from '../../protocol/signing.ts';
import type { ProcessState } from '../../protocol/states.ts';
import type {
  Colony,
  ColonyStats,
  Cron,
  Executor,
  LogEntry,
  Process,
  ProcessGraph,
  ProcessGraphWithProcesses,
  User,
  UserTask,
  WorkflowSpecSummary,
} from '../../protocol/types.ts';
import { randomNonce, sha256Hex, type Signer } from './crypto.ts';

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  /** The error's `details`, when the server gave any (EXECUTOR_NOT_APPROVED: {executorname, state}). */
  readonly details: unknown;
  constructor(code: string, message: string, status: number, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/** encodeURIComponent leaves !'()* alone; the browser would escape ' in a query and break the signature. */
const enc = (v: string) => encodeURIComponent(v).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());

export type Query = Record<string, string | number | undefined>;

/** The largest list the server returns in one reply (LIMITS.maxListCount). */
export const MAX_LIST = 10_000;

export class Api {
  /** Server clock minus ours, learnt from a STALE_REQUEST reply's Date header. */
  private clockOffsetMs = 0;

  constructor(
    readonly signer: Signer,
    readonly colonyname: string,
    private readonly base = '',
  ) {}

  get id(): string {
    return this.signer.id;
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  async request<T>(method: string, path: string, query?: Query, body?: unknown, retried = false): Promise<T> {
    const qs = query
      ? Object.entries(query)
          .filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== '')
          .map(([k, v]) => `${enc(k)}=${enc(String(v))}`)
          .join('&')
      : '';
    const pathWithQuery = '/api/v1' + path + (qs ? '?' + qs : '');
    const payload = body === undefined ? '' : JSON.stringify(body);
    const signed = signedHeaders(this.signer, method, pathWithQuery, await sha256Hex(payload), { timestamp: this.now(), nonce: randomNonce() });
    let res: Response;
    try {
      res = await fetch(this.base + pathWithQuery, {
        method,
        headers: { ...(payload ? { 'content-type': 'application/json' } : {}), ...signed },
        ...(payload ? { body: payload } : {}),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (err) {
      throw new ApiError('UNREACHABLE', `cannot reach the Colonies server: ${(err as Error).message}`, 0);
    }
    const text = await res.text();
    if (res.ok) return (text ? JSON.parse(text) : undefined) as T;
    let code = 'BAD_RESPONSE';
    let message = `server answered ${res.status}`;
    let details: unknown;
    try {
      const e = (JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } }).error;
      if (e?.code) code = e.code;
      if (e?.message) message = e.message;
      details = e?.details;
    } catch {
      /* not JSON */
    }
    // Our clock is off by more than the signature window: learn the server's from its Date header, retry once.
    const date = Date.parse(res.headers.get('date') ?? '');
    if (code === 'STALE_REQUEST' && !retried && Number.isFinite(date)) {
      this.clockOffsetMs = date - Date.now();
      return this.request<T>(method, path, query, body, true);
    }
    throw new ApiError(code, message, res.status, details);
  }

  private c(): string {
    return `/colonies/${enc(this.colonyname)}`;
  }

  colony = () => this.request<Colony>('GET', this.c());
  stats = () => this.request<ColonyStats>('GET', `${this.c()}/stats`);
  executors = () => this.request<Executor[]>('GET', `${this.c()}/executors`);
  users = () => this.request<User[]>('GET', `${this.c()}/users`);
  crons = () => this.request<Cron[]>('GET', `${this.c()}/crons`);
  specs = () => this.request<WorkflowSpecSummary[]>('GET', `${this.c()}/workflowspecs`);
  runCron = (name: string) => this.request<unknown>('POST', `${this.c()}/crons/${enc(name)}/run`);

  graphs = (state: ProcessState | undefined, count: number) =>
    this.request<ProcessGraph[]>('GET', `${this.c()}/processgraphs`, { state, count: Math.min(count, MAX_LIST) });
  graph = (id: string) => this.request<ProcessGraphWithProcesses>('GET', `${this.c()}/processgraphs/${enc(id)}`);
  cancelGraph = (id: string) => this.request<ProcessGraph>('POST', `${this.c()}/processgraphs/${enc(id)}/cancel`);
  haltGraph = (id: string) => this.request<ProcessGraph>('POST', `${this.c()}/processgraphs/${enc(id)}/halt`);
  resumeGraph = (id: string) => this.request<ProcessGraph>('POST', `${this.c()}/processgraphs/${enc(id)}/resume`);
  removeGraph = (id: string, force: boolean) =>
    this.request<void>('DELETE', `${this.c()}/processgraphs/${enc(id)}`, force ? { force: 'true' } : undefined);

  processes = (f: { state?: ProcessState | undefined; executortype?: string | undefined; label?: string | undefined; count: number }) =>
    this.request<Process[]>('GET', `${this.c()}/processes`, {
      state: f.state,
      executortype: f.executortype,
      label: f.label,
      count: Math.min(f.count, MAX_LIST),
    });
  process = (id: string) => this.request<Process>('GET', `${this.c()}/processes/${enc(id)}`);
  logs = (id: string, since = 0, count = 1000) => this.request<LogEntry[]>('GET', `${this.c()}/processes/${enc(id)}/logs`, { since, count });

  tasks = (mine: boolean) => this.request<UserTask[]>('GET', `${this.c()}/tasks`, { mine: mine ? 'true' : undefined, count: MAX_LIST });
  completeTask = (id: string, data: unknown) => this.request<Process>('POST', `${this.c()}/tasks/${enc(id)}/complete`, undefined, { data });
}

/** A sentence for the sign-in page: what went wrong, in the user's terms. */
export function signInMessage(err: unknown, colonyname: string): string {
  if (!(err instanceof ApiError)) return err instanceof Error ? err.message : String(err);
  switch (err.code) {
    case 'EXECUTOR_NOT_APPROVED': {
      // The colony knows the key: its executor only waits for the owner's approval, which the key's holder cannot give.
      const { executorname, state } = (err.details ?? {}) as { executorname?: unknown; state?: unknown };
      if (typeof executorname !== 'string') return err.message;
      const why = state === 'PENDING' ? 'pending approval' : typeof state === 'string' ? state : 'not approved';
      return (
        `This is the key of executor "${executorname}", registered in colony "${colonyname}" but ${why}. ` +
        `The colony owner approves it with "colonies executor approve --name ${executorname}"; then sign in again (or with a user's key).`
      );
    }
    case 'NOT_A_MEMBER':
    case 'FORBIDDEN':
      return `This key is not a member of colony "${colonyname}". Check the key (a user's or the colony owner's) and the colony name.`;
    case 'COLONY_NOT_FOUND':
      return `There is no colony "${colonyname}" on this server.`;
    case 'BAD_SIGNATURE':
    case 'UNAUTHENTICATED':
      return `The server refused the signature: ${err.message}`;
    case 'STALE_REQUEST':
      return "Your computer's clock is too far from the server's; fix the clock and try again.";
    case 'UNREACHABLE':
      return err.message;
    default:
      return `${err.code}: ${err.message}`;
  }
}
