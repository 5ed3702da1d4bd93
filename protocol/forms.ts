/**
 * The form of a user task (a node of kind usertask): a JSON Schema of the data that completes it,
 * checked with ajv (draft 2020-12 keywords that ajv's default draft-07 build knows, plus the
 * ajv-formats formats). A form is compiled once and kept by its content: every task of a spec shares it.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: its default import is module.exports, whose `default` is the plugin.
const addFormats = addFormatsModule.default;

// strict: false lets a form carry annotations of its own (UI hints); a malformed schema is still refused.
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);

/** Compiled forms by their JSON text, oldest first; bounded so that many distinct forms cannot grow it without end. */
const compiled = new Map<string, ValidateFunction>();
const MAX_COMPILED = 1000;

/** A task without a form takes any JSON object. */
const ANY_OBJECT = { type: 'object' };

function compile(form: object): ValidateFunction {
  const key = JSON.stringify(form);
  const hit = compiled.get(key);
  if (hit) return hit;
  const fn = ajv.compile(form);
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
  compiled.set(key, fn);
  return fn;
}

/** Why a form is not a JSON Schema ajv can check data against, or undefined when it is. */
export function formProblem(form: object): string | undefined {
  try {
    compile(form);
    return undefined;
  } catch (err) {
    return `is not a valid JSON Schema: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`;
  }
}

/** One way the data fails its form: where (a JSON Pointer, '' for the whole), the keyword, and ajv's message. */
export interface FormIssue {
  path: string;
  keyword: string;
  message: string;
}

/** The ways `data` fails the form (no form: any object); empty when it fits. */
export function formIssues(form: object | undefined, data: unknown): FormIssue[] {
  const validate = compile(form ?? ANY_OBJECT);
  if (validate(data)) return [];
  return (validate.errors ?? []).map(issueOf);
}

function issueOf(e: ErrorObject): FormIssue {
  // A missing required property is named by its own path, not its parent's.
  const missing = e.keyword === 'required' ? (e.params as { missingProperty?: string }).missingProperty : undefined;
  const path = missing !== undefined ? `${e.instancePath}/${missing}` : e.instancePath;
  return { path, keyword: e.keyword, message: e.message ?? e.keyword };
}

/** The issues in one line: `data/amount (minimum): must be >= 1; data/reason (required): …`. */
export function describeFormIssues(issues: FormIssue[]): string {
  return issues.map((i) => `data${i.path} (${i.keyword}): ${i.message}`).join('; ');
}
