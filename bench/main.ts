/**
 * npm run bench [-- --quick] [-- --only colonies,pglite,pg-boss,graphile,raw,graphs] [-- --profile]
 *
 * Colonies on PostgreSQL (a fresh database, created and dropped here) and then on the embedded store
 * (PGlite), the server and the executors each in their own processes, against pg-boss, graphile-worker
 * and a raw SQL queue on the same PostgreSQL in the same run. Prints the tables, writes
 * bench/results/<timestamp>.json and bench/results/latest.md (latest-quick.md for --quick / --only).
 * Needs PostgreSQL: COLONIES_BENCH_DATABASE_URL (or COLONIES_TEST_DATABASE_URL), default postgres://postgres@127.0.0.1:5432/postgres.
 */
import { execSync } from 'node:child_process';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { killAllChildren, killAllChildrenNow } from './children.ts';
import { onCleanup, runCleanup } from './cleanup.ts';
import { errorText, now } from './common.ts';
import { runByName, runChain, runDags, runExpand, runMapReduce, type GraphSizes } from './graphs.ts';
import { PgAdmin } from './pg-admin.ts';
import { renderProfile, summarizeProfile } from './profile.ts';
import {
  graphTable,
  markdown,
  medianByRate,
  steal,
  hostSpeed,
  queueTable,
  ratioTable,
  renderText,
  settingsList,
  targets,
  type Meta,
  type TargetResult,
} from './report.ts';
import { coloniesTarget, startColonies, type ColoniesSystem } from './systems/colonies.ts';
import { startGraphile, startPgBoss, startRawSql, type PeerSystem } from './systems/peers.ts';
import type { Target } from './target.ts';
import { runDrain, runEndToEnd, runLatency, Workers, type QueueResult, type QueueSizes, type WorkloadHooks } from './workloads.ts';

const GROUPS = ['colonies', 'pglite', 'pg-boss', 'graphile', 'raw', 'graphs'] as const;
type Group = (typeof GROUPS)[number];

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'batch-size': { type: 'string', default: '50' },
    'batch-loops': { type: 'string', default: '4' },
    rounds: { type: 'string' },
    workloads: { type: 'string', default: 'drain,e2e,latency' },
    modes: { type: 'string', default: 'single,batch' },
    graphs: { type: 'string', default: 'map-reduce,expand,chain,dag,by-name' },
    help: { type: 'boolean', default: false },
  },
});
if (opts.help) {
  console.log(
    `usage: npm run bench -- [--quick] [--only ${GROUPS.join(',')}] [--workloads drain,e2e,latency] [--modes single,batch] [--graphs map-reduce,expand,chain,dag,by-name] [--profile] [--rounds N] [--batch-size K] [--batch-loops L]`,
  );
  process.exit(0);
}
const groups = new Set<Group>(opts.only ? (opts.only.split(',').map((s) => s.trim()) as Group[]) : GROUPS);
for (const g of groups) if (!GROUPS.includes(g)) throw new Error(`--only: unknown group "${g}" (known: ${GROUPS.join(', ')})`);

const queueSizes: QueueSizes = opts.quick
  ? {
      drain: 400,
      warmup: 200,
      e2e: 400,
      inflight: 16,
      latencyCount: 30,
      latencyIntervalMs: 25,
      submitCapMs: 3_000,
      capMs: 3_000,
      e2eCapMs: 3_000,
      measureRows: false,
    }
  : {
      drain: 20_000,
      warmup: 5_000,
      e2e: 20_000,
      inflight: 16,
      latencyCount: 300,
      latencyIntervalMs: 25,
      submitCapMs: 12_000,
      capMs: 15_000,
      e2eCapMs: 10_000,
      measureRows: true,
    };
const graphSizes: GraphSizes = opts.quick
  ? { mapWidth: 500, chainLength: 30, dagNodes: 100, dagCount: 2, byNameCount: 400, capMs: 5_000 }
  : { mapWidth: 10_000, chainLength: 1000, dagNodes: 100, dagCount: 50, byNameCount: 4_000, capMs: 20_000 };
const CHILDREN = 2;
const SLOTS = 8; // per child: 16 in all
/** Jobs each later drain round drains unmeasured first (its target's workers were swapped out meanwhile). */
const ROUND_WARMUP = 1_000;
const workloads = new Set(opts.workloads.split(',').map((s) => s.trim()));
const modes = new Set(opts.modes.split(',').map((s) => s.trim()));
const GRAPH_RUNS = { 'map-reduce': runMapReduce, expand: runExpand, chain: runChain, dag: runDags, 'by-name': runByName };
const graphRuns = opts.graphs.split(',').map((s) => {
  const run = GRAPH_RUNS[s.trim() as keyof typeof GRAPH_RUNS];
  if (!run) throw new Error(`--graphs: unknown workload "${s}" (known: ${Object.keys(GRAPH_RUNS).join(', ')})`);
  return run;
});
// The machine's speed drifts over minutes: each drain runs this many times, the rounds interleaved
// across the systems (see drainRounds), and the median counts.
const rounds = Number(opts.rounds ?? (opts.quick ? 1 : 3));
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds: a whole number ≥ 1, not "${opts.rounds}"`);
const batchSize = Number(opts['batch-size']);
const batchLoops = Number(opts['batch-loops']);

const log = (msg: string) => process.stderr.write(`[bench ${((now() - started) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);
const started = now();
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const resultsDir = new URL('./results/', import.meta.url);

// Whatever happens (error, Ctrl-C, kill), children die and databases are dropped.
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (interrupted) {
      killAllChildrenNow();
      process.exit(130);
    }
    interrupted = true;
    log(`${sig}: stopping children and dropping the bench databases (again to force)`);
    void killAllChildren()
      .then(() => runCleanup(log))
      .finally(() => process.exit(130));
  });
}
process.on('exit', killAllChildrenNow);

function describe(r: QueueResult, asked = r.workload === 'drain' ? queueSizes.drain : r.n): string {
  const lat = r.latency ? ` p50 ${r.latency.p50.toFixed(1)} p99 ${r.latency.p99.toFixed(1)} ms` : '';
  const cap = r.capped ? ` (time cap: ${r.done} done of ${r.submitted} submitted of ${asked} asked)` : '';
  const err = r.errors.length ? ` errors: ${r.errors.length} (${r.errors[0]})` : '';
  return `${r.workload} ${r.done} in ${r.seconds.toFixed(2)} s = ${Math.round(r.rate)}/s${lat}${cap}${err}`;
}

const w = new Workers();
onCleanup('worker processes', () => w.kill());

/** The targets measured so far, kept (with their systems) for the later drain rounds. */
const measured: { t: Target; res: TargetResult }[] = [];

async function runQueueTarget(t: Target, admin: PgAdmin, graphsOf?: ColoniesSystem): Promise<TargetResult> {
  const res: TargetResult = { id: t.id, system: t.system, role: t.role, variant: t.variant, store: t.store, settings: t.settings };
  measured.push({ t, res });
  try {
    await w.configure(t);
    // --profile: V8 CPU profiles of the server and of the first worker during the drain and the E2E.
    const profiled = opts.profile ? [...(t.server ? [{ who: 'server', child: t.server }] : []), { who: 'worker', child: w.children[0]! }] : [];
    const file = (workload: string, who: string) => new URL(`profile-${stamp}-${t.id}-${workload}-${who}.cpuprofile`, resultsDir).pathname;
    if (profiled.length) await mkdir(resultsDir, { recursive: true });
    const profiling = (workload: string): WorkloadHooks =>
      profiled.length
        ? {
            around: async (phase) => {
              await Promise.all(
                profiled.map((p) => p.child.call(phase === 'start' ? 'profile-start' : 'profile-stop', { file: file(workload, p.who) })),
              );
            },
          }
        : {};
    const showProfiles = (workload: string) => {
      for (const p of profiled)
        log(`${t.id}: ${p.who} CPU profile of the ${workload} → ${file(workload, p.who)}\n${renderProfile(summarizeProfile(file(workload, p.who)))}`);
    };
    // Measured warm, as a long-running server is: a first drain also pays for V8 compiling the hot paths.
    log(`${t.id}: warm-up ${describe(await runDrain(t, w, admin, { ...queueSizes, drain: queueSizes.warmup }), queueSizes.warmup)}`);
    if (workloads.has('drain')) {
      res.drain = await runDrain(t, w, admin, queueSizes, profiling('drain'));
      res.drainRounds = [res.drain];
      log(`${t.id}: ${describe(res.drain)}${rounds > 1 ? ` (round 1 of ${rounds})` : ''}`);
      showProfiles('drain');
    }
    if (workloads.has('e2e') && !interrupted) {
      res.e2e = await runEndToEnd(t, w, admin, queueSizes, profiling('e2e'));
      log(`${t.id}: ${describe(res.e2e)}`);
      showProfiles('e2e');
    }
    if (workloads.has('latency') && !interrupted) {
      res.latency = await runLatency(t, w, admin, queueSizes);
      log(`${t.id}: ${describe(res.latency)}`);
    }
    if (graphsOf && groups.has('graphs') && !interrupted) {
      res.graphs = [];
      for (const run of graphRuns) {
        const g = await run(t, w, admin, graphsOf.user, graphSizes);
        res.graphs.push(g);
        const lat = g.latency ? ` p50 ${g.latency.p50.toFixed(1)} p99 ${g.latency.p99.toFixed(1)} ms` : '';
        log(
          `${t.id}: ${g.workload} ${g.succeeded}/${g.graphs} graphs, ${g.processesDone}/${g.processes} processes in ${g.wallSeconds.toFixed(2)} s (${Math.round(g.processesPerSecond)}/s)${lat}; ${g.check}`,
        );
        if (interrupted) break;
      }
    }
  } catch (err) {
    res.error = errorText(err);
    log(`${t.id} FAILED: ${res.error}`);
    await w.kill();
  }
  return res;
}

/**
 * Systems stay up until every drain round has run; then the workers let go of them and they stop
 * (servers before their databases), last started first.
 */
const systems: { close(): Promise<void> }[] = [];
async function closeSystems(): Promise<void> {
  await w.release();
  for (const sys of systems.splice(0).reverse()) await sys.close().catch((err: unknown) => log(`stopping a system: ${errorText(err)}`));
}

async function runColonies(store: 'PostgreSQL' | 'PGlite', admin: PgAdmin, results: TargetResult[]): Promise<void> {
  log(`Colonies on ${store}: starting the server`);
  const sys = await startColonies(store, admin);
  systems.push(sys);
  if (modes.has('single')) {
    const single = await coloniesTarget(sys, 'single', { children: CHILDREN, slots: SLOTS, batch: 1 });
    results.push(await runQueueTarget(single, admin, sys));
  }
  if (modes.has('batch') && !interrupted) {
    const batch = await coloniesTarget(sys, 'batch', { children: CHILDREN, slots: batchLoops, batch: batchSize });
    results.push(await runQueueTarget(batch, admin, sys));
  }
}

async function runPeer(start: () => Promise<PeerSystem>, admin: PgAdmin, results: TargetResult[]): Promise<void> {
  try {
    const sys = await start();
    systems.push(sys);
    for (const t of sys.targets) {
      if (interrupted) return;
      results.push(await runQueueTarget(t, admin));
    }
  } catch (err) {
    log(`peer setup failed: ${errorText(err)}`);
  }
}

/**
 * Drain rounds 2..N, interleaved: every target drains once per round, in the first round's order and
 * then back (A B C, C B A, A B C), so that a slow minute of the machine falls on every system alike
 * rather than on whichever ran then. Each round warms its target up again briefly (its workers were
 * swapped out meanwhile). The reported drain is the median round's.
 */
async function drainRounds(admin: PgAdmin): Promise<void> {
  const drained = measured.filter((m) => m.res.drain && !m.res.error);
  for (let round = 2; round <= rounds && !interrupted; round++) {
    for (const { t, res } of round % 2 === 0 ? [...drained].reverse() : drained) {
      if (interrupted) break;
      try {
        await w.configure(t);
        await runDrain(t, w, admin, { ...queueSizes, drain: ROUND_WARMUP });
        const d = await runDrain(t, w, admin, queueSizes);
        res.drainRounds!.push(d);
        log(`${t.id}: ${describe(d)} (round ${round} of ${rounds})`);
      } catch (err) {
        log(`${t.id}: drain round ${round} FAILED: ${errorText(err)}`);
        await w.kill();
      }
    }
  }
  for (const { res } of drained) res.drain = medianByRate(res.drainRounds!);
}

/**
 * The machine's CPU time so far (all cores, /proc/stat ticks) and the part of it the hypervisor gave
 * to other guests ("steal"): on a shared VM it is time every process here waited, so it explains a run
 * slower than the last. Null where /proc/stat is not there.
 */
function cpuTicks(): { total: number; steal: number } | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
  } catch {
    return null;
  }
}

function stealPercent(before: ReturnType<typeof cpuTicks>): number | null {
  const after = cpuTicks();
  if (!before || !after || after.total <= before.total) return null;
  return (100 * (after.steal - before.steal)) / (after.total - before.total);
}

/**
 * The host's speed now, as the time of one Ed25519 verify through node:crypto (µs, the median of five
 * runs): a shared VM's speed differs from day to day, which the ratios absorb and the absolute figures do not.
 */
function verifyMicros(): number {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const message = Buffer.alloc(256, 7);
  const signature = sign(null, message, privateKey);
  const runs = Array.from({ length: 5 }, () => {
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) verify(null, message, publicKey, signature);
    return ((performance.now() - t0) * 1000) / 2000;
  });
  return runs.sort((a, b) => a - b)[2]!;
}

function git(cmd: string): string {
  try {
    return execSync(`git ${cmd}`, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

async function main(): Promise<void> {
  const admin = await PgAdmin.connect();
  onCleanup('close admin connection', () => admin.close());
  const stale = await admin.dropStale();
  if (stale.length) log(`dropped ${stale.length} stale bench database(s) from an earlier killed run`);
  const loadBefore = loadavg();
  const ticksBefore = cpuTicks();
  const verifyBefore = verifyMicros();
  // The code under test is what the checkout holds when the processes start: record it now, not at the end.
  const commit = git('rev-parse --short HEAD') + (git('status --porcelain -- server executor protocol migrations') ? ' (+ uncommitted changes)' : '');
  log(
    `${opts.quick ? 'quick' : 'full'} run: ${[...groups].join(', ')}; PostgreSQL ${admin.version}; load ${loadBefore.map((x) => x.toFixed(2)).join(' ')}`,
  );
  const results: TargetResult[] = [];
  const shape = { children: CHILDREN, slots: SLOTS, batch: 50 };
  if (groups.has('colonies')) await runColonies('PostgreSQL', admin, results);
  if (groups.has('pg-boss') && !interrupted) await runPeer(() => startPgBoss(admin, shape), admin, results);
  if (groups.has('graphile') && !interrupted) await runPeer(() => startGraphile(admin, { ...shape, localQueue: 500 }), admin, results);
  if (groups.has('raw') && !interrupted) await runPeer(() => startRawSql(admin, { children: CHILDREN, connections: 8, batch: 50 }), admin, results);
  if (groups.has('pglite') && !interrupted) await runColonies('PGlite', admin, results);
  await drainRounds(admin);
  await closeSystems();

  const meta: Meta = {
    date: new Date().toISOString(),
    quick: opts.quick,
    machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
    cores: cpus().length,
    node: process.versions.node,
    postgres: admin.version,
    commit,
    loadBefore,
    loadAfter: loadavg(),
    stealPercent: stealPercent(ticksBefore),
    verifyMicros: [verifyBefore, verifyMicros()],
    durationSeconds: (now() - started) / 1000,
    sizes: { ...queueSizes, ...graphSizes, children: CHILDREN, slotsPerChild: SLOTS, batchSize, batchLoops, drainRounds: rounds },
  };
  console.log(`\n${renderText(queueTable(results))}\n\n${renderText(ratioTable(results))}\n`);
  if (results.some((r) => r.graphs?.length)) console.log(`${renderText(graphTable(results))}\n`);
  console.log(targets(results, meta.cores).join('\n'));
  console.log(`\nsettings:\n${settingsList(results).join('\n')}`);
  console.log(
    `\nload average ${meta.loadBefore.map((x) => x.toFixed(2)).join(' ')} before, ${meta.loadAfter.map((x) => x.toFixed(2)).join(' ')} after; ${steal(meta)}${hostSpeed(meta)}${meta.durationSeconds.toFixed(0)} s`,
  );

  await mkdir(resultsDir, { recursive: true });
  const json = new URL(`${stamp}.json`, resultsDir);
  await writeFile(json, JSON.stringify({ meta, results }, null, 2));
  const partial = opts.quick || opts.only || workloads.size < 3 || modes.size < 2;
  const md = new URL(partial ? 'latest-quick.md' : 'latest.md', resultsDir);
  await writeFile(md, markdown(meta, results));
  console.log(`\nwrote ${json.pathname} and ${md.pathname}`);
}

try {
  await main();
} catch (err) {
  log(`failed: ${errorText(err)}`);
  process.exitCode = 1;
} finally {
  await killAllChildren();
  await runCleanup(log);
}
