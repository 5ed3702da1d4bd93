/** Colony overview: processes and workflows per state, executors, crons (with "run now"), recent failures. */
import { h, replace, throttle, confirmDialog, toast } from '../dom.ts';
import { href, type Ctx, type Page } from '../context.ts';
import { STATE_ORDER, STATE_STYLE, type ProcessState } from '../states.ts';
import { ago, count, shortId, time } from '../format.ts';
import { errorBox, link, loading, table, when } from '../ui.ts';
import type { ColonyStats, Cron, Executor, Process, WorkflowSpecSummary } from '../../../protocol/types.ts';
import { failureText } from '../../../protocol/failure.ts';

function tiles(title: string, counts: Record<ProcessState, number>, to: (s: ProcessState) => string, testid: string): HTMLElement {
  return h(
    'section',
    { class: 'card', 'data-testid': testid },
    h('h2', null, title),
    h(
      'div',
      { class: 'tiles' },
      STATE_ORDER.map((s) =>
        h(
          'a',
          { class: `tile state-${s}${s === 'FAILED' && counts[s] > 0 ? ' attention' : ''}`, href: to(s), 'data-state': s },
          h('span', { class: 'tile-count' }, count(counts[s])),
          h('span', { class: 'tile-label' }, h('span', { 'aria-hidden': 'true' }, STATE_STYLE[s].glyph + ' '), STATE_STYLE[s].title),
        ),
      ),
    ),
  );
}

function executorsTable(list: Executor[]): HTMLElement {
  const rows = list.map((e) =>
    h(
      'tr',
      null,
      h('td', null, h('strong', null, e.executorname)),
      h('td', null, e.executortype),
      h('td', null, h('span', { class: `exec-state exec-${e.state}` }, e.state.toLowerCase())),
      h('td', null, e.location || '—'),
      h('td', { title: e.lastheardfrom ?? '' }, ago(e.lastheardfrom)),
    ),
  );
  return table(['Name', 'Type', 'State', 'Location', 'Last heard from'], rows, 'No executors registered.');
}

function cronsTable(ctx: Ctx, list: Cron[], reload: () => void): HTMLElement {
  const rows = list.map((c) => {
    const run = h('button', { class: 'btn btn-small', type: 'button', 'data-action': 'run-cron' }, 'Run now');
    run.addEventListener('click', () => {
      void (async () => {
        const ok = await confirmDialog({
          title: `Run cron "${c.name}" now?`,
          message: `This submits its workflow (${c.functionspecs.length} function${c.functionspecs.length === 1 ? '' : 's'}) once, now, outside its schedule.`,
          confirm: 'Run now',
        });
        if (!ok) return;
        try {
          await ctx.api.runCron(c.name);
          toast(`Cron "${c.name}" started.`);
          reload();
        } catch (err) {
          toast(`Could not run "${c.name}": ${(err as Error).message}`, 'error');
        }
      })();
    });
    return h(
      'tr',
      { 'data-cron': c.name },
      h('td', null, h('strong', null, c.name)),
      h('td', { class: 'mono' }, c.cronexpression || `every ${c.interval} s`),
      h('td', { title: c.nextrun }, time(c.nextrun), h('span', { class: 'muted' }, ` (${ago(c.nextrun)})`)),
      h('td', null, when(c.lastrun)),
      h('td', null, count(c.runs), c.skips ? h('span', { class: 'muted', title: c.lastskipreason }, ` (${count(c.skips)} skipped)`) : null),
      h('td', null, c.lastprocessgraphid ? link(href(`/workflows/${c.lastprocessgraphid}`), shortId(c.lastprocessgraphid)) : '—'),
      h('td', null, run),
    );
  });
  return table(['Name', 'Schedule', 'Next run', 'Last run', 'Runs', 'Last workflow', ''], rows, 'No crons.');
}

function specsTable(list: WorkflowSpecSummary[]): HTMLElement {
  const rows = list.map((s) =>
    h(
      'tr',
      { 'data-spec': s.name },
      h('td', null, h('strong', null, s.name)),
      h('td', null, `v${s.latestversion}`, s.versions > 1 ? h('span', { class: 'muted' }, ` (${count(s.versions)} versions)`) : null),
      ...(['WAITING', 'RUNNING', 'SUCCESS', 'FAILED'] as const).map((st) => h('td', { class: `state-${st}` }, count(s.runs[st]))),
    ),
  );
  return table(['Name', 'Version', 'Waiting', 'Running', 'Succeeded', 'Failed'], rows, 'No registered workflow specs.');
}

function failuresList(ctx: Ctx, list: Process[]): HTMLElement {
  if (list.length === 0) return h('p', { class: 'muted' }, 'No failed processes. ');
  return h(
    'ul',
    { class: 'failures' },
    list.map((p) =>
      h(
        'li',
        null,
        link(
          href(`/processes/${p.processid}`),
          h('strong', null, p.spec.nodename),
          p.spec.funcname !== p.spec.nodename ? h('span', { class: 'muted' }, ` ${p.spec.funcname}`) : null,
        ),
        h('span', { class: 'error-line' }, failureText(p)),
        h('span', { class: 'muted small' }, `${time(p.endtime)} · ${ctx.names.of(p.assignedexecutorid)}`),
      ),
    ),
  );
}

export function overviewPage(ctx: Ctx): Page {
  const body = h('div', { class: 'overview' }, loading());
  const el = h('main', { class: 'page' }, h('header', { class: 'page-head' }, h('h1', null, `Colony ${ctx.api.colonyname}`)), body);
  let disposed = false;

  const load = async () => {
    try {
      const [stats, executors, crons, failed, specs] = await Promise.all([
        ctx.api.stats(),
        ctx.api.executors(),
        ctx.api.crons(),
        ctx.api.processes({ state: 'FAILED', count: 5 }),
        ctx.api.specs(),
        ctx.names.load(),
      ]);
      if (!disposed) render(stats, executors, crons, failed, specs);
    } catch (err) {
      if (!disposed) replace(body, errorBox(err));
    }
  };
  const refresh = throttle(() => void load(), 1000);

  function render(stats: ColonyStats, executors: Executor[], crons: Cron[], failed: Process[], specs: WorkflowSpecSummary[]) {
    replace(
      body,
      h(
        'div',
        { class: 'grid-2' },
        tiles('Workflows', stats.processgraphs, (s) => href('/workflows', { state: s }), 'workflow-stats'),
        tiles('Processes', stats.processes, (s) => href('/processes', { state: s }), 'process-stats'),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', null, 'Recent failures ', link(href('/processes', { state: 'FAILED' }), h('span', { class: 'small' }, 'all failed processes →'))),
        failuresList(ctx, failed),
      ),
      h('section', { class: 'card', 'data-testid': 'specs' }, h('h2', null, `Workflow specs (${count(specs.length)})`), specsTable(specs)),
      h('section', { class: 'card', 'data-testid': 'executors' }, h('h2', null, `Executors (${count(executors.length)})`), executorsTable(executors)),
      h('section', { class: 'card', 'data-testid': 'crons' }, h('h2', null, `Crons (${count(crons.length)})`), cronsTable(ctx, crons, refresh)),
    );
  }

  void load();
  const unsubscribe = ctx.live.subscribe({}, (m) => {
    if (m.type === 'event' && (m.event.type === 'process' || m.event.type === 'processgraph')) refresh();
  });
  // "Last heard from" and "next run" age by themselves.
  const tick = window.setInterval(refresh, 15_000);
  return {
    el,
    dispose() {
      disposed = true;
      unsubscribe();
      refresh.cancel();
      window.clearInterval(tick);
    },
  };
}
