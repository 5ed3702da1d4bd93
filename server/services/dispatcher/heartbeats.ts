/**
 * Executors' lastheardfrom and what they last reported holding, written as their requests arrive:
 * bookkeeping, not a hot-path write. The lease sweep reads both (see docs/architecture.md, Process
 * semantics).
 */
import { executorsSql } from '../../store/sql/colonies.ts';
import type { ServiceDeps } from '../context.ts';

/** A heartbeat is written at most this often per executor: well inside the lease, so a live executor never looks silent. */
export const heartbeatWriteMs = (leaseMs: number): number => Math.min(5000, Math.floor(leaseMs / 5));

/** A process of this executor's, with the attempt it runs. */
export interface Held {
  processid: string;
  attempt: number;
}

export class Heartbeats {
  private readonly last = new Map<string, { heard: number; report: number | undefined }>();
  private readonly writeMs: number;
  /**
   * Domain time since which this replica has heard executors without a gap (its start, or the last
   * failed heartbeat write): before a whole lease has passed, silence proves nothing.
   */
  private deafAt: number;

  constructor(private readonly deps: Pick<ServiceDeps, 'db' | 'clock' | 'log' | 'leaseMs'>) {
    this.writeMs = heartbeatWriteMs(deps.leaseMs);
    this.deafAt = deps.clock.now().getTime();
  }

  /** Whether this replica has been listening for a whole lease, so that a silent executor is really silent. */
  listening(now: Date): boolean {
    return now.getTime() - this.deafAt >= this.deps.leaseMs;
  }

  /** This replica could not record what it heard (a database fault): silence is not evidence for a lease from now. */
  deaf(now: Date = this.deps.clock.now()): void {
    this.deafAt = Math.max(this.deafAt, now.getTime());
  }

  /** The executor was heard from; `holding`, when given, is every process it holds now. Written in the background, throttled. */
  heard(colonyname: string, executorid: string, holding?: Held[]): void {
    const now = this.deps.clock.now();
    const t = now.getTime();
    const key = colonyname + '\u0000' + executorid;
    const last = this.last.get(key);
    const heardDue = !last || t - last.heard >= this.writeMs;
    const reportDue = holding !== undefined && (last?.report === undefined || t - last.report >= this.writeMs);
    if (!heardDue && !reportDue) return;
    if (this.last.size > 100_000) this.last.clear();
    this.last.set(key, { heard: t, report: holding ? t : last?.report });
    executorsSql
      .touch(
        this.deps.db.relaxed,
        colonyname,
        executorid,
        now,
        holding?.map((h) => h.processid),
      )
      .catch((err: unknown) => {
        // Written again with the next request; meanwhile silence is no evidence.
        this.last.delete(key);
        this.deaf();
        this.deps.log.warn('heartbeat write failed', { err: String(err) });
      });
  }
}
