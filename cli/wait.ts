/**
 * `--wait`: follows the process or graph live over the WebSocket (a snapshot, then every change; no
 * polling) with progress on stderr, then prints the result on stdout or fails with exit 1.
 */
import type { ColoniesClient } from '../executor/client.ts';
import type { SubscriptionMessage } from '../executor/subscriber.ts';
import { ColoniesError } from '../executor/transport.ts';
import { FINISHED_STATES, PROCESS_STATES, type ProcessState } from '../protocol/states.ts';
import type { Process, ProcessGraph, ProcessGraphWithProcesses, Submitted } from '../protocol/types.ts';
import { failureText } from '../protocol/failure.ts';
import { CliError, EXIT } from './errors.ts';
import { formatDuration, maxRetriesText, paintState, print, printJson, warn } from './output.ts';

/** How often the elapsed time on a terminal's progress line is redrawn (and the timeout checked). */
const TICK_MS = 250;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const finished = (s: ProcessState) => FINISHED_STATES.includes(s);

/**
 * A progress line on stderr: rewritten in place on a terminal (with the elapsed time), otherwise one
 * line each time it changes (without the time, which would change every tick).
 */
function progress() {
  const tty = process.stderr.isTTY === true;
  const started = Date.now();
  let last = '';
  let state = '';
  const draw = () => process.stderr.write(`\r\u001b[2K${last} ${formatDuration(Date.now() - started)}`);
  const put = (line: string) => {
    if (line === last) return;
    last = line;
    if (tty) draw();
    else process.stderr.write(line + '\n');
  };
  return {
    /** The state of the work. */
    show(line: string) {
      state = line;
      put(line);
    },
    /** The state with a passing remark ("reconnecting"); the next show() replaces it. */
    remark(text: string) {
      put(`${state} (${text})`);
    },
    /** A line of its own above the progress line. */
    note(line: string) {
      if (tty && last) process.stderr.write('\n');
      process.stderr.write(line + '\n');
      if (tty && last) draw();
    },
    tick() {
      if (tty && last) draw();
    },
    end() {
      if (tty && last) process.stderr.write('\n');
    },
  };
}

/** What the progress line says while the connection is being opened again. */
export const RECONNECTING = 'connection to the server lost, reconnecting';

function deadline(timeoutS: number | undefined, what: string): () => void {
  const until = timeoutS ? Date.now() + timeoutS * 1000 : Infinity;
  return () => {
    if (Date.now() > until) throw new CliError('TIMEOUT', `${what} did not finish within ${timeoutS} s`, EXIT.failed);
  };
}

/** A lost connection is opened again after 250 ms, then twice as long each time it fails, up to this. */
const MAX_RECONNECT_MS = 5000;
/** Out of reach this long (the server gone for good, say), a watch gives up: exit 3. --timeout ends it sooner. */
export const GIVE_UP_MS = 5 * 60_000;

/** What a new connection may cure: the server restarting or unreachable, its database away. */
const curable = (err: unknown): err is ColoniesError => err instanceof ColoniesError && (err.code === 'UNREACHABLE' || err.code === 'UNAVAILABLE');

/** Waits `ms`, ticking (the progress line, the timeout) meanwhile. */
async function pause(ms: number, tick: () => void): Promise<void> {
  for (const until = Date.now() + ms; Date.now() < until;) {
    tick();
    await sleep(Math.min(TICK_MS, until - Date.now()));
  }
}

/**
 * One connection: subscribes, feeds every message to `handle` until it says done. Rejects with the
 * error that ended it (a dropped connection is UNREACHABLE); `onSubscribed` runs once the snapshot is in.
 */
async function watchOnce(
  client: ColoniesClient,
  target: { processid?: string; processgraphid?: string },
  handle: (m: Exclude<SubscriptionMessage, { type: 'ended' }>) => boolean | Promise<boolean>,
  tick: () => void,
  onSubscribed: () => void,
): Promise<void> {
  const sub = await client.connect();
  let timer: NodeJS.Timeout | undefined;
  let over = false;
  try {
    await new Promise<void>((resolve, reject) => {
      sub.onClose(reject);
      timer = setInterval(() => {
        try {
          tick();
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      }, TICK_MS);
      // Messages are handled one after another, in order, even when a handler awaits; none after the connection is over.
      let queue = Promise.resolve();
      sub
        .subscribe({ colonyname: client.colonyname!, ...target }, (m) => {
          queue = queue.then(async () => {
            if (over) return;
            if (m.type === 'ended') reject(m.error);
            else if (await handle(m)) resolve();
          }, reject);
        })
        .then(onSubscribed, reject);
    });
  } finally {
    over = true;
    clearInterval(timer);
    sub.close();
  }
}

/**
 * Subscribes to a process or graph and feeds every message to `handle` until it says done. When the
 * connection is lost (the server restarts, say) or a read in `handle` cannot reach the server, it is
 * opened again with backoff and subscribed anew: the new snapshot brings the state up to date, so what
 * finished meanwhile is not missed. `reconnecting` is told each time. A first connection that fails,
 * a server out of reach for GIVE_UP_MS, and a subscription the server ends (access revoked) end the
 * watch with their error.
 */
export async function watch(
  client: ColoniesClient,
  target: { processid?: string; processgraphid?: string },
  handle: (m: Exclude<SubscriptionMessage, { type: 'ended' }>) => boolean | Promise<boolean>,
  tick: () => void,
  reconnecting: (err: ColoniesError) => void = () => {},
): Promise<void> {
  let subscribed = false;
  let delay = 250;
  let outSince: number | undefined;
  for (;;) {
    try {
      await watchOnce(client, target, handle, tick, () => {
        subscribed = true;
        delay = 250;
        outSince = undefined;
      });
      return;
    } catch (err) {
      // A first connection that fails is a wrong URL or a server down: said at once, as any command would.
      if (!curable(err) || !subscribed) throw err;
      outSince ??= Date.now();
      if (Date.now() - outSince > GIVE_UP_MS)
        throw new ColoniesError(err.code, `${err.message} (gave up after ${formatDuration(Date.now() - outSince)} of reconnecting)`, err.status);
      reconnecting(err);
      await pause(delay, tick);
      delay = Math.min(delay * 2, MAX_RECONNECT_MS);
    }
  }
}

function firstLine(s: string | undefined): string {
  return (s ?? '').split('\n')[0]!.trim();
}

/** Follows a process until it has finished; resolves to it as it ended (read once the live connection said so). */
export async function waitForProcess(client: ColoniesClient, processid: string, timeoutS?: number): Promise<Process> {
  const bar = progress();
  const check = deadline(timeoutS, `process ${processid}`);
  let funcname = '';
  let maxretries = 0;
  let ended: Process | undefined;
  const show = async (state: ProcessState, retries: number) => {
    const retry = retries > 0 ? ` (retry ${retries}/${maxRetriesText(maxretries)})` : '';
    bar.show(`process ${processid.slice(0, 12)} ${funcname}: ${paintState(state)}${retry}`);
    // Read here, so that a server gone at this moment means a reconnect, not an error.
    if (finished(state)) ended = await client.getProcess(processid);
    return ended !== undefined;
  };
  bar.note(`process ${processid}: waiting for it to finish (Ctrl-C stops the waiting, not the process)`);
  try {
    await watch(
      client,
      { processid },
      (m) => {
        if (m.type === 'snapshot' && m.snapshot.of === 'process') {
          funcname = m.snapshot.process.spec.funcname;
          maxretries = m.snapshot.process.spec.maxretries;
          return show(m.snapshot.process.state, m.snapshot.process.retries);
        }
        return m.type === 'event' && m.event.type === 'process' && show(m.event.state, m.event.retries);
      },
      () => {
        bar.tick();
        check();
      },
      () => bar.remark(RECONNECTING),
    );
    return ended!;
  } finally {
    bar.end();
  }
}

export function graphCounts(g: ProcessGraphWithProcesses): Record<ProcessState, number> {
  return countStates(g.processes.map((p) => p.state));
}

function countStates(states: Iterable<ProcessState>): Record<ProcessState, number> {
  const counts = Object.fromEntries(PROCESS_STATES.map((s) => [s, 0])) as Record<ProcessState, number>;
  for (const s of states) counts[s]++;
  return counts;
}

/** Follows a graph until it has finished; resolves to it, with its processes, as it ended. */
export async function waitForGraph(client: ColoniesClient, processgraphid: string, timeoutS?: number): Promise<ProcessGraphWithProcesses> {
  const bar = progress();
  const check = deadline(timeoutS, `workflow ${processgraphid}`);
  const states = new Map<string, ProcessState>();
  let graphState: ProcessState = 'WAITING';
  const load = (g: ProcessGraphWithProcesses) => {
    graphState = g.state;
    states.clear();
    for (const p of g.processes) states.set(p.processid, p.state);
  };
  let ended: ProcessGraphWithProcesses | undefined;
  const show = async () => {
    const c = countStates(states.values());
    const done = c.SUCCESS + c.FAILED + c.CANCELLED;
    const parts = [`${done}/${states.size} done`, `${c.RUNNING} running`, `${c.WAITING} waiting`];
    if (c.FAILED) parts.push(paintState('FAILED', `${c.FAILED} failed`));
    if (c.CANCELLED) parts.push(paintState('CANCELLED', `${c.CANCELLED} cancelled`));
    bar.show(`workflow ${processgraphid.slice(0, 12)} ${paintState(graphState)}: ${parts.join(', ')}`);
    // Read here, so that a server gone at this moment means a reconnect, not an error.
    if (finished(graphState)) ended = await client.getProcessGraph(processgraphid);
    return ended !== undefined;
  };
  bar.note(`workflow ${processgraphid}: waiting for it to finish (Ctrl-C stops the waiting, not the workflow)`);
  try {
    await watch(
      client,
      { processgraphid },
      async (m) => {
        if (m.type === 'snapshot' && m.snapshot.of === 'processgraph') load(m.snapshot.processgraph);
        else if (m.type === 'event') {
          const e = m.event;
          if (e.type === 'process') states.set(e.processid, e.state);
          else if (e.type === 'processgraph') graphState = e.state;
          else if (e.type === 'processes-added') load(await client.getProcessGraph(processgraphid)); // the graph grew: count it again
        }
        return show();
      },
      () => {
        bar.tick();
        check();
      },
      () => bar.remark(RECONNECTING),
    );
    return ended!;
  } finally {
    bar.end();
  }
}

/** Prints the process output (its `out` as JSON) or throws the failure (exit 1). */
export function finishProcess(p: Process, json: boolean): void {
  if (json) printJson(p);
  else if (p.state === 'SUCCESS') print(JSON.stringify(p.out));
  if (p.state !== 'SUCCESS') {
    const why = p.errors.length > 0 ? `: ${failureText(p)}` : '';
    throw new CliError(p.state, `process ${p.processid} (${p.spec.funcname}) ended ${p.state}${why}`, EXIT.failed);
  }
}

/** The outputs of the graph's leaves (processes without children), by nodename. */
export function leafOutputs(g: ProcessGraphWithProcesses): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const p of g.processes) if (p.children.length === 0) out[p.spec.nodename] = p.out;
  return out;
}

/**
 * After a workflow submit or run: its warnings on stderr, then its id (the graph with --json), or with
 * `wait` the outputs of its leaves once it has finished (a failure throws: exit 1).
 */
export async function reportStarted(
  client: ColoniesClient,
  g: Submitted<ProcessGraph>,
  o: { json?: boolean | undefined; wait?: boolean | undefined; timeout?: number | undefined },
): Promise<void> {
  warn(g.warnings);
  if (!o.wait) {
    if (o.json) printJson(g);
    else print(g.processgraphid);
    return;
  }
  finishGraph(await waitForGraph(client, g.processgraphid, o.timeout), o.json === true);
}

/** Prints the leaf outputs as one JSON object `{nodename: out}` or throws the failure (exit 1). */
export function finishGraph(g: ProcessGraphWithProcesses, json: boolean): void {
  if (json) printJson(g);
  else if (g.state === 'SUCCESS') print(JSON.stringify(leafOutputs(g)));
  if (g.state !== 'SUCCESS') {
    const failed = g.processes.find((p) => p.state === 'FAILED');
    const why = failed
      ? `: ${failed.spec.nodename} (process ${failed.processid}) failed: ${failureText(failed)}`
      : g.errors.length > 0
        ? `: ${firstLine(g.errors[0])}`
        : '';
    throw new CliError(g.state, `workflow ${g.processgraphid} ended ${g.state}${why}`, EXIT.failed);
  }
}
