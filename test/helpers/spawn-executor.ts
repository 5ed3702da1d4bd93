/** Starts test/helpers/executor-child.ts as its own process, for tests that kill an executor. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Fixture } from './fixture.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildExecutor {
  child: ChildProcess;
  exited: Promise<unknown>;
  /** The process its function took. */
  taken: string;
  name: string;
  id: string;
  /** SIGKILL, unless it has exited already; resolves once it has. */
  kill(): Promise<void>;
}

/** A new approved executor of `type` in its own process; resolves once it has taken a process (its `hang` or `echo`). */
export async function childTaking(f: Fixture, type: string): Promise<ChildExecutor> {
  const e = await f.addExecutor(type);
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/executor-child.ts'], {
    cwd: root,
    env: {
      ...process.env,
      COLONIES_SERVER_URL: f.url,
      COLONIES_PRVKEY: e.key.prvkey,
      COLONIES_COLONY_NAME: f.a.colonyname,
      COLONIES_EXECUTOR_TYPE: type,
      COLONIES_EXECUTOR_NAME: e.name,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit');
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    const taken = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the child executor took nothing within 20 s; stderr: ${stderr}`)), 20_000);
      createInterface({ input: child.stdout }).on('line', (line) => {
        const msg = JSON.parse(line) as { taken?: string };
        if (msg.taken) {
          clearTimeout(timer);
          resolve(msg.taken);
        }
      });
      child.once('exit', (code) => reject(new Error(`the child executor exited (${code}); stderr: ${stderr}`)));
    });
    return { child, exited, taken, name: e.name, id: e.key.id, kill };
  } catch (err) {
    await kill();
    throw err;
  }
}
