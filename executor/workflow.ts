/** Building workflows in code, mirroring pycolonies' func_spec and Workflow. */
import type { FunctionSpecInput, WorkflowSpecInput } from '../protocol/schemas.ts';

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
  };
}

export class Workflow {
  readonly functionspecs: ReturnType<typeof funcSpec>[] = [];
  constructor(readonly colonyname?: string) {}
  add(spec: ReturnType<typeof funcSpec>): this {
    this.functionspecs.push(spec);
    return this;
  }
  toJSON(): WorkflowSpecInput {
    return { ...(this.colonyname ? { colonyname: this.colonyname } : {}), functionspecs: this.functionspecs };
  }
}
