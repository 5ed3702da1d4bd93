/** The side panel of a collapsed fan-out: counts per state, its members (filtered, paged), and "expand". */
import { h } from '../dom.ts';
import { href, type Ctx } from '../context.ts';
import type { ViewNode } from '../fanout.ts';
import { STATE_ORDER, STATE_STYLE, type ProcessState } from '../states.ts';
import { count, span } from '../format.ts';
import { badge, table } from '../ui.ts';
import type { Process } from '../../../protocol/types.ts';

/** Groups larger than this open as a list only: drawing 10,000 boxes helps nobody. */
export const MAX_EXPAND = 400;
const GROUP_PAGE = 50;

export interface GroupPanelOptions {
  ctx: Ctx;
  node: ViewNode;
  procs: ReadonlyMap<string, Process>;
  processgraphid: string;
  filter: ProcessState | undefined;
  page: number;
  onFilter: (state: ProcessState | undefined) => void;
  onPage: (page: number) => void;
  onExpand: () => void;
  onSelect: (processid: string) => void;
  onClose: () => void;
}

export function groupPanel(o: GroupPanelOptions): HTMLElement {
  const n = o.node;
  const members = n.members.map((id) => o.procs.get(id)).filter((p): p is Process => !!p);
  const shown = o.filter ? members.filter((p) => p.state === o.filter) : members;
  const rows = shown.slice(o.page * GROUP_PAGE, (o.page + 1) * GROUP_PAGE);
  const chip = (st: ProcessState | undefined) =>
    h(
      'button',
      {
        type: 'button',
        class: `chip${st ? ` state-${st}` : ''}${o.filter === st ? ' current' : ''}`,
        'aria-pressed': o.filter === st ? 'true' : 'false',
        onclick: () => o.onFilter(st),
      },
      st ? `${STATE_STYLE[st].glyph} ${STATE_STYLE[st].title} ${count(n.counts[st])}` : `All ${count(members.length)}`,
    );
  return h(
    'div',
    { class: 'group-detail', 'data-group': n.label },
    h(
      'header',
      { class: 'detail-head' },
      h('div', null, h('h2', null, n.label), h('p', { class: 'muted small' }, `${count(members.length)} processes of ${n.funcname}, collapsed`)),
      h('button', { class: 'btn btn-small', type: 'button', 'aria-label': 'Close', onclick: o.onClose }, '✕'),
    ),
    h(
      'div',
      { class: 'chips' },
      chip(undefined),
      STATE_ORDER.filter((s) => n.counts[s] > 0).map((s) => chip(s)),
    ),
    h(
      'p',
      null,
      members.length <= MAX_EXPAND
        ? h('button', { class: 'btn', type: 'button', 'data-action': 'expand', onclick: o.onExpand }, `Expand into ${count(members.length)} nodes`)
        : h('span', { class: 'muted small' }, `Too many to draw one by one (over ${count(MAX_EXPAND)}): pick one below.`),
    ),
    table(
      ['Node', 'State', 'Executor', 'Took'],
      rows.map((p) =>
        h(
          'tr',
          { 'data-processid': p.processid },
          h(
            'td',
            null,
            h(
              'a',
              {
                href: href(`/workflows/${o.processgraphid}`, { node: p.processid }),
                onclick: (ev: Event) => {
                  ev.preventDefault();
                  o.onSelect(p.processid);
                },
              },
              p.spec.nodename,
            ),
          ),
          h('td', null, badge(p.state)),
          h('td', null, p.assignedexecutorid ? o.ctx.names.of(p.assignedexecutorid) : '—'),
          h('td', null, span(p.starttime, p.endtime)),
        ),
      ),
      'None in this state.',
    ),
    shown.length > GROUP_PAGE
      ? h(
          'div',
          { class: 'pager' },
          h('span', null, `${count(o.page * GROUP_PAGE + 1)}–${count(o.page * GROUP_PAGE + rows.length)} of ${count(shown.length)}`),
          h('button', { class: 'btn btn-small', type: 'button', disabled: o.page === 0, onclick: () => o.onPage(o.page - 1) }, '← Previous'),
          h(
            'button',
            { class: 'btn btn-small', type: 'button', disabled: (o.page + 1) * GROUP_PAGE >= shown.length, onclick: () => o.onPage(o.page + 1) },
            'Next →',
          ),
        )
      : null,
  );
}
