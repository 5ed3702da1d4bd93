/**
 * `--wait`: follows the process or graph live over the WebSocket (a snapshot, then every change; no
 * polling) with progress on stderr, then prints the result on stdout or fails with exit 1.
 */
import type { ColoniesClient } from '../executor/client.ts';
import type { SubscriptionMessage } from '../executor/subscriber.ts';
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
  const draw = () => process.stderr.write(`\r\u001b[2K${last} ${formatDuration(Date.now() - started)}`);
  return {
    show(line: string) {
      if (line === last) return;
      last = line;
      if (tty) draw();
      else process.stderr.write(line + '\n');
    },
    tick() {
      if (tty && last) draw();
    },
    end() {
      if (tty && last) process.stderr.write('\n');
    },
  };
}

function deadline(timeoutS: number | undefined, what: string): () => void {
  const until = timeoutS ? Date.now() + timeoutS * 1000 : Infinity;
  return () => {
    if (Date.now() > until) throw new CliError('TIMEOUT', `${what} did not finish within ${timeoutS} s`, EXIT.failed);
  };
}

/**
 * Subscribes to a process or graph and feeds every message to `handle` until it says done. A dropped
 * connection is opened again: the new snapshot brings the state up to date, so nothing is missed.
 * A subscription the server ends (access revoked) ends the watch with its error.
 */
export async function watch(
  client: ColoniesClient,
  target: { processid?: string; processgraphid?: string },
  handle: (m: Exclude<SubscriptionMessage, { type: 'ended' }>) => boolean | Promise<boolean>,
  tick: () => void,
): Promise<void> {
  for (;;) {
    const sub = await client.connect();
    let timer: NodeJS.Timeout | undefined;
    try {
      const outcome = await new Promise<'done' | 'dropped'>((resolve, reject) => {
        sub.onClose(() => resolve('dropped'));
        timer = setInterval(() => {
          try {
            tick();
          } catch (err) {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        }, TICK_MS);
        // Messages are handled one after another, in order, even when a handler awaits.
        let queue = Promise.resolve();
        sub
          .subscribe({ colonyname: client.colonyname!, ...target }, (m) => {
            queue = queue.then(async () => {
              if (m.type === 'ended') reject(m.error);
              else if (await handle(m)) resolve('done');
            }, reject);
          })
          .catch(reject);
      });
      if (outcome === 'done') return;
    } finally {
      clearInterval(timer);
      sub.close();
    }
    await sleep(200);
  }
}

function firstLine(s: string | undefined): string {
  return (s ?? '').split('\n')[0]!.trim();
}

export async function waitForProcess(client: ColoniesClient, processid: string, timeoutS?: number): Promise<Process> {
  const bar = progress();
  const check = deadline(timeoutS, `process ${processid}`);
  let funcname = '';
  let maxretries = 0;
  const show = (state: ProcessState, retries: number) => {
    const retry = retries > 0 ? ` (retry ${retries}/${maxRetriesText(maxretries)})` : '';
    bar.show(`process ${processid.slice(0, 12)} ${funcname}: ${paintState(state)}${retry}`);
    return finished(state);
  };
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
    );
    return await client.getProcess(processid);
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
  const show = () => {
    const c = countStates(states.values());
    const done = c.SUCCESS + c.FAILED + c.CANCELLED;
    const parts = [`${done}/${states.size} done`, `${c.RUNNING} running`, `${c.WAITING} waiting`];
    if (c.FAILED) parts.push(paintState('FAILED', `${c.FAILED} failed`));
    if (c.CANCELLED) parts.push(paintState('CANCELLED', `${c.CANCELLED} cancelled`));
    bar.show(`workflow ${processgraphid.slice(0, 12)} ${paintState(graphState)}: ${parts.join(', ')}`);
    return finished(graphState);
  };
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
    );
    return await client.getProcessGraph(processgraphid);
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
