/**
 * User tasks: the colony's open ones (nodes of kind usertask waiting for a person), live; and one
 * task's page, where it is completed with a form generated from its JSON Schema (or typed as JSON).
 * The server checks the data; its refusal is shown next to the form.
 */
import { h, replace, throttle, toast } from '../dom.ts';
import { href, type Ctx, type Page } from '../context.ts';
import { ApiError } from '../api.ts';
import { json, runName } from '../format.ts';
import { badge, errorBox, link, loading, table, when } from '../ui.ts';
import { formData, formFields, type Field } from '../task-form.ts';
import type { UserTask } from '../../../protocol/types.ts';

const assigneeCell = (t: UserTask) => (t.assignee ? t.assignee : h('span', { class: 'muted' }, 'anyone'));
const runLink = (t: UserTask) =>
  link(href(`/workflows/${t.processgraphid}`, { node: t.processid }), runName({ name: t.runname, processgraphid: t.processgraphid }));

/**
 * Reloads, at most every `ms`, on the colony's events that may open or end a task: a process's (its
 * parent finished, or it ended) and a graph's (a task at the root opens with its graph).
 */
function followTasks(ctx: Ctx, load: () => void, ms: number): () => void {
  const refresh = throttle(load, ms);
  const unsubscribe = ctx.live.subscribe({}, (m) => {
    if (m.type === 'event' && (m.event.type === 'process' || m.event.type === 'processgraph')) refresh();
  });
  return () => {
    unsubscribe();
    refresh.cancel();
  };
}

export function tasksPage(ctx: Ctx, params: URLSearchParams): Page {
  const mine = params.get('mine') === '1';
  const toggle = h('input', { type: 'checkbox', id: 'tasks-mine', checked: mine });
  toggle.addEventListener('change', () => (location.hash = href('/tasks', { mine: toggle.checked ? 1 : undefined })));
  const body = h('div', null, loading());
  const el = h(
    'main',
    { class: 'page' },
    h('header', { class: 'page-head' }, h('h1', null, 'Tasks')),
    h('div', { class: 'filters' }, h('label', { class: 'filter-inline', for: 'tasks-mine' }, toggle, ' Only mine (assigned to me or to anyone)')),
    body,
  );
  let disposed = false;

  const row = (t: UserTask) =>
    h(
      'tr',
      { 'data-processid': t.processid, 'data-nodename': t.nodename },
      h('td', null, link(href(`/tasks/${t.processid}`), h('strong', null, t.nodename))),
      h('td', null, runLink(t)),
      h('td', null, assigneeCell(t)),
      h('td', null, when(t.readytime)),
      h('td', null, t.waitdeadline ? when(t.waitdeadline) : '—'),
      h('td', null, link(href(`/tasks/${t.processid}`), 'Complete…')),
    );

  const load = async () => {
    try {
      const list = await ctx.api.tasks(mine);
      if (disposed) return;
      replace(
        body,
        table(['Task', 'Workflow', 'Assignee', 'Waiting since', 'Deadline', ''], list.map(row), mine ? 'No open tasks for you.' : 'No open tasks.'),
      );
    } catch (err) {
      if (!disposed) replace(body, errorBox(err));
    }
  };
  void load();
  const stop = followTasks(ctx, () => void load(), 1000);
  return {
    el,
    dispose() {
      disposed = true;
      stop();
    },
  };
}

/** One input per field, its label marking a required one. */
function fieldInput(f: Field): { el: HTMLElement; value: () => string | boolean } {
  const id = `task-field-${f.name}`;
  const attrs = { id, name: f.name, 'aria-required': f.required ? 'true' : undefined, 'data-field': f.name };
  let input: HTMLInputElement | HTMLSelectElement;
  if (f.kind === 'boolean') input = h('input', { ...attrs, type: 'checkbox' });
  else if (f.kind === 'enum')
    input = h(
      'select',
      attrs,
      h('option', { value: '' }, '— choose —'),
      (f.options ?? []).map((o, i) => h('option', { value: String(i) }, String(o))),
    );
  else if (f.kind === 'string') input = h('input', { ...attrs, type: 'text', autocomplete: 'off' });
  else input = h('input', { ...attrs, type: 'number', step: f.kind === 'integer' ? '1' : 'any' });
  const label = h('label', { for: id }, f.label, f.required ? h('span', { class: 'required-mark', title: 'required' }, ' *') : null);
  return {
    el: h('div', { class: `task-field task-field-${f.kind}` }, label, input, f.description ? h('p', { class: 'muted small' }, f.description) : null),
    value: () => (input instanceof HTMLInputElement && input.type === 'checkbox' ? input.checked : input.value),
  };
}

/** The form of a task: generated inputs for a flat object schema, else a JSON text area. Returns its data, or throws why not. */
function taskForm(t: UserTask): { el: HTMLElement; data: () => unknown } {
  const fields = formFields(t.form);
  if (fields) {
    const inputs = fields.map((f) => ({ f, ...fieldInput(f) }));
    return {
      el: h(
        'div',
        { class: 'task-fields', 'data-testid': 'task-fields' },
        inputs.map((i) => i.el),
      ),
      data: () => formData(fields, Object.fromEntries(inputs.map((i) => [i.f.name, i.value()]))),
    };
  }
  const area = h('textarea', { id: 'task-json', name: 'data', rows: 8, class: 'mono', spellcheck: 'false', 'data-testid': 'task-json' }, '{}');
  return {
    el: h('div', { class: 'task-field' }, h('label', { for: 'task-json' }, 'Data (JSON)'), area),
    data: () => {
      try {
        return JSON.parse(area.value) as unknown;
      } catch (err) {
        throw new Error(`The data is not valid JSON: ${(err as Error).message}`);
      }
    },
  };
}

function openTask(t: UserTask, onDone: () => void, ctx: Ctx): HTMLElement {
  const error = h('div', { class: 'task-error', role: 'alert', 'aria-live': 'assertive', 'data-testid': 'task-error' });
  const form = taskForm(t);
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, 'Complete task');
  const el = h('form', { class: 'task-form', novalidate: true }, form.el, error, h('div', { class: 'task-actions' }, submit));
  el.addEventListener('submit', (ev) => {
    ev.preventDefault();
    error.textContent = '';
    let data: unknown;
    try {
      data = form.data();
    } catch (err) {
      error.textContent = (err as Error).message;
      return;
    }
    submit.disabled = true;
    ctx.api
      .completeTask(t.processid, data)
      .then(() => {
        toast(`Task ${t.nodename} completed.`);
        onDone();
      })
      .catch((err: unknown) => {
        error.textContent = err instanceof ApiError ? err.message : String(err);
        submit.disabled = false;
      });
  });
  return h(
    'section',
    { class: 'card task-card', 'data-testid': 'task' },
    h('dl', { class: 'facts' }, [
      h('dt', null, 'Workflow'),
      h('dd', null, runLink(t)),
      h('dt', null, 'Assignee'),
      h('dd', null, assigneeCell(t)),
      h('dt', null, 'Waiting since'),
      h('dd', null, when(t.readytime)),
      h('dt', null, 'Deadline'),
      h('dd', null, t.waitdeadline ? when(t.waitdeadline) : 'none'),
    ]),
    h('section', { class: 'detail-section' }, h('h3', null, 'Input'), h('pre', { class: 'json', 'data-testid': 'task-input' }, json(t.in).text)),
    h('section', { class: 'detail-section' }, h('h3', null, 'Complete it'), el),
    t.form
      ? h('details', { class: 'detail-section' }, h('summary', null, 'Form (JSON Schema)'), h('pre', { class: 'json' }, json(t.form).full))
      : null,
  );
}

export function taskPage(ctx: Ctx, processid: string): Page {
  const body = h('div', null, loading());
  const title = h('h1', null, 'Task');
  const el = h(
    'main',
    { class: 'page' },
    h('nav', { class: 'crumbs' }, link(href('/tasks'), '← Tasks')),
    h('header', { class: 'page-head' }, title),
    body,
  );
  let disposed = false;

  const load = async () => {
    try {
      const task = (await ctx.api.tasks(false)).find((t) => t.processid === processid);
      if (disposed) return;
      if (task) {
        title.textContent = `Task ${task.nodename}`;
        replace(
          body,
          openTask(task, () => (location.hash = href('/tasks')), ctx),
        );
        return;
      }
      // Not open: say why, from the process itself.
      const p = await ctx.api.process(processid);
      if (disposed) return;
      title.textContent = `Task ${p.spec.nodename}`;
      replace(
        body,
        h(
          'section',
          { class: 'card', 'data-testid': 'task-closed' },
          h('p', null, 'This task is not open: ', badge(p.state), p.state === 'WAITING' ? ' (its parents have not finished)' : ''),
          p.state === 'SUCCESS' ? h('p', null, 'Completed by ', ctx.names.of(p.assignedexecutorid), ' ', when(p.endtime)) : null,
          link(href(`/processes/${p.processid}`), 'Show the process'),
        ),
      );
    } catch (err) {
      if (!disposed) replace(body, errorBox(err, 'Could not load this task'));
    }
  };
  void load();
  return {
    el,
    dispose() {
      disposed = true;
    },
  };
}
