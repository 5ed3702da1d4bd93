/** Time comes from here, so tests move it instead of sleeping. */
export interface Clock {
  /** The time of day: what is written, compared with deadlines and shown. */
  now(): Date;
  /**
   * Milliseconds from an arbitrary origin that always run at real speed, for waits measured against
   * timers (a long-poll's remaining time, a short-lived cache): timers do not follow a clock set by hand.
   */
  monotonic(): number;
}

export const systemClock: Clock = { now: () => new Date(), monotonic: () => performance.now() };

/** A clock tests set and advance by hand; its monotonic() is real elapsed time, as timers are. */
export class ManualClock implements Clock {
  private t: number;
  constructor(start: Date | number = Date.UTC(2026, 0, 1)) {
    this.t = typeof start === 'number' ? start : start.getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  monotonic(): number {
    return performance.now();
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(t: Date | number): void {
    this.t = typeof t === 'number' ? t : t.getTime();
  }
}
