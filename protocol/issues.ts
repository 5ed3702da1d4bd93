/**
 * Zod issues as every part of Colonies reports them: a flat list of {path, message} and a one-line
 * summary, in words a person reads ("expected a number, got a string", "unknown field (did you mean
 * maxretries?)"). The server, the WebSocket hub and the CLI's spec checks all parse through
 * `validate`, so a bad spec reads the same wherever it is caught.
 */
import type { z } from 'zod';
import { closestName } from './suggest.ts';

export interface Issue {
  /** Dot-joined, e.g. "body.functionspecs.0.funcname"; empty for the value itself. */
  path: string;
  message: string;
}

/** What a value is, as "got …" says it: its kind, or a short value where the kind alone would not tell. */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty array' : 'an array';
  switch (typeof v) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isInteger(v) ? 'a number' : `${v}`;
    case 'boolean':
      return `${v}`;
    case 'object':
      return 'an object';
    default:
      return typeof v;
  }
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'an array',
  object: 'an object',
  record: 'an object',
  null: 'null',
};
const expected = (e: string) => EXPECTED[e] ?? `a ${e}`;

const plural = (n: number | bigint, one: string) => `${n} ${one}${Number(n) === 1 ? '' : 's'}`;
const shortJson = (v: unknown) => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
};

/** One line per unknown key, in the issue's order (flatten splits them): "unknown field (did you mean maxretries?)". */
const UNKNOWN = 'unknown field';
function unknownFields(keys: readonly string[], known: readonly string[]): string {
  return keys
    .map((k) => {
      const near = closestName(k, known);
      return near ? `${UNKNOWN} (did you mean ${near}?)` : UNKNOWN;
    })
    .join('\n');
}

/** The fields a strict object declares: the schema that raised the issue is its `inst`. */
function declaredFields(inst: unknown): string[] {
  const shape = (inst as { _zod?: { def?: { shape?: object } } } | undefined)?._zod?.def?.shape;
  return shape ? Object.keys(shape) : [];
}

/** Our wording of zod's issues (a schema's own message, such as a regex's, still wins); undefined keeps zod's. */
export const issueMessage: z.core.$ZodErrorMap = (iss) => {
  const got = kindOf(iss.input);
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return `required: expected ${expected(iss.expected)}`;
      return `expected ${expected(iss.expected)}, got ${got}`;
    case 'unrecognized_keys':
      return unknownFields(iss.keys, declaredFields(iss.inst));
    case 'invalid_value':
      return iss.values.length === 1
        ? `expected ${shortJson(iss.values[0])}, got ${shortJson(iss.input)}`
        : `expected one of ${iss.values.map(shortJson).join(', ')}, got ${shortJson(iss.input)}`;
    case 'too_small':
    case 'too_big': {
      const small = iss.code === 'too_small';
      const limit = small ? (iss as { minimum: number | bigint }).minimum : (iss as { maximum: number | bigint }).maximum;
      const bound = iss.inclusive ? (small ? 'at least' : 'at most') : small ? 'more than' : 'less than';
      const input = iss.input as { length?: number } | number;
      if (iss.origin === 'string' && small && limit === 1) return 'expected a non-empty string';
      if (iss.origin === 'string') return `expected ${bound} ${plural(limit, 'character')}, got ${(input as string).length}`;
      if (iss.origin === 'array') return `expected ${bound} ${plural(limit, 'item')}, got ${(input as unknown[]).length}`;
      if (iss.origin === 'number' || iss.origin === 'int') return `expected ${bound} ${limit}, got ${shortJson(input)}`;
      return undefined;
    }
    case 'invalid_union': {
      // Every branch refused the value's type (a workflow given as a string, say): list what it could be.
      const kinds = iss.errors.map((branch) =>
        branch.length === 1 && branch[0]!.code === 'invalid_type' && branch[0].path.length === 0 ? branch[0].expected : undefined,
      );
      if (iss.errors.length === 0 || kinds.some((k) => k === undefined)) return undefined;
      return `expected ${[...new Set(kinds.map((k) => expected(k!)))].join(' or ')}, got ${got}`;
    }
    case 'invalid_key':
      return `not a valid name: ${iss.issues.map((i) => i.message).join('; ')}`;
    default:
      return undefined;
  }
};

/**
 * A union's issue says only "Invalid input" at the union's path (e.g. a workflow, which is an object or
 * a bare array). Report instead the issues of the branch that matched the value's shape: the one whose
 * issues lie deepest. When every branch fails at the root, the union's own issue stays.
 */
function flatten(issue: z.core.$ZodIssue, prefix: PropertyKey[]): { path: PropertyKey[]; message: string }[] {
  const path = [...prefix, ...issue.path];
  // Each unknown key is an issue at its own path, so that the reply names it (a misspelt filter, say).
  if (issue.code === 'unrecognized_keys') {
    const lines = issue.message.split('\n');
    const ours = lines.length === issue.keys.length && lines.every((l) => l.startsWith(UNKNOWN));
    return issue.keys.map((k, i) => ({ path: [...path, k], message: ours ? lines[i]! : UNKNOWN }));
  }
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const depth = (branch: z.core.$ZodIssue[]) => Math.min(...branch.map((i) => i.path.length));
    const best = issue.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
    if (best.length > 0 && depth(best) > 0) return best.flatMap((i) => flatten(i, path));
  }
  return [{ path, message: issue.message }];
}

/** Every issue of a failed parse, each path under `prefix` (e.g. ['body'] or ['path', 'id']). */
export function flattenIssues(error: z.ZodError, prefix: readonly string[] = []): Issue[] {
  return error.issues.flatMap((i) => flatten(i, [...prefix])).map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

export type Validated<T> = { success: true; data: T } | { success: false; issues: Issue[] };

/** Parses `data` with our wording of the issues; a failure is its flat issues, each path under `prefix`. */
export function validate<S extends z.ZodType>(schema: S, data: unknown, prefix: readonly string[] = []): Validated<z.output<S>> {
  const r = schema.safeParse(data, { error: issueMessage });
  return r.success ? { success: true, data: r.data } : { success: false, issues: flattenIssues(r.error, prefix) };
}

/** "path: message", or the message alone for an issue with the value itself. */
export function issueLine(issue: Issue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

/** The first issue, and how many more there are: "body.count: Too big (and 2 more)". */
export function summarizeIssues(issues: readonly Issue[]): string {
  const first = issues[0];
  if (!first) return 'invalid';
  return issueLine(first) + (issues.length > 1 ? ` (and ${issues.length - 1} more)` : '');
}
