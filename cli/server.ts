/**
 * `colonies server start`: the server on PostgreSQL (COLONIES_DATABASE_URL) or the embedded store
 * (COLONIES_DATA_DIR). The server modules are loaded with import() so other commands start fast.
 */
import type { Command } from 'commander';
import type { ColoniesServer } from '../server/main.ts';
import type { ServerConfig } from '../server/config.ts';
import type { Logger } from '../server/log.ts';
import { CliError, EXIT } from './errors.ts';
import { examples, port } from './context.ts';
import { loadTypeScript } from './typescript.mjs';

/** The server's modules: TypeScript, loaded (with tsx) only by the commands that run a server. */
export const serverModules = {
  main: async () => (await loadTypeScript(), import('../server/main.ts')),
  config: async () => (await loadTypeScript(), import('../server/config.ts')),
  log: async () => (await loadTypeScript(), import('../server/log.ts')),
};

/** Resolves with the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** Builds and starts a server, turning start-up failures into one-line CLI errors. */
export async function startServer(config: ServerConfig, log: Logger): Promise<{ server: ColoniesServer; url: string }> {
  const { createColoniesServer } = await serverModules.main();
  let server: ColoniesServer;
  try {
    server = await createColoniesServer(config, { log });
  } catch (err) {
    const where = config.databaseUrl ? 'PostgreSQL (COLONIES_DATABASE_URL)' : `the embedded store in ${config.dataDir}`;
    throw new CliError('START_FAILED', `cannot open ${where}: ${err instanceof Error ? err.message : String(err)}`, EXIT.failed);
  }
  try {
    return { server, url: await server.listen() };
  } catch (err) {
    await server.close().catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new CliError('ADDRESS_IN_USE', `port ${config.port} on ${config.host} is already in use: pass --port`, EXIT.failed);
    throw new CliError('START_FAILED', err instanceof Error ? err.message : String(err), EXIT.failed);
  }
}

/** The server's config from COLONIES_* variables; a bad value is a usage error. */
export async function serverConfig(env: NodeJS.ProcessEnv): Promise<ServerConfig> {
  const { loadServerConfig } = await serverModules.config();
  try {
    return loadServerConfig(env);
  } catch (err) {
    throw new CliError('BAD_CONFIG', err instanceof Error ? err.message : String(err), EXIT.usage);
  }
}

interface StartFlags {
  host?: string;
  port?: number;
  dataDir?: string;
}

async function start(o: StartFlags): Promise<void> {
  const config = await serverConfig(process.env);
  if (o.host !== undefined) config.host = o.host;
  if (o.port !== undefined) config.port = o.port;
  if (o.dataDir !== undefined) config.dataDir = o.dataDir;
  const { createLogger } = await serverModules.log();
  const log = createLogger(config.logLevel);
  if (!config.serverId) log.warn('no server owner: set COLONIES_SERVER_PRVKEY or COLONIES_SERVER_ID, or nobody can add colonies');
  // Listening for signals before the server says it is ready: a signal sent on seeing that must find the handler.
  const signalled = untilSignal();
  const { server } = await startServer(config, log);
  const signal = await signalled;
  log.info('stopping', { signal });
  await server.close();
  log.info('stopped');
}

export function registerServer(program: Command): void {
  const server = program.command('server').description('run a Colonies server');
  examples(
    server
      .command('start')
      .summary('start a server (PostgreSQL or the embedded store)')
      .description(
        'start a server: PostgreSQL when COLONIES_DATABASE_URL is set, else the embedded store in COLONIES_DATA_DIR\n' +
          '(JSON logs on stderr; SIGINT/SIGTERM finish in-flight requests and stop)',
      )
      .option('--host <host>', 'listen address [env COLONIES_SERVER_HOST, default 0.0.0.0]')
      .option('--port <port>', 'port [env COLONIES_SERVER_PORT, default 50080]', port)
      .option('--data-dir <dir>', 'embedded store directory [env COLONIES_DATA_DIR, default ~/.colonies/data]')
      .action((o: StartFlags) => start(o)),
    [
      'export COLONIES_SERVER_PRVKEY=$(colonies key generate --json | jq -r .prvkey)',
      'COLONIES_DATABASE_URL=postgres://user:pass@db:5432/colonies colonies server start',
      'colonies server start --port 8080 --data-dir /var/lib/colonies',
      '',
      'Environment: COLONIES_SERVER_HOST, COLONIES_SERVER_PORT, COLONIES_DATABASE_URL, COLONIES_DATA_DIR,',
      'COLONIES_SERVER_PRVKEY or COLONIES_SERVER_ID, COLONIES_LOG_LEVEL, COLONIES_DB_POOL_SIZE, … (see docs/cli.md)',
    ],
  );
}
