/** Small pieces the pages share: state badges, tabs, pager, tables, error boxes. */
import { h, type Child } from './dom.ts';
import { STATE_STYLE, STATE_ORDER, type ProcessState } from './states.ts';
import { count, fullTime, time } from './format.ts';
import { ApiError } from './api.ts';

export function badge(state: ProcessState): HTMLElement {
  const st = STATE_STYLE[state];
  return h('span', { class: `badge state-${state}`, 'data-state': state }, h('span', { 'aria-hidden': 'true' }, st.glyph), ` ${st.label}`);
}

export function link(hash: string, ...children: Child[]): HTMLAnchorElement {
  return h('a', { href: hash }, ...children);
}

export function when(iso: string | null | undefined): HTMLElement {
  return h('time', { datetime: iso ?? undefined, title: fullTime(iso) }, time(iso));
}

/** Tabs per state (and "All"), each with its count; the current one is marked for assistive tech. */
export function stateTabs(
  current: ProcessState | undefined,
  counts: Record<ProcessState, number> | undefined,
  hrefFor: (s: ProcessState | undefined) => string,
  o: { all?: boolean } = {},
): HTMLElement {
  const total = counts ? STATE_ORDER.reduce((n, s) => n + counts[s], 0) : undefined;
  const tab = (state: ProcessState | undefined, label: string, n: number | undefined) =>
    h(
      'a',
      {
        class: `tab${state ? ` tab-${state}` : ''}${state === current ? ' current' : ''}${state === 'FAILED' && n ? ' attention' : ''}`,
        href: hrefFor(state),
        'aria-current': state === current ? 'page' : undefined,
        'data-state': state ?? 'ALL',
      },
      state ? h('span', { class: `dot state-${state}`, 'aria-hidden': 'true' }) : null,
      label,
      n === undefined ? null : h('span', { class: 'tab-count' }, count(n)),
    );
  return h(
    'nav',
    { class: 'tabs', 'aria-label': 'Filter by state' },
    o.all === false ? null : tab(undefined, 'All', total),
    STATE_ORDER.map((s) => tab(s, STATE_STYLE[s].title, counts?.[s])),
  );
}

export function pager(page: number, pageSize: number, shown: number, more: boolean, hrefFor: (p: number) => string): HTMLElement {
  const from = shown === 0 ? 0 : page * pageSize + 1;
  const to = page * pageSize + shown;
  return h(
    'div',
    { class: 'pager' },
    h('span', null, shown === 0 ? 'Nothing here' : `${count(from)}–${count(to)}${more ? '' : ` of ${count(to)}`}`),
    page > 0
      ? h('a', { class: 'btn btn-small', href: hrefFor(page - 1), rel: 'prev' }, '← Newer')
      : h('span', { class: 'btn btn-small disabled' }, '← Newer'),
    more
      ? h('a', { class: 'btn btn-small', href: hrefFor(page + 1), rel: 'next' }, 'Older →')
      : h('span', { class: 'btn btn-small disabled' }, 'Older →'),
  );
}

export function table(headers: Child[], rows: HTMLTableRowElement[], empty: string): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      null,
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          headers.map((x) => h('th', { scope: 'col' }, x)),
        ),
      ),
      h('tbody', null, rows.length ? rows : h('tr', null, h('td', { class: 'empty', colspan: headers.length }, empty))),
    ),
  );
}

export function errorBox(err: unknown, what = 'Could not load this page'): HTMLElement {
  const msg = err instanceof ApiError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
  return h('div', { class: 'alert alert-error', role: 'alert' }, h('strong', null, what), h('div', null, msg));
}

export function loading(text = 'Loading…'): HTMLElement {
  return h('p', { class: 'muted loading' }, text);
}

export function progress(done: number, total: number, state: ProcessState): HTMLElement {
  const pct = total > 0 ? Math.round((100 * done) / total) : 0;
  return h(
    'span',
    { class: 'progress', title: `${count(done)} of ${count(total)} processes successful` },
    h('progress', { max: total || 1, value: done, class: `state-${state}`, 'aria-label': `${pct}% done` }),
    h('span', { class: 'progress-text' }, `${count(done)}/${count(total)}`),
  );
}
