/**
 * The dashboard in a real headless Chromium against a real server: sign-in (a wrong key refused, a
 * pending executor's key told so), a map-reduce watched live on its graph page as its nodes go
 * waiting → running → successful, a failed process and its error, a large fan-out collapsed into one
 * node, and the confirmed actions. The executor runs in this process and its functions wait on gates,
 * so the test decides when each step moves. Screenshots of the main pages go to
 * test-artifacts/screenshots/.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { Executor, type ExecutionContext } from '../../executor/executor.ts';
import { funcSpec, Workflow } from '../../executor/workflow.ts';
import { generateKeyPair } from '../../protocol/crypto.ts';
import { ensureBuilt, gate, launch, screenshot } from './browser.ts';

const TYPE = 'test-executor';
const WAIT = { timeout: 15_000 };

let f: Fixture;
let browser: Browser | undefined;
let skip: string | undefined;
let context: BrowserContext;
let page: Page;
let executor: Executor;
const seen: { urls: string[]; bodies: string[]; headers: string[] } = { urls: [], bodies: [], headers: [] };

// The map-reduce moves only when the test opens these.
const gates = { mapStart: gate(), mapEnd: gate(), gen: gate(), reduce: gate() };

const functions = {
  async map(ctx: ExecutionContext) {
    await gates.mapStart.wait;
    const reduce = await ctx.client.findProcess(ctx.process.processgraphid!, 'reduce');
    for (let i = 0; i < 5; i++) {
      await ctx.addChild(funcSpec({ func: 'gen_nums', executortype: TYPE }), `gen_nums_${i}`, { insert: i === 0, childprocessid: reduce.processid });
    }
    await ctx.log('map: added 5 gen_nums children');
    await gates.mapEnd.wait;
  },
  async gen_nums() {
    await gates.gen.wait;
    return [1, 2];
  },
  async reduce(ctx: ExecutionContext, ...nums: number[]) {
    await gates.reduce.wait;
    const sum = nums.reduce((a, b) => a + b, 0);
    await ctx.log(`reduce: ${nums.length} numbers, sum ${sum}`);
    return sum;
  },
  prepare() {
    return ['input.csv'];
  },
  divide(_ctx: ExecutionContext, file: string) {
    throw new Error(`division by zero while reading ${file}`);
  },
  async fan(ctx: ExecutionContext) {
    const collect = await ctx.client.findProcess(ctx.process.processgraphid!, 'collect');
    await ctx.addChildren(
      Array.from({ length: 40 }, (_, i) => ({
        spec: funcSpec({ func: 'part', executortype: TYPE, args: [i] }),
        nodename: `part_${i}`,
        childprocessid: collect.processid,
      })),
    );
  },
  async fan10k(ctx: ExecutionContext) {
    const sink = await ctx.client.findProcess(ctx.process.processgraphid!, 'sink');
    await ctx.addChildren(
      Array.from({ length: 10_000 }, (_, i) => ({
        spec: funcSpec({ func: 'gen_nums', executortype: 'nobody' }),
        nodename: `gen_nums_${i}`,
        childprocessid: sink.processid,
      })),
    );
  },
  part(_ctx: ExecutionContext, i: number) {
    return i;
  },
  collect(_ctx: ExecutionContext, ...parts: number[]) {
    return parts.length;
  },
};

const node = (nodename: string, state?: string) => page.locator(`g.node[data-nodename="${nodename}"]${state ? `[data-state="${state}"]` : ''}`);

async function signIn(prvkey: string, colony = f.a.colonyname): Promise<void> {
  await page.fill('#colony', colony);
  await page.fill('#prvkey', prvkey);
  await page.click('button[type=submit]');
}

async function openWorkflow(processgraphid: string): Promise<void> {
  await page.goto(`${f.url}/#/workflows/${processgraphid}`);
  await page.locator('svg.flowchart g.node').first().waitFor(WAIT);
}

before(async () => {
  const b = await launch();
  if (typeof b === 'string') {
    skip = b;
    return;
  }
  browser = b;
  ensureBuilt();
  f = await startFixture();
  executor = new Executor({
    url: f.url,
    colonyname: f.a.colonyname,
    executortype: TYPE,
    prvkey: f.a.executor.prvkey,
    functions,
    concurrency: 8,
    assignTimeout: 5,
  });
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
  page.on('request', (r) => {
    seen.urls.push(r.url());
    seen.headers.push(JSON.stringify(r.headers()));
    seen.bodies.push(r.postData() ?? '');
  });
});

after(async () => {
  await executor?.stop(0);
  await browser?.close();
  await f?.close();
});

test('the server serves the built dashboard at / with a strict CSP, next to the API', async (t) => {
  if (skip) return t.skip(skip);
  const res = await fetch(`${f.url}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.match(await res.text(), /<div id="app">/);
  const api = await fetch(`${f.url}/api/v1/colonies`);
  assert.equal(api.status, 401, 'the API still answers under the dashboard');
});

test('a wrong key is refused on the sign-in page', async (t) => {
  if (skip) return t.skip(skip);
  await page.goto(f.url);
  await page.locator('form.signin-form').waitFor(WAIT);
  await screenshot(page, '01-sign-in');

  await signIn('not-a-key');
  await page.locator('.signin-error', { hasText: '64 hexadecimal characters' }).waitFor(WAIT);

  await signIn(generateKeyPair().prvkey);
  await page.locator('.signin-error', { hasText: `not a member of colony "${f.a.colonyname}"` }).waitFor(WAIT);
  await screenshot(page, '02-sign-in-wrong-key');

  // A key of another colony is refused too.
  await signIn(f.b.user.prvkey);
  await page.locator('.signin-error', { hasText: 'not a member' }).waitFor(WAIT);

  // A registered executor's key is known: it waits for the owner's approval, and the page says how to give it.
  const pending = generateKeyPair();
  await f.a.ownerClient.addExecutor({ executorname: 'pending-worker', executorid: pending.id, executortype: 'pending-type' });
  await signIn(pending.prvkey);
  await page.locator('.signin-error', { hasText: 'pending approval' }).waitFor(WAIT);
  await page.locator('.signin-error', { hasText: 'colonies executor approve --name pending-worker' }).waitFor(WAIT);
  await f.a.ownerClient.removeExecutor('pending-worker');
  assert.equal(await page.locator('.topbar').count(), 0, 'still on the sign-in page');
});

test('sign in with a user key: the overview shows states, executors and crons', async (t) => {
  if (skip) return t.skip(skip);
  await f.a.userClient.addCron({
    name: 'nightly-report',
    cronexpression: '0 0 2 * * *',
    workflow: new Workflow().add(funcSpec({ func: 'report', executortype: 'reporting' })),
  });
  await signIn(f.a.user.prvkey);
  await page.locator('.topbar .colony-name', { hasText: f.a.colonyname }).waitFor(WAIT);
  await page.locator('[data-testid=executors] td', { hasText: f.a.executorname }).waitFor(WAIT);
  await page.locator('[data-testid=crons] tr[data-cron="nightly-report"]').waitFor(WAIT);
  await page.locator('.who', { hasText: 'alice' }).waitFor(WAIT);
});

test('a map-reduce goes waiting → running → successful, live on its graph page', async (t) => {
  if (skip) return t.skip(skip);
  const wf = new Workflow()
    .add(funcSpec({ func: 'map', executortype: TYPE }))
    .add(funcSpec({ func: 'reduce', executortype: TYPE, dependencies: ['map'] }));
  const g = await f.a.userClient.submitWorkflow(wf);

  // Listed among the waiting workflows.
  await page.goto(`${f.url}/#/workflows?state=WAITING`);
  await page.locator(`tr[data-processgraphid="${g.processgraphid}"]`).waitFor(WAIT);
  await screenshot(page, '03-workflows');
  await page.click(`tr[data-processgraphid="${g.processgraphid}"] a`);

  await node('map', 'WAITING').waitFor(WAIT);
  await node('reduce', 'WAITING').waitFor(WAIT);
  await page.locator('[data-testid=graph-state] [data-state=WAITING]').waitFor(WAIT);

  await executor.start();
  await node('map', 'RUNNING').waitFor(WAIT);
  await page.locator('[data-testid=graph-state] [data-state=RUNNING]').waitFor(WAIT);

  // map adds five gen_nums in front of reduce: the page redraws the graph; they wait for map to finish.
  gates.mapStart.open();
  for (let i = 0; i < 5; i++) await node(`gen_nums_${i}`, 'WAITING').waitFor(WAIT);
  assert.equal(await page.locator('g.edge').count(), 10, 'map → 5 gen_nums → reduce');

  gates.mapEnd.open();
  await node('map', 'SUCCESS').waitFor(WAIT);
  for (let i = 0; i < 5; i++) await node(`gen_nums_${i}`, 'RUNNING').waitFor(WAIT);
  await page.locator('g.edge.delivered[data-from]').first().waitFor(WAIT);
  await screenshot(page, '04-workflow-running');

  gates.gen.open();
  for (let i = 0; i < 5; i++) await node(`gen_nums_${i}`, 'SUCCESS').waitFor(WAIT);
  await node('reduce', 'RUNNING').waitFor(WAIT);

  gates.reduce.open();
  await node('reduce', 'SUCCESS').waitFor(WAIT);
  await page.locator('[data-testid=graph-state] [data-state=SUCCESS]').waitFor(WAIT);
  assert.equal(await page.locator('g.edge.delivered').count(), 10, 'every edge delivered its output');

  // A node opens its process: input, output and logs.
  await node('reduce').click();
  const panel = page.locator('.side-panel .process-detail');
  await panel.locator('[data-testid=output]', { hasText: '15' }).waitFor(WAIT);
  assert.deepEqual(JSON.parse((await panel.locator('[data-testid=input]').textContent()) ?? ''), [1, 2, 1, 2, 1, 2, 1, 2, 1, 2]);
  await panel.locator('[data-testid=logs]', { hasText: 'reduce: 10 numbers, sum 15' }).waitFor(WAIT);
  await panel.locator('dd', { hasText: f.a.executorname }).waitFor(WAIT);
  await screenshot(page, '05-workflow-done-process-panel');
});

test('runs show their name, spec and starter; specs are on the overview; a waiting process says why', async (t) => {
  if (skip) return t.skip(skip);
  const spec = {
    functionspecs: [{ nodename: 'greet', funcname: 'greet', executortype: 'nobody-serves', args: [{ $var: 'who' }] }],
    variables: { who: { type: 'string' as const, required: true } },
  };
  await f.a.userClient.registerWorkflowSpec('greeting', spec);
  const run = await f.a.userClient.runWorkflow('greeting', { who: 'obi-wan' }, { name: 'greet-obi-wan' });

  await page.goto(`${f.url}/#/workflows?state=WAITING`);
  const row = page.locator(`tr[data-processgraphid="${run.processgraphid}"]`);
  await row.locator('a', { hasText: 'greet-obi-wan' }).waitFor(WAIT);
  await row.locator('td', { hasText: 'greeting v1' }).waitFor(WAIT);
  await row.locator('td', { hasText: 'alice' }).waitFor(WAIT);
  await row.locator('a').click();
  await page.locator('h1', { hasText: 'Workflow greet-obi-wan' }).waitFor(WAIT);
  await page.locator('[data-testid=graph-spec]', { hasText: 'greeting v1' }).waitFor(WAIT);

  await node('greet', 'WAITING').waitFor(WAIT);
  // The process page (not the side panel: a live redraw may swallow a click on the graph) says why it waits.
  const [greet] = (await f.a.userClient.getProcessGraph(run.processgraphid)).processes;
  await page.goto(`${f.url}/#/processes/${greet!.processid}`);
  await page.locator('[data-testid=wait-reason]', { hasText: 'nobody-serves' }).waitFor(WAIT);

  // The processes list names the run a process belongs to, linked to it.
  await page.goto(`${f.url}/#/processes?state=WAITING&nodename=greet`);
  await page.locator('tbody tr[data-processid] a', { hasText: 'greet-obi-wan' }).click(WAIT);
  await page.locator('h1', { hasText: 'Workflow greet-obi-wan' }).waitFor(WAIT);

  await page.goto(`${f.url}/#/`);
  await page.locator('[data-testid=specs] tr[data-spec="greeting"]').waitFor(WAIT);
});

test('a failed process is easy to find, and shows its error with the stack', async (t) => {
  if (skip) return t.skip(skip);
  const wf = new Workflow()
    .add(funcSpec({ func: 'prepare', executortype: TYPE }))
    .add(funcSpec({ func: 'divide', executortype: TYPE, dependencies: ['prepare'] }))
    .add(funcSpec({ func: 'reduce', nodename: 'publish', executortype: TYPE, dependencies: ['divide'] }));
  const g = await f.a.userClient.submitWorkflow(wf);
  await f.a.userClient.waitForProcessGraph(g.processgraphid, 15_000);

  // Overview: the failure is flagged and listed.
  await page.goto(`${f.url}/#/`);
  await page.locator('[data-testid=process-stats] .tile.attention[data-state=FAILED]').waitFor(WAIT);
  await page.locator('.failures li', { hasText: 'division by zero' }).waitFor(WAIT);
  await screenshot(page, '06-overview');

  // The Failed tab of the processes.
  await page.click('.main-nav a[data-section=failed]');
  const row = page.locator('tr[data-state=FAILED]', { hasText: 'divide' });
  await row.locator('.error-line', { hasText: 'division by zero while reading input.csv' }).waitFor(WAIT);
  await page.locator('.tab.current[data-state=FAILED].attention').waitFor(WAIT);
  await screenshot(page, '07-processes-failed');

  await row.locator('a').first().click();
  const detail = page.locator('.process-detail');
  await detail.locator('.error-message', { hasText: 'division by zero while reading input.csv' }).waitFor(WAIT);
  assert.match((await detail.locator('pre.stack').textContent()) ?? '', /at divide .*dashboard\.test\.ts/);
  assert.deepEqual(JSON.parse((await detail.locator('[data-testid=input]').textContent()) ?? ''), ['input.csv']);
  await screenshot(page, '08-process-failed');

  // On the graph: divide failed, publish was cancelled, the workflow failed.
  await openWorkflow(g.processgraphid);
  await node('divide', 'FAILED').waitFor(WAIT);
  await node('publish', 'CANCELLED').waitFor(WAIT);
  await page.locator('.alert-error', { hasText: 'failed' }).waitFor(WAIT);
  await screenshot(page, '09-workflow-failed');
});

test('a large fan-out collapses into one node with counts per state, and expands', async (t) => {
  if (skip) return t.skip(skip);
  const wf = new Workflow()
    .add(funcSpec({ func: 'fan', executortype: TYPE }))
    .add(funcSpec({ func: 'collect', executortype: TYPE, dependencies: ['fan'] }));
  const g = await f.a.userClient.submitWorkflow(wf);
  await f.a.userClient.waitForProcessGraph(g.processgraphid, 15_000);

  await openWorkflow(g.processgraphid);
  const group = page.locator('g.node.group[data-group="part_{0…39}"][data-state=SUCCESS]');
  await group.waitFor(WAIT);
  assert.equal(await page.locator('g.node').count(), 3, 'fan → part_{0…39} → collect');
  assert.match((await group.getAttribute('aria-label')) ?? '', /40 processes, 40 successful/);
  await page.locator('g.edge .edge-label', { hasText: '×40' }).first().waitFor(WAIT);
  await group.click();
  await page.locator('.group-detail .chip', { hasText: 'Successful 40' }).waitFor(WAIT);
  await screenshot(page, '10-fanout-collapsed');

  await page.click('.group-detail [data-action=expand]');
  await node('part_39', 'SUCCESS').waitFor(WAIT);
  assert.equal(await page.locator('g.node').count(), 42);
  await screenshot(page, '11-fanout-expanded');
  await page.click('.legend-actions button');
  await group.waitFor(WAIT);
});

// Before the 10,000-process test: function and node name filters look at the newest 10,000 processes.
test('workflows and processes filter by function, node name and label', async (t) => {
  if (skip) return t.skip(skip);
  const labelled = await f.a.userClient.submitWorkflow(
    new Workflow()
      .add(funcSpec({ func: 'render', executortype: 'gpu', label: 'nightly' }))
      .add(funcSpec({ func: 'train', nodename: 'fit', executortype: 'gpu' })),
  );
  await page.goto(`${f.url}/#/workflows`);
  await page.fill('input[name=funcname]', 'divide');
  await page.click('form.filters button[type=submit]');
  await page.waitForURL(/funcname=divide/, WAIT);
  // The filtered table's own row (a FAILED row of the table being replaced does not count).
  await page.locator('tbody tr[data-processgraphid][data-state=FAILED]').waitFor(WAIT);
  await page.waitForFunction(() => document.querySelectorAll('tbody tr[data-processgraphid]').length === 1, undefined, WAIT);
  assert.equal(await page.locator('tbody tr[data-processgraphid]').count(), 1);

  await page.goto(`${f.url}/#/workflows?nodename=gen_nums`);
  await page.locator('tbody tr[data-processgraphid]').first().waitFor(WAIT);
  assert.equal(await page.locator('tbody tr[data-processgraphid]').count(), 1, 'the map-reduce');

  await page.goto(`${f.url}/#/workflows?label=nightly`);
  await page.locator(`tbody tr[data-processgraphid="${labelled.processgraphid}"]`).waitFor(WAIT);
  assert.equal(await page.locator('tbody tr[data-processgraphid]').count(), 1);

  await page.goto(`${f.url}/#/processes?state=WAITING&nodename=fit`);
  await page.locator('tbody tr[data-state=WAITING]', { hasText: 'fit' }).waitFor(WAIT);
  assert.equal(await page.locator('tbody tr[data-processid]').count(), 1);
  await page.click('form.filters button[type=reset]');
  await page.waitForURL(/#\/processes\?state=WAITING$/, WAIT);
});

test('a 10,000-process fan-out is one node, drawn quickly and kept live', async (t) => {
  if (skip) return t.skip(skip);
  const wf = new Workflow()
    .add(funcSpec({ func: 'fan10k', executortype: TYPE }))
    .add(funcSpec({ func: 'sink', executortype: 'nobody', dependencies: ['fan10k'] }));
  const g = await f.a.userClient.submitWorkflow(wf);
  await openWorkflow(g.processgraphid);
  const started = Date.now();
  // Nobody serves the children: after fan10k succeeds they all wait.
  const group = page.locator('g.node.group[data-group="gen_nums_{0…9999}"][data-state=WAITING]');
  await group.waitFor({ timeout: 60_000 });
  await node('fan10k', 'SUCCESS').waitFor(WAIT);
  const ms = Date.now() - started;
  assert.equal(await page.locator('g.node').count(), 3);
  assert.match((await group.getAttribute('aria-label')) ?? '', /10,000 processes, 10,000 waiting/);
  await group.click();
  await page.locator('.group-detail', { hasText: 'Too many to draw one by one' }).waitFor(WAIT);
  await page.locator('.group-detail tr[data-processid]').nth(49).waitFor(WAIT);
  await screenshot(page, '13-fanout-10k');
  await page.locator('.group-detail button', { hasText: 'Next →' }).click();
  await page.locator('.group-detail a', { hasText: 'gen_nums_50' }).click();
  await page.locator('.side-panel .process-detail h2', { hasText: 'gen_nums_50' }).waitFor(WAIT);
  t.diagnostic(`10,000 children added by fan10k and drawn ${ms} ms after the page opened`);
  await f.a.userClient.cancelProcessGraph(g.processgraphid);
  const cancelled = Date.now();
  await page.locator('g.node.group[data-group="gen_nums_{0…9999}"][data-state=CANCELLED]').waitFor({ timeout: 30_000 });
  t.diagnostic(`10,000 cancellations shown ${Date.now() - cancelled} ms after the cancel`);
});

test('actions ask first: cancel and remove a workflow, run a cron now', async (t) => {
  if (skip) return t.skip(skip);
  // Nobody serves this type: the workflow stays waiting until cancelled.
  const g = await f.a.userClient.submitWorkflow(new Workflow().add(funcSpec({ func: 'train', executortype: 'gpu' })));
  await openWorkflow(g.processgraphid);
  await node('train', 'WAITING').waitFor(WAIT);

  // "Keep it" does nothing.
  await page.click('.head-actions [data-action=cancel]');
  await page.locator('dialog.confirm', { hasText: 'Cancel workflow' }).waitFor(WAIT);
  await screenshot(page, '12-confirm-cancel');
  await page.click('dialog.confirm button[value=cancel]');
  assert.equal((await f.a.userClient.getProcessGraph(g.processgraphid)).state, 'WAITING');

  await page.click('.head-actions [data-action=cancel]');
  await page.click('dialog.confirm [data-confirm]');
  await node('train', 'CANCELLED').waitFor(WAIT);
  await page.locator('[data-testid=graph-state] [data-state=CANCELLED]').waitFor(WAIT);

  await page.click('.head-actions [data-action=remove]');
  await page.click('dialog.confirm [data-confirm]');
  await page.waitForURL(/#\/workflows$/, WAIT);
  await assert.rejects(f.a.userClient.getProcessGraph(g.processgraphid), /PROCESSGRAPH_NOT_FOUND|not in colony/);

  // Run a cron now from the overview.
  await page.goto(`${f.url}/#/`);
  const cron = page.locator('tr[data-cron="nightly-report"]');
  await cron.waitFor(WAIT);
  await cron.locator('[data-action=run-cron]').click();
  await page.click('dialog.confirm [data-confirm]');
  await page.locator('.toast', { hasText: 'Cron "nightly-report" started' }).waitFor(WAIT);
  const after = await f.a.userClient.getCron('nightly-report');
  assert.equal(after.runs, 1);
  assert.ok(after.lastprocessgraphid);
  await cron.locator('a', { hasText: after.lastprocessgraphid.slice(0, 8) }).waitFor(WAIT);
});

test('the key stays in the browser: never in a URL, a cookie or a request body, and sign-out forgets it', async (t) => {
  if (skip) return t.skip(skip);
  const key = f.a.user.prvkey;
  assert.ok(seen.urls.length > 20, 'the page made requests');
  for (const list of [seen.urls, seen.headers, seen.bodies]) assert.ok(!list.some((x) => x.includes(key)));
  assert.deepEqual(await context.cookies(), []);
  assert.equal(await page.evaluate(() => localStorage.length), 0);

  await page.locator('.topbar button', { hasText: 'Sign out' }).click();
  await page.locator('form.signin-form').waitFor(WAIT);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.reload();
  await page.locator('form.signin-form').waitFor(WAIT);
});
