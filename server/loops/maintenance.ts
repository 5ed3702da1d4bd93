/** Housekeeping that keeps the store fast. */
import type { Db } from '../store/db.ts';
import type { Logger } from '../log.ts';
import type { Clock } from '../clock.ts';
import { noncesSql } from '../store/sql/nonces.ts';
import { retentionSql } from '../store/sql/retention.ts';
import { startPeriodic, type Loop } from './periodic.ts';

/**
 * Embedded store only: PGlite has no autovacuum, and dead index entries slow the SKIP LOCKED claim
 * (see docs/architecture.md, The store and its two engines), so vacuum the hot table on a timer. Its
 * one connection serves nothing meanwhile: a vacuum's work grows with the rows changed since the last,
 * and the dearer ANALYZE runs every `analyzeEvery`-th round only: the statistics change slowly, and
 * the prepared statements' generic plans (pglite-db.ts) do not depend on them run by run.
 */
export function startVacuumLoop(db: Db, intervalMs: number, log: Logger, analyzeEvery: number): Loop {
  let round = 0;
  return startPeriodic(
    'vacuum',
    intervalMs,
    async () => void (await db.query(++round % analyzeEvery === 0 ? 'VACUUM (ANALYZE) processes' : 'VACUUM processes')),
    log,
  );
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

/**
 * Retention: finished graphs (with their processes) and finished standalone processes whose end is
 * older than `retentionSeconds` are removed; their logs go with them (ON DELETE CASCADE).
 */
export async function purgeFinished(db: Db, clock: Clock, retentionSeconds: number, batch = 5000): Promise<{ graphs: number; processes: number }> {
  const before = new Date(clock.now().getTime() - retentionSeconds * 1000);
  let graphs = 0;
  let processes = 0;
  for (let n = batch; n === batch; graphs += n) n = await retentionSql.purgeGraphs(db, before, batch);
  for (let n = batch; n === batch; processes += n) n = await retentionSql.purgeProcesses(db, before, batch);
  return { graphs, processes };
}

export function startRetentionLoop(db: Db, clock: Clock, retentionSeconds: number, log: Logger): Loop {
  return startPeriodic(
    'retention',
    60_000,
    async () => {
      const n = await purgeFinished(db, clock, retentionSeconds);
      if (n.graphs + n.processes > 0) log.info('retention removed finished work', n);
    },
    log,
  );
}
