/** Tables (terminal and markdown), ratios to the best peer, and the bench's targets as met / not met. */
import type { Summary } from './common.ts';
import type { GraphResult } from './graphs.ts';
import type { Role } from './target.ts';
import type { QueueResult } from './workloads.ts';

export interface TargetResult {
  id: string;
  system: string;
  role: Role;
  variant: 'default' | 'batched';
  store: string;
  settings: string;
  /** The median of the drain rounds (the one the tables show). */
  drain?: QueueResult;
  /** Every drain round, in the order run. */
  drainRounds?: QueueResult[];
  e2e?: QueueResult;
  latency?: QueueResult;
  graphs?: GraphResult[];
  error?: string;
}

export interface Meta {
  date: string;
  quick: boolean;
  machine: string;
  node: string;
  postgres: string;
  commit: string;
  loadBefore: number[];
  loadAfter: number[];
  /** Share of the machine's CPU time taken by the hypervisor during the run (null: not known). */
  stealPercent: number | null;
  /** CPU cores of the machine. */
  cores: number;
  /** One Ed25519 verify through node:crypto before and after the run, µs: the host's speed (absent in older results). */
  verifyMicros?: [number, number];
  durationSeconds: number;
  sizes: Record<string, unknown>;
}

type Table = string[][];

const f0 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : Math.round(x).toLocaleString('en-US'));
const f1 = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(1));
const ms = (s: Summary | null | undefined) => (s ? `${f1(s.p50)} / ${f1(s.p90)} / ${f1(s.p99)}` : '–');
const capped = (r: QueueResult | undefined) => (r?.capped ? '*' : '');
const ratio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '–');

/** The round of median rate (of an even count, the lower middle: a round that ran, not an average). */
export function medianByRate(runs: QueueResult[]): QueueResult {
  const sorted = [...runs].sort((a, b) => a.rate - b.rate);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** "3,011 (2,584–3,402)": the median and, over several rounds, their range. */
function drainCell(t: TargetResult): string {
  const d = t.drain;
  const rates = (t.drainRounds ?? []).map((r) => r.rate);
  const range = rates.length > 1 ? ` (${f0(Math.min(...rates))}–${f0(Math.max(...rates))})` : '';
  return f0(d?.rate) + capped(d) + range;
}

function label(t: TargetResult): string {
  return `${t.system} ${t.variant}`;
}

/** Total CPU ms per 1,000 jobs (server + workers + PostgreSQL backends) of a workload. */
function cpuPerK(r: QueueResult | undefined): number | null {
  if (!r || r.done === 0) return null;
  const c = r.cost;
  return (((c.serverCpuS ?? 0) + c.workerCpuS + (c.pgCpuS ?? 0)) / r.done) * 1e6;
}

export function queueTable(results: TargetResult[]): Table {
  const rows: Table = [
    [
      'System',
      'Store',
      'Drain jobs/s',
      'E2E jobs/s',
      'Latency p50 / p90 / p99 ms',
      'CPU ms/1k jobs (srv+wrk+pg)',
      'Server CPU s',
      'Peak RSS MB',
      'HTTP req/job',
      'SQL stmts/job',
      'WAL B/job',
      'DB rows/job',
    ],
  ];
  for (const t of results) {
    if (t.error && !t.drain) {
      rows.push([label(t), t.store, `failed: ${t.error.split('\n')[0]!.slice(0, 60)}`, '', '', '', '', '', '', '', '']);
      continue;
    }
    const d = t.drain;
    const e = t.e2e;
    rows.push([
      label(t),
      t.store,
      drainCell(t),
      f0(t.e2e?.rate) + capped(t.e2e),
      ms(t.latency?.latency) + capped(t.latency),
      f0(cpuPerK(d)),
      f1(d?.cost.serverCpuS),
      f0(d?.cost.serverPeakRssMB),
      d && d.cost.httpRequests != null && d.done > 0 ? (d.cost.httpRequests / d.done).toFixed(2) : '–',
      d && d.cost.pgStatements !== null && d.done > 0 ? (d.cost.pgStatements / d.done).toFixed(2) : '–',
      d && d.cost.walBytes !== null && d.done > 0 ? f0(d.cost.walBytes / d.done) : '–',
      // From the E2E run: a job's whole life (submit, claim, completion) falls in its window.
      e && e.cost.rowsWritten !== null && e.done > 0 ? (e.cost.rowsWritten / e.done).toFixed(1) : '–',
    ]);
  }
  return rows;
}

interface Best {
  value: number;
  who: string;
}

function best(
  results: TargetResult[],
  pick: (t: TargetResult) => number | undefined,
  higherBetter: boolean,
  filter: (t: TargetResult) => boolean,
): Best | null {
  let b: Best | null = null;
  for (const t of results) {
    if (t.role !== 'peer' || !filter(t)) continue;
    const v = pick(t);
    if (v === undefined || !Number.isFinite(v)) continue;
    if (!b || (higherBetter ? v > b.value : v < b.value)) b = { value: v, who: label(t) };
  }
  return b;
}

const METRICS = [
  { name: 'drain', pick: (t: TargetResult) => t.drain?.rate, higher: true },
  { name: 'e2e', pick: (t: TargetResult) => t.e2e?.rate, higher: true },
  { name: 'p50', pick: (t: TargetResult) => t.latency?.latency?.p50, higher: false },
  { name: 'p99', pick: (t: TargetResult) => t.latency?.latency?.p99, higher: false },
] as const;

/** Each of ours against the best peer (> 1 = ours better: throughput ours/best, latency best/ours). */
export function ratioTable(results: TargetResult[]): Table {
  const rows: Table = [['Ours', 'Store', 'vs', 'Drain', 'E2E', 'Latency p50', 'Latency p99']];
  for (const t of results.filter((r) => r.role === 'ours')) {
    for (const [vs, filter] of [
      ['best peer', () => true],
      ['best peer default', (p: TargetResult) => p.variant === 'default'],
    ] as const) {
      const cells = METRICS.map((m) => {
        const b = best(results, m.pick, m.higher, filter);
        const v = m.pick(t);
        if (!b || v === undefined) return '–';
        return `${ratio(m.higher ? v / b.value : b.value / v)} (${b.who})`;
      });
      rows.push([label(t), t.store, vs, ...cells]);
    }
  }
  return rows;
}

export function graphTable(results: TargetResult[]): Table {
  const rows: Table = [
    [
      'Colonies',
      'Store',
      'Map-reduce wall s (proc/s)',
      'Expand wall s (proc/s)',
      'Chain hop p50 / p99 ms',
      'DAG ×N wall s (proc/s)',
      'DAG graph p50 / p99 ms',
      'Runs started/s by name / by submit',
      'Server CPU s (all)',
    ],
  ];
  for (const t of results) {
    if (!t.graphs?.length) continue;
    const g = (w: GraphResult['workload']) => t.graphs!.find((x) => x.workload === w);
    const mr = g('map-reduce');
    const ex = g('expand');
    const ch = g('chain');
    const dag = g('dag');
    const byName = g('by-name')?.starts;
    const ok = (r: GraphResult | undefined) => (r && r.succeeded < r.graphs ? '*' : '');
    rows.push([
      t.variant === 'default' ? 'single' : 'batched',
      t.store,
      mr ? `${mr.wallSeconds.toFixed(2)} (${f0(mr.processesPerSecond)})${ok(mr)}` : '–',
      ex ? `${ex.wallSeconds.toFixed(2)} (${f0(ex.processesPerSecond)})${ok(ex)}` : '–',
      ch?.latency ? `${f1(ch.latency.p50)} / ${f1(ch.latency.p99)}${ok(ch)}` : '–',
      dag ? `${dag.wallSeconds.toFixed(2)} (${f0(dag.processesPerSecond)})${ok(dag)}` : '–',
      dag?.latency ? `${f0(dag.latency.p50)} / ${f0(dag.latency.p99)}` : '–',
      byName ? `${f0(byName.byName)} / ${f0(byName.submit)} (${(byName.byName / byName.submit).toFixed(2)}×)` : '–',
      f1(t.graphs.reduce((s, r) => s + (r.cost.serverCpuS ?? 0), 0)),
    ]);
  }
  return rows;
}

/**
 * The E2E's CPU per finished job, of every process in it (server, executors, PostgreSQL, submitters),
 * and the rate that cost allows with every core busy and no waiting: the ceiling of its throughput
 * target on this machine. Only for the E2E, whose cost window is its rate's (from the first submit); a
 * drain's CPU also counts the workers' start before its first function, which in a short drain is
 * most of it.
 */
function cpuCeiling(r: QueueResult, cores: number): string {
  const c = r.cost;
  if (r.workload !== 'e2e' || !c || r.done === 0) return '';
  const perJob = ((c.serverCpuS ?? 0) + c.workerCpuS + (c.pgCpuS ?? 0) + c.harnessCpuS) / r.done;
  return ` (${f0(perJob * 1e6)} µs of CPU per job in all: at most ${f0(cores / perJob)}/s on ${cores} cores)`;
}

/** The bench's targets, each met or not, with the figure and its ratio. */
export function targets(results: TargetResult[], cores: number): string[] {
  const out: string[] = [];
  const mark = (ok: boolean) => (ok ? 'MET' : 'NOT MET');
  const find = (id: string) => results.find((r) => r.id === id);
  for (const store of ['postgresql', 'pglite']) {
    const single = find(`colonies-${store}-single`);
    const batch = find(`colonies-${store}-batch`);
    if (!single && !batch) continue;
    const S = store === 'postgresql' ? 'PostgreSQL' : 'PGlite';
    for (const w of ['drain', 'e2e'] as const) {
      const bd = best(
        results,
        (t) => t[w]?.rate,
        true,
        (p) => p.variant === 'default',
      );
      const v = single?.[w]?.rate;
      if (bd && v !== undefined)
        out.push(
          `${mark(v >= bd.value)} ${S} ${w} (plain long-poll) ≥ best peer default: ${f0(v)}/s vs ${f0(bd.value)}/s (${bd.who}) = ${ratio(v / bd.value)}`,
        );
      const rb = batch?.[w];
      if (rb) out.push(`${mark(rb.rate >= 10_000)} ${S} ${w} batched ≥ 10,000/s: ${f0(rb.rate)}/s${cpuCeiling(rb, cores)}`);
    }
    for (const t of [single, batch]) {
      if (!t) continue;
      const l = t.latency?.latency;
      if (l) out.push(`${mark(l.p50 <= 5 && l.p99 <= 15)} ${S} ${label(t)} reaction latency p50 ≤ 5 ms, p99 ≤ 15 ms: ${f1(l.p50)} / ${f1(l.p99)} ms`);
    }
    for (const t of [single, batch]) {
      if (!t) continue;
      const mr = t.graphs?.find((g) => g.workload === 'map-reduce');
      if (mr && store === 'postgresql')
        out.push(
          `${mark(mr.succeeded === 1 && mr.wallSeconds <= 10)} ${S} ${label(t)} ${f0(mr.processes - 2)}-child map-reduce ≤ 10 s: ${mr.wallSeconds.toFixed(2)} s`,
        );
      const ch = t.graphs?.find((g) => g.workload === 'chain');
      if (ch?.latency) out.push(`${mark(ch.latency.p50 <= 5)} ${S} ${label(t)} chain per-hop p50 ≤ 5 ms: ${f1(ch.latency.p50)} ms`);
    }
  }
  return out;
}

export function renderText(rows: Table): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function renderMarkdown(rows: Table): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [
    `| ${rows[0]!.map(esc).join(' | ')} |`,
    `|${rows[0]!.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.slice(1).map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

export function settingsList(results: TargetResult[]): string[] {
  return results.map((t) => `${label(t)} (${t.store}): ${t.settings}`);
}

/** "CPU steal 21% (…) · ", or nothing when it was not measured. */
export function steal(meta: Meta): string {
  return meta.stealPercent === null || meta.stealPercent === undefined
    ? ''
    : `CPU steal ${Math.round(meta.stealPercent)}% (time the host gave to other guests) · `;
}

/** "host speed: one Ed25519 verify 131 µs before, 128 µs after · ", or nothing in results from before it was measured. */
export function hostSpeed(meta: Meta): string {
  if (!meta.verifyMicros) return '';
  const [before, after] = meta.verifyMicros;
  return `host speed: one Ed25519 verify ${Math.round(before)} µs before, ${Math.round(after)} µs after · `;
}

export function markdown(meta: Meta, results: TargetResult[]): string {
  return [
    `## Benchmarks`,
    '',
    `${meta.date.slice(0, 10)} · ${meta.machine} · Node ${meta.node} · PostgreSQL ${meta.postgres} (fsync on) · commit ${meta.commit} · ` +
      `load average ${meta.loadBefore.map((x) => x.toFixed(2)).join(' ')} before, ${meta.loadAfter.map((x) => x.toFixed(2)).join(' ')} after · ` +
      `${steal(meta)}${hostSpeed(meta)}shared machine` +
      (meta.quick ? ' · **quick run (small counts)**' : ''),
    '',
    `Independent no-op jobs, 16 worker slots in all (2 processes), everything on one machine` +
      (meta.sizes.warmup ? `, each system measured warm (${f0(Number(meta.sizes.warmup))} jobs drained unmeasured first). ` : '. ') +
      `Drain: ${f0(Number(meta.sizes.drain))} jobs queued first` +
      (Number(meta.sizes.drainRounds) > 1
        ? `, ${String(meta.sizes.drainRounds)} rounds interleaved across the systems (A B C, C B A, …): the median round, its range in brackets; `
        : '; ') +
      `E2E: ${f0(Number(meta.sizes.e2e))} jobs submitted by ${String(meta.sizes.inflight)} concurrent submitters` +
      (meta.sizes.e2eCapMs ? `, for at most ${String(Number(meta.sizes.e2eCapMs) / 1000)} s` : '') +
      `; latency: one job every ${String(meta.sizes.latencyIntervalMs)} ms, ` +
      `submit → function start. \`*\` = a time cap was hit (the drain could queue fewer jobs than asked, or not all finished): the rate is that of what finished.`,
    '',
    renderMarkdown(queueTable(results)),
    '',
    'Ours against the best peer in the same run (> 1× = ours better):',
    '',
    renderMarkdown(ratioTable(results)),
    '',
    `Process graphs (Colonies only): map-reduce with ${f0(Number(meta.sizes.mapWidth))} children, the same fan-out by expand, a ${f0(Number(meta.sizes.chainLength))}-step chain, ` +
      `a ${String(meta.sizes.dagNodes)}-node random DAG × ${String(meta.sizes.dagCount)}.`,
    '',
    renderMarkdown(graphTable(results)),
    '',
    'Targets:',
    '',
    ...targets(results, meta.cores).map((l) => `- ${l}`),
    '',
    'Settings:',
    '',
    ...settingsList(results).map((l) => `- ${l}`),
    '',
  ].join('\n');
}
