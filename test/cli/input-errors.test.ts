/**
 * What a new user sees when a spec file or a JSON flag is wrong, and when work fails: the file, the
 * field's path and the problem in words (an unknown field with the one it likely meant), invalid JSON
 * by line and column, and failure summaries with the last attempt's error and its number.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fixture } from '../helpers/fixture.ts';
import type { ExecutionContext } from '../../executor/executor.ts';
import { cliFixture, errorLine, run, tableRows, type CliFixture, type CliResult } from './helpers.ts';

const TYPE = 'cli-input';
let f: Fixture;
let dir: string;
let env: CliFixture['env'];
let stop: CliFixture['stop'];

before(async () => {
  ({ f, dir, env, stop } = await cliFixture({
    name: TYPE,
    functions: {
      // Each attempt fails with its own message: a summary shows the last one's.
      divide: (ctx: ExecutionContext) => {
        throw new Error(`division by zero on attempt ${ctx.process.attempt}`);
      },
    },
  }));
});
after(() => stop());

/** Writes a file in the test's directory, where the CLI runs: messages name it as given, "wf.json". */
const file = (name: string, v: unknown) => {
  writeFileSync(join(dir, name), typeof v === 'string' ? v : JSON.stringify(v, null, 2));
  return name;
};
const cli = (args: string[], input?: string) => run(args, env(), { cwd: dir, ...(input !== undefined ? { input } : {}) });
const refusal = (r: CliResult) => {
  assert.equal(r.code, 2, r.stderr);
  return errorLine(r);
};

describe('spec files', () => {
  test('workflow submit names the file, the field and the problem; nothing is submitted', async () => {
    const cases: [string, unknown, string][] = [
      [
        'wf.json',
        {
          functionspecs: [
            { funcname: 'a', executortype: TYPE },
            { funcname: 'b', executortype: TYPE, maxretries: '3' },
          ],
        },
        'wf.json: functionspecs.1.maxretries: expected a number, got a string',
      ],
      ['func.json', [{ func: 'divide', executortype: TYPE }], 'func.json: 0.func: unknown field (did you mean funcname?) (and 1 more)'],
      ['notype.json', [{ funcname: 'divide' }], 'notype.json: 0.executortype: executortype is required'],
      [
        'deps.json',
        [{ funcname: 'divide', executortype: TYPE, conditions: { dependencies: 'prepare' } }],
        'deps.json: 0.conditions.dependencies: expected an array, got a string',
      ],
      ['args.json', [{ funcname: 'divide', executortype: TYPE, args: { n: 1 } }], 'args.json: 0.args: expected an array, got an object'],
      // Unknown fields were dropped (maxretries silently 0, the dependencies lost): refused now, with the field meant.
      ['typo.json', [{ funcname: 'divide', executortype: TYPE, maxretry: 3 }], 'typo.json: 0.maxretry: unknown field (did you mean maxretries?)'],
      [
        'cond.json',
        [{ funcname: 'divide', executortype: TYPE, conditions: { dependency: [] } }],
        'cond.json: 0.conditions.dependency: unknown field (did you mean dependencies?)',
      ],
      ['top.json', { functionspecs: [{ funcname: 'divide', executortype: TYPE }], dependencies: [] }, 'top.json: dependencies: unknown field'],
      ['string.json', 'divide', 'string.json: a workflow is an array of function specs or {"functionspecs": [...]}'],
    ];
    const rs = await Promise.all(cases.map(([name, v]) => cli(['workflow', 'submit', '--spec', file(name, JSON.stringify(v, null, 2))])));
    assert.deepEqual(
      rs.map(refusal),
      cases.map(([, , message]) => ({ code: 'VALIDATION_FAILED', message })),
    );
    assert.deepEqual(await f.a.userClient.listProcessGraphs(), []);
  });

  test('invalid JSON is named by line and column, with what is wrong there', async () => {
    const trailing = file('trailing.json', '[\n  {\n    "funcname": "divide",\n    "executortype": "x",\n  }\n]\n');
    const quotes = file('quotes.json', "[{'funcname': 'divide'}]");
    const open = file('open.json', '[\n  {"funcname": "divide"}\n');
    const rs = await Promise.all([trailing, quotes, open].map((name) => cli(['workflow', 'submit', '--spec', name])));
    assert.deepEqual(rs.map(refusal), [
      { code: 'BAD_SPEC', message: "trailing.json:4:24: invalid JSON: a comma before '}': JSON allows no trailing comma" },
      { code: 'BAD_SPEC', message: 'quotes.json:1:3: invalid JSON: property names are in double quotes' },
      { code: 'BAD_SPEC', message: "open.json:3:1: invalid JSON: unexpected end of input: ']' is missing" },
    ]);
  });

  test('every command that reads a spec or JSON says it the same way', async () => {
    await f.a.userClient.registerWorkflowSpec('configured', {
      functionspecs: [{ funcname: 'divide', executortype: TYPE, args: [{ $var: 'cfg' }] }],
      variables: { cfg: { type: 'json', default: {} } },
    });
    const typo = file('typo.json', [{ funcname: 'divide', executortype: TYPE, maxretry: 3 }]);
    const vars = file('vars.json', {
      functionspecs: [{ funcname: 'divide', executortype: TYPE }],
      variables: { n: { type: 'integer', requird: true } },
    });
    const one = file('one.json', { funcname: 'divide', executortype: TYPE, maxretries: '3' });
    const [register, registerVars, cron, single, stdin, args, data, variable] = await Promise.all([
      cli(['workflow', 'spec', 'register', '--name', 'typo', '--spec', typo]),
      cli(['workflow', 'spec', 'register', '--name', 'vars', '--spec', vars]),
      cli(['cron', 'add', '--name', 'typo', '--interval', '60', '--spec', typo]),
      cli(['process', 'submit', '--spec', one]),
      cli(['workflow', 'submit', '--spec', '-'], JSON.stringify([{ funcname: 'divide', executortype: TYPE, Label: 'x' }])),
      cli(['process', 'submit', '--funcname', 'divide', '--type', TYPE, '--args', '[1,']),
      cli(['event', 'post', '-g', 'a'.repeat(64), '--name', 'go', '--data', '{"amount": 1,}']),
      cli(['workflow', 'run', 'configured', '--var', 'cfg={"a" 1}']),
    ]);
    assert.deepEqual(refusal(register), { code: 'VALIDATION_FAILED', message: 'typo.json: 0.maxretry: unknown field (did you mean maxretries?)' });
    assert.deepEqual(refusal(registerVars), {
      code: 'VALIDATION_FAILED',
      message: 'vars.json: variables.n.requird: unknown field (did you mean required?)',
    });
    assert.deepEqual(refusal(cron), { code: 'VALIDATION_FAILED', message: 'typo.json: 0.maxretry: unknown field (did you mean maxretries?)' });
    assert.deepEqual(refusal(single), { code: 'VALIDATION_FAILED', message: 'one.json: maxretries: expected a number, got a string' });
    assert.deepEqual(refusal(stdin), { code: 'VALIDATION_FAILED', message: 'stdin: 0.Label: unknown field (did you mean label?)' });
    assert.deepEqual(refusal(args), { code: 'USAGE', message: '--args: invalid JSON at column 4: unexpected end of input: a value is missing' });
    assert.deepEqual(refusal(data), {
      code: 'USAGE',
      message: "--data: invalid JSON at column 13: a comma before '}': JSON allows no trailing comma",
    });
    assert.deepEqual(refusal(variable), { code: 'USAGE', message: "--var cfg: invalid JSON at column 6: expected ':' after the property name" });
    assert.deepEqual(
      (await f.a.userClient.listWorkflowSpecs()).map((s) => s.name),
      ['configured'],
    );
    assert.deepEqual(await f.a.userClient.listCrons(), []);
  });
});

describe('failure summaries', () => {
  test('--wait, workflow get, process psf and process get show the last attempt’s error and which attempt it was', async () => {
    const wf = file('retried.json', [{ funcname: 'divide', executortype: TYPE, maxretries: 2 }]);
    const waited = await cli(['workflow', 'submit', '--spec', wf, '--wait']);
    assert.equal(waited.code, 1, waited.stderr);
    const m = /^error: FAILED: workflow ([0-9a-f]{64}) ended FAILED: divide \(process ([0-9a-f]{64})\) failed: (.*)$/.exec(
      waited.stderr.trim().split('\n').at(-1)!,
    );
    assert.ok(m, waited.stderr);
    const [, graphid, processid, why] = m;
    assert.equal(why, 'division by zero on attempt 3 (attempt 3 of 3)');

    const [get, psf, pget, pwait] = await Promise.all([
      cli(['workflow', 'get', '-g', graphid!]),
      cli(['process', 'psf']),
      cli(['process', 'get', '-p', processid!]),
      cli(['process', 'submit', '--funcname', 'divide', '--type', TYPE, '--maxretries', '1', '--wait']),
    ]);
    assert.match(get.stdout, /divide +FAILED +✗ division by zero on attempt 3 \(attempt 3 of 3\)$/m);
    // The graph's own reason names the process and its last error, without the stack.
    assert.deepEqual((await f.a.userClient.getProcessGraph(graphid!)).errors, [`process ${processid} failed: division by zero on attempt 3`]);
    const row = tableRows(psf.stdout).find((r) => r[0] === processid);
    assert.equal(row?.at(-1), 'division by zero on attempt 3 (attempt 3 of 3)', psf.stdout);
    assert.match(pget.stdout, /│ Error +│ division by zero on attempt 3 \(attempt 3 of 3\)/);
    // Every attempt's errors are still listed, oldest first.
    assert.match(pget.stdout, /│ 1 +│ division by zero on attempt 1 /);
    assert.equal(pwait.code, 1);
    assert.match(pwait.stderr.trim().split('\n').at(-1)!, /ended FAILED: division by zero on attempt 2 \(attempt 2 of 2\)$/);
  });
});
