/**
 * Nonces shared by the replicas of one PostgreSQL database: a request replayed to another replica is
 * refused too. While other replicas may be around (Bus.mayHavePeers), a request waits for its nonce to be
 * recorded, and concurrent requests share one INSERT. A replica alone has already decided with its
 * own cache: it records its nonces in the background, every RECORD_INTERVAL_MS in one INSERT, so
 * that a replica starting later refuses their replays too.
 */
import type { Queryable } from '../store/db.ts';
import type { Logger } from '../log.ts';
import { Batcher } from '../services/batcher.ts';
import { noncesSql } from '../store/sql/nonces.ts';
import type { SharedNonces } from './verify.ts';

const RECORD_INTERVAL_MS = 100;

export function createSharedNonces(db: Queryable, mayHavePeers: () => boolean, log: Logger): SharedNonces & { stop(): Promise<void> } {
  const checked = new Batcher<{ nonce: string; now: Date }, boolean>(
    async (items) => {
      const fresh = await noncesSql.insertNew(
        db,
        items.map((i) => i.nonce),
        items[0]!.now,
      );
      // A nonce twice in one batch: only its first occurrence is new.
      const seen = new Set<string>();
      return items.map((i) => fresh.has(i.nonce) && !seen.has(i.nonce) && (seen.add(i.nonce), true));
    },
    { maxBatch: 500, concurrency: 2 },
  );

  let pending: string[] = [];
  let pendingSince = new Date(0);
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();
  function record(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    const nonces = pending;
    pending = [];
    if (nonces.length === 0) return writing;
    writing = noncesSql.insertNew(db, nonces, pendingSince).then(
      () => undefined,
      (err: unknown) => log.warn('could not record nonces', { n: nonces.length, err: String(err) }),
    );
    return writing;
  }

  return {
    remember(nonce, now) {
      if (mayHavePeers()) {
        void record(); // what was kept back while alone goes first
        return checked.run({ nonce, now });
      }
      if (pending.length === 0) pendingSince = now;
      pending.push(nonce);
      timer ??= setTimeout(() => void record(), RECORD_INTERVAL_MS);
      return Promise.resolve(true);
    },
    stop: record,
  };
}
