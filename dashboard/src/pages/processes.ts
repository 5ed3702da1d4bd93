/**
 * Processes per state with filters (executor type and label on the server; function and node name
 * here). Failed ones have their own tab, flagged when there are any, with their error in the list.
 */
import { h, replace, throttle } from '../dom.ts';
import { href, type Ctx, type Page } from '../context.ts';
import { MAX_LIST } from '../api.ts';
import { isState, type ProcessState } from '../states.ts';
import { count, maxRetries, shortId, span } from '../format.ts';
import { badge, errorBox, link, loading, pager, stateTabs, table, when } from '../ui.ts';
import { filterForm, PAGE_SIZE } from './workflows.ts';
import type { Process } from '../../../protocol/types.ts';
import { failureText } from '../../../protocol/failure.ts';

const contains = (hay: string, needle: string) => !needle || hay.toLowerCase().includes(needle.toLowerCase());

export function processesPage(ctx: Ctx, params: URLSearchParams): Page {
  const stateParam = params.get('state');
  const state: ProcessState | undefined = isState(stateParam) ? stateParam : undefined;
  const page = Math.max(0, Number(params.get('page') ?? 0) || 0);
  const f = {
    label: params.get('label') ?? '',
    funcname: params.get('funcname') ?? '',
    nodename: params.get('nodename') ?? '',
    executortype: params.get('executortype') ?? '',
  };
  const here = (o: { state?: ProcessState | undefined; page?: number; filters?: typeof f }) =>
    href('/processes', { state: 'state' in o ? o.state : state, page: o.page || undefined, ...(o.filters ?? f) });

  const typeSelect = h('select', { name: 'executortype' }, h('option', { value: '' }, 'any'));
  const typeFilter = h('label', { class: 'filter' }, h('span', null, 'Executor type'), typeSelect);
  const tabs = h('div');
  const body = h('div', null, loading());
  const form = filterForm(f, (x) => (location.hash = here({ filters: { ...x, executortype: typeSelect.value }, page: 0 })), [typeFilter]);
  form.addEventListener('reset', () => (typeSelect.value = ''));
  const el = h('main', { class: 'page' }, h('header', { class: 'page-head' }, h('h1', null, 'Processes')), tabs, form, body);
  let disposed = false;

  const load = async () => {
    try {
      const clientSide = !!(f.funcname || f.nodename);
      const [stats, executors, list] = await Promise.all([
        ctx.api.stats(),
        ctx.api.executors(),
        ctx.api.processes({
          state,
          label: f.label || undefined,
          executortype: f.executortype || undefined,
          count: clientSide ? MAX_LIST : (page + 1) * PAGE_SIZE + 1,
        }),
        ctx.names.load(),
      ]);
      if (disposed) return;
      const types = [...new Set(executors.map((e) => e.executortype))].sort();
      if (f.executortype && !types.includes(f.executortype)) types.push(f.executortype);
      typeSelect.replaceChildren(
        h('option', { value: '' }, 'any'),
        ...types.map((t) => h('option', { value: t, selected: t === f.executortype }, t)),
      );
      const matching = clientSide ? list.filter((p) => contains(p.spec.funcname, f.funcname) && contains(p.spec.nodename, f.nodename)) : list;
      const rows = matching.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE);
      replace(
        tabs,
        stateTabs(state, stats.processes, (s) => here({ state: s, page: 0 })),
      );
      replace(
        body,
        clientSide && list.length >= MAX_LIST
          ? h('p', { class: 'muted small' }, `Function and node name filters look at the newest ${count(MAX_LIST)} processes.`)
          : null,
        table(
          ['Process', 'State', 'Workflow', 'Executor', 'Submitted', 'Ended', 'Duration', 'Retries', 'Error'],
          rows.map(row),
          state ? `No ${state.toLowerCase()} processes${clientSide || f.label || f.executortype ? ' match these filters' : ''}.` : 'No processes.',
        ),
        pager(page, PAGE_SIZE, rows.length, matching.length > (page + 1) * PAGE_SIZE, (p) => here({ page: p })),
      );
    } catch (err) {
      if (!disposed) replace(body, errorBox(err));
    }
  };
  // Filtering here reads up to 10,000 processes: follow a busy colony less eagerly then.
  const refresh = throttle(() => void load(), f.funcname || f.nodename ? 15_000 : 2000);

  function row(p: Process): HTMLTableRowElement {
    return h(
      'tr',
      { 'data-processid': p.processid, 'data-state': p.state },
      h(
        'td',
        null,
        link(href(`/processes/${p.processid}`), h('strong', null, p.spec.nodename)),
        p.spec.funcname !== p.spec.nodename ? h('span', { class: 'muted' }, ` ${p.spec.funcname}`) : null,
      ),
      h('td', null, badge(p.state)),
      h(
        'td',
        null,
        p.processgraphid
          ? link(
              href(`/workflows/${p.processgraphid}`, { node: p.processid }),
              // The run's name when it has one, else its graph's short id.
              p.runname ? h('span', null, p.runname) : h('span', { class: 'mono' }, shortId(p.processgraphid)),
            )
          : '—',
      ),
      h('td', null, p.assignedexecutorid ? ctx.names.of(p.assignedexecutorid) : h('span', { class: 'muted' }, p.spec.executortype)),
      h('td', null, when(p.submissiontime)),
      h('td', null, when(p.endtime)),
      h('td', null, span(p.starttime, p.endtime)),
      h('td', null, p.retries ? `${p.retries}/${maxRetries(p.spec.maxretries)}` : '0'),
      h('td', { class: 'error-cell' }, p.errors.length > 0 ? h('span', { class: 'error-line', title: failureText(p) }, failureText(p)) : ''),
    );
  }

  void load();
  const unsubscribe = ctx.live.subscribe({}, (m) => {
    if (m.type === 'event' && m.event.type === 'process') refresh();
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
