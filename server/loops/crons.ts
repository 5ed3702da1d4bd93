/** The cron loop: every tick, fire what is due. Any replica may run it (see services/crons.ts). */
import type { Logger } from '../log.ts';
import type { CronService } from '../services/crons.ts';
import { startPeriodic, type Loop } from './periodic.ts';

export function startCronLoop(crons: CronService, intervalMs: number, log: Logger): Loop {
  return startPeriodic(
    'cron sweep',
    intervalMs,
    async () => {
      const n = await crons.fireDue();
      if (n.fired + n.skipped > 0) log.info('crons fired', n);
    },
    log,
  );
}
