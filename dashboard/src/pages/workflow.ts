/**
 * One workflow: its DAG as a live flow chart, a legend with counts, the workflow's facts and actions,
 * and a side panel for the selected node (a process, or a collapsed fan-out with its members).
 * Live: the graph subscription's snapshot draws it, process events recolour nodes, and when add_child
 * changes the shape the page subscribes afresh (a new snapshot, with events strictly after it).
 */
import { h, replace, throttle } from '../dom.ts';
import { href, type Ctx, type Page } from '../context.ts';
import { collapse, domId, emptyCounts, type GraphView } from '../fanout.ts';
import { FlowChart, legend } from '../graph-view.ts';
import { STATE_STYLE, type ProcessState } from '../states.ts';
import { plural, shortId, span } from '../format.ts';
import { badge, errorBox, link, loading, when } from '../ui.ts';
import { canCancel, cancelWorkflow, removeWorkflow } from './actions.ts';
import { processDetail } from './process.ts';
import { groupPanel } from './group-panel.ts';
import type { Process, ProcessGraphWithProcesses } from '../../../protocol/types.ts';

export function workflowPage(ctx: Ctx, processgraphid: string, params: URLSearchParams): Page {
  let graph: ProcessGraphWithProcesses | undefined;
  const procs = new Map<string, Process>();
  const expanded = new Set<string>();
  let view: GraphView | undefined;
  let selected: string | undefined = params.get('node') ?? undefined;
  const selectedGroupDom = params.get('group') ?? undefined;
  let panel: { dispose?(): void } | undefined;
  let disposed = false;

  const head = h('header', { class: 'page-head workflow-head' }, h('h1', null, `Workflow ${shortId(processgraphid)}`));
  const alerts = h('div');
  const legendBox = h('div', { class: 'legend-row' });
  const chart = new FlowChart({ onSelect: (id) => selectNode(id) });
  const side = h('aside', { class: 'side-panel', 'aria-label': 'Selected node', hidden: true });
  const main = h('div', { class: 'workflow-body' }, chart.el, side);
  const status = h('div', null, loading());
  const el = h(
    'main',
    { class: 'page page-wide' },
    h('nav', { class: 'crumbs' }, link(href('/workflows'), '← Workflows')),
    head,
    alerts,
    legendBox,
    status,
    main,
  );

  const setHash = () => {
    const node = selected && procs.has(selected) ? selected : undefined;
    const group = selected && !node ? domId(selected) : undefined;
    history.replaceState(null, '', href(`/workflows/${processgraphid}`, { node, group }));
  };

  const took = h('span');
  const tick = () => {
    if (graph) took.textContent = span(graph.starttime, graph.endtime);
  };
  const ticker = window.setInterval(tick, 1000);

  function renderHead(): void {
    const g = graph;
    if (!g) return;
    tick();
    const actions = h('div', { class: 'head-actions' });
    if (canCancel(g))
      actions.append(
        h('button', { class: 'btn', type: 'button', 'data-action': 'cancel', onclick: () => void cancelWorkflow(ctx, g) }, 'Cancel workflow'),
      );
    actions.append(
      h(
        'button',
        {
          class: 'btn btn-quiet',
          type: 'button',
          'data-action': 'remove',
          onclick: () =>
            void removeWorkflow(ctx, g).then((ok) => {
              if (ok) location.hash = href('/workflows');
            }),
        },
        'Remove',
      ),
    );
    replace(
      head,
      h(
        'div',
        null,
        h('h1', null, `Workflow ${shortId(g.processgraphid)} `, h('span', { 'data-testid': 'graph-state' }, badge(g.state))),
        h(
          'p',
          { class: 'meta' },
          h('span', { class: 'mono small', title: g.processgraphid }, g.processgraphid),
          h('span', null, 'submitted ', when(g.submissiontime)),
          h('span', null, 'started ', when(g.starttime)),
          h('span', null, 'ended ', when(g.endtime)),
          h('span', null, 'took ', took),
          h('span', null, 'by ', ctx.names.of(g.initiatorid)),
          h('span', null, plural(procs.size, 'process', 'processes')),
        ),
      ),
      actions,
    );
    replace(alerts, g.errors.length ? whyAlert(g.state, g.errors) : null);
  }

  /** Why the workflow failed or was cancelled: the first line of each reason, the rest folded away. */
  function whyAlert(state: ProcessState, errors: string[]): HTMLElement {
    const failed = [...procs.values()].find((p) => p.state === 'FAILED');
    const firstLines = errors.map((e) => e.split('\n')[0]!);
    const more = errors.some((e) => e.includes('\n'));
    return h(
      'div',
      { class: 'alert alert-error', role: 'alert' },
      h('strong', null, `Workflow ${STATE_STYLE[state].label}: `),
      firstLines.join('; '),
      failed
        ? h(
            'span',
            null,
            ' — ',
            h('a', { href: '#', onclick: (ev: Event) => (ev.preventDefault(), selectNode(failed.processid)) }, `open ${failed.spec.nodename}`),
          )
        : null,
      more ? h('details', null, h('summary', null, 'Full reason'), h('pre', { class: 'stack' }, errors.join('\n\n'))) : null,
    );
  }

  function renderGraph(): void {
    if (!graph) return;
    const list = [...procs.values()].map((p) => ({
      processid: p.processid,
      nodename: p.spec.nodename,
      funcname: p.spec.funcname,
      state: p.state,
      retries: p.retries,
      parents: p.parents,
      children: p.children,
    }));
    view = collapse(list, { expanded });
    const counts = emptyCounts();
    for (const p of procs.values()) counts[p.state]++;
    const collapseButtons = [...view.expandedGroups.keys()].map((key) =>
      h(
        'button',
        {
          class: 'btn btn-small',
          type: 'button',
          onclick: () => {
            expanded.delete(key);
            selected = key;
            renderAll();
          },
        },
        `Collapse ${key.slice(2, key.indexOf('#'))}…`,
      ),
    );
    replace(legendBox, legend(counts), collapseButtons.length ? h('div', { class: 'legend-actions' }, collapseButtons) : null);
    chart.update(view);
    chart.select(selected ? (view.nodes.some((n) => n.id === selected) ? selected : view.nodeOf.get(selected)) : undefined);
  }

  function renderAll(): void {
    renderHead();
    renderGraph();
    renderPanel();
  }

  // ── side panel ──────────────────────────────────────────────────────────────────────────────
  let panelFor: string | undefined;
  let groupPage = 0;
  let groupFilter: ProcessState | undefined;

  function closePanel(): void {
    panel?.dispose?.();
    panel = undefined;
    panelFor = undefined;
    selected = undefined;
    side.hidden = true;
    side.replaceChildren();
    chart.select(undefined);
    setHash();
  }

  function selectNode(id: string): void {
    selected = id;
    groupPage = 0;
    groupFilter = undefined;
    chart.select(view?.nodeOf.get(id) ?? id);
    setHash();
    renderPanel(true);
  }

  function renderPanel(force = false): void {
    if (!selected || !view) return;
    const node = view.nodes.find((n) => n.id === selected);
    if (procs.has(selected)) {
      if (panelFor === selected && !force) return; // the process panel keeps itself up to date
      panel?.dispose?.();
      const d = processDetail(ctx, selected, { inPanel: true, onClose: closePanel });
      panel = d;
      panelFor = selected;
      side.hidden = false;
      replace(side, d.el);
      return;
    }
    if (node?.kind === 'group') {
      panel?.dispose?.();
      panel = undefined;
      panelFor = selected;
      side.hidden = false;
      replace(
        side,
        groupPanel({
          ctx,
          node,
          procs,
          processgraphid,
          filter: groupFilter,
          page: groupPage,
          onFilter: (st) => ((groupFilter = st), (groupPage = 0), renderPanel()),
          onPage: (p) => ((groupPage = p), renderPanel()),
          onExpand: () => {
            expanded.add(node.id);
            closePanel();
            renderGraph();
          },
          onSelect: selectNode,
          onClose: closePanel,
        }),
      );
      return;
    }
    closePanel();
  }

  // ── live ────────────────────────────────────────────────────────────────────────────────────
  const repaint = throttle(() => {
    if (disposed) return;
    renderHead();
    renderGraph();
    if (selected && !procs.has(selected)) renderPanel();
  }, 150);

  let current: { sub: () => void; id: number } | undefined;
  let subCounter = 0;
  function subscribe(): void {
    const id = ++subCounter;
    const previous = current;
    const sub = ctx.live.subscribe({ processgraphid }, (m) => {
      if (disposed || id !== subCounter) return;
      if (m.type === 'error') {
        replace(status, errorBox(new Error(m.message), 'Could not follow this workflow'));
        return;
      }
      if (m.type === 'snapshot' && m.snapshot.of === 'processgraph') {
        previous?.sub();
        graph = m.snapshot.processgraph;
        procs.clear();
        for (const p of graph.processes) procs.set(p.processid, p);
        if (selectedGroupDom && !selected) {
          view = collapse(
            graph.processes.map((p) => ({ ...p, nodename: p.spec.nodename, funcname: p.spec.funcname })),
            { expanded },
          );
          selected = view.nodes.find((n) => domId(n.id) === selectedGroupDom)?.id;
        }
        status.replaceChildren();
        renderAll();
        return;
      }
      if (m.type !== 'event' || !graph) return;
      const e = m.event;
      if (e.type === 'process') {
        const p = procs.get(e.processid);
        if (!p) return void reshape();
        const finished = e.state === 'SUCCESS' || e.state === 'FAILED' || e.state === 'CANCELLED';
        procs.set(e.processid, {
          ...p,
          state: e.state,
          retries: e.retries,
          assignedexecutorid: e.assignedexecutorid,
          ...(e.state === 'RUNNING' ? { starttime: e.time, endtime: null } : {}),
          ...(finished ? { endtime: e.time } : {}),
        });
        if (e.state === 'SUCCESS' || e.state === 'FAILED') {
          // Children's input and readiness changed; the next shape refresh has them exactly.
          for (const c of p.children) if (!procs.has(c)) reshape();
        }
        repaint();
      } else if (e.type === 'processgraph') {
        graph = {
          ...graph,
          state: e.state,
          ...(e.state === 'RUNNING' && !graph.starttime ? { starttime: e.time } : {}),
          ...(e.state !== 'RUNNING' && e.state !== 'WAITING' ? { endtime: e.time } : {}),
        };
        if (e.state === 'FAILED' || e.state === 'CANCELLED') reshape(); // picks up the graph's errors
        repaint();
      } else if (e.type === 'processes-added') {
        reshape();
      }
    });
    current = { sub, id };
  }
  const reshape = throttle(() => {
    if (!disposed) subscribe();
  }, 250);

  subscribe();
  return {
    el,
    dispose() {
      disposed = true;
      window.clearInterval(ticker);
      current?.sub();
      repaint.cancel();
      reshape.cancel();
      panel?.dispose?.();
    },
  };
}
