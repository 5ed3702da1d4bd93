import type { Clock } from '../clock.ts';
import type { Logger } from '../log.ts';
import type { Db, Queryable } from '../store/db.ts';
import { SQLSTATE, sqlState } from '../store/db.ts';
import { AppError } from '../errors.ts';
import type { ChangedRow } from '../store/sql/processes.ts';
import type { WakeHub } from './wake.ts';
import type { Bus } from './bus.ts';
import type { ErrorCode } from '../../protocol/errors.ts';
import type { ProcessState } from '../../protocol/states.ts';
import type { FunctionSpec } from '../../protocol/schemas.ts';
import type { ColonyEvent } from '../../protocol/events.ts';

/** What every service is built from: the store, time and a logger. Nothing about HTTP. */
export interface ServiceDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  /** Where assign long-polls wait; fed by the bus. */
  wake: WakeHub;
  /** Ready work and live events, to this replica and (PostgreSQL) the others. Called after commit. */
  bus: Bus;
  /** An executor silent this long loses the processes it runs (see docs/architecture.md, Process semantics). */
  leaseMs: number;
}

const RETRYABLE = new Set<string>([SQLSTATE.deadlockDetected, SQLSTATE.serializationFailure]);

/** Runs a write again when PostgreSQL picked it as a deadlock victim (batches lock rows in any order). */
export async function retryingConflicts<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      const state = sqlState(err);
      if (attempt >= 5 || !state || !RETRYABLE.has(state)) throw err;
    }
  }
}

/** One transaction, retried as a whole when it lost a deadlock. */
export function inTransaction<T>(db: Db, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return retryingConflicts(() => db.transaction(fn));
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

export function processEvent(r: ChangedRow, time: Date): ColonyEvent {
  return {
    type: 'process',
    colonyname: r.colonyname,
    processid: r.processid,
    processgraphid: r.processgraphid,
    nodename: r.nodename,
    funcname: r.funcname,
    executortype: r.executortype,
    state: r.state,
    retries: r.retries,
    assignedexecutorid: r.assignedexecutorid,
    time: time.toISOString(),
  };
}

/** The event of a process known by its spec rather than a changed row (a submit's new row, a claimed row). */
export function specEvent(
  p: { processid: string; colonyname: string; processgraphid: string | null; spec: FunctionSpec },
  state: ProcessState,
  retries: number,
  assignedexecutorid: string | null,
  time: Date,
): ColonyEvent {
  const { nodename, funcname, executortype } = p.spec;
  return processEvent(
    {
      processid: p.processid,
      colonyname: p.colonyname,
      processgraphid: p.processgraphid,
      nodename,
      funcname,
      executortype,
      state,
      retries,
      assignedexecutorid,
    },
    time,
  );
}

export function graphEvent(colonyname: string, processgraphid: string, state: ProcessState, time: Date): ColonyEvent {
  return { type: 'processgraph', colonyname, processgraphid, state, time: time.toISOString() };
}
