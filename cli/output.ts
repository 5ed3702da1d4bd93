/** Output for people (box-drawn tables, local times, colour on a terminal) and for machines (--json). */
import type { ExecutorState, ProcessState } from '../protocol/states.ts';

/** Colour only on a terminal, never with NO_COLOR; FORCE_COLOR=1 forces it (e.g. through `less -R`). */
export function colorEnabled(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

const sgr = (open: number, close: number) => (s: string) => (colorEnabled() ? `\u001b[${open}m${s}\u001b[${close}m` : s);
export const style = {
  bold: sgr(1, 22),
  dim: sgr(2, 22),
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  blue: sgr(34, 39),
  magenta: sgr(35, 39),
  cyan: sgr(36, 39),
  gray: sgr(90, 39),
};

const STATE_STYLE: Record<ProcessState | ExecutorState, (s: string) => string> = {
  WAITING: style.yellow,
  RUNNING: style.cyan,
  SUCCESS: style.green,
  FAILED: style.red,
  CANCELLED: style.gray,
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

const width = (s: string) => [...s].length;

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

interface Norm {
  lines: string[];
  paint: ((s: string) => string) | undefined;
}

function norm(c: Cell, max: number | undefined): Norm {
  const text = typeof c === 'object' ? c.text : String(c);
  const paint = typeof c === 'object' ? c.paint : undefined;
  const lines = text.split('\n').map((l) => (max ? truncate(l.replace(/\t/g, '  '), max) : l.replace(/\t/g, '  ')));
  return { lines, paint };
}

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
  const body = rows.map((r) => cols.map((c, i) => norm(r[i] ?? '', c.max)));
  const widths = cols.map((c, i) => Math.max(width(c.header), ...body.map((r) => Math.max(0, ...r[i]!.lines.map(width)))));
  const line = (l: string, m: string, r: string) => l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r;
  const cell = (text: string, i: number, paint?: (s: string) => string) => {
    const fill = ' '.repeat(widths[i]! - width(text));
    const padded = cols[i]!.align === 'right' ? fill + text : text + fill;
    return ' ' + (paint && text ? paint(padded) : padded) + ' ';
  };
  const out = [line('╭', '┬', '╮')];
  if (cols.some((c) => c.header)) {
    out.push('│' + cols.map((c, i) => cell(c.header, i, style.bold)).join('│') + '│');
    out.push(line('├', '┼', '┤'));
  }
  for (const r of body) {
    const height = Math.max(1, ...r.map((c) => c.lines.length));
    for (let k = 0; k < height; k++) out.push('│' + r.map((c, i) => cell(c.lines[k] ?? '', i, c.paint)).join('│') + '│');
  }
  out.push(line('╰', '┴', '╯'));
  return out.join('\n');
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
