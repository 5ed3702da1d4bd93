/**
 * User tasks in the dashboard, in a real headless Chromium: the Tasks view lists the open ones live,
 * a flat form gets one input per property (required ones marked), the server's refusal of bad data
 * is shown next to the form, and a form it cannot draw is filled in as JSON. The form helpers' pure
 * part (dashboard/src/task-form.ts) is checked without a browser.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { formData, formFields } from '../../dashboard/src/task-form.ts';
import { ensureBuilt, launch, screenshot } from './browser.ts';

const WAIT = { timeout: 15_000 };
const FORM = {
  type: 'object',
  properties: {
    amount: { type: 'integer', minimum: 1, title: 'Amount' },
    reason: { type: 'string', description: 'why it is approved' },
    priority: { enum: ['low', 'high'] },
    urgent: { type: 'boolean' },
  },
  required: ['amount', 'reason'],
};

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
  page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
});

after(async () => {
  await browser?.close();
  await f?.close();
});

test('form fields: a flat object schema gets typed inputs; anything else falls back to JSON', () => {
  const fields = formFields(FORM);
  assert.deepEqual(
    fields?.map((x) => [x.name, x.kind, x.required, x.label]),
    [
      ['amount', 'integer', true, 'Amount'],
      ['reason', 'string', true, 'reason'],
      ['priority', 'enum', false, 'priority'],
      ['urgent', 'boolean', false, 'urgent'],
    ],
  );
  assert.deepEqual(formData(fields, { amount: '3', reason: 'ok', priority: '1', urgent: true }), {
    amount: 3,
    reason: 'ok',
    priority: 'high',
    urgent: true,
  });
  assert.deepEqual(formData(fields, { amount: 'x', reason: '', priority: '', urgent: false }), { amount: 'x', urgent: false });
  assert.equal(formFields(undefined), undefined);
  assert.equal(formFields({ type: 'object', properties: { items: { type: 'array' } } }), undefined);
  assert.equal(formFields({ type: 'object', properties: { a: { type: 'string' } }, oneOf: [] }), undefined);
});

test('the Tasks view lists open tasks; completing one shows the server refusal, then succeeds', async (t) => {
  if (skip) return t.skip(skip);
  const g = await f.a.userClient.submitWorkflow({
    name: 'expense-17',
    functionspecs: [{ nodename: 'approve', kind: 'usertask', assignee: 'alice', form: FORM, args: [{ total: 120 }] }],
  });
  const approve = (await f.a.userClient.getProcessGraph(g.processgraphid)).processes[0]!;

  await page.goto(f.url);
  await page.fill('#colony', f.a.colonyname);
  await page.fill('#prvkey', f.a.user.prvkey);
  await page.click('button[type=submit]');
  await page.locator('.topbar .colony-name').waitFor(WAIT);
  await page.click('nav.main-nav a[data-section=tasks]');
  const row = page.locator(`tr[data-processid="${approve.processid}"]`);
  await row.waitFor(WAIT);
  assert.match(await row.innerText(), /approve\s+expense-17\s+alice/);
  await screenshot(page, 'tasks-list');

  await row.locator('a', { hasText: 'approve' }).click();
  await page.locator('[data-testid=task-fields]').waitFor(WAIT);
  assert.match(await page.locator('[data-testid=task-input]').innerText(), /"total":120/);
  assert.equal(await page.locator('label[for=task-field-amount] .required-mark').count(), 1, 'a required field is marked');
  assert.equal(await page.locator('label[for=task-field-urgent] .required-mark').count(), 0);

  // Data the form refuses: the server's message, naming the field, next to the form; nothing changed.
  await page.fill('#task-field-amount', '0');
  await page.fill('#task-field-reason', 'within budget');
  await page.selectOption('#task-field-priority', { label: 'high' });
  await page.check('#task-field-urgent');
  await page.click('.task-form button[type=submit]');
  await page.locator('[data-testid=task-error]', { hasText: 'data/amount (minimum): must be >= 1' }).waitFor(WAIT);
  await screenshot(page, 'task-refused');
  assert.equal((await f.a.userClient.getProcess(approve.processid)).state, 'WAITING');

  await page.fill('#task-field-amount', '120');
  await page.click('.task-form button[type=submit]');
  await page.locator('.toast', { hasText: 'Task approve completed' }).waitFor(WAIT);
  await page.locator('main h1', { hasText: 'Tasks' }).waitFor(WAIT);
  const done = await f.a.userClient.getProcess(approve.processid);
  assert.equal(done.state, 'SUCCESS');
  assert.deepEqual(done.out, [{ amount: 120, reason: 'within budget', priority: 'high', urgent: true }]);
  assert.equal(done.assignedexecutorid, f.a.user.id);
  await page.locator(`tr[data-processid="${approve.processid}"]`).waitFor({ state: 'detached', ...WAIT });

  // Its page now says it is closed, and by whom.
  await page.goto(`${f.url}/#/tasks/${approve.processid}`);
  await page.locator('[data-testid=task-closed]', { hasText: 'Completed by alice' }).waitFor(WAIT);
});

test('a task whose form the page cannot draw is completed as JSON; a new task appears live', async (t) => {
  if (skip) return t.skip(skip);
  await page.goto(`${f.url}/#/tasks`);
  await page.locator('main h1', { hasText: 'Tasks' }).waitFor(WAIT);
  const form = { type: 'object', properties: { lines: { type: 'array', items: { type: 'string' }, minItems: 1 } }, required: ['lines'] };
  const g = await f.a.userClient.submitWorkflow([{ nodename: 'edit', kind: 'usertask', form }]);
  const edit = (await f.a.userClient.getProcessGraph(g.processgraphid)).processes[0]!;
  const row = page.locator(`tr[data-processid="${edit.processid}"]`);
  await row.waitFor(WAIT);
  assert.match(await row.innerText(), /anyone/);
  await row.locator('a', { hasText: 'edit' }).click();
  await page.locator('[data-testid=task-json]').waitFor(WAIT);

  await page.fill('[data-testid=task-json]', '{"lines": [');
  await page.click('.task-form button[type=submit]');
  await page.locator('[data-testid=task-error]', { hasText: 'not valid JSON' }).waitFor(WAIT);
  await page.fill('[data-testid=task-json]', '{"lines": []}');
  await page.click('.task-form button[type=submit]');
  await page.locator('[data-testid=task-error]', { hasText: 'data/lines (minItems)' }).waitFor(WAIT);
  await page.fill('[data-testid=task-json]', '{"lines": ["first"]}');
  await page.click('.task-form button[type=submit]');
  await page.locator('.toast', { hasText: 'Task edit completed' }).waitFor(WAIT);
  assert.deepEqual((await f.a.userClient.getProcess(edit.processid)).out, [{ lines: ['first'] }]);
});
