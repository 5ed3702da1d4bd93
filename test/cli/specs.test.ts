/**
 * `colonies workflow spec register | ls | get | remove`, `workflow run`, `workflow search` and
 * `workflow vars`: the real binary against a fixture server with an executor serving the functions.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fixture } from '../helpers/fixture.ts';
import type { ExecutionContext } from '../../executor/executor.ts';
import type { ProcessGraph, ProcessGraphWithProcesses, RegisteredSpec, WorkflowSpecSummary } from '../../protocol/types.ts';
import { cliFixture, errorLine, run, tableRows, type CliFixture } from './helpers.ts';

const TYPE = 'cli-spec';
let f: Fixture;
let dir: string;
let env: CliFixture['env'];
let stop: CliFixture['stop'];
let specFile: string;

before(async () => {
  ({ f, dir, env, stop } = await cliFixture({
    name: TYPE,
    functions: {
      greet: (_ctx: ExecutionContext, name: string) => `Hello, ${name}!`,
      count: (ctx: ExecutionContext) => [(ctx.process.spec.kwargs as { n: number }).n * 2],
    },
  }));
  specFile = join(dir, 'quickstart.json');
  writeFileSync(
    specFile,
    JSON.stringify({
      functionspecs: [
        { funcname: 'greet', executortype: TYPE, args: [{ $var: 'input-name' }] },
        { funcname: 'count', executortype: TYPE, kwargs: { n: { $var: 'limit' } }, setvariables: { doubled: '$[0]' } },
      ],
      variables: {
        'input-name': { type: 'string', required: true, index: true },
        limit: { type: 'integer', default: 10, index: true },
        doubled: { type: 'integer' },
      },
    }),
  );
});
after(() => stop());

const json = <T>(s: string) => JSON.parse(s) as T;

test('register, ls, get: versions, an identical spec, the spec drawn', async () => {
  const r1 = await run(['workflow', 'spec', 'register', '--name', 'quickstart', '--spec', specFile], env());
  assert.equal(r1.code, 0, r1.stderr);
  assert.match(r1.stdout, /Registered quickstart version 1/);
  const again = await run(['workflow', 'spec', 'register', '--name', 'quickstart', '--spec', specFile, '--json'], env());
  assert.deepEqual([json<RegisteredSpec>(again.stdout).version, json<RegisteredSpec>(again.stdout).added], [1, false]);
  const ls = await run(['workflow', 'spec', 'ls'], env());
  assert.deepEqual(tableRows(ls.stdout)[1]?.slice(0, 2), ['quickstart', '1']);
  const lsJson = json<WorkflowSpecSummary[]>((await run(['workflow', 'spec', 'ls', '--json'], env())).stdout);
  assert.equal(lsJson[0]?.latestversion, 1);
  const get = await run(['workflow', 'spec', 'get', 'quickstart'], env());
  assert.equal(get.code, 0, get.stderr);
  assert.match(get.stdout, /Workflow spec quickstart version 1/);
  assert.match(get.stdout, /input-name\s+│ string\s+│ yes/);
  assert.match(get.stdout, /greet/);
  const missing = await run(['workflow', 'spec', 'get', 'nope'], env());
  assert.equal(errorLine(missing).code, 'SPEC_NOT_FOUND');
});

test('run with --var typed by the declaration, --wait; vars, get and ps show the run by name', async () => {
  const bad = await run(['workflow', 'run', 'quickstart', '--var', 'input-name=obi-wan', '--var', 'limit=ten'], env());
  assert.equal(bad.code, 2);
  assert.deepEqual(errorLine(bad), { code: 'VALIDATION_FAILED', message: '--var limit: "ten" is not a value of type integer' });
  const unknown = await run(['workflow', 'run', 'quickstart', '--var', 'customer=x'], env());
  assert.match(errorLine(unknown).message, /--var customer: the spec declares no variable "customer"/);
  const missing = await run(['workflow', 'run', 'quickstart'], env());
  assert.equal(missing.code, 2);
  assert.match(errorLine(missing).message, /variable "input-name" \(string\) is required/);

  const r = await run(['workflow', 'run', 'quickstart', '--var', 'input-name=obi-wan', '--var', 'limit=3', '--wait', '--timeout', '60'], env());
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(json<Record<string, unknown>>(r.stdout), { greet: ['Hello, obi-wan!'], count: [6] });

  const runs = json<ProcessGraph[]>(
    (await run(['workflow', 'search', '--spec', 'quickstart', '--var', 'input-name=obi-wan', '--json'], env())).stdout,
  );
  assert.equal(runs.length, 1);
  const id = runs[0]!.processgraphid;
  const vars = json<Record<string, unknown>>((await run(['workflow', 'vars', '-g', id, '--json'], env())).stdout);
  assert.deepEqual(vars, { 'input-name': 'obi-wan', limit: 3, doubled: 6 });
  const get = await run(['workflow', 'get', '-g', id], env());
  assert.match(get.stdout, /Name\s+│ quickstart/);
  assert.match(get.stdout, /Spec\s+│ quickstart version 1/);
  assert.match(get.stdout, /Started by │ alice/);
  const pss = await run(['workflow', 'pss'], env());
  const row = tableRows(pss.stdout).find((cells) => cells[1] === id);
  assert.equal(row?.[0], 'quickstart');
});

test('run --key is idempotent; submit takes --name and --key', async () => {
  const a = await run(['workflow', 'run', 'quickstart', '--var', 'input-name=leia', '--key', 'order-1234'], env());
  const b = await run(['workflow', 'run', 'quickstart', '--var', 'input-name=leia', '--key', 'order-1234'], env());
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout.trim(), b.stdout.trim());
  const wf = join(dir, 'adhoc.json');
  writeFileSync(wf, JSON.stringify([{ funcname: 'greet', executortype: TYPE, args: ['x'] }]));
  const s1 = await run(['workflow', 'submit', '--spec', wf, '--name', 'adhoc', '--key', 'k-1', '--json'], env());
  const s2 = await run(['workflow', 'submit', '--spec', wf, '--key', 'k-1', '--json'], env());
  assert.equal(json<ProcessGraph>(s1.stdout).processgraphid, json<ProcessGraph>(s2.stdout).processgraphid);
  assert.equal(json<ProcessGraph>(s1.stdout).name, 'adhoc');
});

test('cron add --workflowspec runs the spec with typed variables', async () => {
  const bad = await run(['cron', 'add', '--name', 'qs', '--workflowspec', 'quickstart', '--var', 'limit=x', '--interval', '3600'], env());
  assert.equal(errorLine(bad).message, '--var limit: "x" is not a value of type integer');
  const add = await run(['cron', 'add', '--name', 'qs', '--workflowspec', 'quickstart', '--var', 'input-name=cron', '--interval', '3600'], env());
  assert.equal(add.code, 0, add.stderr);
  const fired = await run(['cron', 'run', '--name', 'qs', '--wait', '--timeout', '60', '--json'], env());
  assert.equal(fired.code, 0, fired.stderr);
  const g = json<ProcessGraphWithProcesses>(fired.stdout);
  assert.deepEqual([g.name, g.specname, g.cronname], ['qs', 'quickstart', 'qs']);
  assert.deepEqual(g.variables, { 'input-name': 'cron', limit: 10, doubled: 20 });
  await f.a.userClient.removeCron('qs');
});

test('search: by equality and range, bad filters named; spec remove', async () => {
  const wait = await run(['workflow', 'run', 'quickstart', '--var', 'input-name=han', '--var', 'limit=50', '--wait', '--timeout', '60'], env());
  assert.equal(wait.code, 0, wait.stderr);
  const ranged = await run(['workflow', 'search', '--spec', 'quickstart', '--var', 'limit>=20'], env());
  assert.equal(ranged.code, 0, ranged.stderr);
  const rows = tableRows(ranged.stdout);
  assert.equal(rows.length, 2, ranged.stdout);
  assert.equal(rows[1]?.[0], 'quickstart');
  const bad = await run(['workflow', 'search', '--spec', 'quickstart', '--var', 'customer=x'], env());
  assert.equal(bad.code, 2);
  assert.match(errorLine(bad).message, /variable "customer" is not declared/);
  const none = await run(['workflow', 'search', '--spec', 'quickstart', '--var', 'input-name=nobody'], env());
  assert.match(none.stderr, /No runs of quickstart found/);

  const g = json<ProcessGraphWithProcesses[]>(
    (await run(['workflow', 'search', '--spec', 'quickstart', '--state', 'WAITING', '--json'], env())).stdout,
  );
  for (const x of g) await f.a.userClient.cancelProcessGraph(x.processgraphid);
  const rm = await run(['workflow', 'spec', 'remove', 'quickstart', '--force'], env());
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(errorLine(await run(['workflow', 'spec', 'get', 'quickstart'], env())).code, 'SPEC_NOT_FOUND');
});

test('listings take a time range; a bad time is refused naming it', async () => {
  const future = await run(['workflow', 'pss', '--since', '2100-01-01T00:00:00Z', '--json'], env());
  assert.deepEqual(json<unknown[]>(future.stdout), []);
  const all = json<unknown[]>((await run(['process', 'pss', '--since', '2000-01-01T00:00:00Z', '--json'], env())).stdout);
  assert.ok(all.length > 0);
  const bad = await run(['process', 'pss', '--until', 'soon'], env());
  assert.equal(bad.code, 2);
  assert.match(errorLine(bad).message, /query\.until/);
});
