/**
 * Every function the seed workflows use (the ColonyOS workflows tutorial, ported). An executor serves
 * this module: a process whose funcname is `sum_nums` calls `sum_nums(ctx, ...input)`, where input is
 * its parents' outputs concatenated in dependency order (or its args when it has no parents). An array
 * returned is the process's output list; a scalar x is [x]; a throw fails the attempt.
 *
 * `fetch` and `process` shadow the globals of the same names inside this module on purpose: the
 * funcnames are the tutorial's. Nothing here uses the globals.
 */
import type { ExecutionContext } from '../executor/executor.ts';
import { funcSpec } from '../executor/workflow.ts';

// ── Two steps: gen_nums → sum_nums ───────────────────────────────────────────────────────────────

/** Returns the tuple (1, 2): its process's output is [1, 2]. */
export function gen_nums(_ctx: ExecutionContext): number[] {
  return [1, 2];
}

export function sum_nums(_ctx: ExecutionContext, n1: number, n2: number): number {
  return n1 + n2;
}

// ── The quickstart: greet(input-name) ────────────────────────────────────────────────────────────

/** Greets a name (examples/quickstart/): a word or words joined by hyphens; anything else fails the attempt, to debug. */
export function greet(_ctx: ExecutionContext, name: string): string {
  if (!/^[a-z]+(-[a-z]+)*$/i.test(name)) throw new Error(`greet: ${JSON.stringify(name)} is not a name (letters and hyphens only)`);
  return `Hello, ${name}!`;
}

// ── Fan-in: fetch_a, fetch_b → merge ─────────────────────────────────────────────────────────────

export interface Sourced {
  source: string;
  value: number;
}

export function fetch_a(_ctx: ExecutionContext): Sourced {
  return { source: 'A', value: 10 };
}

export function fetch_b(_ctx: ExecutionContext): Sourced {
  return { source: 'B', value: 20 };
}

export async function merge(ctx: ExecutionContext, a: Sourced, b: Sourced): Promise<number> {
  await ctx.log(`merge: ${a.source}=${a.value} + ${b.source}=${b.value}`);
  return a.value + b.value;
}

// ── Map-reduce: map spawns five gen_nums that all feed reduce ────────────────────────────────────

/** How many gen_nums children map adds. */
export const MAP_WIDTH = 5;

/**
 * As in the tutorial: find `reduce` in this process's own graph, then add gen_nums_0 … gen_nums_4.
 * The first is inserted (spliced between map and its current child, reduce); the others are added as
 * children of map and extra parents of reduce. The tutorial passes reduce's id every time; with
 * insert=true the server ignores it, since the spliced process takes over all of map's children.
 */
export async function map(ctx: ExecutionContext): Promise<void> {
  const processgraphid = ctx.process.processgraphid;
  if (!processgraphid) throw new Error('map must run inside a workflow (it looks for "reduce" in its graph)');
  const reduce = await ctx.client.findProcess(processgraphid, 'reduce');
  let insert = true;
  for (let i = 0; i < MAP_WIDTH; i++) {
    const spec = funcSpec({ func: gen_nums, executortype: ctx.executortype, maxexectime: 100, maxwaittime: 100 });
    await ctx.addChild(spec, `gen_nums_${i}`, { insert, childprocessid: reduce.processid });
    insert = false;
  }
  await ctx.log(`map: added ${MAP_WIDTH} gen_nums children feeding reduce ${reduce.processid}`);
}

export async function reduce(ctx: ExecutionContext, ...nums: number[]): Promise<number> {
  let total = 0;
  for (const n of nums) total += n;
  await ctx.log(`reduce: ${nums.length} numbers, sum ${total}`);
  return total;
}

// ── Cross-platform: fetch (container) → process (HPC) → store (cloud) ────────────────────────────

export interface Fetched {
  dataset: string;
  records: number[];
  fetchedOn: string;
}

export interface Processed {
  dataset: string;
  count: number;
  sum: number;
  mean: number;
  fetchedOn: string;
  processedOn: string;
}

export interface Stored extends Processed {
  location: string;
  storedOn: string;
}

/** The "data center" step: a deterministic dataset, so the result can be checked (records 1..10). */
export function fetch(ctx: ExecutionContext, dataset: string): Fetched {
  return { dataset, records: Array.from({ length: 10 }, (_, i) => i + 1), fetchedOn: ctx.executortype };
}

/** The "HPC" step: summary statistics of the fetched records. */
export async function process(ctx: ExecutionContext, data: Fetched): Promise<Processed> {
  const sum = data.records.reduce((s, x) => s + x, 0);
  await ctx.log(`process: ${data.records.length} records of ${data.dataset} on ${ctx.executortype}`);
  return {
    dataset: data.dataset,
    count: data.records.length,
    sum,
    mean: data.records.length > 0 ? sum / data.records.length : 0,
    fetchedOn: data.fetchedOn,
    processedOn: ctx.executortype,
  };
}

/** The "cloud" step: returns a receipt naming where the result would be stored and who stored it. */
export function store(ctx: ExecutionContext, result: Processed): Stored {
  return { ...result, location: `cloud://results/${result.dataset}.json`, storedOn: ctx.executortype };
}

// ── Error handling: a function that fails twice, then succeeds ───────────────────────────────────

/** Attempts the process makes before flaky succeeds is FLAKY_FAILURES + 1. */
export const FLAKY_FAILURES = 2;

/** Bad input, which no retry can fix: a spec lists its name in `noretry`. */
export class ValidationError extends Error {
  override name = 'ValidationError';
}

/** Fails `failures` times (a transient error, retried), then succeeds; a bad `failures` is a ValidationError. */
export async function flaky(ctx: ExecutionContext, failures: unknown = FLAKY_FAILURES): Promise<{ ok: true; retries: number }> {
  if (typeof failures !== 'number' || !Number.isInteger(failures) || failures < 0)
    throw new ValidationError(`flaky: failures must be a whole number, 0 or more (got ${JSON.stringify(failures)})`);
  const { retries } = ctx.process;
  if (retries < failures) {
    await ctx.log(`flaky: failing on purpose (retries so far: ${retries})`);
    throw new Error(`flaky: transient failure ${retries + 1} of ${failures}`);
  }
  await ctx.log(`flaky: succeeded after ${retries} retries`);
  return { ok: true, retries };
}

// ── An order with control flow (order.ts) ─────────────────────────────────────────────────────────

export interface Order {
  id: string;
  amount: number;
  items: string[];
}

/** One process per item (expand): its element comes after its args. */
export function pack_item(_ctx: ExecutionContext, item: string): string {
  return `packed ${item}`;
}

/** Gets every packed item, in order (the fan-out's outputs, its input); the order id is its argument. */
export function ship_order(ctx: ExecutionContext, ...packed: string[]): { order: unknown; shipped: string[] } {
  return { order: ctx.process.spec.args[0], shipped: packed };
}

/** The failure handler: the payment never came. Its input is the failed wait, with its errors. */
export function cancel_order(ctx: ExecutionContext, failed: { nodename: string; errors: string[] }): { order: unknown; cancelled: string } {
  return { order: ctx.process.spec.args[0], cancelled: `${failed.nodename}: ${failed.errors.at(-1) ?? 'failed'}` };
}
