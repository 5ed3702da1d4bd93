import type { Logger } from '../log.ts';

export interface Loop {
  stop(): Promise<void>;
}

/**
 * Runs `task` every `intervalMs`; a slow run is never overlapped by the next one, a failed run is
 * logged and the loop goes on. stop() waits for a run in progress.
 */
export function startPeriodic(name: string, intervalMs: number, task: () => Promise<void>, log: Logger): Loop {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = task()
      .catch((err: unknown) => log.warn(`${name} failed`, { err: String(err) }))
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
