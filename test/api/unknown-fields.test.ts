/**
 * Request bodies refuse a field they do not know (a typo was silently dropped: "maxretry" stored as
 * maxretries 0, an executor's "output" closed the process with no output), 400 VALIDATION_FAILED
 * naming its path and the field it likely stands for; nothing is written. Failure reasons the server
 * writes name the last attempt's error, not a stack.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { expectError, signedAgent, type SignedAgent } from '../helpers/signed-agent.ts';
import { generateKeyPair } from '../../protocol/crypto.ts';

const A = '/colonies/colony-a';
let f: Fixture;
let user: SignedAgent;
let owner: SignedAgent;
let server: SignedAgent;
let executor: SignedAgent;

before(async () => {
  f = await startFixture();
  user = signedAgent(f.url, f.a.user.prvkey);
  owner = signedAgent(f.url, f.a.owner.prvkey);
  server = signedAgent(f.url, f.serverKey.prvkey);
  executor = signedAgent(f.url, f.a.executor.prvkey);
});
after(() => f.close());

interface Refusal {
  message: string;
  issues: { path: string; message: string }[];
}

/** The VALIDATION_FAILED reply's message and issues. */
async function refusal(agent: SignedAgent, path: string, body: unknown): Promise<Refusal> {
  const res = await agent.post(path, body);
  const details = expectError(res, 400, 'VALIDATION_FAILED') as { issues: Refusal['issues'] };
  return { message: (res.body as { error: { message: string } }).error.message, issues: details.issues };
}

const spec = (extra: Record<string, unknown> = {}) => ({ funcname: 'f', executortype: 'nobody', ...extra });

test('a function spec, its conditions and a workflow: the unknown field is named, with a suggestion when one is close', async () => {
  assert.deepEqual(await refusal(user, `${A}/processes`, spec({ maxretry: 3 })), {
    message: 'body.maxretry: unknown field (did you mean maxretries?)',
    issues: [{ path: 'body.maxretry', message: 'unknown field (did you mean maxretries?)' }],
  });
  assert.equal(
    (await refusal(user, `${A}/processes`, spec({ conditions: { dependencies: [], Trigger: 'all_done' } }))).message,
    'body.conditions.Trigger: unknown field (did you mean trigger?)',
  );
  assert.deepEqual((await refusal(user, `${A}/processgraphs`, { functionspecs: [spec()], dependencies: ['x'] })).issues, [
    { path: 'body.dependencies', message: 'unknown field' },
  ]);
  assert.equal(
    (await refusal(user, `${A}/processgraphs`, [spec(), spec({ nodename: 'g', maxretry: 3, lable: 'x' })])).message,
    'body.1.maxretry: unknown field (did you mean maxretries?) (and 1 more)',
  );
  // In a batch each spec is answered on its own.
  const batch = await user.post(`${A}/processes/batch`, { specs: [spec(), spec({ maxexecttime: 5 })] });
  assert.equal(batch.status, 200);
  const [ok, bad] = (batch.body as { results: { process?: unknown; error?: { message: string } }[] }).results;
  assert.ok(ok?.process);
  assert.equal(bad?.error?.message, 'body.specs.1.maxexecttime: unknown field (did you mean maxexectime?)');
  assert.deepEqual(await f.a.userClient.listProcessGraphs(), []);
  assert.equal((await f.a.userClient.listProcesses({ count: 100 })).length, 1, 'only the good spec of the batch');
});

test('registered specs and their variables, runs by name, crons', async () => {
  assert.deepEqual(
    (await refusal(user, `${A}/workflowspecs`, { name: 's', spec: { functionspecs: [spec()], variables: { n: { type: 'integer', defualt: 1 } } } }))
      .issues,
    [{ path: 'body.spec.variables.n.defualt', message: 'unknown field (did you mean default?)' }],
  );
  assert.equal(
    (await refusal(user, `${A}/workflowspecs`, { name: 's', spec: { functionspecs: [spec()], varibles: {} } })).message,
    'body.spec.varibles: unknown field (did you mean variables?)',
  );
  await f.a.userClient.registerWorkflowSpec('s', [spec()]);
  assert.equal(
    (await refusal(user, `${A}/workflowspecs/s/runs`, { variables: {}, versoin: 1 })).message,
    'body.versoin: unknown field (did you mean version?)',
  );
  const cron = await refusal(user, `${A}/crons`, { name: 'c', interval: 60, workflow: [spec()], waitforprevprocessgrap: true });
  assert.deepEqual(cron.issues, [{ path: 'body.waitforprevprocessgrap', message: 'unknown field (did you mean waitforprevprocessgraph?)' }]);
  assert.equal(
    (await refusal(user, `${A}/crons`, { name: 'c', interval: 60, workflow: [spec({ arg: [] })] })).message,
    'body.workflow.0.arg: unknown field (did you mean args?)',
  );
  assert.deepEqual(await f.a.userClient.listCrons(), []);
  assert.equal((await f.a.userClient.listProcessGraphs()).length, 0);
});

test('executor, user and colony registration', async () => {
  const key = generateKeyPair();
  assert.equal(
    (await refusal(owner, `${A}/executors`, { executorname: 'e', executorid: key.id, executortype: 't', locaton: 'lab' })).message,
    'body.locaton: unknown field (did you mean location?)',
  );
  assert.equal(
    (await refusal(owner, `${A}/users`, { username: 'bob', userid: key.id, UserName: 'bob' })).message,
    'body.UserName: unknown field (did you mean username?)',
  );
  assert.equal(
    (await refusal(server, '/colonies', { colonyname: 'c', colonyid: key.id, colonyID: key.id })).message,
    'body.colonyID: unknown field (did you mean colonyid?)',
  );
  assert.deepEqual(
    (await f.a.ownerClient.listExecutors()).map((e) => e.executorname),
    [f.a.executorname],
  );
});

test('ColonyOS’s colonyname, in the workflow and in conditions, is accepted: the request’s colony counts', async () => {
  const g = await f.a.userClient.submitWorkflow({
    colonyname: 'dev',
    functionspecs: [{ funcname: 'f', nodename: 'cos', conditions: { colonyname: 'dev', executortype: 'nobody', dependencies: [] } }],
  });
  const [p] = (await f.a.userClient.getProcessGraph(g.processgraphid)).processes;
  assert.equal(p!.colonyname, 'colony-a');
  assert.deepEqual(p!.spec.conditions, { dependencies: [] });
  await f.a.userClient.removeProcessGraph(g.processgraphid, { force: true });
});

test('what executors write: close, fail, logs, lease reports, assigns, children, functions; and events and batches', async () => {
  const g = await f.a.userClient.submitWorkflow({ functionspecs: [spec({ nodename: 'p', executortype: f.a.executortype })] });
  const [p] = await f.a.executorClient.assign({ timeout: 0 });
  assert.equal(p?.processgraphid, g.processgraphid);
  const P = `${A}/processes/${p.processid}`;
  const G = `${A}/processgraphs/${g.processgraphid}`;
  const held = { processid: p.processid, attempt: 1 };
  const waiting = (await f.a.userClient.listProcesses({ state: 'WAITING' })).length;
  const child = spec({ executortype: f.a.executortype });
  const refusals: [string, unknown, string][] = [
    [`${P}/close`, { attempt: 1, output: ['x'] }, 'body.output: unknown field'],
    [`${A}/processes/close`, { closes: [{ ...held, out: [], attmept: 1 }] }, 'body.closes.0.attmept: unknown field (did you mean attempt?)'],
    [`${P}/fail`, { attempt: 1, errors: ['bad'], errorKind: 'ValueError' }, 'body.errorKind: unknown field (did you mean errorkind?)'],
    [`${P}/logs`, { message: 'hi', level: 'info' }, 'body.level: unknown field'],
    [`${A}/executors/heartbeat`, { holding: [held], instanceid: 'run-0001' }, 'body.instanceid: unknown field (did you mean instance?)'],
    [`${A}/executors/heartbeat`, { holding: [{ ...held, process: 'x' }] }, 'body.holding.0.process: unknown field (did you mean processid?)'],
    [`${A}/processes/assign`, { timeout: 0, cout: 5 }, 'body.cout: unknown field (did you mean count?)'],
    [`${A}/processes/assign`, { timeout: 0, closes: [{ ...held, out: [] }], holdings: [] }, 'body.holdings: unknown field (did you mean holding?)'],
    [`${G}/children`, { parentprocessid: p.processid, spec: child, nodename: 'c', insrt: true }, 'body.insrt: unknown field (did you mean insert?)'],
    [
      `${G}/children/batch`,
      { parentprocessid: p.processid, children: [{ spec: child, nodname: 'c' }] },
      'body.children.0.nodname: unknown field (did you mean nodename?)',
    ],
    [`${A}/functions`, { functions: ['f'], function: 'g' }, 'body.function: unknown field (did you mean functions?)'],
  ];
  for (const [path, body, message] of refusals) assert.equal((await refusal(executor, path, body)).message, message, path);
  assert.equal((await refusal(user, `${G}/events`, { name: 'go', date: 1 })).message, 'body.date: unknown field (did you mean data?)');
  assert.equal(
    (await refusal(user, `${A}/processes/batch`, { specs: [spec()], spec: spec() })).message,
    'body.spec: unknown field (did you mean specs?)',
  );

  // Nothing was written: the attempt still runs, alone in its graph, with no log, event or declared function.
  const after = await f.a.userClient.getProcessGraph(g.processgraphid);
  assert.deepEqual(
    after.processes.map((q) => [q.spec.nodename, q.state, q.attempt]),
    [['p', 'RUNNING', 1]],
  );
  assert.deepEqual(await f.a.userClient.getLogs(p.processid), []);
  assert.deepEqual(await f.a.userClient.listEvents(g.processgraphid), []);
  assert.deepEqual(await f.a.userClient.listFunctions(), []);
  assert.equal((await f.a.userClient.listProcesses({ state: 'WAITING' })).length, waiting);
  // The same bodies without the unknown field are taken.
  await f.a.executorClient.close(p.processid, 1, ['x']);
  assert.deepEqual((await f.a.userClient.getProcess(p.processid)).out, ['x']);
});
