/**
 * Fan-out over a list (`expand`): when an expand node's gate opens, the server creates one process per
 * element (its instances, `X[0]`…`X[N-1]`, ready at once, each with its element appended to the node's
 * args), puts them between the node's parents and the node, and the node waits for them as their
 * collector: its output is their outputs concatenated in order. See docs/architecture.md, Fan-out over a list.
 */
import { AppError } from '../errors.ts';
import type { Queryable } from '../store/db.ts';
import { expandSql } from '../store/sql/expand.ts';
import type { DueGate, ParentRow } from '../store/sql/gates.ts';
import { graphsSql } from '../store/sql/graphs.ts';
import { processesSql, type NewProcess } from '../store/sql/processes.ts';
import { newProcess } from './processes.ts';
import { describeSource, expandedCount, expandProblem, expandValue, instanceName, MAX_EXPAND, type ExpandSource } from '../../protocol/expand.ts';
import type { FunctionSpec } from '../../protocol/schemas.ts';
import { resolveRefs, type VariableDeclarations } from '../../protocol/variables.ts';

/** What the node's gate does: finish the node with an output, fail it, or it expanded into these instances. */
export type ExpandOutcome = { output: unknown[] } | { fail: string } | { instances: NewProcess[] };

/**
 * Decides an expand node whose gate opened with `input` from `parents`, inside the gate's transaction:
 * a collector (expanded before) finishes with its input; otherwise the list is read and expanded.
 */
export async function expandNode(tx: Queryable, g: DueGate, input: unknown[], parents: ParentRow[], now: Date): Promise<ExpandOutcome> {
  if (expandedCount(g.spec) !== undefined) return { output: input };
  const source = g.spec.expand!;
  const list = listOf(source, g, parents);
  if (typeof list === 'string') return { fail: `expand: ${list}` };
  if (list.length === 0) return { output: [] };
  if (list.length > MAX_EXPAND)
    return { fail: `expand: ${describeSource(source)} holds ${list.length} elements; at most ${MAX_EXPAND} expand at once` };
  const names = list.map((_, i) => instanceName(g.spec.nodename, i));
  const taken = await expandSql.taken(tx, g.processgraphid, names);
  if (taken !== undefined) return { fail: `expand: an instance would be named "${taken}", which another process of the graph has` };
  const node = await expandSql.node(tx, g.processid);
  const base = instanceSpec(node.varrefs ? resolveRefs(g.spec, node.varrefs, g.variables) : g.spec);
  const instances = list.map((element, i) => {
    const spec: FunctionSpec = { ...base, nodename: names[i]!, args: [...base.args, element] };
    // gated: the server started it and fixed its input (the node's args and its element), as a gate does.
    return newProcess(g.colonyname, spec, node.initiatorid, now, {
      processgraphid: g.processgraphid,
      parents: g.parents,
      children: [g.processid],
      waitingparents: 0,
      gated: true,
      input: spec.args,
    });
  });
  await processesSql.insert(tx, instances, now);
  await expandSql.rewire(
    tx,
    g,
    instances.map((p) => p.processid),
  );
  await graphsSql.addProcessCount(tx, g.processgraphid, instances.length);
  return { instances };
}

/** The list an expand reads, or why there is none. */
function listOf(source: ExpandSource, g: DueGate, parents: ParentRow[]): unknown[] | string {
  let output: unknown[] | undefined;
  if (source.$output !== undefined) {
    const parent = parents.find((p) => p.nodename === source.$output);
    if (!parent) return `$output "${source.$output}" is not a parent of "${g.spec.nodename}"`;
    if (parent.state !== 'SUCCESS') return `parent "${source.$output}" is ${parent.state}: it has no output to expand over`;
    output = parent.output;
  }
  const value = expandValue(source, g.variables, output);
  if (!Array.isArray(value)) return `${describeSource(source)} is ${describe(value)}, not a list`;
  return value as unknown[];
}

const describe = (v: unknown): string => {
  if (v === null || v === undefined) return 'null (nothing there)';
  const text = JSON.stringify(v);
  return `${typeof v === 'object' ? 'an object' : `a ${typeof v}`} (${text.length > 60 ? text.slice(0, 57) + '...' : text})`;
};

/** An instance runs the node's function as an executor's process: without the fan-out, its conditions or the variables it sets. */
function instanceSpec(spec: FunctionSpec): FunctionSpec {
  const { expand: _expand, setvariables: _sets, conditions, ...rest } = spec;
  return { ...rest, conditions: { dependencies: conditions.dependencies } };
}

/** Checks every node's `expand` against its workflow (before any write): at registration and at every submit. */
export function checkExpands(specs: FunctionSpec[], decls: VariableDeclarations): void {
  specs.forEach((s, i) => {
    const message = expandProblem(s, decls);
    if (!message) return;
    const path = `functionspecs[${i}].expand`;
    throw new AppError('VALIDATION_FAILED', `${path}: ${message}`, { issues: [{ path, message }] });
  });
}
