/**
 * The deadline loop: exec timeouts and lost leases → retry or fail; wait timeouts → fail; due timers →
 * finish; delayed retries coming due → their long-polls woken. Safe with any number of replicas on one
 * database: each sweep claims expired rows with SKIP LOCKED, and each replica wakes only its own long-polls.
 */
import type { Logger } from '../log.ts';
import type { ProcessService } from '../services/processes.ts';
import { startPeriodic, type Loop } from './periodic.ts';

export function startDeadlineLoop(processes: ProcessService, intervalMs: number, log: Logger): Loop {
  return startPeriodic(
    'deadline sweep',
    intervalMs,
    async () => {
      // First: delayed retries coming due wake their long-polls within a sweep, even when expiring is slow.
      await processes.wakeDue();
      const n = await processes.expireDeadlines();
      if (n.exec + n.wait + n.silent + n.unheld + n.gates + n.timers > 0) log.info('deadlines expired', { ...n });
    },
    log,
  );
}
