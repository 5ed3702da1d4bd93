/**
 * Spec files (`--spec f.json`, `-` for stdin), checked here with the protocol's own schemas and DAG
 * check before anything is sent: a missing file, invalid JSON, a schema problem or a cycle is exit 2.
 */
import { readFile } from 'node:fs/promises';
import type { ZodError } from 'zod';
import { FunctionSpec, WorkflowSpec, type FunctionSpecInput, type WorkflowSpecInput } from '../protocol/schemas.ts';
import { checkDag } from '../protocol/dag.ts';
import { flattenIssues, summarizeIssues } from '../protocol/issues.ts';
import { CliError, EXIT } from './errors.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
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
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CliError('BAD_SPEC', `${path} is not valid JSON: ${(err as Error).message}`, EXIT.usage);
  }
}

function schemaError(source: string, error: ZodError): CliError {
  return new CliError('VALIDATION_FAILED', `${source}: ${summarizeIssues(flattenIssues(error))}`, EXIT.usage);
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
  else if (typeof raw === 'object' && raw !== null && Array.isArray((raw as { functionspecs?: unknown }).functionspecs)) {
    const r = raw as { functionspecs: unknown[] };
    body = { ...r, functionspecs: r.functionspecs.map((s) => fillType(s, defaultType)) };
  } else {
    throw new CliError('VALIDATION_FAILED', `${source}: a workflow is an array of function specs or {"functionspecs": [...]}`, EXIT.usage);
  }
  const parsed = WorkflowSpec.safeParse(body);
  if (!parsed.success) throw schemaError(source, parsed.error);
  const problem = checkDag(parsed.data.functionspecs.map((s) => ({ nodename: s.nodename, dependencies: s.conditions.dependencies })));
  if (problem) throw new CliError(problem.code, `${source}: ${problem.message}`, EXIT.usage);
  return body as WorkflowSpecInput;
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
  const parsed = FunctionSpec.safeParse(body);
  if (!parsed.success) throw schemaError(source, parsed.error);
  if (parsed.data.conditions.dependencies.length > 0) {
    throw new CliError('VALIDATION_FAILED', `${source}: a single process has no dependencies; submit it as a workflow`, EXIT.usage);
  }
  return body as FunctionSpecInput;
}

/** A JSON flag value (--args '[1,2]', --kwargs '{"a":1}'). */
export function parseJsonFlag(flag: string, value: string, want: 'array' | 'object'): unknown {
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch (err) {
    throw new CliError('USAGE', `${flag} is not valid JSON: ${(err as Error).message}`, EXIT.usage);
  }
  const ok = want === 'array' ? Array.isArray(v) : typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!ok) throw new CliError('USAGE', `${flag} must be a JSON ${want}, e.g. ${want === 'array' ? "'[1, 2]'" : '\'{"a": 1}\''}`, EXIT.usage);
  return v;
}
