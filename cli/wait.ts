/**
 * `--wait`: polls (every 200 ms for now; the WebSocket comes later) until the process or graph has
 * finished, with live progress on stderr, then prints the result on stdout or fails with exit 1.
 */
import type { ColoniesClient } from '../executor/client.ts';
import { FINISHED_STATES, PROCESS_STATES, type ProcessState } from '../protocol/states.ts';
import type { Process, ProcessGraphWithProcesses } from '../protocol/types.ts';
import { CliError, EXIT } from './errors.ts';
import { formatDuration, paintState, print, printJson } from './output.ts';

export const POLL_MS = 200;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const finished = (s: ProcessState) => FINISHED_STATES.includes(s);

/**
 * A progress line on stderr: rewritten in place on a terminal (with the elapsed time), otherwise one
 * line each time it changes (without the time, which would change every poll).
 */
function progress() {
  const tty = process.stderr.isTTY === true;
  let last = '';
  return {
    show(line: string, elapsedMs: number) {
      if (tty) {
        process.stderr.write(`\r\u001b[2K${line} ${formatDuration(elapsedMs)}`);
        last = line;
        return;
      }
      if (line === last) return;
      last = line;
      process.stderr.write(line + '\n');
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

function firstLine(s: string | undefined): string {
  return (s ?? '').split('\n')[0]!.trim();
}

export async function waitForProcess(client: ColoniesClient, processid: string, timeoutS?: number): Promise<Process> {
  const bar = progress();
  const started = Date.now();
  const check = deadline(timeoutS, `process ${processid}`);
  try {
    for (;;) {
      const p = await client.getProcess(processid);
      const retry = p.retries > 0 ? ` (retry ${p.retries}/${p.spec.maxretries})` : '';
      bar.show(`process ${processid.slice(0, 12)} ${p.spec.funcname}: ${paintState(p.state)}${retry}`, Date.now() - started);
      if (finished(p.state)) return p;
      check();
      await sleep(POLL_MS);
    }
  } finally {
    bar.end();
  }
}

export function graphCounts(g: ProcessGraphWithProcesses): Record<ProcessState, number> {
  const counts = Object.fromEntries(PROCESS_STATES.map((s) => [s, 0])) as Record<ProcessState, number>;
  for (const p of g.processes) counts[p.state]++;
  return counts;
}

export async function waitForGraph(client: ColoniesClient, processgraphid: string, timeoutS?: number): Promise<ProcessGraphWithProcesses> {
  const bar = progress();
  const started = Date.now();
  const check = deadline(timeoutS, `workflow ${processgraphid}`);
  try {
    for (;;) {
      const g = await client.getProcessGraph(processgraphid);
      const c = graphCounts(g);
      const total = g.processes.length;
      const done = c.SUCCESS + c.FAILED + c.CANCELLED;
      const parts = [`${done}/${total} done`, `${c.RUNNING} running`, `${c.WAITING} waiting`];
      if (c.FAILED) parts.push(paintState('FAILED', `${c.FAILED} failed`));
      if (c.CANCELLED) parts.push(paintState('CANCELLED', `${c.CANCELLED} cancelled`));
      bar.show(`workflow ${processgraphid.slice(0, 12)} ${paintState(g.state)}: ${parts.join(', ')}`, Date.now() - started);
      if (finished(g.state)) return g;
      check();
      await sleep(POLL_MS);
    }
  } finally {
    bar.end();
  }
}

/** Prints the process output (its `out` as JSON) or throws the failure (exit 1). */
export function finishProcess(p: Process, json: boolean): void {
  if (json) printJson(p);
  else if (p.state === 'SUCCESS') print(JSON.stringify(p.out));
  if (p.state !== 'SUCCESS') {
    const why = p.errors.length > 0 ? `: ${firstLine(p.errors[0])}` : '';
    throw new CliError(p.state, `process ${p.processid} (${p.spec.funcname}) ended ${p.state}${why}`, EXIT.failed);
  }
}

/** The outputs of the graph's leaves (processes without children), by nodename. */
export function leafOutputs(g: ProcessGraphWithProcesses): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const p of g.processes) if (p.children.length === 0) out[p.spec.nodename] = p.out;
  return out;
}

/** Prints the leaf outputs as one JSON object `{nodename: out}` or throws the failure (exit 1). */
export function finishGraph(g: ProcessGraphWithProcesses, json: boolean): void {
  if (json) printJson(g);
  else if (g.state === 'SUCCESS') print(JSON.stringify(leafOutputs(g)));
  if (g.state !== 'SUCCESS') {
    const failed = g.processes.find((p) => p.state === 'FAILED');
    const why = failed
      ? `: ${failed.spec.nodename} (process ${failed.processid}) failed: ${firstLine(failed.errors[0]) || 'no error message'}`
      : g.errors.length > 0
        ? `: ${firstLine(g.errors[0])}`
        : '';
    throw new CliError(g.state, `workflow ${g.processgraphid} ended ${g.state}${why}`, EXIT.failed);
  }
}
