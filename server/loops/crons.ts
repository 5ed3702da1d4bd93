/** The cron loop: every tick, fire what is due. Any replica may run it (see services/crons.ts). */
import type { Logger } from '../log.ts';
import type { CronService } from '../services/crons.ts';

export function startCronLoop(crons: CronService, intervalMs: number, log: Logger): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = crons
      .fireDue()
      .then((n) => {
        if (n.fired + n.skipped > 0) log.info('crons fired', n);
      })
      .catch((err: unknown) => log.warn('cron sweep failed', { err: String(err) }))
      .finally(() => {
        running = null;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
