/** `colonies workflow …` and `colonies executor start` against a fixture server. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fixture } from '../helpers/fixture.ts';
import type { ExecutionContext } from '../../executor/executor.ts';
import { funcSpec } from '../../executor/workflow.ts';
import type { ProcessGraph, ProcessGraphWithProcesses } from '../../protocol/types.ts';
import { baseEnv, cliFixture, errorLine, run, start, tableRows, userEnv, type CliFixture } from './helpers.ts';

const TYPE = 'cli-wf';
const FANOUT = 12;
let f: Fixture;
let dir: string;
let env: CliFixture['env'];
let stop: CliFixture['stop'];

before(async () => {
  ({ f, dir, env, stop } = await cliFixture({
    name: TYPE,
    concurrency: 4,
    functions: {
      gen_nums: () => [1, 2],
      sum_nums: (_ctx: ExecutionContext, a: number, b: number) => a + b,
      explode: () => {
        throw new Error('kaboom');
      },
      // The tutorial's map: gen_nums_0 spliced in after map, the rest added as extra parents of reduce.
      map: async (ctx: ExecutionContext) => {
        const graphid = ctx.process.processgraphid!;
        const reduce = await ctx.client.findProcess(graphid, 'reduce');
        const spec = funcSpec({ func: 'gen_nums', executortype: TYPE });
        await ctx.addChild(spec, 'gen_nums_0', { insert: true });
        await ctx.addChildren(
          Array.from({ length: FANOUT - 1 }, (_, i) => ({ spec, nodename: `gen_nums_${i + 1}`, childprocessid: reduce.processid, insert: false })),
        );
      },
      reduce: (_ctx: ExecutionContext, ...nums: number[]) => nums.reduce((a, b) => a + b, 0),
    },
  }));
});
after(() => stop());

const file = (name: string, v: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof v === 'string' ? v : JSON.stringify(v));
  return p;
};
const twoSteps = (type: string) => [
  { funcname: 'gen_nums', executortype: type },
  { funcname: 'sum_nums', executortype: type, conditions: { dependencies: ['gen_nums'] } },
];

describe('workflow submit', () => {
  test('bad spec files are exit 2: missing, invalid JSON, not a list, a cycle (named), an unknown dependency', async () => {
    const cycle = file('cycle.json', [
      { funcname: 'a', executortype: TYPE, conditions: { dependencies: ['c'] } },
      { funcname: 'b', executortype: TYPE, conditions: { dependencies: ['a'] } },
      { funcname: 'c', executortype: TYPE, conditions: { dependencies: ['b'] } },
    ]);
    const unknown = file('unknown.json', { functionspecs: [{ funcname: 'a', executortype: TYPE, conditions: { dependencies: ['ghost'] } }] });
    const rs = await Promise.all([
      run(['workflow', 'submit', '--spec', join(dir, 'nope.json')], env()),
      run(['workflow', 'submit', '--spec', file('bad.json', '[{"funcname": ')], env()),
      run(['workflow', 'submit', '--spec', file('obj.json', { funcname: 'a' })], env()),
      run(['workflow', 'submit', '--spec', cycle], env()),
      run(['workflow', 'submit', '--spec', unknown], env()),
    ]);
    assert.deepEqual(
      rs.map((r) => [r.code, errorLine(r).code]),
      [
        [2, 'FILE_NOT_FOUND'],
        [2, 'BAD_SPEC'],
        [2, 'VALIDATION_FAILED'],
        [2, 'DEPENDENCY_CYCLE'],
        [2, 'UNKNOWN_DEPENDENCY'],
      ],
    );
    assert.match(errorLine(rs[3]).message, /cycle\.json: dependency cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)$/);
    assert.match(errorLine(rs[4]).message, /"a" depends on "ghost"/);
    assert.deepEqual(await f.a.userClient.listProcessGraphs(), []);
  });

  test('--wait prints the leaf outputs by nodename; --type fills specs without one; a failed graph is exit 1', async () => {
    const spec = file('two.json', [{ funcname: 'gen_nums' }, { funcname: 'sum_nums', conditions: { dependencies: ['gen_nums'] } }]);
    const ok = await run(['workflow', 'submit', '--spec', spec, '--type', TYPE, '--wait'], env());
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, '{"sum_nums":[3]}\n');
    assert.match(ok.stderr, /workflow [0-9a-f]{12} SUCCESS: 2\/2 done/);

    const failing = file('fail.json', {
      functionspecs: [
        { funcname: 'gen_nums', executortype: TYPE },
        { funcname: 'explode', executortype: TYPE, conditions: { dependencies: ['gen_nums'] } },
        { funcname: 'sum_nums', executortype: TYPE, conditions: { dependencies: ['explode'] } },
      ],
    });
    const bad = await run(['workflow', 'submit', '--spec', failing, '--wait'], env());
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '');
    assert.match(
      bad.stderr.trim().split('\n').at(-1)!,
      /^error: FAILED: workflow [0-9a-f]{64} ended FAILED: explode \(process [0-9a-f]{64}\) failed: kaboom \(attempt 1 of 1\)$/,
    );
  });
});

describe('workflow listings and get', () => {
  test('psw lists a waiting workflow; get shows its summary, processes and DAG; --json is the raw graph', async () => {
    const g = await f.a.userClient.submitWorkflow({ functionspecs: twoSteps('nobody') });
    const [psw, get, json] = await Promise.all([
      run(['workflow', 'psw'], env()),
      run(['workflow', 'get', '--workflowid', g.processgraphid], env()),
      run(['workflow', 'get', '-g', g.processgraphid, '--json'], env()),
    ]);
    assert.equal(psw.code, 0, psw.stderr);
    assert.deepEqual(tableRows(psw.stdout)[0], ['NAME', 'PROCESSGRAPH ID', 'PROCESSES', 'SUBMISSION TIME', 'STARTED BY']);
    assert.deepEqual(
      tableRows(psw.stdout)
        .find((r) => r[1] === g.processgraphid)
        ?.filter((_, i) => i !== 3),
      ['', g.processgraphid, '0/2', 'alice'],
    );

    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, new RegExp(`^Workflow ${g.processgraphid}\n`));
    assert.match(get.stdout, /│ State +│ WAITING/);
    assert.match(get.stdout, /│ Processes +│ 2 \(2 WAITING\)/);
    const procs = tableRows(get.stdout.slice(get.stdout.indexOf('Processes\n')));
    assert.deepEqual(procs[0], ['NODENAME', 'FUNCNAME', 'STATE', 'PROCESS ID', 'START TIME', 'END TIME']);
    assert.deepEqual(
      procs.slice(1).map((r) => [r[0], r[2]]),
      [
        ['gen_nums', 'WAITING'],
        ['sum_nums', 'WAITING'],
      ],
    );
    assert.match(
      get.stdout,
      /Graph: 2 processes, 1 edges, 2 layers\n╭─ layer 0\n│ {2}● gen_nums +WAITING\n├─ layer 1\n│ {2}● sum_nums +WAITING +◀─ gen_nums\n╰─/,
    );

    const raw = JSON.parse(json.stdout) as ProcessGraphWithProcesses;
    assert.equal(raw.processgraphid, g.processgraphid);
    assert.equal(raw.processes.length, 2);

    // -q prints only the ids, one per line.
    const quiet = await run(['workflow', 'psw', '-q'], env());
    assert.equal(quiet.code, 0, quiet.stderr);
    const ids = quiet.stdout.split('\n');
    assert.equal(ids.pop(), '');
    assert.ok(ids.includes(g.processgraphid), quiet.stdout);
    assert.ok(
      ids.every((id) => /^[0-9a-f]{64}$/.test(id)),
      quiet.stdout,
    );

    const missing = await run(['workflow', 'get', '-g', 'cd'.repeat(32)], env());
    assert.equal(missing.code, 5);
    assert.equal(errorLine(missing).code, 'PROCESSGRAPH_NOT_FOUND');
    const noId = await run(['workflow', 'get'], env());
    assert.equal(noId.code, 2);
  });

  test('a map-reduce fan-out: --wait prints reduce, get summarises the fan-out, --all lists every node', async () => {
    const spec = file('mapreduce.json', [
      { funcname: 'map', executortype: TYPE },
      { funcname: 'reduce', executortype: TYPE, conditions: { dependencies: ['map'] } },
    ]);
    const r = await run(['workflow', 'submit', '--spec', spec, '--wait', '--json'], env());
    assert.equal(r.code, 0, r.stderr);
    const g = JSON.parse(r.stdout) as ProcessGraphWithProcesses;
    assert.equal(g.state, 'SUCCESS');
    assert.deepEqual(g.processes.find((p) => p.spec.nodename === 'reduce')?.out, [FANOUT * 3]);

    const [get, all, pss] = await Promise.all([
      run(['workflow', 'get', '-g', g.processgraphid], env()),
      run(['workflow', 'get', '-g', g.processgraphid, '--all'], env()),
      run(['workflow', 'pss', '--count', '50', '--funcname', 'reduce'], env()),
    ]);
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, new RegExp(`Graph: ${FANOUT + 2} processes, ${FANOUT * 2} edges, 3 layers`));
    assert.match(
      get.stdout,
      /├─ layer 1\n│ {2}● gen_nums_\* ×12 +\(SUCCESS 12\) +◀─ map\n├─ layer 2\n│ {2}● reduce +SUCCESS +◀─ gen_nums_\* ×12\n╰─/,
    );
    assert.match(all.stdout, /● gen_nums_11 +SUCCESS +◀─ map/);
    // Only the map-reduce graphs have a reduce process.
    assert.deepEqual(
      tableRows(pss.stdout)
        .slice(1)
        .map((row) => [row[1], row[2]]),
      [[g.processgraphid, `${FANOUT + 2}/${FANOUT + 2}`]],
    );
  });

  test('cancel, remove and removeall (confirmation required off a terminal)', async () => {
    const a = await f.a.userClient.submitWorkflow({ functionspecs: twoSteps('nobody') });
    const b = await f.a.userClient.submitWorkflow({ functionspecs: twoSteps('nobody') });
    const cancel = await run(['workflow', 'cancel', '-g', a.processgraphid], env());
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.match(cancel.stdout, /CANCELLED/);
    const psc = JSON.parse((await run(['workflow', 'psc', '--json'], env())).stdout) as ProcessGraph[];
    assert.ok(psc.some((g) => g.processgraphid === a.processgraphid));
    assert.equal((await run(['workflow', 'remove', '--processgraphid', a.processgraphid], env())).code, 0);
    await assert.rejects(f.a.userClient.getProcessGraph(a.processgraphid), { code: 'PROCESSGRAPH_NOT_FOUND' });

    const owner = () => userEnv(f, f.a, { COLONIES_COLONY_PRVKEY: f.a.owner.prvkey });
    const refused = await run(['workflow', 'removeall', '--waiting'], owner());
    assert.equal(refused.code, 2);
    assert.equal(errorLine(refused).code, 'CONFIRMATION_REQUIRED');
    // Removing every workflow is the colony owner's: another key is refused, saying whose it is.
    const notTheOwner = await run(['workflow', 'removeall', '--waiting', '--yes', '--colony-prvkey', f.a.user.prvkey], env());
    assert.equal(notTheOwner.code, 4);
    assert.deepEqual(errorLine(notTheOwner), { code: 'FORBIDDEN', message: `only the owner of colony "${f.a.colonyname}" may do this` });
    assert.equal((await f.a.userClient.getProcessGraph(b.processgraphid)).state, 'WAITING');
    const removed = await run(['workflow', 'removeall', '--waiting', '--yes'], owner());
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /^Removed [1-9]\d* workflows\n$/);
    await assert.rejects(f.a.userClient.getProcessGraph(b.processgraphid), { code: 'PROCESSGRAPH_NOT_FOUND' });
  });
});

describe('executor start', () => {
  test('without any key it is exit 2; with the colony owner key it registers itself and serves a workflow to completion', async () => {
    const type = 'cli-start';
    const fixtureModule = join('test', 'cli', 'fixtures', 'functions.ts');
    const noKey = await run(
      ['executor', 'start', '--type', type, '--functions', fixtureModule],
      baseEnv({ COLONIES_SERVER_URL: f.url, COLONIES_COLONY_NAME: f.a.colonyname }),
    );
    assert.equal(noKey.code, 2);
    assert.equal(errorLine(noKey).code, 'MISSING_KEY');

    const executor = start(
      ['executor', 'start', '--functions', fixtureModule, '--name', 'cli-started', '--concurrency', '2'],
      baseEnv({
        COLONIES_SERVER_URL: f.url,
        COLONIES_COLONY_NAME: f.a.colonyname,
        COLONIES_COLONY_PRVKEY: f.a.owner.prvkey,
        COLONIES_EXECUTOR_TYPE: type,
      }),
    );
    try {
      await executor.waitFor(/serving explode, gen_nums, sum_nums in colony colony-a/);
      const e = await f.a.userClient.getExecutor('cli-started');
      assert.equal(e.state, 'APPROVED');
      assert.equal(e.executortype, type);

      const wf = await run(['workflow', 'submit', '--spec', file('served.json', twoSteps(type)), '--wait'], env());
      assert.equal(wf.code, 0, wf.stderr);
      assert.equal(wf.stdout, '{"sum_nums":[3]}\n');
      await executor.waitFor(/sum_nums {2}[0-9a-f]{12} {2}SUCCESS/);
    } finally {
      const stopped = await executor.stop('SIGTERM');
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(stopped.stdout, /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} {2}gen_nums {2}[0-9a-f]{12} {2}SUCCESS {2}\d+ ms\n/);
      assert.match(stopped.stdout, /executor cli-started stopped: 2 succeeded, 0 failed\n$/);
    }
  });
});
