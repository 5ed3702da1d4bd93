/** Building workflows in code, mirroring pycolonies' func_spec and Workflow. */
import type { z } from 'zod';
import type { FunctionSpecInput, WorkflowSpecInput } from '../protocol/schemas.ts';
import type { VariableDeclaration } from '../protocol/variables.ts';
import type { TriggerRule } from '../protocol/flow.ts';

export interface FuncSpecOptions {
  /** A function (its name is used) or a function name. */
  func: ((...args: never[]) => unknown) | string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  executortype: string;
  nodename?: string;
  maxwaittime?: number;
  maxexectime?: number;
  maxretries?: number;
  /** Seconds before the first retry (default 0: at once); see docs/architecture.md, Process semantics. */
  retrydelay?: number;
  /** Each further retry waits this many times longer (default 2). */
  retrybackoff?: number;
  /** The longest a retry waits (default 100 × retrydelay). */
  maxretrydelay?: number;
  /** Error kinds (a thrown error's name) never retried. */
  noretry?: string[];
  priority?: number;
  label?: string;
  dependencies?: string[];
  /** A CEL condition over `input`, `outputs`, `states`, `errors` (parents by nodename) and `vars`: false → SKIPPED. */
  when?: string;
  /** When the process may run by its parents' outcomes (default all_success; one_failed makes it a failure handler). */
  trigger?: TriggerRule;
  /** Run variables set from this process's output when it closes: { total: '$[0]' }. */
  setvariables?: Record<string, string>;
  /**
   * One process per element of a list, { $var: 'files' } or { $output: 'list-files', path: '$[0].items' }: each gets its
   * element after its args; the node's children receive all their outputs in order.
   */
  expand?: { $var: string; path?: string } | { $output: string; path?: string };
}

/** The retry policy's fields that were given: a spec without them keeps its old form (and a registered spec its hash). */
function retryPolicy(o: FuncSpecOptions): Pick<FunctionSpecInput, 'retrydelay' | 'retrybackoff' | 'maxretrydelay' | 'noretry'> {
  return {
    ...(o.retrydelay !== undefined ? { retrydelay: o.retrydelay } : {}),
    ...(o.retrybackoff !== undefined ? { retrybackoff: o.retrybackoff } : {}),
    ...(o.maxretrydelay !== undefined ? { maxretrydelay: o.maxretrydelay } : {}),
    ...(o.noretry ? { noretry: [...o.noretry] } : {}),
  };
}

/** A node of a workflow as the builders make it: its dependencies always listed. */
export type NodeSpec = FunctionSpecInput & { conditions: { dependencies: string[]; when?: string; trigger?: TriggerRule } };

export function funcSpec(o: FuncSpecOptions): NodeSpec {
  const funcname = typeof o.func === 'string' ? o.func : o.func.name;
  if (!funcname) throw new Error('funcSpec: an anonymous function has no name; pass the name as a string');
  return {
    funcname,
    nodename: o.nodename ?? funcname,
    args: o.args ?? [],
    kwargs: o.kwargs ?? {},
    executortype: o.executortype,
    maxwaittime: o.maxwaittime ?? 0,
    maxexectime: o.maxexectime ?? 0,
    maxretries: o.maxretries ?? 0,
    priority: o.priority ?? 0,
    label: o.label ?? '',
    conditions: {
      dependencies: [...(o.dependencies ?? [])],
      ...(o.when !== undefined ? { when: o.when } : {}),
      ...(o.trigger !== undefined ? { trigger: o.trigger } : {}),
    },
    ...(o.setvariables ? { setvariables: o.setvariables } : {}),
    ...(o.expand ? { expand: o.expand } : {}),
    ...retryPolicy(o),
  };
}

/** What every node takes: where it sits in the graph, when it runs, how long it may wait. */
export interface NodeOptions {
  nodename: string;
  dependencies?: string[];
  when?: string;
  trigger?: TriggerRule;
  maxwaittime?: number;
  label?: string;
}

/** A node the server runs itself, of a kind with its own fields (see protocol/flow.ts). */
function serverNode(
  kind: 'event' | 'sleep' | 'usertask',
  o: NodeOptions,
  fields: Pick<FunctionSpecInput, 'event' | 'seconds' | 'until' | 'assignee' | 'form'>,
): NodeSpec {
  return {
    kind,
    nodename: o.nodename,
    maxwaittime: o.maxwaittime ?? 0,
    label: o.label ?? '',
    conditions: {
      dependencies: [...(o.dependencies ?? [])],
      ...(o.when !== undefined ? { when: o.when } : {}),
      ...(o.trigger !== undefined ? { trigger: o.trigger } : {}),
    },
    ...fields,
  };
}

/** Waits for an external event posted to the run (`postEvent`); its output is the event's data. */
export const eventNode = (o: NodeOptions & { event: string }): NodeSpec => serverNode('event', o, { event: o.event });

/** Waits `seconds` once ready, or until a time (ISO 8601, or { $var: name } holding one). */
export const sleepNode = (o: NodeOptions & ({ seconds: number } | { until: string | { $var: string } })): NodeSpec =>
  serverNode('sleep', o, 'seconds' in o ? { seconds: o.seconds } : { until: o.until });

/** Waits for a user (the assignee, or anyone in the colony) to complete it with data its form (a JSON Schema) accepts. */
export const userTask = (o: NodeOptions & { assignee?: string; form?: Record<string, unknown> }): NodeSpec =>
  serverNode('usertask', o, { ...(o.assignee !== undefined ? { assignee: o.assignee } : {}), ...(o.form !== undefined ? { form: o.form } : {}) });

/** A variable's declaration as a workflow states it (see protocol/variables.ts). */
export type VariableInput = z.input<typeof VariableDeclaration>;

export class Workflow {
  readonly functionspecs: NodeSpec[] = [];
  readonly variables: Record<string, VariableInput> = {};
  constructor(readonly colonyname?: string) {}
  add(spec: NodeSpec): this {
    this.functionspecs.push(spec);
    return this;
  }
  /** Declares a variable: args and kwargs may then refer to it as { $var: name }. */
  variable(name: string, declaration: VariableInput): this {
    this.variables[name] = declaration;
    return this;
  }
  toJSON(): WorkflowSpecInput {
    const vars = Object.keys(this.variables).length > 0 ? { variables: this.variables } : {};
    return { ...(this.colonyname ? { colonyname: this.colonyname } : {}), functionspecs: this.functionspecs, ...vars };
  }
}
