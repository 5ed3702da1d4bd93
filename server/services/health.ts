/**
 * What GET /health reports: whether the database answers (a `SELECT 1`, at most one in flight and its
 * answer kept for a second, so the unauthenticated route stays cheap) and the state of the
 * notification channel between replicas.
 */
import type { Queryable } from '../store/db.ts';
import type { ChannelState } from './bus.ts';

export interface Health {
  /** ok; degraded: serving, but not hearing the other replicas (see Bus.mayHavePeers); unavailable: no database. */
  status: 'ok' | 'degraded' | 'unavailable';
  database: 'up' | 'down';
  channel: ChannelState;
}

const KEEP_UP_MS = 1000;
// A failure is asked again sooner: one query that met a connection being replaced says little.
const KEEP_DOWN_MS = 200;
const TIMEOUT_MS = 1500;

export function createHealthCheck(db: Queryable, channel: () => ChannelState, monotonic: () => number): () => Promise<Health> {
  let last: { at: number; up: boolean } | undefined;
  let probing: Promise<boolean> | undefined;
  return async () => {
    if (!last || monotonic() - last.at >= (last.up ? KEEP_UP_MS : KEEP_DOWN_MS)) {
      probing ??= db.query('SELECT 1').then(
        () => true,
        () => false,
      );
      const current = probing;
      void current.finally(() => {
        if (probing === current) probing = undefined;
      });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), TIMEOUT_MS)));
      const up = await Promise.race([current, timedOut]);
      clearTimeout(timer);
      last = { at: monotonic(), up };
    }
    const c = channel();
    return { status: !last.up ? 'unavailable' : c === 'reconnecting' ? 'degraded' : 'ok', database: last.up ? 'up' : 'down', channel: c };
  };
}
