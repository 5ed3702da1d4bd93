/**
 * A process graph drawn in the terminal: nodes grouped in layers by depth (longest path from a root),
 * each line a node (or a summarised fan-out such as `gen_nums_* ×10000 (SUCCESS 9990, RUNNING 10)`)
 * with its state and the nodes it depends on (`◀─ parents`).
 */
import { PROCESS_STATES, type ProcessState } from '../protocol/states.ts';
import type { Process } from '../protocol/types.ts';
import { failureText, lastError } from '../protocol/failure.ts';
import { paintState, style, truncate } from './output.ts';

export interface DagOptions {
  /** List every node (no fan-out summaries, no per-layer cap). */
  expand?: boolean;
  /** Nodes of one layer sharing a name pattern (`x_1`, `x_2`, … → `x_*`) are summarised above this many. */
  groupAbove?: number;
  /** Lines per layer before the rest is summarised. */
  maxLines?: number;
}

/** Layers by depth: a node's depth is 1 + the largest depth of its parents (roots: 0). Kahn's order, O(V+E). */
export function layersOf(processes: readonly Process[]): Process[][] {
  const byId = new Map(processes.map((p) => [p.processid, p]));
  const indegree = new Map<string, number>();
  for (const p of processes) indegree.set(p.processid, p.parents.filter((id) => byId.has(id)).length);
  const depth = new Map<string, number>();
  const queue = processes.filter((p) => indegree.get(p.processid) === 0);
  for (const p of queue) depth.set(p.processid, 0);
  for (let i = 0; i < queue.length; i++) {
    const p = queue[i]!;
    const d = depth.get(p.processid)!;
    for (const cid of p.children) {
      const c = byId.get(cid);
      if (!c) continue;
      depth.set(cid, Math.max(depth.get(cid) ?? 0, d + 1));
      const left = indegree.get(cid)! - 1;
      indegree.set(cid, left);
      if (left === 0) queue.push(c);
    }
  }
  const layers: Process[][] = [];
  const deepest = Math.max(-1, ...depth.values());
  for (const p of processes) {
    // A node left out of the order would be on a cycle (the server never stores one): show it after the rest.
    const d = depth.get(p.processid) ?? deepest + 1;
    (layers[d] ??= []).push(p);
  }
  return layers.filter(Boolean);
}

/** The name pattern a fan-out shares: trailing digits become `*` (gen_nums_17 → gen_nums_*, an expand's resize[17] → resize[*]). */
export function patternOf(nodename: string): string {
  if (/\[\d+\]$/.test(nodename)) return nodename.replace(/\[\d+\]$/, '[*]');
  return /\d+$/.test(nodename) ? nodename.replace(/\d+$/, '*') : nodename;
}

interface Line {
  label: string;
  members: Process[];
  grouped: boolean;
}

function countStates(ps: readonly Process[]): [ProcessState, number][] {
  const n = new Map<ProcessState, number>();
  for (const p of ps) n.set(p.state, (n.get(p.state) ?? 0) + 1);
  // Largest first (SUCCESS 9990, RUNNING 10); ties in lifecycle order.
  return PROCESS_STATES.filter((s) => n.has(s))
    .map((s): [ProcessState, number] => [s, n.get(s)!])
    .sort((a, b) => b[1] - a[1]);
}

/** The state a group is drawn in: the one that most needs attention. */
function headline(ps: readonly Process[]): ProcessState {
  for (const s of ['FAILED', 'RUNNING', 'HALTED', 'WAITING', 'CANCELLED'] as const) if (ps.some((p) => p.state === s)) return s;
  return ps.every((p) => p.state === 'SKIPPED') ? 'SKIPPED' : 'SUCCESS';
}

const statesText = (counts: [ProcessState, number][], paint: boolean) =>
  counts.map(([s, n]) => (paint ? paintState(s, `${s} ${n}`) : `${s} ${n}`)).join(', ');

function linesOf(layer: Process[], o: Required<DagOptions>): Line[] {
  if (o.expand) return layer.map((p) => ({ label: p.spec.nodename, members: [p], grouped: false }));
  const groups = new Map<string, Process[]>();
  for (const p of layer) {
    const k = patternOf(p.spec.nodename);
    const g = groups.get(k);
    if (g) g.push(p);
    else groups.set(k, [p]);
  }
  const lines: Line[] = [];
  for (const [pattern, members] of groups) {
    if (members.length > o.groupAbove) lines.push({ label: `${pattern} ×${members.length}`, members, grouped: true });
    else for (const p of members) lines.push({ label: p.spec.nodename, members: [p], grouped: false });
  }
  return lines;
}

/** How control flow runs a node, when not as a plain function after its parents: its kind, trigger rule and condition. */
function flowNote(p: Process): string {
  const { kind, event, conditions } = p.spec;
  const notes: string[] = [];
  if (kind && kind !== 'function') notes.push(kind === 'event' ? `event ${event}` : kind);
  if (conditions.trigger && conditions.trigger !== 'all_success') notes.push(conditions.trigger);
  if (conditions.when) notes.push(`if ${truncate(conditions.when, 40)}`);
  return notes.join('; ');
}

const width = (s: string) => [...s].length;
const padEnd = (s: string, plain: string, n: number) => s + ' '.repeat(Math.max(0, n - width(plain)));

/** The graph as text: a header line, then one block per layer. */
export function renderDag(processes: readonly Process[], opts: DagOptions = {}): string {
  const o: Required<DagOptions> = { expand: false, groupAbove: 5, maxLines: 40, ...opts };
  if (processes.length === 0) return 'Graph: no processes';
  const layers = layersOf(processes).map((l) => linesOf(l, o));
  const labelOf = new Map<string, string>();
  for (const l of layers.flat()) for (const p of l.members) labelOf.set(p.processid, l.label);

  const edges = processes.reduce((n, p) => n + p.parents.length, 0);
  const out = [style.bold(`Graph: ${processes.length} processes, ${edges} edges, ${layers.length} layers`)];
  const rows: { layer: number; bullet: string; label: string; state: string; statePlain: string; tail: string }[] = [];
  const hidden: { layer: number; members: Process[] }[] = [];
  layers.forEach((lines, li) => {
    const shown = o.expand ? lines : lines.slice(0, o.maxLines);
    const rest = lines.slice(shown.length).flatMap((l) => l.members);
    if (rest.length > 0) hidden[li] = { layer: li, members: rest };
    for (const l of shown) {
      const state = headline(l.members);
      const counts = countStates(l.members);
      const statePlain = l.grouped ? `(${statesText(counts, false)})` : state;
      const stateText = l.grouped ? `(${statesText(counts, true)})` : paintState(state);
      const parents: string[] = [];
      for (const p of l.members) for (const id of p.parents) if (labelOf.has(id)) parents.push(labelOf.get(id)!);
      const uniq = [...new Set(parents)];
      const shownParents = uniq.slice(0, 5).join(', ') + (uniq.length > 5 ? `, +${uniq.length - 5} more` : '');
      let tail = uniq.length > 0 ? `◀─ ${shownParents}` : '';
      const add = (text: string) => (tail += `${tail ? '  ' : ''}${text}`);
      const one = l.grouped ? undefined : l.members[0];
      if (one && flowNote(one)) add(style.dim(`[${flowNote(one)}]`));
      // The last attempt's error says why it ended (a retried process's first errors are earlier attempts').
      const why = one && one.errors.length > 0 ? lastError(one.errors) : '';
      if (why && one?.state === 'FAILED') add(style.red('✗ ' + truncate(failureText(one), 80)));
      if (why && one?.state === 'SKIPPED') add(style.dim('↷ ' + truncate(why.replace(/^skipped: /, ''), 60)));
      rows.push({ layer: li, bullet: paintState(state, '●'), label: truncate(l.label, 48), state: stateText, statePlain, tail });
    }
  });
  const labelW = Math.max(...rows.map((r) => width(r.label)));
  const stateW = Math.max(...rows.map((r) => width(r.statePlain)));
  for (let li = 0; li < layers.length; li++) {
    out.push(`${li === 0 ? '╭' : '├'}─ ${style.dim(`layer ${li}`)}`);
    for (const r of rows.filter((x) => x.layer === li)) {
      const line = `│  ${r.bullet} ${padEnd(r.label, r.label, labelW)}  ${r.tail ? padEnd(r.state, r.statePlain, stateW) : r.state}${r.tail ? '  ' + r.tail : ''}`;
      out.push(line.trimEnd());
    }
    const h = hidden[li];
    if (h) out.push(`│  … ${h.members.length} more nodes (${statesText(countStates(h.members), true)}); --expand lists them all`);
  }
  out.push('╰─');
  return out.join('\n');
}
