/**
 * A workflow's variables at submit: references checked against the declarations, the run's values
 * checked and defaulted, and each reference resolved now, or, when it reads a variable some process
 * sets (setvariables) and its process has parents, when that process is claimed (varrefs).
 * See docs/architecture.md, Workflow specs and variables.
 */
import { AppError } from '../../errors.ts';
import type { FunctionSpec } from '../../../protocol/schemas.ts';
import { declared, findRefs, pathSteps, resolveRefs, runValues, type VariableDeclarations, type VariableRef } from '../../../protocol/variables.ts';

export interface VariablePlan {
  /** The specs with the references known at submit resolved (the same objects when they had none). */
  specs: FunctionSpec[];
  /** Per spec: references resolved at its claim, variables it sets when it closes (undefined: none). */
  late: ({ varrefs?: VariableRef[]; varsets?: Record<string, string[]> } | undefined)[];
  values: Record<string, unknown>;
}

const invalid = (path: string, message: string, variable?: string) =>
  new AppError('VALIDATION_FAILED', `${path}: ${message}`, { issues: [{ path, message }], ...(variable ? { variable } : {}) });

/** Checks what a workflow says of its variables (no values needed): at registration and at every submit. */
export function checkVariableUse(specs: FunctionSpec[], decls: VariableDeclarations): VariableRef[][] {
  return specs.map((s, i) => {
    const found = findRefs(s);
    if (!Array.isArray(found)) throw invalid(`functionspecs.${i}.${found.at.join('.')}`, found.message);
    for (const r of found) {
      const d = declared(decls, r.var);
      const where = `functionspecs.${i}.${r.at.join('.')}`;
      if (!d) throw invalid(where, `variable "${r.var}" is not declared in "variables"`, r.var);
      if (r.path.length > 0 && d.type !== 'json')
        throw invalid(where, `variable "${r.var}" is a ${d.type}: a path reads into json variables only`, r.var);
    }
    // A timer's `until` may name a variable holding its time: read when its gate opens (services/kinds/sleep.ts).
    if (typeof s.until === 'object' && !declared(decls, s.until.$var))
      throw invalid(`functionspecs.${i}.until.$var`, `variable "${s.until.$var}" is not declared in "variables"`, s.until.$var);
    for (const name of Object.keys(s.setvariables ?? {})) {
      if (!declared(decls, name)) throw invalid(`functionspecs.${i}.setvariables.${name}`, `variable "${name}" is not declared in "variables"`, name);
    }
    return found;
  });
}

/** The plan of one run: throws VALIDATION_FAILED naming the variable when a value is missing, unknown or mistyped. */
export function planVariables(specs: FunctionSpec[], decls: VariableDeclarations, given: Record<string, unknown>): VariablePlan {
  const refs = checkVariableUse(specs, decls);
  const checked = runValues(decls, given);
  if ('issue' in checked) throw invalid(`variables.${checked.issue.variable}`, checked.issue.message, checked.issue.variable);
  const values = checked.values;
  const set = new Set(specs.flatMap((s) => Object.keys(s.setvariables ?? {})));
  const plan: VariablePlan = { specs: [], late: [], values };
  specs.forEach((s, i) => {
    const mine = refs[i]!;
    const hasParents = s.conditions.dependencies.length > 0;
    const later = mine.filter((r) => hasParents && set.has(r.var));
    const now = mine.filter((r) => !(hasParents && set.has(r.var)));
    plan.specs.push(now.length > 0 ? resolveRefs(s, now, values) : s);
    const varsets = s.setvariables ? Object.fromEntries(Object.entries(s.setvariables).map(([k, p]) => [k, pathSteps(p) as string[]])) : undefined;
    plan.late.push(later.length > 0 || varsets ? { ...(later.length > 0 ? { varrefs: later } : {}), ...(varsets ? { varsets } : {}) } : undefined);
  });
  return plan;
}
