/**
 * The bench's report over several drain rounds: the median round is a round that ran (the lower
 * middle of an even count), the table shows it with the range of all rounds, and the ratios and the
 * targets read the median, not the first or the best round; the batched E2E target shows the ceiling
 * that the run's CPU per job allows.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { medianByRate, queueTable, ratioTable, targets, type TargetResult } from '../../bench/report.ts';
import type { QueueResult } from '../../bench/workloads.ts';

function drain(rate: number): QueueResult {
  return {
    workload: 'drain',
    n: 20_000,
    done: 20_000,
    seconds: 20_000 / rate,
    rate,
    capped: false,
    latency: null,
    submitRate: null,
    submitted: 20_000,
    cost: {
      serverCpuS: null,
      workerCpuS: 1,
      harnessCpuS: 0,
      pgCpuS: null,
      serverPeakRssMB: null,
      walBytes: null,
      rowsWritten: null,
      pgStatements: null,
      httpRequests: null,
    },
    errors: [],
  };
}

function target(id: string, system: string, role: 'ours' | 'peer', rates: number[]): TargetResult {
  const rounds = rates.map(drain);
  return { id, system, role, variant: 'default', store: 'PostgreSQL', settings: '', drainRounds: rounds, drain: medianByRate(rounds) };
}

test('the median round is the middle one by rate, or the lower middle of an even count', () => {
  const rounds = [4000, 3000, 5000].map(drain);
  assert.equal(medianByRate(rounds), rounds[0]);
  const even = [4000, 3000, 5000, 6000].map(drain);
  assert.equal(medianByRate(even), even[0]);
  const one = [drain(1234)];
  assert.equal(medianByRate(one), one[0]);
});

test('the drain cell shows the median and the range of the rounds; one round shows no range', () => {
  const rows = queueTable([target('colonies-postgresql-single', 'Colonies', 'ours', [4701, 3148, 3957]), target('p', 'peer', 'peer', [4162])]);
  assert.equal(rows[1]![2], '3,957 (3,148–4,701)');
  assert.equal(rows[2]![2], '4,162');
});

test('rows per job come from the E2E run, where each job is submitted, claimed and completed in the window', () => {
  const withE2e = target('colonies-postgresql-single', 'Colonies', 'ours', [4000]);
  const e2e = drain(3000);
  withE2e.e2e = { ...e2e, workload: 'e2e', done: 19_000, cost: { ...e2e.cost, rowsWritten: 58_900 } };
  const rows = queueTable([withE2e, target('p', 'peer', 'peer', [4162])]);
  const column = rows[0]!.indexOf('DB rows/job');
  assert.ok(column > 0, 'the table has a rows column');
  assert.equal(rows[1]![column], '3.1');
  assert.equal(rows[2]![column], '–', 'no E2E run, no figure');
});

test('ratios and targets compare the medians', () => {
  // By its first round ours would lose (3,000 vs 4,000) and by its best it would win (6,000 vs 5,000).
  const results = [target('colonies-postgresql-single', 'Colonies', 'ours', [3000, 6000, 4400]), target('p', 'peer', 'peer', [4000, 5000, 4200])];
  const ratios = ratioTable(results);
  assert.match(ratios[1]![3]!, /^1\.05× \(peer default\)$/);
  assert.ok(targets(results, 2).some((l) => l.startsWith('MET PostgreSQL drain') && l.includes('4,400/s vs 4,200/s')));
});

test('the batched E2E target shows the rate its CPU per job allows on the cores at hand', () => {
  const batch: TargetResult = { ...target('colonies-postgresql-batch', 'Colonies', 'ours', [12_000]), variant: 'batched' };
  const e2e = drain(3000);
  // 20,000 jobs for 2 + 3 + 1.5 + 1 = 7.5 CPU seconds (the submitters, the harness, are part of the
  // work): 375 µs a job, 5,333/s on 2 cores. A drain's cost window is wider than its rate's: no ceiling.
  batch.e2e = { ...e2e, workload: 'e2e', cost: { ...e2e.cost, serverCpuS: 2, workerCpuS: 3, pgCpuS: 1.5, harnessCpuS: 1 } };
  const lines = targets([batch], 2);
  assert.ok(
    lines.includes('NOT MET PostgreSQL e2e batched ≥ 10,000/s: 3,000/s (375 µs of CPU per job in all: at most 5,333/s on 2 cores)'),
    lines.join('\n'),
  );
  assert.ok(lines.includes('MET PostgreSQL drain batched ≥ 10,000/s: 12,000/s'), lines.join('\n'));
});
