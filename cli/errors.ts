/**
 * How the CLI fails: one line on stderr (`error: CODE: message`) and an exit code a script can act on.
 *   0 ok · 1 the work failed (or the server refused for the object's state) · 2 usage, bad input or bad
 *   spec file · 3 server unreachable · 4 authentication or permission (401/403) · 5 not found (404)
 */
import { CommanderError } from 'commander';
import { ColoniesError } from '../executor/transport.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3, auth: 4, notFound: 5 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error raised by the CLI itself (bad flags, bad files, missing keys, failed work). */
export class CliError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  constructor(code: string, message: string, exitCode: ExitCode = EXIT.usage) {
    super(message);
    this.name = 'CliError';
    this.code = code;
    this.exitCode = exitCode;
  }
}

export const usage = (message: string) => new CliError('USAGE', message, EXIT.usage);

/** The exit code for a server or transport error. */
export function exitCodeOf(err: ColoniesError): ExitCode {
  if (err.code === 'UNREACHABLE' || err.code === 'UNAVAILABLE') return EXIT.unreachable;
  if (err.status === 401 || err.status === 403) return EXIT.auth;
  if (err.status === 404) return EXIT.notFound;
  if (err.status === 400 || err.status === 413) return EXIT.usage;
  return EXIT.failed;
}

/** Several lines (a stack, a zod report) folded into the one line the CLI prints. */
export function oneLine(s: string): string {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

/** Prints the error as one line and returns the exit code. */
export function reportError(err: unknown, write: (s: string) => void = (s) => process.stderr.write(s)): ExitCode {
  if (err instanceof CommanderError) {
    // Commander already printed its message (through outputError); only the exit code is left to choose.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return EXIT.ok;
    return EXIT.usage;
  }
  let code: string;
  let message: string;
  let exit: ExitCode;
  if (err instanceof CliError) {
    ({ code, message } = err);
    exit = err.exitCode;
  } else if (err instanceof ColoniesError) {
    code = err.code;
    message = err.message;
    exit = exitCodeOf(err);
    if (err.code === 'DEPENDENCY_CYCLE') {
      const cycle = (err.details as { cycle?: unknown } | undefined)?.cycle;
      if (Array.isArray(cycle) && !message.includes(' -> ')) message += `: ${cycle.join(' -> ')}`;
    }
  } else {
    code = 'INTERNAL';
    message = err instanceof Error ? err.message : String(err);
    exit = EXIT.failed;
  }
  write(`error: ${code}: ${oneLine(message)}\n`);
  return exit;
}
