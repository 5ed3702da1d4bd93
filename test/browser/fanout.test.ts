/** The flow chart's fan-out collapsing (dashboard/src/fanout.ts): pure, no browser. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collapse, domId, nodenamePattern, topoOrder, type GraphProcess } from '../../dashboard/src/fanout.ts';
import type { ProcessState } from '../../protocol/states.ts';

let seq = 0;
function graph(spec: Record<string, { parents?: string[]; state?: ProcessState; funcname?: string }>): GraphProcess[] {
  const ids = new Map(Object.keys(spec).map((n) => [n, `p${++seq}-${n}`]));
  const procs = Object.entries(spec).map(([nodename, s]) => ({
    processid: ids.get(nodename)!,
    nodename,
    funcname: s.funcname ?? nodename.replace(/_\d+$/, ''),
    state: s.state ?? 'WAITING',
    retries: 0,
    parents: (s.parents ?? []).map((p) => ids.get(p)!),
    children: [] as string[],
  }));
  for (const p of procs) for (const q of p.parents) procs.find((x) => x.processid === q)!.children.push(p.processid);
  return procs;
}

const labels = (v: ReturnType<typeof collapse>) => v.nodes.map((n) => n.label).sort();

test('nodename patterns: a trailing number after a prefix', () => {
  assert.deepEqual(nodenamePattern('gen_nums_12'), { prefix: 'gen_nums_', n: 12 });
  assert.deepEqual(nodenamePattern('task7'), { prefix: 'task', n: 7 });
  assert.equal(nodenamePattern('reduce'), undefined);
  assert.equal(nodenamePattern('42'), undefined);
});

test('a small map-reduce stays as it is', () => {
  const g = graph({
    map: {},
    ...Object.fromEntries([0, 1, 2, 3, 4].map((i) => [`gen_nums_${i}`, { parents: ['map'] }])),
    reduce: { parents: ['gen_nums_0', 'gen_nums_1', 'gen_nums_2', 'gen_nums_3', 'gen_nums_4'] },
  });
  const v = collapse(g);
  assert.equal(v.nodes.length, 7);
  assert.ok(v.nodes.every((n) => n.kind === 'process'));
  assert.equal(v.edges.length, 10);
});

test('a large fan-out collapses into one node with counts, edges carry their multiplicity', () => {
  const n = 1000;
  const spec: Parameters<typeof graph>[0] = { map: { state: 'SUCCESS' } };
  for (let i = 0; i < n; i++) spec[`gen_nums_${i}`] = { parents: ['map'], state: i < 600 ? 'SUCCESS' : i < 610 ? 'FAILED' : 'RUNNING' };
  spec.reduce = { parents: Object.keys(spec).filter((k) => k.startsWith('gen_')) };
  const v = collapse(graph(spec));
  assert.deepEqual(labels(v), ['gen_nums_{0…999}', 'map', 'reduce']);
  const group = v.nodes.find((x) => x.kind === 'group')!;
  assert.equal(group.members.length, n);
  assert.deepEqual(group.counts, { WAITING: 0, RUNNING: 390, SUCCESS: 600, FAILED: 10, CANCELLED: 0, SKIPPED: 0, HALTED: 0 });
  assert.equal(group.state, 'FAILED', 'a group shows its failures first');
  const into = v.edges.find((e) => e.to === group.id)!;
  const out = v.edges.find((e) => e.from === group.id)!;
  assert.deepEqual([into.count, into.delivered], [n, n]);
  assert.deepEqual([out.count, out.delivered], [n, 600]);
  assert.equal(v.nodeOf.get(group.members[17]!), group.id);
});

test('an expanded group is drawn one by one, and remembered as collapsible', () => {
  const spec: Parameters<typeof graph>[0] = { src: {} };
  for (let i = 0; i < 12; i++) spec[`part_${i}`] = { parents: ['src'] };
  const g = graph(spec);
  const key = collapse(g).nodes.find((x) => x.kind === 'group')!.id;
  const v = collapse(g, { expanded: new Set([key]) });
  assert.equal(v.nodes.length, 13);
  assert.deepEqual(v.expandedGroups.get(key)?.length, 12);
});

test('chains of fan-outs collapse level by level; different parents keep groups apart', () => {
  const spec: Parameters<typeof graph>[0] = { a: {}, b: {} };
  for (let i = 0; i < 10; i++) {
    spec[`gen_${i}`] = { parents: ['a'] };
    spec[`sum_${i}`] = { parents: [`gen_${i}`] };
    spec[`other_${i}`] = { parents: [i % 2 ? 'a' : 'b'] };
  }
  const v = collapse(graph(spec));
  // gen_* (10 under a) and sum_* (each under a drawn gen group) collapse; other_* splits 5/5, below the threshold.
  assert.deepEqual(
    labels(v).filter((l) => l.includes('{')),
    ['gen_{0…9}', 'sum_{0…9}'],
  );
  assert.equal(v.nodes.filter((x) => x.label.startsWith('other_')).length, 10);
  assert.equal(v.edges.find((e) => e.from.startsWith('g:gen_') && e.to.startsWith('g:sum_'))?.count, 10);
});

test('the threshold is configurable and below it nothing collapses', () => {
  const spec: Parameters<typeof graph>[0] = { root: {} };
  for (let i = 0; i < 3; i++) spec[`x_${i}`] = { parents: ['root'] };
  assert.equal(collapse(graph(spec)).nodes.length, 4);
  assert.equal(collapse(graph(spec), { minGroup: 3 }).nodes.length, 2);
});

test('topological order puts parents first even when a child was submitted earlier (insert)', () => {
  const g = graph({ reduce: {}, map: {}, gen_0: {} });
  const [reduce, map, gen] = g;
  // map → gen_0 → reduce, as after an insert=true add_child; reduce was submitted first.
  map!.children = [gen!.processid];
  gen!.parents = [map!.processid];
  gen!.children = [reduce!.processid];
  reduce!.parents = [gen!.processid];
  assert.deepEqual(
    topoOrder(g).map((p) => p.nodename),
    ['map', 'gen_0', 'reduce'],
  );
});

test('dom ids: process ids as they are, group keys hashed to short stable names', () => {
  const pid = 'a'.repeat(64);
  assert.equal(domId(pid), pid);
  const k = 'g:gen_nums_#<' + 'b'.repeat(64) + '>';
  assert.equal(domId(k), domId(k));
  assert.match(domId(k), /^g[0-9a-z]+$/);
  assert.notEqual(domId(k), domId(k + 'x'));
});
