/**
 * What the example scripts share: the executor type of the tutorial examples, a client from the
 * COLONIES_* environment, submit-and-wait, and the command-line entry (print, check, exit code).
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ColoniesClient } from '../executor/client.ts';
import { clientEnv } from '../executor/env.ts';
import { ColoniesError } from '../executor/transport.ts';
import type { Workflow } from '../executor/workflow.ts';
import type { ProcessState } from '../protocol/states.ts';
import type { Process, ProcessGraphWithProcesses } from '../protocol/types.ts';

/** The executor type of the tutorial's examples (its `python-executor`). */
export const TS_EXECUTOR = 'ts-executor';
/** The three platforms of the cross-platform example. */
export const CONTAINER_EXECUTOR = 'container-executor';
export const HPC_EXECUTOR = 'hpc-executor';
export const CLOUD_EXECUTOR = 'cloud-executor';

export interface RunOptions {
  /** Where progress lines go (the graph id once submitted); silent when absent. */
  say?: (line: string) => void;
  /** How long to wait for the graph to finish. */
  timeoutMs?: number;
}

export interface ExampleResult<T> {
  processgraphid: string;
  state: ProcessState;
  /** The first output of the result node (undefined when it did not succeed). */
  result: T | undefined;
  /** The finished graph with all its processes. */
  graph: ProcessGraphWithProcesses;
}

/** True when the module with this import.meta.url is the script node was started with. */
export function isMain(importMetaUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return importMetaUrl === pathToFileURL(realpathSync(script)).href;
  } catch {
    return importMetaUrl === pathToFileURL(script).href;
  }
}

/** A user client from COLONIES_SERVER_URL (or HOST+PORT), COLONIES_PRVKEY and COLONIES_COLONY_NAME. */
export function clientFromEnv(env: NodeJS.ProcessEnv = process.env): ColoniesClient {
  const e = clientEnv(env);
  const missing = [!e.prvkey && 'COLONIES_PRVKEY', !e.colonyname && 'COLONIES_COLONY_NAME'].filter(Boolean);
  if (!e.prvkey || !e.colonyname) {
    throw new Error(`${missing.join(' and ')} not set: start a dev server (npm run dev) and run "source .colonies/dev.env" first`);
  }
  return new ColoniesClient({ url: e.url, prvkey: e.prvkey, colonyname: e.colonyname });
}

export function node(graph: ProcessGraphWithProcesses, nodename: string): Process | undefined {
  return graph.processes.find((p) => p.spec.nodename === nodename);
}

/** Submits the workflow, says its id, waits for it and returns the first output of `resultNode`. */
export async function submitAndWait<T>(client: ColoniesClient, wf: Workflow, resultNode: string, o: RunOptions = {}): Promise<ExampleResult<T>> {
  const submitted = await client.submitWorkflow(wf);
  o.say?.(`Workflow submitted: ${submitted.processgraphid}`);
  let graph: ProcessGraphWithProcesses;
  try {
    graph = await client.waitForProcessGraph(submitted.processgraphid, o.timeoutMs ?? 120_000);
  } catch (err) {
    if (err instanceof ColoniesError && err.code === 'TIMEOUT') {
      const types = [...new Set(wf.functionspecs.map((s) => s.executortype))].join(', ');
      throw new Error(`${err.message}: is an executor serving ${types} running? (npx tsx examples/executor.ts)`);
    }
    throw err;
  }
  const leaf = node(graph, resultNode);
  return {
    processgraphid: graph.processgraphid,
    state: graph.state,
    result: graph.state === 'SUCCESS' && leaf ? (leaf.out[0] as T) : undefined,
    graph,
  };
}

/** One line per process, as the tutorial's monitoring section prints them: node, executor type, state. */
export function processLines(graph: ProcessGraphWithProcesses): string[] {
  const w = Math.max(...graph.processes.map((p) => p.spec.nodename.length));
  const t = Math.max(...graph.processes.map((p) => p.spec.executortype.length));
  return graph.processes.map((p) => {
    const retried = p.retries > 0 ? ` after ${p.retries} ${p.retries === 1 ? 'retry' : 'retries'}` : '';
    const by = p.assignedexecutorid ? ` on executor ${p.assignedexecutorid.slice(0, 8)}` : '';
    return `  ${p.spec.nodename.padEnd(w)}  ${p.spec.executortype.padEnd(t)}  ${p.state}${retried}${by}`;
  });
}

export interface MainOptions {
  client?: ColoniesClient;
  out?: (line: string) => void;
  err?: (line: string) => void;
}

/**
 * The command-line entry of an example: runs it, prints the result, and returns the exit code:
 * 0 when the graph succeeded and `check` found nothing wrong (it returns a complaint, or undefined).
 */
export async function main<T>(
  run: (client: ColoniesClient, o: RunOptions) => Promise<ExampleResult<T>>,
  check: (r: ExampleResult<T>) => string | undefined,
  o: MainOptions = {},
): Promise<number> {
  const out = o.out ?? ((line: string) => console.log(line));
  const err = o.err ?? ((line: string) => console.error(line));
  try {
    const client = o.client ?? clientFromEnv();
    const r = await run(client, { say: out });
    out(`State: ${r.state}`);
    for (const line of processLines(r.graph)) out(line);
    if (r.state !== 'SUCCESS') {
      err(`The workflow ended ${r.state}`);
      for (const e of r.graph.errors) err(`  ${e}`);
      for (const p of r.graph.processes) if (p.state === 'FAILED') err(`  ${p.spec.nodename}: ${p.errors[0] ?? 'failed'}`);
      return 1;
    }
    out(`Result: ${JSON.stringify(r.result)}`);
    const problem = check(r);
    if (problem) {
      err(`Wrong result: ${problem}`);
      return 1;
    }
    return 0;
  } catch (e) {
    err(e instanceof Error ? e.message : String(e));
    return 1;
  }
}
