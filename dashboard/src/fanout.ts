/**
 * Turns a process graph into what the flow chart draws. Large dynamic fan-outs stay readable: siblings
 * whose nodenames differ only in a trailing number (gen_nums_0 … gen_nums_9999) and that hang from
 * the same drawn parents collapse into one group node with counts per state. Chains of fan-outs
 * (gen_i → sum_i) collapse level by level, since a member's parents are compared as drawn. Pure: no DOM.
 */
import type { ProcessState } from '../../protocol/states.ts';

export interface GraphProcess {
  processid: string;
  nodename: string;
  funcname: string;
  state: ProcessState;
  retries: number;
  parents: string[];
  children: string[];
}

export type StateCounts = Record<ProcessState, number>;

export interface ViewNode {
  /** A processid, or a group key ("g:…"). */
  id: string;
  kind: 'process' | 'group';
  /** The members' processids (one for a process node), in graph order. */
  members: string[];
  /** nodename, or for a group the pattern with its range: gen_nums_{0…9999}. */
  label: string;
  funcname: string;
  counts: StateCounts;
  /** A process's state; for a group the state that most needs attention (see groupState). */
  state: ProcessState;
  retries: number;
}

export interface ViewEdge {
  from: string;
  to: string;
  /** Process-level edges this drawn edge stands for. */
  count: number;
  /** How many of them already delivered data (their parent succeeded). */
  delivered: number;
}

export interface GraphView {
  nodes: ViewNode[];
  edges: ViewEdge[];
  /** processid → the id of the node that draws it. */
  nodeOf: Map<string, string>;
  /** Groups that could collapse but are expanded (so the view can offer to collapse them again). */
  expandedGroups: Map<string, string[]>;
}

export interface CollapseOptions {
  /** Siblings sharing a pattern collapse when there are at least this many. */
  minGroup?: number;
  /** Group keys the user expanded. */
  expanded?: ReadonlySet<string>;
}

export const DEFAULT_MIN_GROUP = 8;

export const emptyCounts = (): StateCounts => ({ WAITING: 0, RUNNING: 0, SUCCESS: 0, FAILED: 0, CANCELLED: 0, SKIPPED: 0, HALTED: 0 });

/** `gen_nums_12` → { prefix: 'gen_nums_', n: 12 }; names without a trailing number have no pattern. */
export function nodenamePattern(nodename: string): { prefix: string; n: number } | undefined {
  const m = /^(.*?)(\d+)$/.exec(nodename);
  if (!m || m[1] === '') return undefined;
  return { prefix: m[1]!, n: Number(m[2]) };
}

/** A group's colour: failures first, then work in progress, then the rest. */
export function groupState(c: StateCounts): ProcessState {
  if (c.FAILED > 0) return 'FAILED';
  if (c.RUNNING > 0) return 'RUNNING';
  if (c.HALTED > 0) return 'HALTED';
  if (c.WAITING > 0) return 'WAITING';
  if (c.CANCELLED > 0) return 'CANCELLED';
  return 'SUCCESS';
}

/** Parents before children (Kahn); processes on a cycle, which a valid graph never has, come last. */
export function topoOrder(processes: readonly GraphProcess[]): GraphProcess[] {
  const byId = new Map(processes.map((p) => [p.processid, p]));
  const waiting = new Map<string, number>();
  for (const p of processes) waiting.set(p.processid, p.parents.filter((q) => byId.has(q)).length);
  const queue = processes.filter((p) => waiting.get(p.processid) === 0);
  const out: GraphProcess[] = [];
  for (let i = 0; i < queue.length; i++) {
    const p = queue[i]!;
    out.push(p);
    for (const c of p.children) {
      const n = waiting.get(c);
      if (n === undefined) continue;
      waiting.set(c, n - 1);
      if (n === 1) queue.push(byId.get(c)!);
    }
  }
  if (out.length < processes.length) {
    const seen = new Set(out.map((p) => p.processid));
    out.push(...processes.filter((p) => !seen.has(p.processid)));
  }
  return out;
}

export function collapse(processes: readonly GraphProcess[], o: CollapseOptions = {}): GraphView {
  const minGroup = Math.max(2, o.minGroup ?? DEFAULT_MIN_GROUP);
  const expanded = o.expanded ?? new Set<string>();
  const order = topoOrder(processes);
  const byId = new Map(processes.map((p) => [p.processid, p]));

  // Which candidate groups collapse depends on the drawn parents, which depend on which groups
  // collapse: iterate to a fixed point.
  let allowed: Set<string> | null = null;
  let nodeOf = new Map<string, string>();
  let keyOf = new Map<string, string>();
  for (let round = 0; round < 8; round++) {
    nodeOf = new Map();
    keyOf = new Map();
    const sizes = new Map<string, number>();
    for (const p of order) {
      const pat = nodenamePattern(p.nodename);
      if (!pat) {
        nodeOf.set(p.processid, p.processid);
        continue;
      }
      const drawnParents = [...new Set(p.parents.map((q) => nodeOf.get(q) ?? q))].sort();
      const key = `g:${pat.prefix}#<${drawnParents.join(',')}>`;
      keyOf.set(p.processid, key);
      sizes.set(key, (sizes.get(key) ?? 0) + 1);
      const collapses = (allowed === null || allowed.has(key)) && !expanded.has(key);
      nodeOf.set(p.processid, collapses ? key : p.processid);
    }
    const next = new Set([...sizes].filter(([, n]) => n >= minGroup).map(([k]) => k));
    if (allowed !== null && next.size === allowed.size && [...next].every((k) => allowed!.has(k))) break;
    allowed = next;
  }
  const collapsible = allowed ?? new Set<string>();

  const nodes = new Map<string, ViewNode>();
  const expandedGroups = new Map<string, string[]>();
  for (const p of processes) {
    const id = nodeOf.get(p.processid)!;
    const key = keyOf.get(p.processid);
    if (key && id === p.processid && expanded.has(key) && collapsible.has(key)) {
      const list = expandedGroups.get(key) ?? [];
      list.push(p.processid);
      expandedGroups.set(key, list);
    }
    let n = nodes.get(id);
    if (!n) {
      n = {
        id,
        kind: id === p.processid ? 'process' : 'group',
        members: [],
        label: p.nodename,
        funcname: p.funcname,
        counts: emptyCounts(),
        state: p.state,
        retries: 0,
      };
      nodes.set(id, n);
    }
    n.members.push(p.processid);
    n.counts[p.state]++;
    n.retries += p.retries;
  }
  for (const n of nodes.values()) {
    if (n.kind !== 'group') continue;
    n.state = groupState(n.counts);
    const nums = n.members.map((m) => nodenamePattern(byId.get(m)!.nodename)!.n);
    const prefix = nodenamePattern(byId.get(n.members[0]!)!.nodename)!.prefix;
    n.label = `${prefix}{${Math.min(...nums)}…${Math.max(...nums)}}`;
    const funcs = new Set(n.members.map((m) => byId.get(m)!.funcname));
    n.funcname = funcs.size === 1 ? n.funcname : `${funcs.size} functions`;
  }

  const edges = new Map<string, ViewEdge>();
  for (const p of processes) {
    const from = nodeOf.get(p.processid)!;
    for (const c of p.children) {
      const to = nodeOf.get(c);
      if (to === undefined || to === from) continue;
      const k = `${from}>${to}`;
      let e = edges.get(k);
      if (!e) edges.set(k, (e = { from, to, count: 0, delivered: 0 }));
      e.count++;
      if (p.state === 'SUCCESS') e.delivered++;
    }
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()], nodeOf, expandedGroups };
}

/** A short, stable, URL- and DOM-safe name for a node id (group keys are long). */
export function domId(id: string): string {
  if (/^[0-9a-f]{64}$/.test(id)) return id;
  let h1 = 0x811c9dc5;
  let h2 = 0;
  for (let i = 0; i < id.length; i++) {
    h1 = Math.imul(h1 ^ id.charCodeAt(i), 0x01000193);
    h2 = Math.imul(h2 + id.charCodeAt(i), 0x5bd1e995) ^ (h2 >>> 13);
  }
  return 'g' + (h1 >>> 0).toString(36) + (h2 >>> 0).toString(36);
}
