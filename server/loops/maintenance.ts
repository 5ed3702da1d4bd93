/**
 * Embedded store only: PGlite has no autovacuum, and dead index entries slow the SKIP LOCKED claim
 * (DESIGN §3), so vacuum the hot tables on a timer.
 */
import type { Db } from '../store/db.ts';
import type { Logger } from '../log.ts';

export function startMaintenanceLoop(db: Db, intervalMs: number, log: Logger): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = db
      .query('VACUUM (ANALYZE) processes')
      .then(() => undefined)
      .catch((err: unknown) => log.warn('vacuum failed', { err: String(err) }))
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
