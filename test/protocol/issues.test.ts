/** The one zod-issue formatter: flat {path, message} lists (unions reported by their best branch) and a one-line summary. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { flattenIssues, issueLine, summarizeIssues } from '../../protocol/issues.ts';
import { WorkflowSpec } from '../../protocol/schemas.ts';

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
