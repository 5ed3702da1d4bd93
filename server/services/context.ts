import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { Db, Queryable } from '../store/db.ts';
import { SQLSTATE, sqlState } from '../store/db.ts';
import { AppError } from '../errors.ts';
import type { ReadyWork } from '../store/sql/processes.ts';
import { WakeHub } from './wake.ts';
import type { ErrorCode } from '../../protocol/errors.ts';

/** What every service is built from: the store, time and a logger. Nothing about HTTP. */
export interface ServiceDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  wake: WakeHub;
  /** Publishes ready work to the other replicas (PostgreSQL NOTIFY); a no-op on the embedded store. */
  publishReady(work: ReadyWork[]): void;
}

const RETRYABLE = new Set<string>([SQLSTATE.deadlockDetected, SQLSTATE.serializationFailure]);

/** One transaction, retried when PostgreSQL picked it as a deadlock victim (batches lock rows in any order). */
export async function inTransaction<T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(fn);
    } catch (err) {
      const state = sqlState(err);
      if (attempt >= 5 || !state || !RETRYABLE.has(state)) throw err;
    }
  }
}

/** Runs a write and turns a unique violation into ALREADY_EXISTS (classified by SQLSTATE, not text). */
export async function uniquely<T>(what: string, fn: () => Promise<T>, code: ErrorCode = 'ALREADY_EXISTS'): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (sqlState(err) === SQLSTATE.uniqueViolation) throw new AppError(code, `${what} already exists`);
    throw err;
  }
}

/** Wakes local long-polls and tells the other replicas. */
export function announceReady(deps: ServiceDeps, work: ReadyWork[]): void {
  if (work.length === 0) return;
  for (const w of work) deps.wake.notify(WakeHub.key(w.colonyname, w.executortype), w.n);
  deps.publishReady(work);
}
