/**
 * Workflow variables, pure: their typed declarations, the values a run is given, references to them in
 * a function spec's args and kwargs (`{"$var": "x"}`, `{"$var": "order", "path": "$.items[0].sku"}`)
 * and `setvariables` paths into a process's output. Paths are the JSONPath subset every part agrees on
 * (names and indexes, no wildcards or filters), so that the server's SQL resolves them as jsonpath-plus does.
 */
import { z } from 'zod';
import { JSONPath } from 'jsonpath-plus';
import { jsonValue, storableString } from './values.ts';

export const VARIABLE_TYPES = ['string', 'integer', 'number', 'boolean', 'json'] as const;
export type VariableType = (typeof VARIABLE_TYPES)[number];

/** A variable's name: like a resource name, so that a search filter `name>=v` parses without doubt. */
export const variableName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit');

/** Splits a path into its steps ('$.items[0].sku' → ['items', '0', 'sku']), or says why it is not one we take. */
export function pathSteps(path: string): string[] | string {
  if (!path.startsWith('$')) return 'a path starts with "$"';
  let steps: string[];
  try {
    steps = JSONPath.toPathArray(path).slice(1);
  } catch {
    return 'not a JSONPath';
  }
  for (const s of steps) {
    if (s === '' || s === '*' || s === '..' || /^[?(@^~]/.test(s) || /[:,*]/.test(s) || (s.startsWith('-') && /^-\d+$/.test(s))) {
      return `"${s}": only names and indexes are supported ($.a.b, $.items[0], $['a b'])`;
    }
  }
  return steps;
}

export const jsonPath = storableString()
  .max(1000)
  .superRefine((p, ctx) => {
    const steps = pathSteps(p);
    if (typeof steps === 'string') ctx.addIssue({ code: 'custom', message: steps });
  });

export const VariableDeclaration = z
  .object({
    type: z.enum(VARIABLE_TYPES),
    /** "date-time" on a string: an ISO 8601 time, searchable by range. */
    format: z.literal('date-time').optional(),
    required: z.boolean().default(false),
    index: z.boolean().default(false),
    default: jsonValue.optional(),
    description: storableString().max(1000).optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.format && d.type !== 'string') ctx.addIssue({ code: 'custom', message: 'format "date-time" goes with type "string"', path: ['format'] });
    if (d.default !== undefined) {
      const why = valueProblem(d, d.default);
      if (why) ctx.addIssue({ code: 'custom', message: `default: ${why}`, path: ['default'] });
    }
  });
export type VariableDeclaration = z.output<typeof VariableDeclaration>;

export const VariableDeclarations = z.record(variableName, VariableDeclaration).refine((r) => Object.keys(r).length <= 100, 'at most 100 variables');
export type VariableDeclarations = Record<string, VariableDeclaration>;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export function isDateTime(v: string): boolean {
  return ISO_TIME.test(v) && !Number.isNaN(Date.parse(v));
}

/** Why a value does not fit its declaration, or undefined when it does. */
export function valueProblem(d: { type: VariableType; format?: 'date-time' | undefined }, v: unknown): string | undefined {
  switch (d.type) {
    case 'string':
      if (typeof v !== 'string') return 'expected a string';
      if (d.format === 'date-time' && !isDateTime(v)) return 'expected an ISO 8601 date-time such as 2026-01-31T12:00:00Z';
      return undefined;
    case 'integer':
      return Number.isSafeInteger(v) ? undefined : 'expected an integer';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? undefined : 'expected a number';
    case 'boolean':
      return typeof v === 'boolean' ? undefined : 'expected true or false';
    case 'json':
      return undefined;
  }
}

/** The declaration of `name`, own properties only ("__proto__" is no variable). */
export const declared = (decls: VariableDeclarations, name: string): VariableDeclaration | undefined =>
  Object.hasOwn(decls, name) ? decls[name] : undefined;

/** A variable problem: which variable, and why (VALIDATION_FAILED naming it). */
export interface VariableIssue {
  variable: string;
  message: string;
}

/**
 * The values a run starts with: the given ones checked against the declarations, defaults filled in.
 * Returns the first problem instead when a value is unknown, of the wrong type or missing.
 */
export function runValues(
  decls: VariableDeclarations,
  given: Record<string, unknown>,
): { values: Record<string, unknown> } | { issue: VariableIssue } {
  for (const [name, v] of Object.entries(given)) {
    const d = Object.hasOwn(decls, name) ? decls[name] : undefined;
    if (!d) return { issue: { variable: name, message: `variable "${name}" is not declared by this workflow` } };
    const why = valueProblem(d, v);
    if (why) return { issue: { variable: name, message: `variable "${name}" (${typeLabel(d)}): ${why}` } };
  }
  const values: Record<string, unknown> = {};
  for (const [name, d] of Object.entries(decls)) {
    if (Object.hasOwn(given, name)) values[name] = given[name];
    else if (d.default !== undefined) values[name] = d.default;
    else if (d.required) return { issue: { variable: name, message: `variable "${name}" (${typeLabel(d)}) is required` } };
  }
  return { values };
}

export const typeLabel = (d: { type: VariableType; format?: string | undefined }) => (d.format ? `${d.type}, ${d.format}` : d.type);

/** A reference found in a spec: where it sits (from the function spec's root), the variable, the path into it. */
export interface VariableRef {
  at: (string | number)[];
  var: string;
  path: string[];
}

function isRef(v: unknown): v is { $var: unknown; path?: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.hasOwn(v, '$var');
}

/** Every `{"$var": …}` in args and kwargs, or the first malformed one (a path is where it sits). */
export function findRefs(spec: { args: unknown[]; kwargs: Record<string, unknown> }): VariableRef[] | { at: (string | number)[]; message: string } {
  const refs: VariableRef[] = [];
  let bad: { at: (string | number)[]; message: string } | undefined;
  const walk = (v: unknown, at: (string | number)[]): void => {
    if (bad || v === null || typeof v !== 'object') return;
    if (isRef(v)) {
      const keys = Object.keys(v);
      const name = variableName.safeParse(v.$var);
      const steps = v.path === undefined ? [] : typeof v.path === 'string' ? pathSteps(v.path) : 'a path is a string';
      if (!name.success) bad = { at, message: '"$var" names a variable: letters, digits, ".", "_" and "-"' };
      else if (keys.some((k) => k !== '$var' && k !== 'path')) bad = { at, message: 'a reference has only "$var" and "path"' };
      else if (typeof steps === 'string') bad = { at, message: `path: ${steps}` };
      else refs.push({ at, var: name.data, path: steps });
      return;
    }
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, i]));
    else for (const [k, x] of Object.entries(v)) walk(x, [...at, k]);
  };
  walk(spec.args, ['args']);
  walk(spec.kwargs, ['kwargs']);
  return bad ?? refs;
}

/** The value a reference stands for (JSON null when its path finds nothing). */
export function refValue(values: Record<string, unknown>, ref: { var: string; path: string[] }): unknown {
  const v = values[ref.var];
  if (ref.path.length === 0) return v ?? null;
  if (v === undefined) return null;
  const [found] = JSONPath<unknown[]>({ path: JSONPath.toPathString(['$', ...ref.path]), json: v as object, wrap: true });
  return found ?? null;
}

/** A copy of `target` with each reference replaced by its value. */
export function resolveRefs<T>(target: T, refs: VariableRef[], values: Record<string, unknown>): T {
  const out = structuredClone(target) as unknown;
  for (const r of refs) {
    let holder = out as Record<string | number, unknown>;
    for (const step of r.at.slice(0, -1)) holder = holder[step] as Record<string | number, unknown>;
    holder[r.at[r.at.length - 1]!] = refValue(values, r);
  }
  return out as T;
}
