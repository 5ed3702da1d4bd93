/** What the dispatcher remembers between statements to skip work: hints, never records. */
import type { Clock } from '../../clock.ts';
import type { ProcessRow } from '../../store/rows.ts';
import type { CloseRow } from '../../store/sql/processes.ts';

/**
 * Processes this replica started that have children. Only a close of one of them uses the statement
 * that starts the children it releases (the plain close costs less to plan); a process closed on
 * another replica, or one whose children came later by add_child, releases them the ordinary way
 * (ready, for the next claim). Bounded, and cleared when it grows too big.
 */
export class RunningParents {
  private readonly ids = new Set<string>();

  note(rows: ProcessRow[]): void {
    for (const r of rows) {
      if (r.children.length === 0) continue;
      if (this.ids.size >= 100_000) this.ids.clear();
      this.ids.add(r.processid);
    }
  }

  /** Whether closing these may release children to hand over; forgets them either way. */
  releasing(items: CloseRow[]): boolean {
    let any = false;
    for (const i of items) if (this.ids.delete(i.processid)) any = true;
    return any;
  }
}

const KNOWN_EMPTY_MS = 1000;

/**
 * Per colony + executor type: the wake generation at which the last claim that found the queue
 * exhausted began, and when it ended. Until the generation moves (work became ready, here or on
 * another replica) the queue is known empty, so a long-poll arriving meanwhile waits without a claim
 * statement: a statement per idle cycle saved. Trusted only briefly (real time, as the long-polls'
 * timers): a wake-up missed (another replica's NOTIFY while the listener reconnects) then delays new
 * polls by one long-poll at most, as it already delays those that wait. Nor past the moment the first
 * delayed retry the claim saw comes due (domain time): the sweep announces it, but a poll arriving
 * before the sweep claims it.
 */
export class KnownEmpty {
  private readonly found = new Map<string, { generation: number; at: number; nextdue: number }>();
  constructor(private readonly clock: Clock) {}

  /** A claim that began at `generation` found the queue exhausted; a delayed retry comes due at `nextdue`, if any. */
  note(key: string, generation: number, nextdue: Date | null = null): void {
    this.found.set(key, { generation, at: this.clock.monotonic(), nextdue: nextdue?.getTime() ?? Infinity });
  }

  /** Whether the queue is still known empty: nothing made ready since, not for too long, and no delayed retry due (domain time). */
  has(key: string, generation: number): boolean {
    const e = this.found.get(key);
    return e !== undefined && e.generation === generation && this.clock.monotonic() - e.at < KNOWN_EMPTY_MS && this.clock.now().getTime() < e.nextdue;
  }
}

/**
 * The window of time whose due retries the last sweep woke (see lifecycle.ts, wakeDue): the next one
 * looks from its end, so each retry coming due is announced once on this replica. It starts when the
 * replica does: a long-poll that came earlier claims anyway.
 */
export class DueRetries {
  private since: Date;
  constructor(clock: Clock) {
    this.since = clock.now();
  }

  /** Where the next sweep looks from, or undefined when the clock has not moved on. */
  from(now: Date): Date | undefined {
    return now.getTime() > this.since.getTime() ? this.since : undefined;
  }

  /** The retries due up to `now` were announced. */
  announced(now: Date): void {
    this.since = now;
  }
}
