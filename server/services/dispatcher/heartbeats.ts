/** Executors' lastheardfrom, written as their requests arrive: bookkeeping, not a hot-path write. */
import { executorsSql } from '../../store/sql/colonies.ts';
import type { ServiceDeps } from '../context.ts';

const HEARTBEAT_WRITE_MS = 5000;

/** Writes lastheardfrom at most once per executor per HEARTBEAT_WRITE_MS of the clock, in the background. */
export class Heartbeats {
  private readonly lastWritten = new Map<string, number>();
  constructor(private readonly deps: Pick<ServiceDeps, 'db' | 'clock' | 'log'>) {}

  heard(colonyname: string, executorid: string): void {
    const now = this.deps.clock.now();
    const t = now.getTime();
    if (t - (this.lastWritten.get(executorid) ?? 0) < HEARTBEAT_WRITE_MS) return;
    this.lastWritten.set(executorid, t);
    executorsSql
      .touch(this.deps.db.relaxed, colonyname, executorid, now)
      .catch((err: unknown) => this.deps.log.warn('heartbeat write failed', { err: String(err) }));
  }
}
