/** checkDag: the pure workflow checks run before any write. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDag, type DagNode } from '../../protocol/dag.ts';

const n = (nodename: string, ...dependencies: string[]): DagNode => ({ nodename, dependencies });

/** A reported cycle is a closed path in data-flow order: each node feeds the next (the next depends on it). */
function assertClosedDataFlowPath(nodes: DagNode[], cycle: string[]): void {
  assert.ok(cycle.length >= 2);
  assert.equal(cycle[0], cycle[cycle.length - 1], 'the cycle is closed');
  const byName = new Map(nodes.map((x) => [x.nodename, x]));
  for (let i = 0; i + 1 < cycle.length; i++) {
    const from = cycle[i]!;
    const to = cycle[i + 1]!;
    if (!byName.get(to)!.dependencies.includes(from)) assert.fail(`${to} should depend on ${from} (cycle ${cycle.join(' -> ')})`);
  }
  assert.equal(new Set(cycle.slice(0, -1)).size, cycle.length - 1, 'no node repeats inside the cycle');
}

test('a valid DAG (chain, diamond, independent roots, empty) has no problem', () => {
  assert.equal(checkDag([]), null);
  assert.equal(checkDag([n('a'), n('b', 'a'), n('c', 'b')]), null);
  assert.equal(checkDag([n('a'), n('b', 'a'), n('c', 'a'), n('d', 'b', 'c')]), null);
  assert.equal(checkDag([n('x'), n('y'), n('z')]), null);
  // Order of the specs does not matter: a child may come before its parent.
  assert.equal(checkDag([n('d', 'b', 'c'), n('c', 'a'), n('b', 'a'), n('a')]), null);
});

test('duplicate nodename', () => {
  const p = checkDag([n('a'), n('b', 'a'), n('a')]);
  assert.deepEqual(p?.code, 'DUPLICATE_NODENAME');
  assert.deepEqual(p.details, { nodename: 'a' });
  assert.match(p.message, /"a"/);
});

test('unknown dependency names the node and the missing dependency', () => {
  const p = checkDag([n('a'), n('b', 'a', 'ghost')]);
  assert.equal(p?.code, 'UNKNOWN_DEPENDENCY');
  assert.deepEqual(p.details, { nodename: 'b', dependency: 'ghost' });
  assert.match(p.message, /ghost/);
});

test('a duplicate is reported before an unknown dependency or a cycle', () => {
  assert.equal(checkDag([n('a', 'ghost'), n('a', 'a')])?.code, 'DUPLICATE_NODENAME');
  assert.equal(checkDag([n('a', 'b'), n('b', 'a'), n('c', 'ghost')])?.code, 'UNKNOWN_DEPENDENCY');
});

test('a cycle is reported as a closed path in data-flow order', () => {
  const nodes = [n('a', 'c'), n('b', 'a'), n('c', 'b')];
  const p = checkDag(nodes);
  assert.equal(p?.code, 'DEPENDENCY_CYCLE');
  assert.deepEqual(p.details.cycle, ['b', 'c', 'a', 'b']);
  assertClosedDataFlowPath(nodes, p.details.cycle);
  assert.equal(p.message, 'dependency cycle: b -> c -> a -> b');
});

test('a self-dependency is a cycle of one node', () => {
  const p = checkDag([n('root'), n('a', 'root', 'a')]);
  assert.equal(p?.code, 'DEPENDENCY_CYCLE');
  assert.deepEqual(p.details.cycle, ['a', 'a']);
});

test('a cycle hanging below valid nodes names only the nodes on the cycle', () => {
  const nodes = [n('root'), n('x', 'root', 'z'), n('y', 'x'), n('z', 'y'), n('leaf', 'z')];
  const p = checkDag(nodes);
  assert.equal(p?.code, 'DEPENDENCY_CYCLE');
  assertClosedDataFlowPath(nodes, p.details.cycle);
  assert.deepEqual(new Set(p.details.cycle), new Set(['x', 'y', 'z']));
});

test('a 10,000-node chain is checked without overflowing the stack, and so is a cycle through all of it', () => {
  const N = 10_000;
  const chain = Array.from({ length: N }, (_, i) => (i === 0 ? n('n0') : n(`n${i}`, `n${i - 1}`)));
  // Reverse order makes the DFS walk the whole chain from its leaf.
  assert.equal(checkDag([...chain].reverse()), null);
  assert.equal(checkDag(chain), null);

  const ring = chain.map((x, i) => (i === 0 ? n('n0', `n${N - 1}`) : x));
  const p = checkDag(ring);
  assert.equal(p?.code, 'DEPENDENCY_CYCLE');
  assert.equal(p.details.cycle.length, N + 1);
  assertClosedDataFlowPath(ring, p.details.cycle);
});

test('a wide fan-in (one node with 10,000 parents) is fine', () => {
  const parents = Array.from({ length: 10_000 }, (_, i) => n(`p${i}`));
  assert.equal(checkDag([...parents, n('reduce', ...parents.map((p) => p.nodename))]), null);
});
