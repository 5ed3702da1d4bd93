/** FunctionSpec / WorkflowSpec normalisation and the request schemas' limits. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddChildRequest, AssignRequest, FunctionSpec, LIMITS, ListProcessesQuery, WorkflowSpec } from '../../protocol/schemas.ts';

function issuePaths(r: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }): string[] {
  assert.equal(r.success, false);
  return r.error!.issues.map((i) => i.path.map(String).join('.'));
}

test('FunctionSpec fills every default and sets nodename to funcname', () => {
  const s = FunctionSpec.parse({ funcname: 'gen_nums', executortype: 'py' });
  assert.deepEqual(s, {
    nodename: 'gen_nums',
    funcname: 'gen_nums',
    args: [],
    kwargs: {},
    executortype: 'py',
    priority: 0,
    maxwaittime: 0,
    maxexectime: 0,
    maxretries: 0,
    label: '',
    conditions: { dependencies: [] },
  });
});

test('an explicit nodename is kept', () => {
  assert.equal(FunctionSpec.parse({ nodename: 'n1', funcname: 'f', executortype: 'py' }).nodename, 'n1');
});

test('conditions.executortype is an alias of executortype and is moved to the top level', () => {
  const s = FunctionSpec.parse({ funcname: 'f', conditions: { executortype: 'py', dependencies: ['a'] } });
  assert.equal(s.executortype, 'py');
  assert.deepEqual(s.conditions, { dependencies: ['a'] });
  assert.equal(Object.hasOwn(s.conditions, 'executortype'), false);
  // When both are given the top-level field wins.
  assert.equal(FunctionSpec.parse({ funcname: 'f', executortype: 'top', conditions: { executortype: 'alias' } }).executortype, 'top');
});

test('a missing executortype is refused with its path', () => {
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'f' })), ['executortype']);
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'f', conditions: { dependencies: [] } })), ['executortype']);
});

test('FunctionSpec refuses bad fields with precise paths', () => {
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ executortype: 'py' })), ['funcname']);
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: '', executortype: 'py' })), ['funcname']);
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'f', executortype: 'has space' })), ['executortype']);
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'f', executortype: 'py', priority: LIMITS.maxPriority + 1 })), ['priority']);
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'f', executortype: 'py', priority: 1.5 })), ['priority']);
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'f', executortype: 'py', maxretries: -1 })), ['maxretries']);
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'f', executortype: 'py', maxexectime: -2 })), ['maxexectime']);
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'f', executortype: 'py', args: 'x' })), ['args']);
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'f', executortype: 'py', conditions: { dependencies: [''] } })), [
    'conditions.dependencies.0',
  ]);
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'x'.repeat(LIMITS.maxNameLength + 1), executortype: 'py' })), ['funcname']);
  // -1 and 0 both mean "no deadline".
  assert.equal(FunctionSpec.parse({ funcname: 'f', executortype: 'py', maxwaittime: -1 }).maxwaittime, -1);
});

test('WorkflowSpec accepts {functionspecs} and a bare array, and normalises both', () => {
  const a = WorkflowSpec.parse({ colonyname: 'c', functionspecs: [{ funcname: 'f', executortype: 'py' }] });
  const b = WorkflowSpec.parse([{ funcname: 'f', executortype: 'py' }]);
  assert.deepEqual(a, b);
  assert.equal(a.functionspecs[0]!.nodename, 'f');
  assert.equal(WorkflowSpec.safeParse([]).success, false);
  assert.equal(WorkflowSpec.safeParse({ functionspecs: [] }).success, false);
  assert.equal(WorkflowSpec.safeParse({ functionspecs: [{ funcname: 'f' }] }).success, false);
});

test('request schemas: assign bounds, list count bound, query coercion, add_child ids', () => {
  assert.deepEqual(AssignRequest.parse({}), { timeout: 10, count: 1 });
  assert.equal(AssignRequest.safeParse({ timeout: LIMITS.maxAssignTimeoutSeconds + 1 }).success, false);
  assert.equal(AssignRequest.safeParse({ count: 0 }).success, false);
  assert.equal(ListProcessesQuery.parse({ count: '5' }).count, 5);
  assert.equal(ListProcessesQuery.parse({}).count, LIMITS.defaultListCount);
  assert.equal(ListProcessesQuery.safeParse({ count: String(LIMITS.maxListCount + 1) }).success, false);
  assert.equal(ListProcessesQuery.safeParse({ state: 'DONE' }).success, false);
  const parent = 'a'.repeat(64);
  assert.equal(AddChildRequest.parse({ parentprocessid: parent, spec: { funcname: 'f', executortype: 'py' } }).insert, false);
  assert.deepEqual(issuePaths(AddChildRequest.safeParse({ parentprocessid: 'nothex', spec: { funcname: 'f', executortype: 'py' } })), [
    'parentprocessid',
  ]);
});
