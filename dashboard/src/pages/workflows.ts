/**
 * Workflows per state, newest first, with times, initiator and size; filters by label, funcname and
 * nodename; paging. The server lists at most 10,000 per request and has no offset, so pages are cut
 * here from the newest ones, and the filters look at the newest 10,000 processes.
 */
import { h, replace, throttle } from '../dom.ts';
import { href, type Ctx, type Page } from '../context.ts';
import { MAX_LIST } from '../api.ts';
import { isState, type ProcessState } from '../states.ts';
import { count, runName, span, specLabel, startedBy } from '../format.ts';
import { badge, errorBox, link, loading, pager, progress, stateTabs, table, when } from '../ui.ts';
import { canCancel, cancelWorkflow, removeWorkflow } from './actions.ts';
import type { ProcessGraph } from '../../../protocol/types.ts';

export const PAGE_SIZE = 25;

interface Filters {
  label: string;
  funcname: string;
  nodename: string;
}

export function filterForm(f: Filters, apply: (f: Filters) => void, extra: HTMLElement[] = []): HTMLFormElement {
  const input = (name: keyof Filters, label: string, placeholder: string) =>
    h(
      'label',
      { class: 'filter' },
      h('span', null, label),
      h('input', { name, value: f[name], placeholder, autocomplete: 'off', spellcheck: 'false', type: 'search' }),
    );
  const form = h(
    'form',
    { class: 'filters', role: 'search' },
    input('label', 'Label', 'exact label'),
    input('funcname', 'Function', 'e.g. reduce'),
    input('nodename', 'Node name', 'e.g. gen_nums'),
    ...extra,
    h('button', { class: 'btn btn-primary', type: 'submit' }, 'Filter'),
    f.label || f.funcname || f.nodename ? h('button', { class: 'btn', type: 'reset' }, 'Clear') : null,
  );
  const read = (): Filters => {
    const d = new FormData(form);
    const v = (k: string) => {
      const x = d.get(k);
      return typeof x === 'string' ? x.trim() : '';
    };
    return { label: v('label'), funcname: v('funcname'), nodename: v('nodename') };
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    apply(read());
  });
  form.addEventListener('reset', (ev) => {
    ev.preventDefault();
    apply({ label: '', funcname: '', nodename: '' });
  });
  return form;
}

const contains = (hay: string, needle: string) => !needle || hay.toLowerCase().includes(needle.toLowerCase());

export function workflowsPage(ctx: Ctx, params: URLSearchParams): Page {
  const stateParam = params.get('state');
  const state: ProcessState | undefined = isState(stateParam) ? stateParam : undefined;
  const page = Math.max(0, Number(params.get('page') ?? 0) || 0);
  const filters: Filters = { label: params.get('label') ?? '', funcname: params.get('funcname') ?? '', nodename: params.get('nodename') ?? '' };
  const filtered = !!(filters.label || filters.funcname || filters.nodename);
  const to = (o: { state?: ProcessState | undefined; page?: number; f?: Filters }) => {
    const f = o.f ?? filters;
    return href('/workflows', { state: 'state' in o ? o.state : state, page: o.page || undefined, ...f });
  };

  const tabs = h('div');
  const body = h('div', null, loading());
  const el = h(
    'main',
    { class: 'page' },
    h('header', { class: 'page-head' }, h('h1', null, 'Workflows')),
    tabs,
    filterForm(filters, (f) => (location.hash = to({ f, page: 0 }))),
    body,
  );
  let disposed = false;

  const load = async () => {
    try {
      const [stats] = await Promise.all([ctx.api.stats(), ctx.names.load()]);
      let list: ProcessGraph[];
      let note: string | undefined;
      if (filtered) {
        const procs = await ctx.api.processes({ label: filters.label || undefined, count: MAX_LIST });
        const ids = new Set(
          procs
            .filter((p) => contains(p.spec.funcname, filters.funcname) && contains(p.spec.nodename, filters.nodename))
            .map((p) => p.processgraphid),
        );
        list = (await ctx.api.graphs(state, MAX_LIST)).filter((g) => ids.has(g.processgraphid));
        if (procs.length >= MAX_LIST) note = `Filters look at the newest ${count(MAX_LIST)} processes.`;
      } else {
        list = await ctx.api.graphs(state, (page + 1) * PAGE_SIZE + 1);
      }
      if (disposed) return;
      const rows = list.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
      const more = list.length > (page + 1) * PAGE_SIZE;
      replace(
        tabs,
        stateTabs(state, stats.processgraphs, (s) => to({ state: s, page: 0 })),
      );
      replace(
        body,
        note ? h('p', { class: 'muted small' }, note) : null,
        table(
          ['Workflow', 'Spec', 'State', 'Progress', 'Submitted', 'Started', 'Ended', 'Duration', 'Started by', ''],
          rows.map((g) => row(g)),
          filtered ? 'No workflow matches these filters.' : state ? `No ${state.toLowerCase()} workflows.` : 'No workflows yet.',
        ),
        pager(page, PAGE_SIZE, rows.length, more, (p) => to({ page: p })),
      );
    } catch (err) {
      if (!disposed) replace(body, errorBox(err));
    }
  };
  // Filters read up to 10,000 processes and workflows: follow a busy colony less eagerly then.
  const refresh = throttle(() => void load(), filtered ? 15_000 : 2000);

  function row(g: ProcessGraph): HTMLTableRowElement {
    const actions = h('td', { class: 'actions' });
    if (canCancel(g)) {
      actions.append(
        h(
          'button',
          {
            class: 'btn btn-small',
            type: 'button',
            'data-action': 'cancel',
            onclick: () => void cancelWorkflow(ctx, g).then((ok) => ok && refresh()),
          },
          'Cancel',
        ),
      );
    }
    actions.append(
      h(
        'button',
        {
          class: 'btn btn-small btn-quiet',
          type: 'button',
          'data-action': 'remove',
          onclick: () => void removeWorkflow(ctx, g).then((ok) => ok && refresh()),
        },
        'Remove',
      ),
    );
    return h(
      'tr',
      { 'data-processgraphid': g.processgraphid, 'data-state': g.state },
      h('td', null, link(href(`/workflows/${g.processgraphid}`), h('span', { class: g.name ? '' : 'mono', title: g.processgraphid }, runName(g)))),
      h('td', null, specLabel(g) || '—'),
      h('td', null, badge(g.state)),
      h('td', null, progress(g.successcount, g.processcount, g.state)),
      h('td', null, when(g.submissiontime)),
      h('td', null, when(g.starttime)),
      h('td', null, when(g.endtime)),
      h('td', null, span(g.starttime, g.endtime)),
      h('td', null, startedBy(g, ctx.names.of(g.initiatorid))),
      actions,
    );
  }

  void load();
  const unsubscribe = ctx.live.subscribe({}, (m) => {
    if (m.type === 'event' && m.event.type !== 'log') refresh();
  });
  return {
    el,
    dispose() {
      disposed = true;
      unsubscribe();
      refresh.cancel();
    },
  };
}
