/** What the process-graph tests share: a fresh executor type per test, finding nodes, claiming by name, a fast executor. */
import assert from 'node:assert/strict';
import { funcSpec, Workflow, type FuncSpecOptions } from '../../executor/workflow.ts';
import type { ColoniesClient } from '../../executor/client.ts';
import type { Process, ProcessGraphWithProcesses } from '../../protocol/types.ts';
import type { Fixture } from './fixture.ts';

/** The process of a graph with that node name (asserted to exist). */
export function node(g: ProcessGraphWithProcesses, name: string): Process {
  const p = g.processes.find((x) => x.spec.nodename === name);
  assert.ok(p, `no process ${name}`);
  return p;
}

/** Every node's state, by node name. */
export const states = (g: ProcessGraphWithProcesses): Record<string, string> =>
  Object.fromEntries(g.processes.map((p) => [p.spec.nodename, p.state]));

/** Claims one process and checks it is the one expected. */
export async function take(e: ColoniesClient, nodename: string): Promise<Process> {
  const [p] = await e.assign({ timeout: 2 });
  assert.ok(p, `expected ${nodename} to be assigned`);
  assert.equal(p.spec.nodename, nodename);
  return p;
}

/** Claims `n` processes at once (queue order). */
export async function takeAll(e: ColoniesClient, n: number): Promise<Process[]> {
  const ps = await e.assign({ timeout: 2, count: n });
  assert.equal(ps.length, n);
  return ps;
}

/**
 * Per-test executor types under one prefix (a test's claims never see another's processes), on the
 * fixture `fixture()` returns once `before` has started it.
 */
export function graphKit(fixture: () => Fixture, prefix: string) {
  let counter = 0;
  /** A fresh executor type's name. */
  const freshType = () => `${prefix}-${++counter}`;
  /** A fresh executor type and its executor's client. */
  const executor = async () => {
    const type = freshType();
    return { type, e: (await fixture().addExecutor(type)).client };
  };
  /** A workflow of the specs on a fresh executor type, and that executor's client. */
  const setup = async (...specs: Omit<FuncSpecOptions, 'executortype'>[]) => {
    const { type, e } = await executor();
    const wf = new Workflow();
    for (const s of specs) wf.add(funcSpec({ ...s, executortype: type }));
    return { e, wf, type };
  };
  const graph = (id: string): Promise<ProcessGraphWithProcesses> => fixture().a.userClient.getProcessGraph(id);
  return { freshType, executor, setup, graph };
}

/** Runs one process for a fast executor; `progress()` says it is not stuck while it works a long time. */
export type RunProcess = (p: Process, client: ColoniesClient, progress: () => void) => unknown[] | Promise<unknown[]>;

/**
 * A fast in-process executor: two loops on each client claim 50 processes at a time and close them in
 * parallel with what `run` returns, until the process `lastId` is closed. Fails when nothing is claimed
 * for 30 s (the graph is stuck); no loop outlives it. Resolves to how many processes ran.
 */
export async function executeUntil(clients: ColoniesClient[], lastId: string, run: RunProcess): Promise<number> {
  let ran = 0;
  let lastProgress = Date.now();
  const progress = () => void (lastProgress = Date.now());
  const stop = new AbortController();

  async function loop(client: ColoniesClient): Promise<void> {
    while (!stop.signal.aborted) {
      let ps: Process[];
      try {
        ps = await client.assign({ timeout: 2, count: 50 }, stop.signal);
      } catch (err) {
        if (stop.signal.aborted) return;
        throw err;
      }
      if (ps.length === 0 && Date.now() - lastProgress > 30_000) throw new Error(`stalled: nothing to assign for 30 s after ${ran} processes ran`);
      await Promise.all(
        ps.map(async (p) => {
          await client.close(p.processid, p.attempt, await run(p, client, progress));
          ran++;
          progress();
          if (p.processid === lastId) stop.abort();
        }),
      );
    }
  }

  const loops = clients.flatMap((c) => [loop(c), loop(c)]);
  try {
    await Promise.all(loops);
  } finally {
    stop.abort(); // on failure too: no loop outlives the call
    await Promise.allSettled(loops);
  }
  return ran;
}
