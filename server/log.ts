/** Structured logs on pino: one JSON object per line on stderr, readable lines under `colonies dev`, or quiet in tests. */
import { pino, stdTimeFunctions, type DestinationStream, type Logger as Pino } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** The Logger interface over a pino logger (fields first in pino's argument order). */
function wrap(p: Pino): Logger {
  const at = (lvl: LogLevel) => (msg: string, fields?: Record<string, unknown>) => {
    if (fields) p[lvl](fields, msg);
    else p[lvl](msg);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

// The fields log shippers already parse (ISO time, level as a word, msg), without pid or hostname.
const OPTIONS = {
  base: undefined,
  timestamp: stdTimeFunctions.isoTime,
  formatters: { level: (label: string) => ({ level: label }) },
};

/** JSON lines on stderr, written synchronously so a crash keeps the lines before it; or each line, unterminated, to `write`. */
export function createLogger(level: LogLevel | 'silent' = 'info', write?: (line: string) => void): Logger {
  const dest: DestinationStream = write
    ? { write: (chunk: string) => write(chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk) }
    : pino.destination({ fd: 2, sync: true });
  return wrap(pino({ ...OPTIONS, level }, dest));
}

/** Readable lines for a person at a terminal (`colonies dev`), formatted in this thread rather than a worker. */
export async function createPrettyLogger(level: LogLevel | 'silent', colorize: boolean): Promise<Logger> {
  const { default: pretty } = await import('pino-pretty');
  const dest = pretty({ colorize, destination: 2, sync: true, translateTime: 'SYS:HH:MM:ss' });
  return wrap(pino({ base: undefined, level }, dest));
}

export const silentLogger: Logger = createLogger('silent', () => {});
