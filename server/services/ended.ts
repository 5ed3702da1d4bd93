/**
 * Whose access to a colony ended lately, and when. A request that was let in before its caller's
 * access ended (a long-poll, a subscribe whose check was in flight) asks here before it goes on.
 */
import type { AppError } from '../errors.ts';

export class RecentEnds {
  private readonly ends = new Map<string, { at: number; err: AppError }>();

  /** `keepMs`: the longest a request let in before an end may still ask. */
  constructor(
    private readonly keepMs: number,
    private readonly monotonic: () => number,
  ) {}

  add(colonyname: string, id: string, err: AppError): void {
    const now = this.monotonic();
    for (const [key, e] of this.ends) if (now - e.at > this.keepMs) this.ends.delete(key);
    this.ends.set(colonyname + '\u0000' + id, { at: now, err });
  }

  /** Why the access of `id` to the colony ended at or after `since` (Clock.monotonic), if it did. */
  since(colonyname: string, id: string, since: number): AppError | undefined {
    const e = this.ends.get(colonyname + '\u0000' + id);
    return e && e.at >= since ? e.err : undefined;
  }
}
