/** Running the `colonies` CLI as a subprocess (node bin/colonies.mjs …) with a clean COLONIES_* environment, against a fixture. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFixture, type Fixture, type ColonyFixture } from '../helpers/fixture.ts';
import { Executor, type ExecutorFunction } from '../../executor/executor.ts';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/colonies.mjs', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The parent's environment without any COLONIES_* variable, in UTC and without colour. */
export function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('COLONIES_') && k !== 'FORCE_COLOR') env[k] = v;
  env.TZ = 'UTC';
  env.NO_COLOR = '1';
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** The environment of a member (user) of a fixture colony. */
export function userEnv(f: Fixture, c: ColonyFixture = f.a, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return baseEnv({ COLONIES_SERVER_URL: f.url, COLONIES_COLONY_NAME: c.colonyname, COLONIES_PRVKEY: c.user.prvkey, ...extra });
}

/** A fixture server for a CLI test file, a temp dir and, when asked for, an SDK executor in this process. */
export interface CliFixture {
  f: Fixture;
  /** Removed by stop(). */
  dir: string;
  /** The environment of colony a's user, with `extra` on top. */
  env: (extra?: Record<string, string>) => NodeJS.ProcessEnv;
  /** Stops the executor and the server, and removes the dir. */
  stop: () => Promise<void>;
}

/**
 * `name` names the temp dir and, with `functions`, the type of the executor that serves them (its
 * long-poll is a second, so that stop() is quick).
 */
export async function cliFixture(o: { name: string; functions?: Record<string, ExecutorFunction>; concurrency?: number }): Promise<CliFixture> {
  const f = await startFixture();
  const dir = mkdtempSync(join(tmpdir(), `colonies-${o.name}-`));
  let executor: Executor | undefined;
  if (o.functions) {
    const e = await f.addExecutor(o.name);
    executor = new Executor({
      url: f.url,
      colonyname: f.a.colonyname,
      executortype: o.name,
      executorname: e.name,
      prvkey: e.key.prvkey,
      concurrency: o.concurrency,
      assignTimeout: 1,
      functions: o.functions,
    });
    await executor.start();
  }
  return {
    f,
    dir,
    env: (extra = {}) => userEnv(f, f.a, extra),
    stop: async () => {
      await executor?.stop(1000);
      await f.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function run(args: string[], env: NodeJS.ProcessEnv, o: { input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: o.cwd ?? ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(o.input ?? '');
  });
}

/** A long-running CLI command (dev, executor start): wait for lines, then stop it with a signal. */
export interface Running {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Waits until stdout (or stderr) matches. */
  waitFor(pattern: RegExp, timeoutMs?: number, stream?: 'stdout' | 'stderr'): Promise<RegExpMatchArray>;
  stop(signal?: NodeJS.Signals): Promise<CliResult>;
  /** Resolves once it has exited by itself (rejects after timeoutMs, leaving it running). */
  exited(timeoutMs?: number): Promise<CliResult>;
}

/** `bin`: another `colonies` script than the repository's (an installed package's, say). */
export function start(args: string[], env: NodeJS.ProcessEnv, o: { cwd?: string; bin?: string } = {}): Running {
  const child = spawn(process.execPath, [o.bin ?? BIN, ...args], { env, cwd: o.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((l) => l());
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    notify();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    notify();
  });
  let exited = false;
  const closed = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      // Exited first, so that a waiter checking now fails at once rather than at its timeout.
      exited = true;
      notify();
      resolve({ code, signal, stdout: out, stderr: err });
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor(pattern, timeoutMs = 30_000, stream = 'stdout') {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = (stream === 'stdout' ? out : err).match(pattern);
          if (m) {
            done();
            resolve(m);
          } else if (exited) {
            done();
            reject(new Error(`exited before printing ${pattern}; stdout: ${out}\nstderr: ${err}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${pattern}; stdout: ${out}\nstderr: ${err}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    exited(timeoutMs = 60_000) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`did not exit within ${timeoutMs} ms; stdout: ${out}\nstderr: ${err}`)), timeoutMs);
      });
      return Promise.race([closed, late]).finally(() => clearTimeout(timer));
    },
    async stop(signal = 'SIGTERM') {
      if (!exited) child.kill(signal);
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const r = await closed;
      clearTimeout(killer);
      return r;
    },
  };
}

/** A port nothing listens on (bound, then released). */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** The one-line error contract: exactly one line on stderr, `error: CODE: message`. */
export function errorLine(r: CliResult): { code: string; message: string } {
  const lines = r.stderr.split('\n').filter(Boolean);
  if (lines.length !== 1) throw new Error(`expected one line on stderr, got ${lines.length}: ${r.stderr}`);
  const m = /^error: ([A-Z_]+): (.+)$/.exec(lines[0]!);
  if (!m) throw new Error(`not an "error: CODE: message" line: ${lines[0]}`);
  return { code: m[1]!, message: m[2]! };
}

/** The rows (│ a │ b │) of the first box table in the text, as trimmed cells, header row first. */
export function tableRows(text: string): string[][] {
  const lines = text.split('\n');
  const top = lines.findIndex((l) => l.startsWith('╭─'));
  const bottom = lines.findIndex((l, i) => i > top && l.startsWith('╰─'));
  return lines
    .slice(top, bottom)
    .filter((l) => l.startsWith('│'))
    .map((l) =>
      l
        .slice(1, -1)
        .split('│')
        .map((c) => c.trim()),
    );
}
