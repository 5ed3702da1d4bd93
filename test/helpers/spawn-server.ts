/**
 * `colonies server start` as a subprocess of its own, for fault tests that kill the server with -9 and
 * start it again on the same port and store. The child sees no COLONIES_* variable but those given.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ColoniesClient } from '../../executor/client.ts';
import { generateKeyPair, type KeyPair } from '../../protocol/crypto.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = fileURLToPath(new URL('../../bin/colonies.mjs', import.meta.url));

export interface ServerChild {
  child: ChildProcess;
  url: string;
  /** What it wrote to stderr so far (its log). */
  stderr(): string;
  /** SIGKILL, unless it has exited already; resolves once it has. */
  kill(): Promise<void>;
  /** SIGTERM (a graceful stop), SIGKILL after 20 s; resolves once it has exited. */
  stop(): Promise<void>;
}

/** A port nothing listens on now (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts a server on 127.0.0.1:port with these COLONIES_* variables; resolves once it listens. */
export async function spawnServer(port: number, vars: Record<string, string>, timeoutMs = 60_000): Promise<ServerChild> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('COLONIES_')) env[k] = v;
  const child = spawn(process.execPath, [bin, 'server', 'start', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: root,
    env: { ...env, COLONIES_LOG_LEVEL: 'info', ...vars },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = once(child, 'exit');
  let err = '';
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const hard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(hard);
  };
  const kill = () => end('SIGKILL');
  // A test that fails half-way leaves no server behind.
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  void exited.then(() => process.removeListener('exit', onExit));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the server did not listen within ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('"msg":"colonies server listening"')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the server exited (${code ?? signal}) before listening; stderr: ${err}`));
      });
    });
  } catch (e) {
    await kill();
    throw e;
  }
  return { child, url: `http://127.0.0.1:${port}`, stderr: () => err, kill, stop: () => end('SIGTERM') };
}

/** A colony on a fresh server: its owner adds a user and registers and approves one executor. */
export async function seedColony(
  url: string,
  serverPrvkey: string,
  o: { colonyname: string; executorname: string; executortype: string },
): Promise<{ user: ColoniesClient; executor: KeyPair }> {
  const owner = generateKeyPair();
  const userKey = generateKeyPair();
  const executor = generateKeyPair();
  await new ColoniesClient({ url, prvkey: serverPrvkey }).addColony(o.colonyname, owner.id);
  const ownerClient = new ColoniesClient({ url, prvkey: owner.prvkey, colonyname: o.colonyname });
  await ownerClient.addUser('submitter', userKey.id);
  await ownerClient.addExecutor({ executorname: o.executorname, executorid: executor.id, executortype: o.executortype });
  await ownerClient.approveExecutor(o.executorname);
  return { user: new ColoniesClient({ url, prvkey: userKey.prvkey, colonyname: o.colonyname }), executor };
}
