/**
 * One process: what ran (funcname, executortype, args/kwargs), with what (input) and what came out
 * (output, or errors with their stack), retries, times, executor and logs — live while it runs.
 * Used as the workflow page's side panel and as a page of its own.
 */
import { h, replace, throttle } from '../dom.ts';
import { href, type Ctx, type Page } from '../context.ts';
import { duration, json, maxRetries, shortId, span, time } from '../format.ts';
import { badge, errorBox, link, loading, when } from '../ui.ts';
import type { LogEntry, Process } from '../../../protocol/types.ts';
import { delayedRetry, retryText } from '../../../protocol/retry.ts';
import { attemptsOf, attemptsText, lastError } from '../../../protocol/failure.ts';

function jsonBlock(title: string, value: unknown, testid: string): HTMLElement {
  const j = json(value);
  const pre = h('pre', { class: 'json', 'data-testid': testid }, j.text);
  return h(
    'section',
    { class: 'detail-section' },
    h('h3', null, title),
    pre,
    j.cut
      ? h(
          'button',
          { class: 'btn btn-small', type: 'button', onclick: (ev: Event) => ((pre.textContent = j.full), (ev.target as HTMLElement).remove()) },
          'Show all',
        )
      : null,
  );
}

function fact(label: string, ...value: (Node | string)[]): HTMLElement[] {
  return [h('dt', null, label), h('dd', null, ...value)];
}

/**
 * errors is [message, stack…] per failed attempt as the executors report it: the last attempt's error
 * big, with which attempt it was (protocol/failure.ts), then every error and stack, oldest first.
 */
function errorsBlock(p: Process): HTMLElement | null {
  if (p.errors.length === 0) return null;
  const attempts = p.state === 'FAILED' ? attemptsOf(p) : undefined;
  const more = p.errors.length > 1 || p.errors[0]!.includes('\n');
  return h(
    'section',
    { class: 'detail-section errors', 'data-testid': 'errors' },
    h('h3', null, 'Error'),
    h(
      'p',
      { class: 'error-message', role: 'alert' },
      lastError(p.errors),
      attempts ? h('span', { class: 'muted small', 'data-testid': 'attempts' }, ` (${attemptsText(attempts)})`) : null,
    ),
    more
      ? h(
          'details',
          { open: true },
          h('summary', null, attempts && attempts.made > 1 ? 'Every attempt’s errors and stack traces, oldest first' : 'Stack trace and details'),
          h('pre', { class: 'stack' }, p.errors.join('\n\n')),
        )
      : null,
  );
}

/** Why a WAITING process waits: its delayed retry (when, and the error that caused it), or the server's reason. */
function waitingFact(p: Process): HTMLElement[] {
  const retry = delayedRetry(p, Date.now());
  if (retry)
    return [
      ...fact('Waiting', h('span', { 'data-testid': 'wait-reason' }, `retry delayed: ${retryText(retry, (iso) => time(iso))}`)),
      ...fact('Last error', h('span', { 'data-testid': 'last-error' }, retry.lasterror)),
    ];
  return p.state === 'WAITING' && p.waitreason ? fact('Waiting', h('span', { 'data-testid': 'wait-reason' }, p.waitreason)) : [];
}

function logsBlock(logs: LogEntry[]): HTMLElement {
  return h(
    'section',
    { class: 'detail-section' },
    h('h3', null, `Logs (${logs.length})`),
    logs.length
      ? h(
          'ol',
          { class: 'logs', 'data-testid': 'logs' },
          logs.map((l) =>
            h('li', null, h('time', { datetime: l.time }, new Date(l.time).toLocaleTimeString(undefined, { hour12: false })), ' ', l.message),
          ),
        )
      : h('p', { class: 'muted' }, 'No log lines.'),
  );
}

export function processDetail(ctx: Ctx, processid: string, o: { inPanel?: boolean; onClose?: () => void } = {}): Page {
  const body = h('div', null, loading());
  const el = h('div', { class: o.inPanel ? 'process-detail in-panel' : 'process-detail', 'data-processid': processid }, body);
  let disposed = false;
  let process: Process | undefined;
  let logs: LogEntry[] = [];

  const render = () => {
    const p = process;
    if (!p || disposed) return;
    const waited = p.readytime && p.starttime ? duration(Date.parse(p.starttime) - Date.parse(p.readytime)) : '—';
    replace(
      body,
      h(
        'header',
        { class: 'detail-head' },
        h('div', null, h('h2', null, p.spec.nodename), h('p', { class: 'muted mono small', title: p.processid }, `process ${p.processid}`)),
        h(
          'div',
          { class: 'detail-head-right' },
          badge(p.state),
          o.onClose ? h('button', { class: 'btn btn-small', type: 'button', 'aria-label': 'Close', onclick: o.onClose }, '✕') : null,
        ),
      ),
      errorsBlock(p),
      h(
        'dl',
        { class: 'facts' },
        fact('Function', h('code', null, p.spec.funcname)),
        fact('Executor type', p.spec.executortype),
        // A user task runs on no executor: the identity it ran on is the person who completed it.
        fact(p.spec.kind === 'usertask' ? 'Completed by' : 'Executor', p.assignedexecutorid ? ctx.names.of(p.assignedexecutorid) : '—'),
        waitingFact(p),
        fact('Retries', `${p.retries} of ${maxRetries(p.spec.maxretries)}`, p.attempt > 1 ? ` (attempt ${p.attempt})` : ''),
        fact('Submitted', when(p.submissiontime)),
        fact('Ready', when(p.readytime)),
        fact('Started', when(p.starttime), p.starttime ? ` (waited ${waited})` : ''),
        fact('Ended', when(p.endtime)),
        fact('Ran for', span(p.starttime, p.endtime)),
        fact(
          'Deadlines',
          `wait ${p.spec.maxwaittime > 0 ? `${p.spec.maxwaittime} s` : 'none'}, exec ${p.spec.maxexectime > 0 ? `${p.spec.maxexectime} s` : 'none'}`,
        ),
        fact('Priority', String(p.spec.priority)),
        p.spec.label ? fact('Label', p.spec.label) : [],
        fact('Initiator', ctx.names.of(p.initiatorid)),
        p.processgraphid && !o.inPanel
          ? fact('Workflow', link(href(`/workflows/${p.processgraphid}`, { node: p.processid }), shortId(p.processgraphid)))
          : [],
      ),
      jsonBlock('Input', p.in, 'input'),
      jsonBlock('Output', p.out, 'output'),
      h('div', { class: 'grid-2 tight' }, jsonBlock('Args', p.spec.args, 'args'), jsonBlock('Kwargs', p.spec.kwargs, 'kwargs')),
      logsBlock(logs),
    );
  };

  const load = async () => {
    try {
      const [p, l] = await Promise.all([ctx.api.process(processid), ctx.api.logs(processid), ctx.names.load()]);
      process = p;
      logs = l;
      render();
    } catch (err) {
      if (!disposed) replace(body, errorBox(err, 'Could not load this process'));
    }
  };
  const refresh = throttle(() => void load(), 300);
  void load();
  const unsubscribe = ctx.live.subscribe({ processid }, (m) => {
    if (m.type === 'snapshot' && m.snapshot.of === 'process') {
      process = m.snapshot.process;
      logs = m.snapshot.logs;
      render();
    } else if (m.type === 'event' && m.event.type === 'log') {
      const e = m.event;
      if (!logs.some((l) => l.seq === e.seq))
        logs.push({ processid: e.processid, executorid: e.executorid, message: e.message, time: e.time, seq: e.seq });
      render();
    } else if (m.type === 'event') refresh();
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

export function processPage(ctx: Ctx, processid: string): Page {
  const detail = processDetail(ctx, processid);
  return {
    el: h(
      'main',
      { class: 'page' },
      h('nav', { class: 'crumbs' }, link(href('/processes'), '← Processes')),
      h('section', { class: 'card' }, detail.el),
    ),
    dispose: () => detail.dispose?.(),
  };
}
