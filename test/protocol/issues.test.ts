/** The one zod-issue formatter: flat {path, message} lists (unions reported by their best branch), worded for people, and a one-line summary. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { flattenIssues, issueLine, summarizeIssues, validate } from '../../protocol/issues.ts';
import { FunctionSpec, RegisterSpecRequest, WorkflowSpec } from '../../protocol/schemas.ts';

const fail = (schema: z.ZodType, value: unknown) => {
  const r = schema.safeParse(value);
  assert.equal(r.success, false);
  return r.error;
};

test('paths are dot-joined under the prefix; the summary names the first issue and counts the rest', () => {
  const issues = flattenIssues(fail(z.object({ a: z.number(), b: z.object({ c: z.string() }) }), { a: 'x', b: {} }), ['body']);
  assert.deepEqual(
    issues.map((i) => i.path),
    ['body.a', 'body.b.c'],
  );
  assert.equal(summarizeIssues(issues), `body.a: ${issues[0]!.message} (and 1 more)`);
  assert.equal(summarizeIssues(issues.slice(0, 1)), `body.a: ${issues[0]!.message}`);
});

test('an issue with the value itself has no path in its line', () => {
  const [issue] = flattenIssues(fail(z.object({}), 42));
  assert.equal(issue!.path, '');
  assert.equal(issueLine(issue!), issue!.message);
});

test("a union's issue is replaced by the issues of the branch that matched the value's shape", () => {
  const issues = flattenIssues(fail(WorkflowSpec, [{ executortype: 't' }]), ['body']);
  assert.deepEqual(
    issues.map((i) => i.path),
    ['body.0.funcname'],
  );
  // Every branch fails at the root: the union's own issue stays.
  assert.deepEqual(
    flattenIssues(fail(WorkflowSpec, 42)).map((i) => i.path),
    [''],
  );
});

test('issues are worded for people: what was expected and what came, without zod\'s "Invalid input"', () => {
  const lines = (schema: z.ZodType, value: unknown) => {
    const r = validate(schema, value, ['body']);
    assert.equal(r.success, false);
    return r.issues.map(issueLine);
  };
  const spec = (extra: Record<string, unknown>) => lines(FunctionSpec, { funcname: 'f', executortype: 't', ...extra });
  assert.deepEqual(spec({ maxretries: '3' }), ['body.maxretries: expected a number, got a string']);
  assert.deepEqual(spec({ maxretries: 1.5 }), ['body.maxretries: expected an integer, got 1.5']);
  assert.deepEqual(spec({ priority: 5000 }), ['body.priority: expected at most 1000, got 5000']);
  assert.deepEqual(spec({ args: { a: 1 } }), ['body.args: expected an array, got an object']);
  assert.deepEqual(spec({ conditions: { dependencies: 'a' } }), ['body.conditions.dependencies: expected an array, got a string']);
  assert.deepEqual(spec({ kind: 'nope' }), ['body.kind: expected one of "function", "event", "sleep", "usertask", got "nope"']);
  assert.deepEqual(spec({ label: null }), ['body.label: expected a string, got null']);
  assert.deepEqual(spec({ funcname: '' }), ['body.funcname: expected a non-empty string']);
  assert.deepEqual(lines(WorkflowSpec, 'x'), ['body: expected an object or an array, got a string']);
  assert.deepEqual(lines(WorkflowSpec, { functionspecs: [] }), ['body.functionspecs: expected at least 1 item, got 0']);
  assert.deepEqual(lines(RegisterSpecRequest, { spec: [{ funcname: 'f', executortype: 't' }] }), ['body.name: required: expected a string']);
  // A schema's own message still wins.
  assert.deepEqual(spec({ executortype: 'a b' }), ['body.executortype: letters, digits, ".", "_" and "-", starting with a letter or digit']);
});

test('each unknown field is an issue at its own path, with the field it likely stands for', () => {
  const r = validate(
    WorkflowSpec,
    { functionspecs: [{ funcname: 'f', executortype: 't', maxretry: 3, Label: 'x', gpu: 1, conditions: { dependency: [] } }] },
    ['body'],
  );
  assert.equal(r.success, false);
  assert.deepEqual(r.issues, [
    { path: 'body.functionspecs.0.conditions.dependency', message: 'unknown field (did you mean dependencies?)' },
    { path: 'body.functionspecs.0.maxretry', message: 'unknown field (did you mean maxretries?)' },
    { path: 'body.functionspecs.0.Label', message: 'unknown field (did you mean label?)' },
    { path: 'body.functionspecs.0.gpu', message: 'unknown field' },
  ]);
  // Parsed without our wording (zod's plain safeParse), an unknown field is still named by its path.
  assert.deepEqual(flattenIssues(fail(z.strictObject({ a: z.number() }), { a: 1, b: 2, c: 3 })), [
    { path: 'b', message: 'unknown field' },
    { path: 'c', message: 'unknown field' },
  ]);
});
