/**
 * Fan-out over a list (`expand`), pure: where a node's list comes from (a run variable or a parent's
 * output, with an optional path), the checks a workflow passes before any write, and how the server
 * names and marks what an expansion creates. See docs/architecture.md, Fan-out over a list.
 */
import { z } from 'zod';
import { declared, jsonPath, pathSteps, refValue, variableName, type VariableDeclarations } from './variables.ts';
import { storableString } from './values.ts';

/** `{"$var": "files"}` or `{"$output": "list-files"}`, either with a `path` into the value. */
export const ExpandSource = z
  .object({
    $var: variableName.optional(),
    $output: storableString().min(1).max(200).optional(),
    path: jsonPath.optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    if ((e.$var === undefined) === (e.$output === undefined))
      ctx.addIssue({ code: 'custom', message: 'expand names its list: {"$var": name} or {"$output": nodename} (one of them)' });
  });
export type ExpandSource = z.output<typeof ExpandSource>;

/** The most instances one expansion creates (as many as one add_child batch); a longer list fails its node. */
export const MAX_EXPAND = 20_000;

/** An instance's nodename: the expanded node's, with its index (`resize[3]`). */
export const instanceName = (nodename: string, i: number): string => `${nodename}[${i}]`;

/**
 * The key the server adds to an expanded node's stored spec: how many instances it became. The node is
 * then their collector: when they have finished it finishes with their outputs, without expanding again.
 * Users cannot set it (the spec schema refuses unknown fields).
 */
export const EXPANDED_KEY = 'expanded';

/** How many instances the node was expanded into, or undefined when it has not been. */
export function expandedCount(spec: object): number | undefined {
  const n = (spec as Record<string, unknown>)[EXPANDED_KEY];
  return typeof n === 'number' ? n : undefined;
}

/** Why a node's `expand` does not fit its workflow (a dependency, a declared json variable), or undefined. */
export function expandProblem(
  spec: { nodename: string; kind?: string | undefined; expand?: ExpandSource | undefined; conditions: { dependencies: string[] } },
  decls: VariableDeclarations,
): string | undefined {
  const e = spec.expand;
  if (!e) return undefined;
  if (e.$output !== undefined) {
    if (!spec.conditions.dependencies.includes(e.$output))
      return `$output "${e.$output}" is not a dependency of "${spec.nodename}": list it in conditions.dependencies`;
    return undefined;
  }
  const d = declared(decls, e.$var!);
  if (!d) return `variable "${e.$var}" is not declared in "variables"`;
  if (d.type !== 'json') return `variable "${e.$var}" is a ${d.type}: a list is held by a json variable`;
  return undefined;
}

/** The value an expand reads: the variable's, or the named parent's output (its `out` array), at the path. */
export function expandValue(e: ExpandSource, variables: Record<string, unknown>, output?: unknown[]): unknown {
  const steps = e.path === undefined ? [] : (pathSteps(e.path) as string[]);
  return e.$var !== undefined ? refValue(variables, { var: e.$var, path: steps }) : refValue({ out: output }, { var: 'out', path: steps });
}

/** Names the source in messages: `$var "files"`, `$output "list-files" at $[0].items`. */
export function describeSource(e: ExpandSource): string {
  const at = e.path !== undefined ? ` at ${e.path}` : '';
  return e.$var !== undefined ? `$var "${e.$var}"${at}` : `$output "${e.$output}"${at}`;
}
