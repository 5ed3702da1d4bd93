/**
 * Wakes long-polling assigns the instant work becomes ready: no polling interval in the path.
 * Keyed by colony + executortype. Each key has a generation that every notify bumps, so a waiter
 * that found nothing can tell whether work arrived between its claim and its wait (no lost wake-up).
 * notify(key, n) wakes at most n waiters, so one ready process does not stampede sixteen claims.
 */
export interface Waiter {
  wake(): void;
}

export class WakeHub {
  private readonly generations = new Map<string, number>();
  private readonly waiters = new Map<string, Set<Waiter>>();

  static key(colonyname: string, executortype: string): string {
    return colonyname + '\u0000' + executortype;
  }

  generation(key: string): number {
    return this.generations.get(key) ?? 0;
  }

  notify(key: string, n = Infinity): void {
    this.generations.set(key, this.generation(key) + 1);
    const set = this.waiters.get(key);
    if (!set) return;
    for (const w of set) {
      if (n-- <= 0) break;
      set.delete(w);
      w.wake();
    }
    if (set.size === 0) this.waiters.delete(key);
  }

  /**
   * Resolves true when woken (or work arrived since `generation`), false on timeout, on abort, or
   * once `until` settles (the waiter got its work another way and leaves the list).
   */
  wait(key: string, generation: number, timeoutMs: number, signal?: AbortSignal, until?: Promise<unknown>): Promise<boolean> {
    if (this.generation(key) !== generation) return Promise.resolve(true);
    if (signal?.aborted || timeoutMs <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      const done = (woken: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const s = this.waiters.get(key);
        s?.delete(waiter);
        if (s?.size === 0) this.waiters.delete(key);
        resolve(woken);
      };
      const waiter: Waiter = { wake: () => done(true) };
      const onAbort = () => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      until?.then(onAbort, onAbort);
      set.add(waiter);
    });
  }

  /** Wakes every waiter: each claims again (or, shutting down, answers "nothing" at once). */
  wakeAll(): void {
    for (const key of [...this.waiters.keys()]) this.notify(key);
  }

  waiterCount(): number {
    let n = 0;
    for (const s of this.waiters.values()) n += s.size;
    return n;
  }
}
