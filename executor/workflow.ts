/** Building workflows in code, mirroring pycolonies' func_spec and Workflow. */
import type { z } from 'zod';
import type { FunctionSpecInput, WorkflowSpecInput } from '../protocol/schemas.ts';
import type { VariableDeclaration } from '../protocol/variables.ts';

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
  /** Run variables set from this process's output when it closes: { total: '$[0]' }. */
  setvariables?: Record<string, string>;
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

export function funcSpec(o: FuncSpecOptions): FunctionSpecInput & { conditions: { dependencies: string[] } } {
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
    conditions: { dependencies: [...(o.dependencies ?? [])] },
    ...(o.setvariables ? { setvariables: o.setvariables } : {}),
    ...retryPolicy(o),
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
