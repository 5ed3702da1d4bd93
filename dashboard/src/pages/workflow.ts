/**
 * One workflow: its DAG as a live flow chart, a legend with counts, the workflow's facts and actions,
 * and a side panel for the selected node (a process, or a collapsed fan-out with its members).
 * Live: the graph subscription's snapshot draws it, process events recolour nodes, and when add_child
 * changes the shape the page subscribes afresh (a new snapshot, with events strictly after it).
 */
import { h, replace, throttle } from '../dom.ts';
import { href, type Ctx, type Page } from '../context.ts';
import { collapse, domId, emptyCounts, type GraphProcess, type GraphView } from '../fanout.ts';
import { FlowChart, legend } from '../graph-view.ts';
import { STATE_STYLE, type ProcessState } from '../states.ts';
import { plural, runName, shortId, span, specLabel, startedBy } from '../format.ts';
import { badge, errorBox, link, loading, when } from '../ui.ts';
import { canCancel, cancelWorkflow, haltOrResume, removeWorkflow } from './actions.ts';
import { processDetail } from './process.ts';
import { groupPanel } from './group-panel.ts';
import type { ColonyEvent } from '../../../protocol/events.ts';
import { FINISHED_STATES } from '../../../protocol/states.ts';
import type { Process, ProcessGraph, ProcessGraphWithProcesses } from '../../../protocol/types.ts';

/** What the page knows of the workflow; its parts read it and the live follower updates it. */
interface WorkflowState {
  readonly processgraphid: string;
  graph?: ProcessGraphWithProcesses;
  readonly procs: Map<string, Process>;
  /** Group keys the user expanded. */
  readonly expanded: Set<string>;
  view?: GraphView;
  /** A processid or a group key. */
  selected?: string;
}

export function workflowPage(ctx: Ctx, processgraphid: string, params: URLSearchParams): Page {
  const s: WorkflowState = { processgraphid, procs: new Map(), expanded: new Set(), selected: params.get('node') ?? undefined };
  const selectedGroupDom = params.get('group') ?? undefined;

  const head = workflowHead(ctx, s, (id) => side.select(id));
  const chart = graphSection(s, {
    select: (id) => side.select(id),
    collapse: (key) => {
      s.expanded.delete(key);
      s.selected = key;
      renderAll();
    },
  });
  const side = sidePanel(ctx, s, {
    highlight: (id) => chart.flow.select(id),
    expand: (key) => {
      s.expanded.add(key);
      side.close();
      chart.render();
    },
  });
  const status = h('div', null, loading());
  const el = h(
    'main',
    { class: 'page page-wide' },
    h('nav', { class: 'crumbs' }, link(href('/workflows'), '← Workflows')),
    head.el,
    head.alerts,
    chart.legend,
    status,
    h('div', { class: 'workflow-body' }, chart.flow.el, side.el),
  );

  function renderAll(): void {
    head.render();
    chart.render();
    side.render();
  }
  const repaint = throttle(() => {
    head.render();
    chart.render();
    if (s.selected && !s.procs.has(s.selected)) side.render();
  }, 150);

  const live = followWorkflow(ctx, s, {
    snapshot() {
      if (selectedGroupDom && !s.selected) s.selected = groupWithDomId(s, selectedGroupDom);
      status.replaceChildren();
      renderAll();
    },
    changed: repaint,
    error: (message) => replace(status, errorBox(new Error(message), 'Could not follow this workflow')),
  });
  return {
    el,
    dispose() {
      head.dispose();
      live.dispose();
      repaint.cancel();
      side.dispose();
    },
  };
}

// ── header ────────────────────────────────────────────────────────────────────────────────────

/** The title with the workflow's state, its facts and actions, and the alert saying why it failed. */
function workflowHead(ctx: Ctx, s: WorkflowState, openProcess: (id: string) => void) {
  const el = h('header', { class: 'page-head workflow-head' }, h('h1', null, `Workflow ${shortId(s.processgraphid)}`));
  const alerts = h('div');
  const took = h('span');
  const tick = () => {
    if (s.graph) took.textContent = span(s.graph.starttime, s.graph.endtime);
  };
  const ticker = window.setInterval(tick, 1000);
  return {
    el,
    alerts,
    render(): void {
      const g = s.graph;
      if (!g) return;
      tick();
      const actions = workflowActions(ctx, g);
      replace(el, workflowFacts(ctx, g, s.procs.size, took), actions);
      const failed = [...s.procs.values()].find((p) => p.state === 'FAILED');
      replace(alerts, g.errors.length ? whyAlert(g.state, g.errors, failed, openProcess) : null);
    },
    dispose: () => window.clearInterval(ticker),
  };
}

function workflowFacts(ctx: Ctx, g: ProcessGraph, processes: number, took: HTMLElement): HTMLElement {
  return h(
    'div',
    null,
    h('h1', null, `Workflow ${runName(g)} `, h('span', { 'data-testid': 'graph-state' }, badge(g.state))),
    h(
      'p',
      { class: 'meta' },
      h('span', { class: 'mono small', title: g.processgraphid }, g.processgraphid),
      specLabel(g) ? h('span', { 'data-testid': 'graph-spec' }, 'spec ', specLabel(g)) : null,
      h('span', null, 'submitted ', when(g.submissiontime)),
      h('span', null, 'started ', when(g.starttime)),
      h('span', null, 'ended ', when(g.endtime)),
      h('span', null, 'took ', took),
      h('span', null, 'by ', startedBy(g, ctx.names.of(g.initiatorid))),
      h('span', null, plural(processes, 'process', 'processes')),
    ),
  );
}

function workflowActions(ctx: Ctx, g: ProcessGraph): HTMLElement {
  const actions = h('div', { class: 'head-actions' });
  if (canCancel(g)) {
    const halted = g.state === 'HALTED';
    actions.append(
      h(
        'button',
        { class: 'btn', type: 'button', 'data-action': halted ? 'resume' : 'halt', onclick: () => void haltOrResume(ctx, g) },
        halted ? 'Resume workflow' : 'Halt workflow',
      ),
    );
  }
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
  return actions;
}

/** Why the workflow failed or was cancelled: the first line of each reason, the rest folded away. */
function whyAlert(state: ProcessState, errors: string[], failed: Process | undefined, openProcess: (id: string) => void): HTMLElement {
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
          h('a', { href: '#', onclick: (ev: Event) => (ev.preventDefault(), openProcess(failed.processid)) }, `open ${failed.spec.nodename}`),
        )
      : null,
    more ? h('details', null, h('summary', null, 'Full reason'), h('pre', { class: 'stack' }, errors.join('\n\n'))) : null,
  );
}

// ── graph ─────────────────────────────────────────────────────────────────────────────────────

/** The flow chart and its legend: counts per state, and a button to collapse each group the user expanded. */
function graphSection(s: WorkflowState, on: { select(id: string): void; collapse(key: string): void }) {
  const legendBox = h('div', { class: 'legend-row' });
  const flow = new FlowChart({ onSelect: (id) => on.select(id) });
  return {
    legend: legendBox,
    flow,
    render(): void {
      if (!s.graph) return;
      const view = (s.view = collapse(graphProcesses(s.procs), { expanded: s.expanded }));
      const counts = emptyCounts();
      for (const p of s.procs.values()) counts[p.state]++;
      const collapseButtons = [...view.expandedGroups.keys()].map((key) =>
        h('button', { class: 'btn btn-small', type: 'button', onclick: () => on.collapse(key) }, `Collapse ${key.slice(2, key.indexOf('#'))}…`),
      );
      replace(legendBox, legend(counts), collapseButtons.length ? h('div', { class: 'legend-actions' }, collapseButtons) : null);
      flow.update(view);
      const sel = s.selected;
      flow.select(sel ? (view.nodes.some((n) => n.id === sel) ? sel : view.nodeOf.get(sel)) : undefined);
    },
  };
}

function graphProcesses(procs: Map<string, Process>): GraphProcess[] {
  return [...procs.values()].map((p) => ({
    processid: p.processid,
    nodename: p.spec.nodename,
    funcname: p.spec.funcname,
    state: p.state,
    retries: p.retries,
    parents: p.parents,
    children: p.children,
  }));
}

/** The group that a link's `group` parameter (its DOM-safe id) names, in the graph as first drawn. */
function groupWithDomId(s: WorkflowState, dom: string): string | undefined {
  return collapse(graphProcesses(s.procs), { expanded: s.expanded }).nodes.find((n) => domId(n.id) === dom)?.id;
}

// ── side panel ────────────────────────────────────────────────────────────────────────────────

/** The selected node's panel: a process's detail (which keeps itself up to date), or a fan-out's members. */
function sidePanel(ctx: Ctx, s: WorkflowState, on: { highlight(nodeId: string | undefined): void; expand(key: string): void }) {
  const el = h('aside', { class: 'side-panel', 'aria-label': 'Selected node', hidden: true });
  let panel: { dispose?(): void } | undefined;
  let panelFor: string | undefined;
  let groupPage = 0;
  let groupFilter: ProcessState | undefined;

  function close(): void {
    panel?.dispose?.();
    panel = undefined;
    panelFor = undefined;
    s.selected = undefined;
    el.hidden = true;
    el.replaceChildren();
    on.highlight(undefined);
    setHash(s);
  }

  function select(id: string): void {
    s.selected = id;
    groupPage = 0;
    groupFilter = undefined;
    on.highlight(s.view?.nodeOf.get(id) ?? id);
    setHash(s);
    render(true);
  }

  function render(force = false): void {
    const selected = s.selected;
    if (!selected || !s.view) return;
    const node = s.view.nodes.find((n) => n.id === selected);
    if (s.procs.has(selected)) {
      if (panelFor === selected && !force) return;
      panel?.dispose?.();
      const d = processDetail(ctx, selected, { inPanel: true, onClose: close });
      panel = d;
      panelFor = selected;
      el.hidden = false;
      replace(el, d.el);
      return;
    }
    if (node?.kind === 'group') {
      panel?.dispose?.();
      panel = undefined;
      panelFor = selected;
      el.hidden = false;
      replace(
        el,
        groupPanel({
          ctx,
          node,
          procs: s.procs,
          processgraphid: s.processgraphid,
          filter: groupFilter,
          page: groupPage,
          onFilter: (st) => ((groupFilter = st), (groupPage = 0), render()),
          onPage: (p) => ((groupPage = p), render()),
          onExpand: () => on.expand(node.id),
          onSelect: select,
          onClose: close,
        }),
      );
      return;
    }
    close();
  }

  return { el, select, close, render, dispose: () => panel?.dispose?.() };
}

/** The address names the selected process or group, so that a reload or a shared link shows it again. */
function setHash(s: WorkflowState): void {
  const node = s.selected && s.procs.has(s.selected) ? s.selected : undefined;
  const group = s.selected && !node ? domId(s.selected) : undefined;
  history.replaceState(null, '', href(`/workflows/${s.processgraphid}`, { node, group }));
}

// ── live ──────────────────────────────────────────────────────────────────────────────────────

type ProcessEvent = Extract<ColonyEvent, { type: 'process' }>;
type GraphEvent = Extract<ColonyEvent, { type: 'processgraph' }>;

/**
 * Keeps `s` up to date: a snapshot fills it, events change it; a change of shape (add_child, a process
 * not known yet) subscribes afresh for a new snapshot, and events of an older subscription are dropped.
 */
function followWorkflow(ctx: Ctx, s: WorkflowState, on: { snapshot(): void; changed(): void; error(message: string): void }) {
  let disposed = false;
  let current: { sub: () => void; id: number } | undefined;
  let subCounter = 0;
  const reshape = throttle(() => {
    if (!disposed) subscribe();
  }, 250);

  function subscribe(): void {
    const id = ++subCounter;
    const previous = current;
    const sub = ctx.live.subscribe({ processgraphid: s.processgraphid }, (m) => {
      if (disposed || id !== subCounter) return;
      if (m.type === 'error') return on.error(m.message);
      if (m.type === 'snapshot' && m.snapshot.of === 'processgraph') {
        previous?.sub();
        s.graph = m.snapshot.processgraph;
        s.procs.clear();
        for (const p of s.graph.processes) s.procs.set(p.processid, p);
        return on.snapshot();
      }
      if (m.type === 'event' && s.graph) apply(m.event, s.graph);
    });
    current = { sub, id };
  }

  function apply(e: ColonyEvent, graph: ProcessGraphWithProcesses): void {
    if (e.type === 'process') {
      const p = s.procs.get(e.processid);
      if (!p) return void reshape();
      s.procs.set(e.processid, withProcessEvent(p, e));
      if (e.state === 'SUCCESS' || e.state === 'FAILED') {
        // Children's input and readiness changed; the next shape refresh has them exactly.
        for (const c of p.children) if (!s.procs.has(c)) reshape();
      }
      on.changed();
    } else if (e.type === 'processgraph') {
      s.graph = withGraphEvent(graph, e);
      if (e.state === 'FAILED' || e.state === 'CANCELLED') reshape(); // picks up the graph's errors
      on.changed();
    } else if (e.type === 'processes-added') {
      reshape();
    }
  }

  subscribe();
  return {
    dispose(): void {
      disposed = true;
      current?.sub();
      reshape.cancel();
    },
  };
}

function withProcessEvent(p: Process, e: ProcessEvent): Process {
  const finished = e.state === 'SUCCESS' || e.state === 'FAILED' || e.state === 'CANCELLED';
  return {
    ...p,
    state: e.state,
    retries: e.retries,
    assignedexecutorid: e.assignedexecutorid,
    ...(e.state === 'RUNNING' ? { starttime: e.time, endtime: null } : {}),
    ...(finished ? { endtime: e.time } : {}),
  };
}

function withGraphEvent(g: ProcessGraphWithProcesses, e: GraphEvent): ProcessGraphWithProcesses {
  return {
    ...g,
    state: e.state,
    ...(e.state === 'RUNNING' && !g.starttime ? { starttime: e.time } : {}),
    ...(FINISHED_STATES.includes(e.state) ? { endtime: e.time } : {}),
  };
}
