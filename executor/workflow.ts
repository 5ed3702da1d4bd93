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

export function funcSpec(o: FuncSpecOptions): FunctionSpecInput & { conditions: { dependencies: string[]; when?: string; trigger?: TriggerRule } } {
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
  };
}

/** A variable's declaration as a workflow states it (see protocol/variables.ts). */
export type VariableInput = z.input<typeof VariableDeclaration>;

export class Workflow {
  readonly functionspecs: ReturnType<typeof funcSpec>[] = [];
  readonly variables: Record<string, VariableInput> = {};
  constructor(readonly colonyname?: string) {}
  add(spec: ReturnType<typeof funcSpec>): this {
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
