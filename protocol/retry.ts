/**
 * A delayed retry as people read it, from a process as the API returns it: "attempt 2 of 4 at
 * 12:03:07" and the error that caused it. The server, the CLI and the dashboard word it the same way.
 */
import { isServerNode } from './kinds.ts';
import { lastError } from './failure.ts';
import type { Process } from './types.ts';

export interface DelayedRetry {
  /** The attempt to come, counted as the retry budget counts them: retries so far + 1. */
  attempt: number;
  /** How many attempts it may have (maxretries + 1); null without limit. */
  of: number | null;
  /** When it may start (ISO 8601). */
  at: string;
  /** The error of the attempt that failed (protocol/failure.ts). */
  lasterror: string;
}

/** The retry a WAITING process waits for, when its delay has not passed at `now` (ms since the epoch). */
export function delayedRetry(p: Pick<Process, 'state' | 'notbefore' | 'retries' | 'spec' | 'errors'>, now: number): DelayedRetry | undefined {
  // A sleep node's notbefore is its wake time, not a retry's.
  if (p.state !== 'WAITING' || !p.notbefore || Date.parse(p.notbefore) <= now || isServerNode(p.spec)) return undefined;
  return {
    attempt: p.retries + 1,
    of: p.spec.maxretries < 0 ? null : p.spec.maxretries + 1,
    at: p.notbefore,
    lasterror: lastError(p.errors),
  };
}

/** "attempt 2 of 4 at 12:03:07", the time written by `time`. */
export function retryText(r: DelayedRetry, time: (iso: string) => string): string {
  return `attempt ${r.attempt} of ${r.of ?? 'unlimited'} at ${time(r.at)}`;
}
