/**
 * Why a process failed, as people read it: its last attempt's error, and which attempt that was
 * ("division by zero (attempt 3 of 3)"). A process's `errors` is one flat list: each failed attempt
 * appends what its executor reported (the SDKs: the message, then the stack trace or traceback) or the
 * server's reason (a deadline, a lost lease), so the first entry is the first attempt's error and the
 * last attempt's is the last entry that is not a trace. The CLI, the dashboard and the server all
 * word it through here.
 */
import { isServerNode } from './kinds.ts';
import type { Process } from './types.ts';

/** A stack trace (JavaScript's "    at …" frames, a Python traceback): the details of the message before it. */
export function isTrace(entry: string): boolean {
  return entry.startsWith('Traceback (most recent call last)') || /\n\s+at \S/.test(entry);
}

const firstLine = (s: string) => s.split('\n')[0]!.trim();

/** The last attempt's error as one line: the first line of the last entry that is not a trace ('' when there is none). */
export function lastError(errors: readonly string[]): string {
  for (let i = errors.length - 1; i >= 0; i--) {
    if (isTrace(errors[i]!)) continue;
    const line = firstLine(errors[i]!);
    // An error without a message: its trace's first line ("Error") says at least what it was.
    return line || firstLine(errors[i + 1] ?? '');
  }
  return firstLine(errors.at(-1) ?? '');
}

export interface Attempts {
  /** The attempts made, as the retry budget counts them (a lost assignment, retried free, is not one). */
  made: number;
  /** How many it may have (maxretries + 1); null without limit. */
  of: number | null;
}

/** How many attempts a process made of how many it may; undefined when it never ran on an executor. */
export function attemptsOf(p: Pick<Process, 'attempt' | 'retries' | 'spec'>): Attempts | undefined {
  if (!(p.attempt > 0) || isServerNode(p.spec)) return undefined;
  // retries + 1 is the attempt the budget is at; fewer ran when the wait for a retry ran out (maxwaittime).
  return { made: Math.min(p.attempt, p.retries + 1), of: p.spec.maxretries < 0 ? null : p.spec.maxretries + 1 };
}

/** "attempt 3 of 3", "attempt 7 of unlimited". */
export const attemptsText = (a: Attempts) => `attempt ${a.made} of ${a.of ?? 'unlimited'}`;

/** Why a process ended: its last error, with the attempt for a FAILED one ("division by zero (attempt 3 of 3)"). */
export function failureText(p: Pick<Process, 'state' | 'errors' | 'attempt' | 'retries' | 'spec'>): string {
  const why = lastError(p.errors) || 'no error message';
  const attempts = p.state === 'FAILED' ? attemptsOf(p) : undefined;
  return attempts ? `${why} (${attemptsText(attempts)})` : why;
}
