/**
 * A throwaway PostgreSQL cluster of a test's own, for fault tests that stop and restart the database
 * under running servers (never the shared server on 5432): initdb into a temporary folder, a free
 * port on 127.0.0.1, trust auth, no fsync. As root, initdb and pg_ctl run as the `postgres` user.
 * destroy() stops it and removes the folder; it is also stopped when the test process exits.
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PgCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly port: number;
  start(): Promise<void>;
  /** pg_ctl stop; `immediate` is a crash as far as the clients can tell (no goodbye, recovery at start). */
  stop(mode?: 'immediate' | 'fast'): Promise<void>;
  restart(mode?: 'immediate' | 'fast'): Promise<void>;
  /** Stops it (if running) and removes its folder; safe to call twice. */
  destroy(): Promise<void>;
}

/** The bin folder of the newest PostgreSQL installed, or undefined (the caller skips its test). */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    if (port !== 5432) return port;
  }
}

export async function startPgCluster(): Promise<PgCluster> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql/*/bin');
  const dir = mkdtempSync(join(tmpdir(), 'colonies-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  // initdb and the server refuse to run as root.
  const command = (tool: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]] : [join(bin, tool), args];
  const tool = (name: string, args: string[]) => run(...command(name, args), { timeout: 60_000 });

  const port = await freePort();
  const options = [
    `-p ${port}`,
    '-c listen_addresses=127.0.0.1',
    `-c unix_socket_directories=${dir}`,
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=100',
  ].join(' ');
  let running = false;
  const stopSync = () => {
    if (!running) return;
    try {
      const [file, args] = command('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
      execFileSync(file, args, { stdio: 'ignore', timeout: 30_000 });
    } catch {
      /* already gone */
    }
  };
  process.once('exit', stopSync);

  const cluster: PgCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async start() {
      await tool('pg_ctl', ['start', '-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', options]);
      running = true;
    },
    async stop(mode = 'immediate') {
      await tool('pg_ctl', ['stop', '-D', data, '-m', mode, '-w', '-t', '60']);
      running = false;
    },
    async restart(mode = 'immediate') {
      await cluster.stop(mode);
      await cluster.start();
    },
    async destroy() {
      if (running) await cluster.stop('immediate').catch(() => stopSync());
      running = false;
      process.removeListener('exit', stopSync);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await tool('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
    await cluster.start();
  } catch (err) {
    await cluster.destroy();
    throw err;
  }
  return cluster;
}
