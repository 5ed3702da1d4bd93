/** Output for people (box-drawn tables, local times, colour on a terminal) and for machines (--json). */
import { createRequire } from 'node:module';
import { styleText } from 'node:util';
import type CliTable from 'cli-table3';
import type { ExecutorState, ProcessState } from '../protocol/states.ts';
import type { Process } from '../protocol/types.ts';
import { delayedRetry, retryText } from '../protocol/retry.ts';

/** Colour only on a terminal, never with NO_COLOR; FORCE_COLOR=1 forces it (e.g. through `less -R`). */
export function colorEnabled(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

type Format = Parameters<typeof styleText>[0];
// colorEnabled decides, so styleText is told not to check the stream again (its own check varies across Node 20 releases).
const paint = (format: Format) => (s: string) => (colorEnabled() ? styleText(format, s, { validateStream: false }) : s);
export const style = {
  bold: paint('bold'),
  dim: paint('dim'),
  red: paint('red'),
  green: paint('green'),
  yellow: paint('yellow'),
  blue: paint('blue'),
  magenta: paint('magenta'),
  cyan: paint('cyan'),
  gray: paint('gray'),
};

const STATE_STYLE: Record<ProcessState | ExecutorState, (s: string) => string> = {
  WAITING: style.yellow,
  RUNNING: style.cyan,
  SUCCESS: style.green,
  FAILED: style.red,
  CANCELLED: style.gray,
  SKIPPED: style.gray,
  HALTED: style.magenta,
  PENDING: style.yellow,
  APPROVED: style.green,
  REJECTED: style.red,
};

/** A state word in its colour (on a terminal). */
export function paintState(state: string, text: string = state): string {
  const f = STATE_STYLE[state as ProcessState];
  return f ? f(text) : text;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/** An ISO time as local `YYYY-MM-DD HH:MM:SS`; '-' when absent. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** An ISO time as local `HH:MM:SS` when it is today, else as formatTime. */
export function clockTime(iso: string): string {
  const d = new Date(iso);
  return d.toDateString() === new Date().toDateString() ? formatTime(iso).slice(11) : formatTime(iso);
}

/** A WAITING process's delayed retry, "retry delayed: attempt 2 of 4 at 12:03:07", or undefined when it has none. */
export function retryWait(p: Process): { text: string; lasterror: string } | undefined {
  const r = delayedRetry(p, Date.now());
  return r && { text: `retry delayed: ${retryText(r, clockTime)}`, lasterror: r.lasterror };
}

/** A duration in ms as `850 ms`, `12.3 s`, `4 m 05 s`, `2 h 03 m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} m ${pad2(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${pad2(Math.floor((s % 3600) / 60))} m`;
}

export function durationBetween(from: string | null | undefined, to: string | null | undefined): string {
  if (!from || !to) return '-';
  return formatDuration(new Date(to).getTime() - new Date(from).getTime());
}

/** Compact JSON for a table cell. */
export function jsonCell(v: unknown): string {
  return JSON.stringify(v) ?? '';
}

/** Cuts a string to n characters, ending it with … when it was longer. */
export function truncate(s: string, n: number): string {
  const chars = [...s];
  return chars.length <= n ? s : chars.slice(0, Math.max(0, n - 1)).join('') + '…';
}

export type Cell = string | number | { text: string; paint?: (s: string) => string };
export interface Column {
  header: string;
  /** Longer cells are cut with … (each line of a multi-line cell). */
  max?: number;
  align?: 'left' | 'right';
}

function cellText(c: Cell, max: number | undefined): string {
  const text = typeof c === 'object' ? c.text : String(c);
  const paint = typeof c === 'object' ? c.paint : undefined;
  return text
    .split('\n')
    .map((l) => (max ? truncate(l.replace(/\t/g, '  '), max) : l.replace(/\t/g, '  ')))
    .map((l) => (paint && l ? paint(l) : l))
    .join('\n');
}

/** The ColonyOS box: rounded corners, one rule under the header and none between rows. */
const BOX = {
  top: '─',
  'top-mid': '┬',
  'top-left': '╭',
  'top-right': '╮',
  bottom: '─',
  'bottom-mid': '┴',
  'bottom-left': '╰',
  'bottom-right': '╯',
  left: '│',
  'left-mid': '├',
  mid: '─',
  'mid-mid': '┼',
  right: '│',
  'right-mid': '┤',
  middle: '│',
};

// Loaded on the first table: commands that print none (--help, --json, submit) skip its start-up cost.
const load = createRequire(import.meta.url);
let Table: typeof CliTable | undefined;

/**
 * A box-drawn table in the ColonyOS style:
 * ╭──────┬──────╮
 * │ NAME │ ID   │
 * ├──────┼──────┤
 * │ dev  │ 3f2a │
 * ╰──────┴──────╯
 * Without headers (`header: ''` everywhere) it is a key/value box. Multi-line cells take several rows.
 */
export function renderTable(columns: (string | Column)[], rows: Cell[][]): string {
  const cols: Column[] = columns.map((c) => (typeof c === 'string' ? { header: c } : c));
  Table ??= load('cli-table3') as typeof CliTable;
  const table = new Table({
    chars: BOX,
    head: cols.some((c) => c.header) ? cols.map((c) => style.bold(c.header)) : [],
    colAligns: cols.map((c) => c.align ?? 'left'),
    style: { head: [], border: [], compact: true, 'padding-left': 1, 'padding-right': 1 },
  });
  table.push(...rows.map((r) => cols.map((c, i) => cellText(r[i] ?? '', c.max))));
  return table.toString();
}

/** A titled key/value box (the sections of `process get`, `workflow get`, `executor get`). */
export function renderSection(title: string, pairs: [string, Cell][], max = 100): string {
  return `${style.bold(title)}\n${renderTable([{ header: '' }, { header: '', max }], pairs)}`;
}

export function printJson(v: unknown): void {
  process.stdout.write(JSON.stringify(v, null, 2) + '\n');
}

export function print(s = ''): void {
  process.stdout.write(s + '\n');
}

/** Messages for people that are not the command's result ("nothing found", hints). */
export function note(s: string): void {
  process.stderr.write(s + '\n');
}

/** A submit's warnings (a function no executor serves yet), one line each on stderr. */
export function warn(warnings: string[] | undefined): void {
  for (const w of warnings ?? []) note(`warning: ${w}`);
}

/** maxretries as shown: -1 retries without limit. */
/** The run a listed process belongs to: its name, else its graph's short id; '-' for a standalone process. */
export function runCell(p: { processgraphid: string | null; runname?: string }): string {
  if (!p.processgraphid) return '-';
  return p.runname || p.processgraphid.slice(0, 12) + '…';
}

export const maxRetriesText = (n: number): string => (n < 0 ? 'unlimited' : String(n));
