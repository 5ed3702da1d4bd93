/** FunctionSpec / WorkflowSpec normalisation and the request schemas' limits. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { z } from 'zod';
import {
  AddChildRequest,
  AddColonyRequest,
  AddCronRequest,
  AddExecutorRequest,
  AddUserRequest,
  AssignRequest,
  CloseRequest,
  FunctionSpec,
  LIMITS,
  ListProcessesQuery,
  RegisterSpecRequest,
  RunWorkflowRequest,
  WorkflowSpec,
} from '../../protocol/schemas.ts';
import { INT32_MAX, MAX_JSON_DEPTH } from '../../protocol/values.ts';
import { flattenIssues, summarizeIssues } from '../../protocol/issues.ts';

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
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'f', executortype: 'py', maxretries: -2 })), ['maxretries']);
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'f', executortype: 'py', maxretries: LIMITS.maxRetries + 1 })), ['maxretries']);
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'f', executortype: 'py', maxexectime: -2 })), ['maxexectime']);
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'f', executortype: 'py', args: 'x' })), ['args']);
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'f', executortype: 'py', conditions: { dependencies: [''] } })), [
    'conditions.dependencies.0',
  ]);
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'x'.repeat(LIMITS.maxNameLength + 1), executortype: 'py' })), ['funcname']);
  // -1 and 0 both mean "no deadline"; maxretries -1 means "retry without limit", as in ColonyOS, but only with a delay.
  assert.equal(FunctionSpec.parse({ funcname: 'f', executortype: 'py', maxwaittime: -1 }).maxwaittime, -1);
  assert.equal(FunctionSpec.parse({ funcname: 'f', executortype: 'py', maxretries: -1, retrydelay: 1 }).maxretries, -1);
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'f', executortype: 'py', maxretries: -1 })), ['maxretries']);
  // The retry policy: each field named, and the ceiling checked against the delay.
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'f', executortype: 'py', retrydelay: -0.5 })), ['retrydelay']);
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'f', executortype: 'py', retrybackoff: 0.9 })), ['retrybackoff']);
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'f', executortype: 'py', retrydelay: 2, maxretrydelay: 1 })), ['maxretrydelay']);
  assert.deepEqual(issuePaths(FunctionSpec.safeParse({ funcname: 'f', executortype: 'py', noretry: [''] })), ['noretry.0']);
  // Without the policy's fields a spec keeps its old form (a registered spec, its hash).
  assert.equal('retrydelay' in FunctionSpec.parse({ funcname: 'f', executortype: 'py' }), false);
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

test('strings the store cannot hold are refused wherever they are, naming the field', () => {
  const refused = (spec: Record<string, unknown>) => {
    const r = FunctionSpec.safeParse({ funcname: 'f', executortype: 'py', ...spec });
    assert.equal(r.success, false);
    return summarizeIssues(flattenIssues(r.error, ['body']));
  };
  assert.equal(refused({ args: ['a\u0000'] }), 'body.args.0: strings may not contain the NUL character (\\u0000)');
  assert.equal(refused({ label: 'x\ud800' }), 'body.label: strings may not contain a lone surrogate (\\ud800-\\udfff)');
  assert.equal(refused({ funcname: '\udfff' }), 'body.funcname: strings may not contain a lone surrogate (\\ud800-\\udfff)');
  assert.match(refused({ kwargs: { a: { b: [1, 'ok', '\u0000'] } } }), /^body\.kwargs\.a\.b\.2: strings may not contain the NUL/);
  assert.equal(refused({ kwargs: { 'k\u0000': 1 } }), 'body.kwargs.k\u0000: keys: strings may not contain the NUL character (\\u0000)');
  assert.match(refused({ args: [{ nested: { '\ud800': 1 } }] }), /^body\.args\.0\.nested\.\ud800: keys: /);
  assert.match(refused({ conditions: { dependencies: ['\u0000'] } }), /^body\.conditions\.dependencies\.0: /);
  // A surrogate pair is one character (an emoji): stored as it came.
  const ok = FunctionSpec.parse({ funcname: '\ud83d\ude00', executortype: 'py', args: ['\ud83d\ude00', { '\ud83d\ude00': 'é' }] });
  assert.deepEqual(ok.args, ['\ud83d\ude00', { '\ud83d\ude00': 'é' }]);
});

test('JSON values: "__proto__" keys, non-finite numbers and too deep nesting are refused', () => {
  const kwargs = JSON.parse('{"__proto__": {"polluted": true}}') as unknown;
  const paths = (spec: Record<string, unknown>) => issuePaths(FunctionSpec.safeParse({ funcname: 'f', executortype: 'py', ...spec }));
  assert.deepEqual(paths({ kwargs }), ['kwargs.__proto__'], 'refused, not silently dropped');
  assert.deepEqual(paths({ args: [1, [kwargs]] }), ['args.1.0.__proto__']);
  assert.deepEqual(paths({ args: [JSON.parse('1e400') as number] }), ['args.0']);
  let deep: unknown = 1;
  for (let i = 0; i < MAX_JSON_DEPTH; i++) deep = [deep];
  assert.equal(FunctionSpec.safeParse({ funcname: 'f', executortype: 'py', args: [deep] }).success, true, `${MAX_JSON_DEPTH} levels are fine`);
  assert.equal(FunctionSpec.safeParse({ funcname: 'f', executortype: 'py', args: [[deep]] }).success, false);
  // The check itself does not recurse: a hostile depth cannot overflow its stack.
  let deeper: unknown = 1;
  for (let i = 0; i < 100_000; i++) deeper = { a: deeper };
  assert.equal(CloseRequest.safeParse({ attempt: 1, out: [deeper] }).success, false);
  assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted'), false);
});

test('an attempt fits a PostgreSQL int', () => {
  assert.equal(CloseRequest.safeParse({ attempt: INT32_MAX, out: [] }).success, true);
  assert.deepEqual(issuePaths(CloseRequest.safeParse({ attempt: INT32_MAX + 1, out: [] })), ['attempt']);
});

test('request bodies people write refuse unknown fields; ColonyOS’s colonyname is accepted where it puts it', () => {
  const unknown = (schema: z.ZodType, body: unknown) => {
    const r = schema.safeParse(body);
    assert.equal(r.success, false);
    return flattenIssues(r.error).map((i) => i.path);
  };
  assert.deepEqual(unknown(FunctionSpec, { funcname: 'f', executortype: 'py', maxretry: 3 }), ['maxretry']);
  assert.deepEqual(unknown(FunctionSpec, { funcname: 'f', executortype: 'py', conditions: { dependency: [] } }), ['conditions.dependency']);
  assert.deepEqual(unknown(WorkflowSpec, { functionspecs: [{ funcname: 'f', executortype: 'py' }], dependencies: [] }), ['dependencies']);
  const workflow = [{ funcname: 'f', executortype: 'py' }];
  const bodies: [z.ZodType, unknown, string][] = [
    [RegisterSpecRequest, { name: 's', spec: workflow, version: 2 }, 'version'],
    [
      RegisterSpecRequest,
      { name: 's', spec: { functionspecs: workflow, variables: { v: { type: 'string', indexed: true } } } },
      'spec.variables.v.indexed',
    ],
    [RunWorkflowRequest, { variables: {}, versoin: 2 }, 'versoin'],
    [AddCronRequest, { name: 'c', interval: 5, workflow, waitprevious: true }, 'waitprevious'],
    [AddExecutorRequest, { executorname: 'e', executorid: 'a'.repeat(64), executortype: 't', locaton: 'x' }, 'locaton'],
    [AddUserRequest, { username: 'u', userid: 'a'.repeat(64), colonyname: 'c' }, 'colonyname'],
    [AddColonyRequest, { colonyname: 'c', colonyid: 'a'.repeat(64), owner: 'x' }, 'owner'],
  ];
  for (const [schema, body, path] of bodies) assert.deepEqual(unknown(schema, body), [path], path);
  const colonyos = WorkflowSpec.parse({
    colonyname: 'dev',
    functionspecs: [{ funcname: 'f', conditions: { colonyname: 'dev', executortype: 'py' } }],
  });
  assert.deepEqual(colonyos.functionspecs[0]!.conditions, { dependencies: [] });
});

test('a function spec as the server stores and answers it parses again as it is (a stored spec never starts failing)', () => {
  // Server nodes (sleep, event, usertask) are stored under a type no executor has (":sleep"): they never parsed again, strict or not.
  const specs = [
    { funcname: 'f', executortype: 'py', args: [1, { $var: 'x' }], kwargs: { a: 1 }, label: 'l', priority: 3, maxretries: 2, retrydelay: 1 },
    {
      funcname: 'g',
      executortype: 'py',
      retrybackoff: 3,
      maxretrydelay: 9,
      retrydelay: 1,
      noretry: ['ValidationError'],
      setvariables: { total: '$[0]' },
    },
    { funcname: 'h', executortype: 'py', expand: { $var: 'files' }, conditions: { dependencies: ['f'], when: 'true', trigger: 'all_done' as const } },
    { funcname: 'k', conditions: { executortype: 'py', colonyname: 'dev' } },
  ];
  for (const input of specs) {
    const stored = FunctionSpec.parse(input);
    assert.deepEqual(FunctionSpec.parse(JSON.parse(JSON.stringify(stored))), stored, JSON.stringify(input));
  }
  const registered = RegisterSpecRequest.parse({
    name: 's',
    spec: { functionspecs: specs.slice(0, 3), variables: { x: { type: 'integer' }, files: { type: 'json' }, total: { type: 'integer' } } },
  });
  assert.deepEqual(RegisterSpecRequest.parse(JSON.parse(JSON.stringify(registered))), registered);
  const workflow = WorkflowSpec.parse({ functionspecs: specs, name: 'run', key: 'k', variables: { files: { type: 'json' } } });
  assert.deepEqual(WorkflowSpec.parse(JSON.parse(JSON.stringify(workflow))), workflow);
});
