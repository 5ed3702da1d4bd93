/**
 * The deadline loop: exec timeouts → retry or fail; wait timeouts → fail. Safe with any number of
 * replicas on one database: each sweep claims expired rows with SKIP LOCKED.
 */
import type { Logger } from '../log.ts';
import type { ProcessService } from '../services/processes.ts';

export function startDeadlineLoop(processes: ProcessService, intervalMs: number, log: Logger): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return; // a slow sweep is never overlapped by the next one
    running = processes
      .expireDeadlines()
      .then((n) => {
        if (n.exec + n.wait > 0) log.info('deadlines expired', n);
      })
      .catch((err: unknown) => log.warn('deadline sweep failed', { err: String(err) }))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
