/**
 * A read-through cache for what every request reads and rarely changes (memberships, the functions a
 * colony serves, registered specs): values kept for `ttlMs` of monotonic time. Concurrent misses of
 * one key share one read: when an entry expires under load, every request in flight would otherwise
 * ask the database at once. A read that began before a forget() does not store what it read.
 */
export class ReadCache<V> {
  private readonly entries = new Map<string, { at: number; value: V }>();
  private readonly inflight = new Map<string, Promise<V>>();
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly monotonic: () => number,
    /** Past this many entries the cache starts again (a bound, not an eviction policy). */
    private readonly maxEntries: number,
  ) {}

  get(key: string, read: () => Promise<V>): Promise<V> {
    const t = this.monotonic();
    const hit = this.entries.get(key);
    if (hit && t - hit.at < this.ttlMs) return Promise.resolve(hit.value);
    let pending = this.inflight.get(key);
    if (!pending) {
      const gen = this.generation;
      const stored = read().then((value) => {
        if (gen === this.generation) {
          if (this.entries.size >= this.maxEntries) this.entries.clear();
          this.entries.set(key, { at: t, value });
        }
        return value;
      });
      const shared: Promise<V> = stored.finally(() => {
        if (this.inflight.get(key) === shared) this.inflight.delete(key);
      });
      this.inflight.set(key, shared);
      pending = shared;
    }
    return pending;
  }

  /** Forgets one key, or (none given) everything; reads in flight are not stored. */
  forget(key?: string): void {
    if (key === undefined) {
      this.entries.clear();
      this.inflight.clear();
    } else {
      this.entries.delete(key);
      this.inflight.delete(key);
    }
    this.generation++;
  }
}
