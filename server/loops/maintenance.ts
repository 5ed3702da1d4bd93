/** Housekeeping that keeps the store fast. */
import type { Db } from '../store/db.ts';
import type { Logger } from '../log.ts';
import type { Clock } from '../clock.ts';
import { noncesSql } from '../store/sql/nonces.ts';
import { startPeriodic, type Loop } from './periodic.ts';

/**
 * Embedded store only: PGlite has no autovacuum, and dead index entries slow the SKIP LOCKED claim
 * (DESIGN §3), so vacuum the hot table on a timer.
 */
export function startVacuumLoop(db: Db, intervalMs: number, log: Logger): Loop {
  return startPeriodic('vacuum', intervalMs, async () => void (await db.query('VACUUM (ANALYZE) processes')), log);
}

/** PostgreSQL: nonces older than twice the signature window can never be replayed successfully; drop them. */
export function startNonceCleanup(db: Db, windowMs: number, clock: Clock, log: Logger): Loop {
  return startPeriodic(
    'nonce cleanup',
    windowMs,
    async () => void (await noncesSql.forgetBefore(db, new Date(clock.now().getTime() - 2 * windowMs))),
    log,
  );
}
