/** A failed process as people read it: the last attempt's error (not the first's, not a stack's) and which attempt it was. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attemptsOf, failureText, isTrace, lastError } from '../../protocol/failure.ts';
import { FunctionSpec } from '../../protocol/schemas.ts';
import type { Process } from '../../protocol/types.ts';

const jsStack = (m: string) => `Error: ${m}\n    at divide (file:///app/functions.ts:3:9)\n    at run (file:///app/executor.ts:9:1)`;
const pyTrace = (m: string) => `Traceback (most recent call last):\n  File "fns.py", line 3, in divide\nZeroDivisionError: ${m}`;

test('traces are told from messages', () => {
  assert.equal(isTrace(jsStack('x')), true);
  assert.equal(isTrace(pyTrace('x')), true);
  assert.equal(isTrace('division by zero'), false);
  assert.equal(isTrace('maxexectime of 10 s exceeded (attempt 1, executor ab12)'), false);
  assert.equal(isTrace('two lines\nof message'), false);
});

test("the last error is the last attempt's message, whatever each attempt reported", () => {
  // The TypeScript SDK: [message, stack] per attempt; the Python one: [message, traceback].
  assert.equal(lastError(['first', jsStack('first'), 'second', jsStack('second')]), 'second');
  assert.equal(lastError(['first', pyTrace('first'), 'second', pyTrace('second')]), 'second');
  // An executor sending one line, then the server's own reason for a lost attempt.
  assert.equal(lastError(['first', 'executor e1 not heard from for 30 s (attempt 2)']), 'executor e1 not heard from for 30 s (attempt 2)');
  // A multi-line message: its first line.
  assert.equal(lastError(['bad row 3\nexpected a number']), 'bad row 3');
  // An error thrown without a message: its trace's first line.
  assert.equal(lastError(['', 'Error\n    at f (f.ts:1:1)']), 'Error');
  // Only a trace: its first line.
  assert.equal(lastError([jsStack('lonely')]), 'Error: lonely');
  assert.equal(lastError([]), '');
});

const processWith = (o: Partial<Process> & { maxretries?: number; kind?: 'sleep' }): Process =>
  ({
    state: 'FAILED',
    errors: ['division by zero'],
    attempt: 1,
    retries: 0,
    ...o,
    spec: FunctionSpec.parse({
      funcname: 'divide',
      ...(o.kind ? { kind: o.kind, seconds: 1 } : { executortype: 't' }),
      maxretries: o.maxretries ?? 0,
      retrydelay: 1,
    }),
  }) as Process;

test('attempts are counted as the retry budget counts them', () => {
  assert.deepEqual(attemptsOf(processWith({ attempt: 3, retries: 2, maxretries: 2 })), { made: 3, of: 3 });
  // A lost assignment, tried again free, is no attempt of the budget.
  assert.deepEqual(attemptsOf(processWith({ attempt: 4, retries: 2, maxretries: 2 })), { made: 3, of: 3 });
  // The wait for a retry ran out: one attempt ran.
  assert.deepEqual(attemptsOf(processWith({ attempt: 1, retries: 1, maxretries: 2 })), { made: 1, of: 3 });
  assert.deepEqual(attemptsOf(processWith({ attempt: 5, retries: 4, maxretries: -1 })), { made: 5, of: null });
  assert.equal(attemptsOf(processWith({ attempt: 0 })), undefined, 'it never ran');
  assert.equal(attemptsOf(processWith({ kind: 'sleep', attempt: 1 })), undefined, 'the server runs it');
});

test('the failure line: the last error and, for a FAILED process, its attempt', () => {
  const p = processWith({
    errors: ['first', jsStack('first'), 'second', jsStack('second'), 'third', jsStack('third')],
    attempt: 3,
    retries: 2,
    maxretries: 2,
  });
  assert.equal(failureText(p), 'third (attempt 3 of 3)');
  assert.equal(failureText({ ...p, spec: { ...p.spec, maxretries: -1 } }), 'third (attempt 3 of unlimited)');
  assert.equal(failureText({ ...p, state: 'CANCELLED', errors: ['cancelled by alice'] }), 'cancelled by alice');
  assert.equal(failureText({ ...p, errors: [] }), 'no error message (attempt 3 of 3)');
});
