/**
 * `colonies dev`: a ready-to-use server in one command. Embedded store in ./.colonies/data, keys for
 * the server owner, the colony owner, a user and one executor created on the first run and kept in
 * ./.colonies/dev.env (reused afterwards), colony `dev` with that user and executor registered and
 * approved. `colonies dev --env` prints the environment (creating it if needed) and exits.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { ColoniesClient } from '../executor/client.ts';
import { ColoniesError } from '../executor/transport.ts';
import { generateKeyPair, idOf, isPrivateKey } from '../protocol/crypto.ts';
import { CliError, EXIT } from './errors.ts';
import { examples, port } from './context.ts';
import { colorEnabled, print, style } from './output.ts';
import { serverConfig, serverModules, startServer, untilSignal } from './server.ts';

export const DEV = { colony: 'dev', user: 'dev-user', executor: 'dev-executor', executortype: 'ts-executor', port: 50080 } as const;

export interface DevKeys {
  server: string;
  colony: string;
  user: string;
  executor: string;
}

export interface DevPaths {
  dir: string;
  envFile: string;
  dataDir: string;
  pidFile: string;
}

export function devPaths(cwd: string = process.cwd()): DevPaths {
  const dir = resolve(cwd, '.colonies');
  return { dir, envFile: join(dir, 'dev.env'), dataDir: join(dir, 'data'), pidFile: join(dir, 'dev.pid') };
}

/** `export K=V` lines (comments and blank lines ignored). */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(raw);
    if (m) env[m[1]!] = m[2]!.trim().replace(/^(['"])(.*)\1$/, '$2');
  }
  return env;
}

export function devEnv(url: string, keys: DevKeys): Record<string, string> {
  return {
    COLONIES_SERVER_URL: url,
    COLONIES_COLONY_NAME: DEV.colony,
    COLONIES_PRVKEY: keys.user,
    COLONIES_COLONY_PRVKEY: keys.colony,
    COLONIES_SERVER_PRVKEY: keys.server,
    COLONIES_EXECUTOR_TYPE: DEV.executortype,
    COLONIES_EXECUTOR_NAME: DEV.executor,
    COLONIES_EXECUTOR_PRVKEY: keys.executor,
  };
}

const exportLines = (env: Record<string, string>) =>
  Object.entries(env)
    .map(([k, v]) => `export ${k}=${v}`)
    .join('\n');

function envFileText(env: Record<string, string>): string {
  return [
    '# Colonies dev environment, written by `colonies dev`: its keys are created on the first run and reused.',
    '# Load it with: source .colonies/dev.env   (keep it private: these keys own the dev server)',
    '# COLONIES_PRVKEY is the user dev-user (submit, inspect); COLONIES_COLONY_PRVKEY owns colony dev (executors, users);',
    '# COLONIES_SERVER_PRVKEY owns the server (colonies); COLONIES_EXECUTOR_* is the approved executor dev-executor.',
    exportLines(env),
    '',
  ].join('\n');
}

/** The keys and URL of an earlier run, if there was one. */
async function readExisting(envFile: string): Promise<{ keys: DevKeys; url: string | undefined } | undefined> {
  let text: string;
  try {
    text = await readFile(envFile, 'utf8');
  } catch {
    return undefined;
  }
  const e = parseEnvFile(text);
  const keys = { server: e.COLONIES_SERVER_PRVKEY, colony: e.COLONIES_COLONY_PRVKEY, user: e.COLONIES_PRVKEY, executor: e.COLONIES_EXECUTOR_PRVKEY };
  if (!Object.values(keys).every(isPrivateKey)) {
    throw new CliError('BAD_DEV_ENV', `${envFile} lacks a valid key: remove the .colonies directory to start afresh`, EXIT.usage);
  }
  return { keys: keys as DevKeys, url: e.COLONIES_SERVER_URL };
}

async function writeEnvFile(paths: DevPaths, env: Record<string, string>): Promise<void> {
  await mkdir(paths.dir, { recursive: true });
  await writeFile(paths.envFile, envFileText(env), { mode: 0o600 });
}

const portOfUrl = (url: string | undefined): number | undefined => {
  if (!url) return undefined;
  try {
    const p = Number(new URL(url).port);
    return p > 0 ? p : undefined;
  } catch {
    return undefined;
  }
};

/** Refuses to run twice on one data directory (two embedded stores on one directory would corrupt it). */
async function lock(paths: DevPaths): Promise<() => Promise<void>> {
  try {
    const pid = Number((await readFile(paths.pidFile, 'utf8')).trim());
    if (pid > 0 && pid !== process.pid) {
      let alive = true;
      try {
        process.kill(pid, 0);
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code === 'EPERM';
      }
      if (alive) throw new CliError('ALREADY_RUNNING', `colonies dev is already running on ${paths.dataDir} (pid ${pid})`, EXIT.failed);
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
  }
  await mkdir(paths.dir, { recursive: true });
  await writeFile(paths.pidFile, String(process.pid));
  return () => rm(paths.pidFile, { force: true });
}

const alreadyExists = (err: unknown) => err instanceof ColoniesError && err.code === 'ALREADY_EXISTS';

/** Colony dev, its user and its executor (registered and approved); idempotent across runs. */
async function provision(url: string, keys: DevKeys, paths: DevPaths): Promise<void> {
  const serverClient = new ColoniesClient({ url, prvkey: keys.server });
  try {
    await serverClient.addColony(DEV.colony, idOf(keys.colony));
  } catch (err) {
    if (!alreadyExists(err)) throw err;
    const existing = (await serverClient.listColonies()).find((c) => c.colonyname === DEV.colony);
    if (existing && existing.colonyid !== idOf(keys.colony)) {
      throw new CliError(
        'DEV_KEYS_MISMATCH',
        `the store in ${paths.dataDir} has a colony "${DEV.colony}" owned by another key (was ${paths.envFile} replaced?): remove ${paths.dir} to start afresh`,
        EXIT.failed,
      );
    }
  }
  const owner = new ColoniesClient({ url, prvkey: keys.colony, colonyname: DEV.colony });
  await owner.addUser(DEV.user, idOf(keys.user)).catch((err: unknown) => {
    if (!alreadyExists(err)) throw err;
  });
  await owner
    .addExecutor({ executorname: DEV.executor, executorid: idOf(keys.executor), executortype: DEV.executortype, location: 'dev' })
    .catch((err: unknown) => {
      if (!alreadyExists(err)) throw err;
    });
  await owner.approveExecutor(DEV.executor);
}

interface DevFlags {
  port?: number;
  host: string;
  env?: boolean;
}

async function dev(o: DevFlags): Promise<void> {
  const paths = devPaths();
  const existing = await readExisting(paths.envFile);
  const keys: DevKeys = existing?.keys ?? {
    server: generateKeyPair().prvkey,
    colony: generateKeyPair().prvkey,
    user: generateKeyPair().prvkey,
    executor: generateKeyPair().prvkey,
  };
  const envPort = process.env.COLONIES_SERVER_PORT ? Number(process.env.COLONIES_SERVER_PORT) : undefined;
  const wantPort = o.port ?? envPort ?? portOfUrl(existing?.url) ?? DEV.port;
  const urlHost = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host.includes(':') ? `[${o.host}]` : o.host;

  if (o.env) {
    const env = devEnv(`http://${urlHost}:${wantPort}`, keys);
    if (!existing || o.port !== undefined) await writeEnvFile(paths, env);
    print(exportLines(env));
    return;
  }

  const unlock = await lock(paths);
  try {
    const config = await serverConfig(process.env);
    Object.assign(config, {
      host: o.host,
      port: wantPort,
      databaseUrl: undefined,
      dataDir: paths.dataDir,
      serverId: idOf(keys.server),
      logLevel: process.env.COLONIES_LOG_LEVEL ?? 'warn',
    });
    const { createPrettyLogger } = await serverModules.log();
    const log = await createPrettyLogger(config.logLevel, colorEnabled(process.stderr));
    const { server, url: listening } = await startServer(config, log);
    try {
      const url = `http://${urlHost}:${new URL(listening).port}`;
      await provision(url, keys, paths);
      const env = devEnv(url, keys);
      await writeEnvFile(paths, env);
      const rel = relative(process.cwd(), paths.envFile) || paths.envFile;
      const k = (name: string, value: string) => `  ${name.padEnd(26)} ${value}`;
      // Listen before the banner says Ctrl-C works: a signal sent on seeing it must find the handler.
      const signalled = untilSignal();
      print(
        [
          `${style.bold('Colonies dev server')} running at ${style.cyan(url)}`,
          `  store     embedded, in ${paths.dataDir}`,
          `  env file  ${paths.envFile} (${existing ? 'keys reused' : 'keys created'})`,
          `  dashboard ${style.cyan(url + '/')} — sign in with the user key below (or load the env file), colony ${DEV.colony}`,
          '',
          'Keys:',
          k('server owner', `COLONIES_SERVER_PRVKEY=${keys.server}`),
          k(`colony owner (${DEV.colony})`, `COLONIES_COLONY_PRVKEY=${keys.colony}`),
          k(`user ${DEV.user}`, `COLONIES_PRVKEY=${keys.user}`),
          k(`executor ${DEV.executor}`, `COLONIES_EXECUTOR_PRVKEY=${keys.executor} (type ${DEV.executortype}, approved)`),
          '',
          'Next steps, in another terminal (`colonies` is `npx colonies` inside this repository, or run `npm link` once):',
          `  source ${rel}`,
          '  colonies executor start --functions examples/functions.ts        # serve the example functions',
          `  colonies process submit --funcname sum_nums --args '[1, 2]' --wait   # prints [3]`,
          '  colonies workflow submit --spec wf.json --wait                   # see colonies workflow submit --help',
          '  colonies colony stats',
          '',
          'Ctrl-C stops the server (the data and keys stay in .colonies/).',
        ].join('\n'),
      );
      await signalled;
      process.stderr.write('stopping the dev server…\n');
    } finally {
      await server.close();
    }
  } finally {
    await unlock();
  }
}

export function registerDev(program: Command): void {
  examples(
    program
      .command('dev')
      .summary('run a development server with colony, user, executor and keys ready')
      .description(
        'run a development server: embedded store in ./.colonies/data, colony "dev", a user and an approved executor,\n' +
          'every key in ./.colonies/dev.env (created on the first run, reused afterwards)',
      )
      .option('--port <port>', `port [env COLONIES_SERVER_PORT; else the port of the last run; default ${DEV.port}]`, port)
      .option('--host <host>', 'listen address', '127.0.0.1')
      .option('--env', 'print the environment as `export K=V` lines (creating the keys if needed) and exit without starting a server')
      .action((o: DevFlags) => dev(o)),
    [
      'colonies dev                     # then, in another terminal: source .colonies/dev.env',
      'eval $(colonies dev --env)       # the same variables in this shell',
      'colonies dev --port 8080',
    ],
  );
}
