/**
 * Halt and resume from the dashboard's workflow page, in a real headless Chromium: the header's button
 * halts the workflow (its state, its nodes and the button follow live as HALTED), and resumes it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { funcSpec, Workflow } from '../../executor/workflow.ts';
import { ensureBuilt, launch, screenshot } from './browser.ts';

const WAIT = { timeout: 15_000 };
let f: Fixture;
let browser: Browser | undefined;
let skip: string | undefined;
let page: Page;

before(async () => {
  const b = await launch();
  if (typeof b === 'string') {
    skip = b;
    return;
  }
  browser = b;
  ensureBuilt();
  f = await startFixture();
  page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
});

after(async () => {
  await browser?.close();
  await f?.close();
});

test('the workflow page halts and resumes a workflow; HALTED shows in its header and graph', async (t) => {
  if (skip) return t.skip(skip);
  // Nobody serves this type: the workflow waits, and stays until halted.
  const wf = new Workflow().add(funcSpec({ func: 'train', executortype: 'gpu' }));
  wf.add(funcSpec({ func: 'publish', executortype: 'gpu', dependencies: ['train'] }));
  const g = await f.a.userClient.submitWorkflow(wf);

  await page.goto(f.url);
  await page.fill('#colony', f.a.colonyname);
  await page.fill('#prvkey', f.a.user.prvkey);
  await page.click('button[type=submit]');
  await page.locator('.topbar .colony-name', { hasText: f.a.colonyname }).waitFor(WAIT);
  await page.goto(`${f.url}/#/workflows/${g.processgraphid}`);
  const node = (name: string, state: string) => page.locator(`g.node[data-nodename="${name}"][data-state="${state}"]`);
  await node('train', 'WAITING').waitFor(WAIT);

  await page.click('.head-actions [data-action=halt]');
  await page.locator('[data-testid=graph-state] [data-state=HALTED]').waitFor(WAIT);
  await node('train', 'HALTED').waitFor(WAIT);
  await node('publish', 'HALTED').waitFor(WAIT);
  await page.locator('.head-actions [data-action=resume]').waitFor(WAIT);
  await screenshot(page, '20-workflow-halted');
  assert.equal((await f.a.userClient.getProcessGraph(g.processgraphid)).state, 'HALTED');

  await page.click('.head-actions [data-action=resume]');
  await page.locator('[data-testid=graph-state] [data-state=WAITING]').waitFor(WAIT);
  await node('train', 'WAITING').waitFor(WAIT);
  await page.locator('.head-actions [data-action=halt]').waitFor(WAIT);
  assert.equal((await f.a.userClient.getProcessGraph(g.processgraphid)).state, 'WAITING');

  // The workflows list filters by HALTED too.
  await f.a.userClient.haltProcessGraph(g.processgraphid);
  await page.goto(`${f.url}/#/workflows?state=HALTED`);
  await page.locator('.tabs a.current[data-state=HALTED] .tab-count', { hasText: '1' }).waitFor(WAIT);
  await page.locator(`a[href*="${g.processgraphid}"]`).first().waitFor(WAIT);
});
