/** Process logs: written by the executor running the process, read by anyone in the colony. */
import type { LogEntry } from '../../../protocol/types.ts';
import { toLogEntry } from '../../store/rows.ts';
import { logsSql } from '../../store/sql/logs.ts';
import type { ServiceDeps } from '../context.ts';
import { requireProcess, whyNotRunning } from './lifecycle.ts';

/** A log line of a RUNNING process, from its executor only; published live. */
export async function addLog(ctx: ServiceDeps, colonyname: string, executorid: string, processid: string, message: string): Promise<void> {
  const time = ctx.clock.now();
  const row = await logsSql.insert(ctx.db, { processid, colonyname, executorid, message, time });
  if (!row) throw await whyNotRunning(ctx.db, colonyname, processid, executorid);
  ctx.bus.emit([
    { type: 'log', colonyname, processgraphid: row.processgraphid, processid, executorid, message, time: time.toISOString(), seq: row.seq },
  ]);
}

export async function logs(ctx: ServiceDeps, colonyname: string, processid: string, since: number, count: number): Promise<LogEntry[]> {
  await requireProcess(ctx.db, colonyname, processid);
  return (await logsSql.byProcess(ctx.db, colonyname, processid, since, count)).map(toLogEntry);
}

export async function executorLogs(ctx: ServiceDeps, colonyname: string, executorid: string, since: number, count: number): Promise<LogEntry[]> {
  return (await logsSql.byExecutor(ctx.db, colonyname, executorid, since, count)).map(toLogEntry);
}
