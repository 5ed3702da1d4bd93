/**
 * Spec files (`--spec f.json`, `-` for stdin), checked here with the protocol's own schemas, wording
 * and DAG check before anything is sent: a missing file, invalid JSON (its line and column), a schema
 * problem (its field's path) or a cycle is exit 2, the message starting with the file's name.
 */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import {
  FunctionSpec,
  RegisteredWorkflow,
  WorkflowSpec,
  type FunctionSpecInput,
  type RegisteredWorkflowInput,
  type WorkflowSpecInput,
} from '../protocol/schemas.ts';
import { checkDag } from '../protocol/dag.ts';
import { summarizeIssues, validate } from '../protocol/issues.ts';
import { CliError, EXIT } from './errors.ts';
import { parseJson, type JsonSyntaxError } from './json.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** How messages name a file: its path as given, or stdin. */
export const fileLabel = (path: string) => (path === '-' ? 'stdin' : path);

/** "--args: invalid JSON at column 7: …" (line and column when the value has several lines). */
function flagJsonError(flag: string, e: JsonSyntaxError): string {
  return `${flag}: invalid JSON at ${e.line > 1 ? `line ${e.line}, ` : ''}column ${e.column}: ${e.message}`;
}

/** A JSON flag's value (--data, --var x=…): any JSON; a usage error says where it is wrong. */
export function parseJsonValue(flag: string, text: string): unknown {
  const r = parseJson(text);
  if ('error' in r) throw new CliError('USAGE', flagJsonError(flag, r.error), EXIT.usage);
  return r.value;
}

/** Reads and parses a JSON file; '-' reads stdin. `what` names the file in errors. */
export async function readJsonFile(path: string, what = 'spec file'): Promise<unknown> {
  let text: string;
  try {
    text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError('FILE_NOT_FOUND', `${what} ${path} does not exist`, EXIT.usage);
    throw new CliError('BAD_SPEC', `cannot read ${what} ${path}: ${(err as Error).message}`, EXIT.usage);
  }
  const r = parseJson(text);
  if ('error' in r)
    throw new CliError('BAD_SPEC', `${fileLabel(path)}:${r.error.line}:${r.error.column}: invalid JSON: ${r.error.message}`, EXIT.usage);
  return r.value;
}

/** Validates as the server does, worded as the server words it: "wf.json: functionspecs.1.maxretries: expected a number, got a string". */
function check<S extends z.ZodType>(schema: S, body: unknown, source: string): z.output<S> {
  const r = validate(schema, body);
  if (!r.success) throw new CliError('VALIDATION_FAILED', `${source}: ${summarizeIssues(r.issues)}`, EXIT.usage);
  return r.data;
}

/** The DAG check the server makes, before anything is sent. */
function checkGraph(specs: FunctionSpec[], source: string): void {
  const problem = checkDag(specs.map((s) => ({ nodename: s.nodename, dependencies: s.conditions.dependencies })));
  if (problem) throw new CliError(problem.code, `${source}: ${problem.message}`, EXIT.usage);
}

/** Sets executortype on specs that have none (neither top-level nor in conditions). */
function fillType(spec: unknown, type: string | undefined): unknown {
  if (!type || typeof spec !== 'object' || spec === null || Array.isArray(spec)) return spec;
  const s = spec as { executortype?: unknown; conditions?: { executortype?: unknown } };
  if (s.executortype !== undefined || s.conditions?.executortype !== undefined) return spec;
  return { ...s, executortype: type };
}

/** A workflow file: a bare array of function specs or {functionspecs:[…]}. Returns what is sent. */
export function parseWorkflowSpec(raw: unknown, source: string, defaultType?: string): WorkflowSpecInput {
  let body: unknown = raw;
  if (Array.isArray(raw)) body = raw.map((s) => fillType(s, defaultType));
  else if (typeof raw === 'object' && raw !== null && Object.hasOwn(raw, 'functionspecs')) {
    const r = raw as { functionspecs: unknown };
    if (Array.isArray(r.functionspecs)) body = { ...r, functionspecs: r.functionspecs.map((s) => fillType(s, defaultType)) };
  } else {
    throw new CliError('VALIDATION_FAILED', `${source}: a workflow is an array of function specs or {"functionspecs": [...]}`, EXIT.usage);
  }
  checkGraph(check(WorkflowSpec, body, source).functionspecs, source);
  return body as WorkflowSpecInput;
}

/** A workflow to register (workflow spec register): {functionspecs, variables?} or a bare array. Returns what is sent. */
export function parseRegisteredSpec(raw: unknown, source: string): RegisteredWorkflowInput {
  const spec = check(RegisteredWorkflow, raw, source);
  checkGraph(Array.isArray(spec) ? spec : spec.functionspecs, source);
  return raw as RegisteredWorkflowInput;
}

/** One function spec (process submit --spec). */
export function parseFunctionSpec(raw: unknown, source: string, defaultType?: string): FunctionSpecInput {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new CliError(
      'VALIDATION_FAILED',
      `${source}: a process spec is one function spec object (for a list of specs use "colonies workflow submit")`,
      EXIT.usage,
    );
  }
  const body = fillType(raw, defaultType);
  if (check(FunctionSpec, body, source).conditions.dependencies.length > 0) {
    throw new CliError('VALIDATION_FAILED', `${source}: a single process has no dependencies; submit it as a workflow`, EXIT.usage);
  }
  return body as FunctionSpecInput;
}

/** A JSON flag value (--args '[1,2]', --kwargs '{"a":1}'). */
export function parseJsonFlag(flag: string, value: string, want: 'array' | 'object'): unknown {
  const v = parseJsonValue(flag, value);
  const ok = want === 'array' ? Array.isArray(v) : typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!ok) throw new CliError('USAGE', `${flag} must be a JSON ${want}, e.g. ${want === 'array' ? "'[1, 2]'" : '\'{"a": 1}\''}`, EXIT.usage);
  return v;
}
