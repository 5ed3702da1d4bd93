/** The child's end of the IPC protocol (see children.ts): answer calls, report progress, die with the parent. */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { errorText, type CallMessage, type ChildMessage } from './common.ts';

export type Handlers = Record<string, (data: unknown) => unknown>;

function send(m: ChildMessage): void {
  if (process.connected) process.send!(m);
}

export function childArgs<T>(): T {
  return JSON.parse(process.argv[2] ?? '{}') as T;
}

/**
 * Serves `handlers`; `exit` runs `onExit` then exits. When the parent goes away (the IPC channel
 * closes) the child cleans up and exits too, so no child outlives the harness.
 */
export function serveParent(handlers: Handlers, onExit: () => Promise<void>): void {
  handlers = { ...profilerHandlers(), ...handlers };
  let exiting = false;
  const exit = async (code: number) => {
    if (exiting) return;
    exiting = true;
    const hard = setTimeout(() => process.exit(code), 5000);
    hard.unref();
    try {
      await onExit();
    } catch {
      // exiting anyway
    }
    process.exit(code);
  };
  process.on('message', (m: CallMessage) => {
    if (m.cmd === 'exit') {
      void exit(0);
      return;
    }
    const h = handlers[m.cmd];
    if (!h) {
      send({ type: 'reply', id: m.id, ok: false, error: `unknown command ${m.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => h(m.data))
      .then(
        (result) => send({ type: 'reply', id: m.id, ok: true, result }),
        (err: unknown) => send({ type: 'reply', id: m.id, ok: false, error: errorText(err) }),
      );
  });
  process.on('disconnect', () => void exit(1));
  process.on('SIGTERM', () => void exit(0));
  // Ctrl-C reaches the whole process group; the parent decides when children stop.
  process.on('SIGINT', () => {});
}

export function ready(data?: unknown): void {
  send({ type: 'ready', data });
}

export function fatal(err: unknown): void {
  send({ type: 'fatal', error: errorText(err) });
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 100);
}

export function progress(done: number): void {
  send({ type: 'progress', done });
}

/** profile-start / profile-stop {file}: a V8 CPU profile of just that window (bench --profile). */
function profilerHandlers(): Handlers {
  let session: Session | undefined;
  return {
    'profile-start': async () => {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
      await session.post('Profiler.start');
    },
    'profile-stop': async (data) => {
      if (!session) throw new Error('no profile running');
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      session = undefined;
      await writeFile((data as { file: string }).file, JSON.stringify(profile));
    },
  };
}
