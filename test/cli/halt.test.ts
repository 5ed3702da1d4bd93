/** `colonies workflow halt | resume | psh` and HALTED in `workflow get`, against a fixture server. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import type { ProcessGraph } from '../../protocol/types.ts';
import { errorLine, run, tableRows, userEnv } from './helpers.ts';

let f: Fixture;
before(async () => {
  f = await startFixture();
});
after(async () => {
  await f.close();
});

const env = () => userEnv(f);
const twoSteps = [
  { funcname: 'gen_nums', executortype: 'nobody' },
  { funcname: 'sum_nums', executortype: 'nobody', conditions: { dependencies: ['gen_nums'] } },
];

test('workflow halt, psh and get show HALTED; halting twice is exit 1; resume goes back to WAITING (--json)', async () => {
  const g = await f.a.userClient.submitWorkflow({ functionspecs: twoSteps });
  const halt = await run(['workflow', 'halt', '-g', g.processgraphid], env());
  assert.equal(halt.code, 0, halt.stderr);
  assert.equal(halt.stdout, `Workflow ${g.processgraphid} HALTED\n`);

  const [psh, get, again] = await Promise.all([
    run(['workflow', 'psh'], env()),
    run(['workflow', 'get', '-g', g.processgraphid], env()),
    run(['workflow', 'halt', '-g', g.processgraphid], env()),
  ]);
  assert.equal(psh.code, 0, psh.stderr);
  assert.deepEqual(tableRows(psh.stdout)[0], ['NAME', 'PROCESSGRAPH ID', 'PROCESSES', 'SUBMISSION TIME', 'START TIME', 'STARTED BY']);
  assert.ok(tableRows(psh.stdout).some((r) => r[1] === g.processgraphid));
  assert.equal(get.code, 0, get.stderr);
  assert.match(get.stdout, /│ State +│ HALTED/);
  assert.match(get.stdout, /│ Processes +│ 2 \(2 HALTED\)/);
  assert.match(get.stdout, /● gen_nums +HALTED/);
  assert.equal(again.code, 1);
  assert.equal(errorLine(again).code, 'GRAPH_HALTED');

  const resume = await run(['workflow', 'resume', '-g', g.processgraphid, '--json'], env());
  assert.equal(resume.code, 0, resume.stderr);
  const resumed = JSON.parse(resume.stdout) as ProcessGraph;
  assert.equal(resumed.state, 'WAITING');
  const notHalted = await run(['workflow', 'resume', '-g', g.processgraphid], env());
  assert.equal(notHalted.code, 1);
  assert.equal(errorLine(notHalted).code, 'GRAPH_NOT_HALTED');
  const missing = await run(['workflow', 'halt', '-g', 'cd'.repeat(32)], env());
  assert.equal(missing.code, 5);
  assert.equal(errorLine(missing).code, 'PROCESSGRAPH_NOT_FOUND');
  const noId = await run(['workflow', 'halt'], env());
  assert.equal(noId.code, 2);
  await f.a.userClient.cancelProcessGraph(g.processgraphid);
});
