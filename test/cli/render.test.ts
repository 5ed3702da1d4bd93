/** The CLI's renderers in-process: box tables, local times, the layered DAG with fan-out summaries. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTable, formatTime, formatDuration, truncate } from '../../cli/output.ts';
import { layersOf, patternOf, renderDag } from '../../cli/dag.ts';
import type { Process } from '../../protocol/types.ts';
import type { ProcessState } from '../../protocol/states.ts';

process.env.NO_COLOR = '1';

test('renderTable draws ColonyOS boxes, pads to the widest cell, cuts long cells with …, and spreads multi-line cells', () => {
  const out = renderTable(
    ['NAME', { header: 'N', align: 'right' }, { header: 'NOTE', max: 6 }],
    [
      ['dev', 7, 'a long note'],
      ['x', 12, 'two\nlines'],
    ],
  );
  assert.equal(
    out,
    [
      '╭──────┬────┬────────╮',
      '│ NAME │  N │ NOTE   │',
      '├──────┼────┼────────┤',
      '│ dev  │  7 │ a lon… │',
      '│ x    │ 12 │ two    │',
      '│      │    │ lines  │',
      '╰──────┴────┴────────╯',
    ].join('\n'),
  );
});

test('times are local YYYY-MM-DD HH:MM:SS; durations are readable', () => {
  const iso = '2024-01-15T10:30:05.123Z';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  assert.equal(
    formatTime(iso),
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`,
  );
  assert.equal(formatTime(null), '-');
  assert.deepEqual([850, 12_340, 245_000, 7_380_000].map(formatDuration), ['850 ms', '12.3 s', '4 m 05 s', '2 h 03 m']);
  assert.equal(truncate('abcdef', 4), 'abc…');
});

let n = 0;
function proc(nodename: string, state: ProcessState, parents: Process[] = []): Process {
  const p = {
    processid: (++n).toString(16).padStart(64, '0'),
    spec: { nodename, funcname: nodename.replace(/_\d+$/, ''), maxretries: 2, conditions: { dependencies: parents.map((x) => x.spec.nodename) } },
    state,
    parents: parents.map((x) => x.processid),
    children: [],
    // A failed one failed its three attempts: each its message, then its stack.
    errors: state === 'FAILED' ? [1, 2, 3].flatMap((i) => [`it broke (${i})`, `Error: it broke (${i})\n    at somewhere`]) : [],
    attempt: state === 'FAILED' ? 3 : 0,
    retries: state === 'FAILED' ? 2 : 0,
  } as unknown as Process;
  for (const parent of parents) parent.children.push(p.processid);
  return p;
}

test('layers follow the longest path; a diamond has three layers', () => {
  const a = proc('a', 'SUCCESS');
  const b = proc('b', 'SUCCESS', [a]);
  const c = proc('c', 'RUNNING', [a]);
  const d = proc('d', 'WAITING', [b, c, a]);
  assert.deepEqual(
    layersOf([d, c, b, a]).map((l) => l.map((p) => p.spec.nodename)),
    [['a'], ['c', 'b'], ['d']],
  );
  const out = renderDag([a, b, c, d]);
  assert.match(out, /^Graph: 4 processes, 5 edges, 3 layers\n/);
  assert.match(out, /├─ layer 2\n│ {2}● d +WAITING +◀─ b, c, a\n╰─$/);
});

test('a fan-out of 10,000 is one line with its state counts; a failed node shows its last error and attempt', () => {
  const map = proc('map', 'SUCCESS');
  const gens = Array.from({ length: 10_000 }, (_, i) => proc(`gen_nums_${i}`, i < 9990 ? 'SUCCESS' : 'RUNNING', [map]));
  const reduce = proc('reduce', 'WAITING', gens);
  const failed = proc('audit', 'FAILED', [map]);
  const t = Date.now();
  const out = renderDag([map, ...gens, reduce, failed]);
  assert.ok(Date.now() - t < 2000, 'renders 10,000 nodes quickly');
  assert.equal(patternOf('gen_nums_17'), 'gen_nums_*');
  assert.equal(patternOf('resize[17]'), 'resize[*]', "an expand's instances group by their index");
  const lines = out.split('\n');
  assert.equal(lines[0], 'Graph: 10003 processes, 20001 edges, 3 layers');
  assert.ok(lines.length < 12, out);
  assert.ok(
    lines.some((l) => /● gen_nums_\* ×10000 +\(SUCCESS 9990, RUNNING 10\) +◀─ map$/.test(l)),
    out,
  );
  assert.ok(
    lines.some((l) => /● reduce +WAITING +◀─ gen_nums_\* ×10000$/.test(l)),
    out,
  );
  assert.ok(
    lines.some((l) => /● audit +FAILED +◀─ map {2}✗ it broke \(3\) \(attempt 3 of 3\)$/.test(l)),
    out,
  );
});

test('control flow is drawn: trigger rules, conditions, and why a node was skipped or failed upstream', () => {
  const charge = proc('charge', 'FAILED');
  const ship = proc('ship', 'FAILED', [charge]);
  ship.errors = ['not run: parent charge failed'];
  ship.attempt = 0; // it never ran
  const refund = proc('refund', 'SUCCESS', [charge]);
  refund.spec.conditions.trigger = 'one_failed';
  const big = proc('big', 'SKIPPED', [charge]);
  big.spec.conditions.when = 'input[0] > 100';
  big.errors = ['skipped: conditions.when "input[0] > 100" is false'];
  const out = renderDag([charge, ship, refund, big]);
  assert.match(out, /● ship +FAILED +◀─ charge {2}✗ not run: parent charge failed$/m);
  assert.match(out, /● refund +SUCCESS +◀─ charge {2}\[one_failed\]/);
  assert.match(out, /● big +SKIPPED +◀─ charge {2}\[if input\[0\] > 100\] {2}↷ conditions\.when "input\[0\] > 100" is false/);
});

test('many distinct nodes in one layer are capped, with --expand listing all', () => {
  const root = proc('root', 'SUCCESS');
  const kids = Array.from({ length: 60 }, (_, i) =>
    proc(`step-${String.fromCharCode(65 + (i % 26))}${String.fromCharCode(65 + Math.floor(i / 26))}`, 'SUCCESS', [root]),
  );
  const capped = renderDag([root, ...kids]);
  assert.match(capped, /│ {2}… 20 more nodes \(SUCCESS 20\); --expand lists them all/);
  assert.equal(
    renderDag([root, ...kids], { expand: true })
      .split('\n')
      .filter((l) => l.includes('● step-')).length,
    60,
  );
});
