/**
 * The minimal SQL driver port. Two adapters: `pg` Pool (production) and PGlite (embedded default).
 * Everything above this file speaks SQL with $n parameters and never knows which engine runs it.
 */
export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

export interface Db extends Queryable {
  readonly engine: 'postgres' | 'pglite';
  /**
   * For single statements whose commit need not wait for the disk (PostgreSQL: synchronous_commit
   * off). Only for changes that a database crash may undo harmlessly: a claim lost that way leaves
   * its process WAITING to be claimed again (the old attempt's close is refused by its attempt
   * number), exactly as if the attempt had expired. Never for accepted work (submits, closes, fails).
   */
  readonly relaxed: Queryable;
  /** Runs fn in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Subscribes to NOTIFY on a channel; resolves to an unsubscribe function. A lost connection is
   * re-established by itself: onState(false) when it is lost (notifications are missed until then),
   * onState(true) each time it listens.
   */
  listen(channel: string, onPayload: (payload: string) => void, onState?: (listening: boolean) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * A statement that begins with this comment is planned once for every parameter value (its plan does
 * not depend on them: set-based over ids and JSON, see sql/processes/), so the embedded store keeps
 * its generic plan instead of re-planning it per call: PGlite's plan cache, once ANALYZE had seen a
 * backlog, chose ever more custom plans, each costing about as much to plan in WASM as to run.
 * PostgreSQL plans it in a fraction of that and keeps one generic plan here: it ignores the comment.
 */
export const GENERIC_PLAN = '/* generic plan */ ';

/** SQLSTATE of a driver error, if it has one: errors are classified by code, never by text. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export const SQLSTATE = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  serializationFailure: '40001',
  deadlockDetected: '40P01',
} as const;

/**
 * Whether the statement refused a value it was given: SQLSTATE class 22 (data exception: a NUL or an
 * untranslatable character, a number out of range, invalid text for a type) or 54 (program limit
 * exceeded: too large, too deep). The input is at fault, not the server; the statement did nothing.
 */
export function isDataError(err: unknown): boolean {
  const state = sqlState(err);
  return state !== undefined && (state.startsWith('22') || state.startsWith('54'));
}

/**
 * Whether a statement failed because of one of the rows it was given: a data error, or an integrity
 * constraint (class 23, e.g. a colony removed meanwhile). It rolled back whole, so its rows may be
 * written again one by one, and only the guilty ones fail again.
 */
export function isRowError(err: unknown): boolean {
  return isDataError(err) || sqlState(err)?.startsWith('23') === true;
}

// Errors of pg (and pg-pool) about a connection, which carry no code: the only way to tell them is their text.
const CONNECTION_MESSAGES = [
  /^Connection terminated/, // "… unexpectedly", "… due to connection timeout"
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Client was closed and is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/,
];
const NODE_CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * Whether the error means "the database cannot be reached now" (retry later) rather than "this query
 * is wrong": SQLSTATE class 08 (connection exception), 57P01–57P03 (shutting down, crashed, starting
 * up), a socket error, or one of pg's own connection errors. The one place that decides it: a request
 * that meets it is answered 503 UNAVAILABLE.
 */
export function isConnectionError(err: unknown): boolean {
  const state = sqlState(err);
  if (state) return state.startsWith('08') || state === '57P01' || state === '57P02' || state === '57P03';
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return NODE_CONNECTION_CODES.has(code);
  const message = err instanceof Error ? err.message : '';
  return CONNECTION_MESSAGES.some((m) => m.test(message));
}
