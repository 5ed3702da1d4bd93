/**
 * Control flow in a process graph, pure: trigger rules (Airflow's names and meanings), conditions
 * (`conditions.when`, a CEL expression) and which processes the server gates — decides when they run
 * instead of counting their parents' successes. See docs/architecture.md, Control flow.
 */
import { parse } from '@marcbachmann/cel-js';
import { isServerNode } from './kinds.ts';

export { isServerNode, NODE_KINDS, serverExecutorType, type NodeKind } from './kinds.ts';

export const TRIGGER_RULES = ['all_success', 'all_done', 'one_success', 'one_failed', 'none_failed'] as const;
export type TriggerRule = (typeof TRIGGER_RULES)[number];

/** Triggers that run a process after a parent failed: a failure with such a descendant is handled. */
export const HANDLING_TRIGGERS: readonly TriggerRule[] = ['one_failed', 'all_done'];

/** What a finished parent counts as for a trigger rule (CANCELLED counts as FAILED). */
export type ParentOutcome = 'SUCCESS' | 'FAILED' | 'SKIPPED';

/** What a trigger rule makes of a process whose parents have all finished. */
export type TriggerDecision = 'run' | 'skip' | 'fail';

/**
 * The trigger rule's decision once every parent has finished. `fail` is Airflow's upstream_failed:
 * the process fails without running, and its failure goes on down the graph like any other.
 */
export function decideTrigger(rule: TriggerRule, parents: readonly ParentOutcome[]): TriggerDecision {
  const failed = parents.includes('FAILED');
  const skipped = parents.includes('SKIPPED');
  const succeeded = parents.includes('SUCCESS');
  switch (rule) {
    case 'all_success':
      return failed ? 'fail' : skipped ? 'skip' : 'run';
    case 'all_done':
      return 'run';
    case 'one_success':
      return succeeded ? 'run' : failed ? 'fail' : 'skip';
    case 'one_failed':
      return failed ? 'run' : 'skip';
    case 'none_failed':
      return failed ? 'fail' : 'run';
  }
}

/** What a condition sees: the input the process would get, its parents by nodename, the run's variables. */
export interface ConditionContext {
  input: unknown[];
  outputs: Record<string, unknown[]>;
  states: Record<string, string>;
  errors: Record<string, string[]>;
  vars: Record<string, unknown>;
}

/** Why a condition does not parse, or undefined when it does. */
export function conditionProblem(expression: string): string | undefined {
  try {
    parse(expression);
    return undefined;
  } catch (err) {
    return `does not parse as CEL: ${firstLine(err)}`;
  }
}

/** Evaluates a condition: true or false, or the reason it could not be decided (an error the process fails with). */
export function evaluateCondition(expression: string, context: ConditionContext): boolean | { error: string } {
  let value: unknown;
  try {
    value = parse(expression)(context);
  } catch (err) {
    return { error: `conditions.when "${expression}" failed: ${firstLine(err)}` };
  }
  if (typeof value !== 'boolean') return { error: `conditions.when "${expression}" gave ${String(value)}, not true or false` };
  return value;
}

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0]!.trim();

/** The control-flow fields of a function spec, as the gate reads them. */
export interface FlowFields {
  kind?: string | undefined;
  expand?: object | undefined;
  conditions: { when?: string | undefined; trigger?: TriggerRule | undefined };
}

/**
 * A gated process is started (or skipped, or failed) by the server once its parents have finished,
 * not by the count of their successes: it has a condition, a trigger rule other than the default,
 * runs on no executor, or expands over a list (protocol/expand.ts).
 */
export function isGated(spec: FlowFields): boolean {
  return (
    isServerNode(spec) ||
    spec.conditions.when !== undefined ||
    (spec.conditions.trigger ?? 'all_success') !== 'all_success' ||
    spec.expand !== undefined
  );
}

/** What a whole workflow's control flow gets wrong that no single spec shows: a trigger rule on a node without parents. */
export function controlFlowProblem(
  specs: readonly { nodename: string; conditions: { dependencies: string[]; trigger?: TriggerRule | undefined } }[],
): { path: string; message: string } | undefined {
  for (const [i, s] of specs.entries()) {
    const trigger = s.conditions.trigger;
    if (s.conditions.dependencies.length === 0 && (trigger === 'one_success' || trigger === 'one_failed'))
      return { path: `functionspecs[${i}].conditions.trigger`, message: `trigger rule ${trigger} needs dependencies: "${s.nodename}" has none` };
  }
  return undefined;
}
