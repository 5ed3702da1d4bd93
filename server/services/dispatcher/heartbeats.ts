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

/** What an executor says it holds, and which run of it says so (see ExecutorInstance in protocol/schemas.ts). */
export interface LeaseReport {
  holding: Held[];
  instance?: string | undefined;
}

export class Heartbeats {
  private readonly last = new Map<string, { heard: number; report: number | undefined }>();
  /** Each executor's run as this replica first heard it. */
  private readonly runs = new Map<string, { instance: string; since: Date }>();
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

  /**
   * The executor was heard from; `report`, when given, is every process it holds now. Written in the
   * background, throttled; a new run of the executor is written at once (what was assigned to the old
   * run is judged by it).
   */
  heard(colonyname: string, executorid: string, report?: LeaseReport): void {
    const now = this.deps.clock.now();
    const t = now.getTime();
    const key = colonyname + '\u0000' + executorid;
    const last = this.last.get(key);
    let run = this.runs.get(key);
    const newRun = report?.instance !== undefined && run?.instance !== report.instance;
    if (newRun) {
      if (this.runs.size > 100_000) this.runs.clear();
      this.runs.set(key, (run = { instance: report.instance!, since: now }));
    }
    const heardDue = !last || t - last.heard >= this.writeMs;
    const reportDue = report !== undefined && (newRun || last?.report === undefined || t - last.report >= this.writeMs);
    if (!heardDue && !reportDue) return;
    if (this.last.size > 100_000) this.last.clear();
    this.last.set(key, { heard: t, report: report ? t : last?.report });
    executorsSql
      .touch(
        this.deps.db.relaxed,
        colonyname,
        executorid,
        now,
        report && {
          holding: report.holding.map((h) => h.processid),
          ...(run && report.instance ? { instance: { id: run.instance, since: run.since } } : {}),
        },
      )
      .catch((err: unknown) => {
        // Written again with the next request; meanwhile silence is no evidence.
        this.last.delete(key);
        this.deaf();
        this.deps.log.warn('heartbeat write failed', { err: String(err) });
      });
  }
}
