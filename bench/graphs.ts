/**
 * Graph workloads (Colonies only; the peers have no process graphs):
 *   map-reduce  map adds `width` children (add_child, in batches) that all feed reduce; wall time and processes/s.
 *   expand      the same fan-out by the server: range returns a list of `width`, `each` expands over it
 *               (one process per element), its collector feeds reduce; wall time and processes/s.
 *   chain       `length` steps, each depending on the previous; per-hop latency = start of step i − start of step i−1.
 *   dag         a seeded random 100-node DAG submitted `count` times; wall time and per-graph duration.
 *   by-name     one-node runs, started in alternating blocks by a submit of the workflow and by a run
 *               of the same workflow registered as a spec with a variable; the two start rates compared.
 * Wall time runs from just before the submit to the graph's end time as the server recorded it (same clock).
 */
import type { ColoniesClient } from '../executor/client.ts';
import type { FunctionSpecInput } from '../protocol/schemas.ts';
import type { ProcessGraph } from '../protocol/types.ts';
import { now, rng, sleep, summarize, type Summary } from './common.ts';
import type { PgAdmin } from './pg-admin.ts';
import { EXECUTOR_TYPE } from './systems/colonies.ts';
import { pool, type Target } from './target.ts';
import { costMeter, type Cost, type Workers } from './workloads.ts';

export interface GraphSizes {
  /** by-name: runs started in all, half each way. */
  byNameCount: number;
  mapWidth: number;
  chainLength: number;
  dagNodes: number;
  dagCount: number;
  capMs: number;
}

export interface GraphResult {
  workload: 'map-reduce' | 'expand' | 'chain' | 'dag' | 'by-name';
  graphs: number;
  processes: number;
  /** Graphs that finished SUCCESS within the cap. */
  succeeded: number;
  /** Processes that succeeded within the cap (all of them when every graph finished). */
  processesDone: number;
  wallSeconds: number;
  processesPerSecond: number;
  /** chain: per-hop latency; dag: per-graph duration (ms). */
  latency: Summary | null;
  /** by-name: runs started per second each way (submit of the workflow, run of the registered spec). */
  starts?: { submit: number; byName: number };
  check: string;
  cost: Cost;
  errors: string[];
}

const FINISHED = new Set(['SUCCESS', 'FAILED', 'CANCELLED']);

/**
 * Polls the (cheap) graph list until every id has finished or the deadline passes. Returns the
 * finished graphs and the last seen state of every graph (for the processes an unfinished one did).
 */
async function waitGraphs(
  client: ColoniesClient,
  ids: string[],
  deadline: number,
): Promise<{ done: Map<string, ProcessGraph>; seen: Map<string, ProcessGraph> }> {
  const done = new Map<string, ProcessGraph>();
  const seen = new Map<string, ProcessGraph>();
  const wanted = new Set(ids);
  while (done.size < wanted.size && now() < deadline) {
    for (const g of await client.listProcessGraphs({ count: Math.min(10_000, ids.length + 50) })) {
      if (!wanted.has(g.processgraphid)) continue;
      seen.set(g.processgraphid, g);
      if (FINISHED.has(g.state)) done.set(g.processgraphid, g);
    }
    if (done.size < wanted.size) await sleep(25);
  }
  return { done, seen };
}

const spec = (funcname: string, nodename: string, deps: string[] = [], args: unknown[] = []): FunctionSpecInput => ({
  funcname,
  nodename,
  executortype: EXECUTOR_TYPE,
  args,
  conditions: { dependencies: deps },
});

export function randomDag(nodes: number, seed = 7): FunctionSpecInput[] {
  const r = rng(seed);
  const specs: FunctionSpecInput[] = [];
  for (let i = 0; i < nodes; i++) {
    const deps = new Set<string>();
    const k = i === 0 ? 0 : Math.floor(r() * 4);
    for (let j = 0; j < k; j++) deps.add(`n${Math.max(0, i - 1 - Math.floor(r() * Math.min(i, 20)))}`);
    specs.push(spec('noop', `n${i}`, [...deps]));
  }
  return specs;
}

async function measure(
  t: Target,
  w: Workers,
  admin: PgAdmin,
  client: ColoniesClient,
  capMs: number,
  submit: () => Promise<string[]>,
): Promise<{
  t0: number;
  tEnd: number;
  graphs: Map<string, ProcessGraph>;
  succeededProcesses: number;
  ids: string[];
  extras: Record<string, unknown[]>;
  cost: Cost;
  errors: string[];
}> {
  await w.start();
  await sleep(300);
  const meter = await costMeter(t, admin);
  const t0 = now();
  const ids = await submit();
  const { done: graphs, seen } = await waitGraphs(client, ids, t0 + capMs);
  const tEnd = now();
  const succeededProcesses = [...seen.values()].reduce((n, g) => n + g.successcount, 0);
  const reports = await w.collect();
  const cost = await meter(reports);
  await w.stop();
  for (const id of ids) if (!graphs.has(id)) await client.cancelProcessGraph(id).catch(() => undefined);
  const extras: Record<string, unknown[]> = {};
  for (const r of reports) for (const [k, v] of Object.entries(r.extras)) (extras[k] ??= []).push(...v);
  return { t0, tEnd, graphs, succeededProcesses, ids, extras, cost, errors: reports.flatMap((r) => r.errors) };
}

/** Until the last graph ended; a graph that did not finish counts until the cap stopped the wait. */
function wallOf(m: { t0: number; tEnd: number; ids: string[]; graphs: Map<string, ProcessGraph> }): number {
  const ends = m.ids.map((id) => {
    const g = m.graphs.get(id);
    return g?.endtime ? Date.parse(g.endtime) : m.tEnd;
  });
  return (Math.max(...ends) - m.t0) / 1000;
}

const succeeded = (graphs: Map<string, ProcessGraph>) => [...graphs.values()].filter((g) => g.state === 'SUCCESS').length;

export async function runMapReduce(t: Target, w: Workers, admin: PgAdmin, client: ColoniesClient, s: GraphSizes): Promise<GraphResult> {
  return fanOut(t, w, admin, client, s, 'map-reduce', [spec('map', 'map', [], [s.mapWidth]), spec('reduce', 'reduce', ['map'])], s.mapWidth + 2);
}

/** The map-reduce's fan-out written as `expand`: the server creates the `width` processes, no map function. */
export async function runExpand(t: Target, w: Workers, admin: PgAdmin, client: ColoniesClient, s: GraphSizes): Promise<GraphResult> {
  const specs = [
    spec('range', 'range', [], [s.mapWidth]),
    { ...spec('gen', 'each', ['range']), expand: { $output: 'range' } },
    spec('reduce', 'reduce', ['each']),
  ];
  return fanOut(t, w, admin, client, s, 'expand', specs, s.mapWidth + 3);
}

/** One graph fanning out to `mapWidth` gen processes whose outputs (1 each) reduce sums. */
async function fanOut(
  t: Target,
  w: Workers,
  admin: PgAdmin,
  client: ColoniesClient,
  s: GraphSizes,
  workload: 'map-reduce' | 'expand',
  functionspecs: FunctionSpecInput[],
  processes: number,
): Promise<GraphResult> {
  const m = await measure(t, w, admin, client, s.capMs, async () => [(await client.submitWorkflow({ functionspecs })).processgraphid]);
  const wall = wallOf(m);
  const sums = m.extras.sums ?? [];
  return {
    workload,
    graphs: 1,
    processes,
    succeeded: succeeded(m.graphs),
    wallSeconds: wall,
    processesDone: m.succeededProcesses,
    processesPerSecond: m.succeededProcesses / wall,
    latency: null,
    check:
      sums.length === 1 && sums[0] === s.mapWidth
        ? `reduce summed ${s.mapWidth} inputs`
        : `reduce saw ${JSON.stringify(sums)} (want [${s.mapWidth}])`,
    cost: m.cost,
    errors: m.errors,
  };
}

export async function runChain(t: Target, w: Workers, admin: PgAdmin, client: ColoniesClient, s: GraphSizes): Promise<GraphResult> {
  const specs = Array.from({ length: s.chainLength }, (_, i) => spec('step', `step_${i}`, i === 0 ? [] : [`step_${i - 1}`], [i]));
  const m = await measure(t, w, admin, client, s.capMs, async () => [(await client.submitWorkflow({ functionspecs: specs })).processgraphid]);
  const starts = new Map<number, number>();
  for (const h of (m.extras.hops ?? []) as [number, number][]) starts.set(h[0], h[1]);
  const hops: number[] = [];
  for (let i = 1; i < s.chainLength; i++) {
    const a = starts.get(i - 1);
    const b = starts.get(i);
    if (a !== undefined && b !== undefined) hops.push(b - a);
  }
  const wall = wallOf(m);
  return {
    workload: 'chain',
    graphs: 1,
    processes: s.chainLength,
    succeeded: succeeded(m.graphs),
    wallSeconds: wall,
    processesDone: m.succeededProcesses,
    processesPerSecond: m.succeededProcesses / wall,
    latency: summarize(hops),
    check: `${starts.size} of ${s.chainLength} steps ran`,
    cost: m.cost,
    errors: m.errors,
  };
}

export async function runDags(t: Target, w: Workers, admin: PgAdmin, client: ColoniesClient, s: GraphSizes): Promise<GraphResult> {
  const specs = randomDag(s.dagNodes);
  const m = await measure(t, w, admin, client, s.capMs, async () => {
    const ids: string[] = [];
    await pool(s.dagCount, 4, async () => void ids.push((await client.submitWorkflow({ functionspecs: specs })).processgraphid));
    return ids;
  });
  const durations = [...m.graphs.values()].flatMap((g) => (g.endtime ? [Date.parse(g.endtime) - Date.parse(g.submissiontime)] : []));
  const wall = wallOf(m);
  const processes = s.dagNodes * s.dagCount;
  return {
    workload: 'dag',
    graphs: s.dagCount,
    processes,
    succeeded: succeeded(m.graphs),
    wallSeconds: wall,
    processesDone: m.succeededProcesses,
    processesPerSecond: m.succeededProcesses / wall,
    latency: summarize(durations),
    check: `${succeeded(m.graphs)} of ${s.dagCount} graphs succeeded`,
    cost: m.cost,
    errors: m.errors,
  };
}

/**
 * The cost of starting a run by name against submitting the same workflow: blocks of one-node runs,
 * alternating (the order swapped every other pair, so drift favours neither), 8 callers at a time,
 * with the executors draining meanwhile. A start's time is its request's: submission, not execution.
 */
export async function runByName(t: Target, w: Workers, admin: PgAdmin, client: ColoniesClient, s: GraphSizes): Promise<GraphResult> {
  const name = `bench-by-name-${Date.now()}`;
  await client.registerWorkflowSpec(name, {
    functionspecs: [{ ...spec('gen', 'by-name'), args: [{ $var: 'n' }] }],
    variables: { n: { type: 'integer', required: true } },
  });
  const adHoc = { functionspecs: [spec('gen', 'by-name', [], [0])] };
  const spent = { submit: 0, byName: 0 };
  const started = { submit: 0, byName: 0 };
  const block = Math.max(20, Math.floor(s.byNameCount / 20));
  const m = await measure(t, w, admin, client, s.capMs, async () => {
    const ids: string[] = [];
    for (let pair = 0; started.submit + started.byName < s.byNameCount; pair++) {
      for (const kind of pair % 2 === 0 ? (['submit', 'byName'] as const) : (['byName', 'submit'] as const)) {
        const t0 = now();
        await pool(block, 8, async (i) => {
          const g = kind === 'submit' ? await client.submitWorkflow(adHoc) : await client.runWorkflow(name, { n: i });
          ids.push(g.processgraphid);
        });
        spent[kind] += now() - t0;
        started[kind] += block;
      }
    }
    return ids;
  });
  const wall = wallOf(m);
  const rate = (k: keyof typeof spent) => (started[k] * 1000) / spent[k];
  const starts = { submit: rate('submit'), byName: rate('byName') };
  return {
    workload: 'by-name',
    graphs: m.ids.length,
    processes: m.ids.length,
    succeeded: succeeded(m.graphs),
    wallSeconds: wall,
    processesDone: m.succeededProcesses,
    processesPerSecond: m.succeededProcesses / wall,
    latency: null,
    starts,
    check: `runs started ${Math.round(starts.byName)}/s by name, ${Math.round(starts.submit)}/s by submit: ${(starts.byName / starts.submit).toFixed(2)}×`,
    cost: m.cost,
    errors: m.errors,
  };
}
