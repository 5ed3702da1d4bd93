/**
 * Child processes of the harness (the server, executors, peer workers): spawn with IPC, call
 * commands, and kill every one of them whatever happens (error, SIGINT). Each child exits on its
 * own when the IPC channel closes, so a killed harness leaves nothing behind either.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CallMessage, ChildMessage } from './common.ts';

const live = new Set<Child>();
const TAIL_LINES = 40;

export class Child {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout }>();
  private readonly tail: string[] = [];
  private exited = false;
  private readonly exitPromise: Promise<void>;
  progress = 0;
  onProgress: ((done: number) => void) | undefined;

  private constructor(
    readonly name: string,
    private readonly proc: ChildProcess,
  ) {
    this.exitPromise = new Promise((resolve) => proc.once('exit', () => resolve()));
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line.trim()) this.tail.push(line);
      if (this.tail.length > TAIL_LINES) this.tail.splice(0, this.tail.length - TAIL_LINES);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.on('message', (m: ChildMessage) => {
      if (m.type === 'progress') {
        this.progress = m.done;
        this.onProgress?.(m.done);
      } else if (m.type === 'reply') {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        clearTimeout(p.timer);
        if (m.ok) p.resolve(m.result);
        else p.reject(new Error(`${this.name}: ${m.error}`));
      }
    });
    proc.once('exit', (code, signal) => {
      this.exited = true;
      live.delete(this);
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error(`${this.name} exited (${signal ?? code}) during a call\n${this.output()}`));
      }
      this.pending.clear();
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  /** The last lines the child printed (for error messages). */
  output(): string {
    return this.tail.map((l) => `  [${this.name}] ${l}`).join('\n');
  }

  /** Forks `script` (a .ts file next to this one) under tsx and resolves once it says ready. */
  static async spawn<R = unknown>(
    name: string,
    script: string,
    args: unknown,
    opts: { env?: NodeJS.ProcessEnv; execArgv?: string[]; readyTimeoutMs?: number } = {},
  ): Promise<{ child: Child; ready: R }> {
    const file = fileURLToPath(new URL(script, import.meta.url));
    const proc = fork(file, [JSON.stringify(args)], {
      execArgv: ['--import', 'tsx', ...(opts.execArgv ?? [])],
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const child = new Child(name, proc);
    live.add(child);
    const ready = await new Promise<R>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name} not ready after ${opts.readyTimeoutMs ?? 30_000} ms\n${child.output()}`)),
        opts.readyTimeoutMs ?? 30_000,
      );
      proc.on('message', (m: ChildMessage) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve(m.data as R);
        } else if (m.type === 'fatal') {
          clearTimeout(timer);
          reject(new Error(`${name}: ${m.error}`));
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} before it was ready\n${child.output()}`));
      });
    }).catch(async (err: unknown) => {
      await child.kill();
      throw err;
    });
    return { child, ready };
  }

  call<T = unknown>(cmd: string, data?: unknown, timeoutMs = 60_000): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited\n${this.output()}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: "${cmd}" got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve, reject, timer });
      const msg: CallMessage = { id, cmd, data };
      this.proc.send(msg);
    });
  }

  /** Asks politely (`exit`), then SIGTERM, then SIGKILL. */
  async kill(graceMs = 3000): Promise<void> {
    if (this.exited) return;
    try {
      if (this.proc.connected) this.proc.send({ id: 0, cmd: 'exit' } satisfies CallMessage);
    } catch {
      // channel already closed
    }
    if (await this.waitExit(graceMs)) return;
    this.proc.kill('SIGTERM');
    if (await this.waitExit(2000)) return;
    this.proc.kill('SIGKILL');
    await this.waitExit(2000);
  }

  private async waitExit(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([this.exitPromise.then(() => true), new Promise<boolean>((res) => (timer = setTimeout(() => res(false), ms)))]);
    clearTimeout(timer);
    return r;
  }
}

export async function killAllChildren(): Promise<void> {
  await Promise.all([...live].map((c) => c.kill(1000)));
}

/** Synchronous last resort (process 'exit'): no child outlives the harness. */
export function killAllChildrenNow(): void {
  for (const c of live) {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
