/** The only reader of process.env on the server side. Every variable is listed here, once. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { idOf, isPrivateKey } from '../protocol/crypto.ts';
import type { LogLevel } from './log.ts';

export interface ServerConfig {
  host: string;
  port: number;
  /** postgres://… selects PostgreSQL; otherwise the embedded PGlite store in dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Id (public key) of the server owner, who adds and removes colonies. */
  serverId: string | undefined;
  logLevel: LogLevel | 'silent';
  signatureWindowMs: number;
  dbPoolSize: number;
  /** How often the deadline loop runs. */
  deadlineIntervalMs: number;
  /** How often due crons are looked for. */
  cronIntervalMs: number;
  /** Finished work older than this many seconds is removed (0 = kept forever). */
  retentionSeconds: number;
  maxBodyBytes: number;
  /** A RUNNING process whose executor is silent this long goes back through the retry rule. */
  leaseSeconds: number;
}

export const ENV_VARS = {
  COLONIES_SERVER_HOST: 'Address the server listens on (default 0.0.0.0); clients: host to call (default localhost).',
  COLONIES_SERVER_PORT: 'Port (default 50080).',
  COLONIES_DATABASE_URL: 'postgres://… to use PostgreSQL; unset = embedded PGlite store.',
  COLONIES_DATA_DIR: 'Embedded store directory (default ~/.colonies/data; memory:// for a throwaway store).',
  COLONIES_SERVER_PRVKEY: "Server owner's private key (the server derives its id from it).",
  COLONIES_SERVER_ID: "Server owner's id, when the server should not hold the private key.",
  COLONIES_LOG_LEVEL: 'debug | info | warn | error | silent (default info).',
  COLONIES_SIGNATURE_WINDOW_MS: 'Accepted clock skew of signed requests (default 60000).',
  COLONIES_DB_POOL_SIZE: 'PostgreSQL connections per server (default 12).',
  COLONIES_DEADLINE_INTERVAL_MS: 'Period of the deadline loop (default 1000).',
  COLONIES_CRON_INTERVAL_MS: 'Period of the cron sweep (default 1000).',
  COLONIES_RETENTION_SECONDS: 'Remove finished graphs, processes and their logs this long after they ended (default 0 = keep).',
  COLONIES_MAX_BODY_BYTES: 'Largest request body (default 16 MiB).',
  COLONIES_LEASE_SECONDS: 'Retry a running process whose executor has not been heard from this long (default 30).',
} as const;

function int(env: NodeJS.ProcessEnv, name: keyof typeof ENV_VARS, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

export function loadServerConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const prv = env.COLONIES_SERVER_PRVKEY;
  if (prv !== undefined && prv !== '' && !isPrivateKey(prv)) throw new Error('COLONIES_SERVER_PRVKEY must be 64 hex characters');
  const serverId = prv ? idOf(prv) : env.COLONIES_SERVER_ID || undefined;
  const logLevel = (env.COLONIES_LOG_LEVEL ?? 'info') as ServerConfig['logLevel'];
  if (!['debug', 'info', 'warn', 'error', 'silent'].includes(logLevel))
    throw new Error('COLONIES_LOG_LEVEL must be debug, info, warn, error or silent');
  return {
    host: env.COLONIES_SERVER_HOST || '0.0.0.0',
    port: int(env, 'COLONIES_SERVER_PORT', 50080),
    databaseUrl: env.COLONIES_DATABASE_URL || undefined,
    dataDir: env.COLONIES_DATA_DIR || join(homedir(), '.colonies', 'data'),
    serverId,
    logLevel,
    signatureWindowMs: int(env, 'COLONIES_SIGNATURE_WINDOW_MS', 60_000),
    dbPoolSize: int(env, 'COLONIES_DB_POOL_SIZE', 12),
    deadlineIntervalMs: int(env, 'COLONIES_DEADLINE_INTERVAL_MS', 1000),
    cronIntervalMs: int(env, 'COLONIES_CRON_INTERVAL_MS', 1000),
    retentionSeconds: int(env, 'COLONIES_RETENTION_SECONDS', 0),
    maxBodyBytes: int(env, 'COLONIES_MAX_BODY_BYTES', 16 * 1024 * 1024),
    leaseSeconds: Math.max(1, int(env, 'COLONIES_LEASE_SECONDS', 30)),
  };
}
