/**
 * The server killed with -9 three times while a real SDK executor (a process of its own) drains a few
 * thousand processes with no maxexectime, restarted each time on the same port and database, with a
 * 10 s lease: nothing scheduled is forgotten. Every accepted submit ends SUCCESS, each with the output of
 * its final attempt (the function returns its attempt number, so a stale attempt's close accepted late
 * would show), every attempt ran at most once, and the executor was told "closed" exactly once per
 * process. Prints how many processes the lease retried and how long each restart took to recover.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPostgresDatabase, testEngine } from '../helpers/db.ts';
import { freePort, seedColony, spawnServer, type ServerChild } from '../helpers/spawn-server.ts';
import { createPgDb } from '../../server/store/pg-db.ts';
import type { Db } from '../../server/store/db.ts';
import { generateKeyPair } from '../../protocol/crypto.ts';

const skip = testEngine() !== 'postgres' ? 'PostgreSQL engine only (the embedded store: embedded-kill.test.ts)' : false;

// What a crash swallows comes back through the executor's report of what it holds, not the lease; a
// short lease would also fail work of an executor a loaded machine merely left unscheduled that long.
const LEASE_SECONDS = 10;
const TOTAL = 3000;
/** Submitted before the executor starts; the rest while it drains, through the kills. */
const UPFRONT = 1500;
/** The server is killed when this share of TOTAL is done. */
const KILL_AT = [0.2, 0.45, 0.7];
const COLONY = 'faults';
const TYPE = 'recorder';
const root = fileURLToPath(new URL('../..', import.meta.url));

let pg: { url: string; drop(): Promise<void> } | undefined;
let db: Db | undefined;
let dir: string;
let server: ServerChild | undefined;
let executor: ChildProcess | undefined;

before(async () => {
  if (skip) return;
  pg = await createPostgresDatabase();
  // The test's own view of the database: progress while the server is down, and the final check.
  db = createPgDb({ connectionString: pg.url, max: 2 });
  dir = mkdtempSync(join(tmpdir(), 'colonies-server-kill-'));
});

after(async () => {
  if (executor && executor.exitCode === null && executor.signalCode === null) executor.kill('SIGKILL');
  await server?.kill();
  await db?.close();
  await pg?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, ms: number, get: () => Promise<T | undefined>): Promise<T> {
  for (const end = Date.now() + ms; ; await sleep(20)) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
  }
}

const count = async (where: string): Promise<number> =>
  (await db!.query<{ n: number }>(`SELECT count(*)::int AS n FROM processes WHERE colonyname = $1 AND ${where}`, [COLONY]))[0]!.n;

/** The recording executor as a process of its own; resolves once it polls. */
async function startRecorder(
  url: string,
  prvkey: string,
  name: string,
  file: string,
): Promise<{ child: ChildProcess; stats: Promise<Record<string, number>> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/recording-executor.ts'], {
    cwd: root,
    env: {
      ...process.env,
      COLONIES_SERVER_URL: url,
      COLONIES_PRVKEY: prvkey,
      COLONIES_COLONY_NAME: COLONY,
      COLONIES_EXECUTOR_TYPE: TYPE,
      COLONIES_EXECUTOR_NAME: name,
      COLONIES_TEST_RECORD: file,
      COLONIES_TEST_CONCURRENCY: '8',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout });
  let started!: () => void;
  const ready = new Promise<void>((r) => (started = r));
  const stats = new Promise<Record<string, number>>((resolve, reject) => {
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as { started?: boolean; stats?: Record<string, number> };
      if (msg.started) started();
      if (msg.stats) resolve({ ...msg.stats, stderrLines: stderr.split('\n').filter(Boolean).length });
    });
    void once(child, 'exit').then(([code]) => reject(new Error(`the executor exited (${String(code)}) without its stats; stderr: ${stderr}`)));
  });
  stats.catch(() => undefined);
  await Promise.race([ready, stats.then(() => undefined)]);
  return { child, stats };
}

interface Row {
  processid: string;
  state: string;
  attempt: number;
  retries: number;
  output: unknown[];
  errors: string[];
  endtime: Date | string | null;
}

test('the server killed with -9 three times mid-drain: no process lost, no double close, none failed', { skip }, async (t) => {
  const port = await freePort();
  const serverKey = generateKeyPair();
  const vars = {
    COLONIES_DATABASE_URL: pg!.url,
    COLONIES_SERVER_PRVKEY: serverKey.prvkey,
    COLONIES_LEASE_SECONDS: String(LEASE_SECONDS),
    COLONIES_DEADLINE_INTERVAL_MS: '200',
    COLONIES_DB_POOL_SIZE: '4',
  };
  server = await spawnServer(port, vars);
  const url = server.url;

  const { user: userClient, executor: exec } = await seedColony(url, serverKey.prvkey, {
    colonyname: COLONY,
    executorname: 'recorder-1',
    executortype: TYPE,
  });

  // maxexectime 0 and maxretries 0 (the defaults): only the lease brings back an attempt the crash
  // orphaned. A claim whose answer the crash swallowed is tried again without spending a retry (the
  // executor's run, which began before it, reports not holding it), so none of them may end FAILED.
  const spec = { funcname: 'record', executortype: TYPE };
  const accepted = new Set<string>();
  const submit = async (n: number) => {
    const results = await Promise.allSettled(Array.from({ length: n }, () => userClient.submit(spec)));
    for (const r of results) if (r.status === 'fulfilled') accepted.add(r.value.processid);
  };
  await submit(UPFRONT);
  assert.equal(accepted.size, UPFRONT);

  const file = join(dir, 'executions.txt');
  writeFileSync(file, '');
  const recorder = await startRecorder(url, exec.prvkey, 'recorder-1', file);
  executor = recorder.child;

  // Submits go on through the kills; those refused or unanswered while the server is down are not counted.
  let submitting = true;
  const submitter = (async () => {
    while (submitting && accepted.size < TOTAL) {
      await submit(Math.min(50, TOTAL - accepted.size));
      await sleep(20);
    }
  })();

  const restarts: { killedAt: number; restartMs: number; firstCloseMs: number; held: string[]; attempts: Map<string, number> }[] = [];
  for (const share of KILL_AT) {
    await until(`${share * 100}% done`, 60_000, async () => ((await count(`state = 'SUCCESS'`)) >= share * TOTAL ? true : undefined));
    const killedAt = Date.now();
    await server.kill();
    // Dead, the server changes nothing (but a statement it sent may still commit): what is RUNNING now was held at the crash.
    const held = await db!.query<{ processid: string; attempt: number }>(
      `SELECT processid, attempt FROM processes WHERE colonyname = $1 AND state = 'RUNNING'`,
      [COLONY],
    );
    const done = await count(`state = 'SUCCESS'`);
    server = await spawnServer(port, vars);
    const restartMs = Date.now() - killedAt;
    await until('a close after the restart', 30_000, async () => ((await count(`state = 'SUCCESS'`)) > done ? true : undefined));
    restarts.push({
      killedAt,
      restartMs,
      firstCloseMs: Date.now() - killedAt,
      held: held.map((h) => h.processid),
      attempts: new Map(held.map((h) => [h.processid, h.attempt])),
    });
  }

  await until('every accepted submit', 60_000, async () => (accepted.size >= TOTAL ? true : undefined));
  submitting = false;
  await submitter;
  const rows = await until('every process finished', 60_000, async () => {
    if ((await count(`state NOT IN ('SUCCESS', 'FAILED', 'CANCELLED')`)) > 0) return undefined;
    return db!.query<Row>(`SELECT processid, state, attempt, retries, output, errors, endtime FROM processes WHERE colonyname = $1`, [COLONY]);
  });
  executor.kill('SIGTERM');
  const stats = await recorder.stats;

  // What ran: one line per execution.
  const runs = new Map<string, number[]>();
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const [id, attempt] = line.split(' ');
    runs.set(id!, [...(runs.get(id!) ?? []), Number(attempt)]);
  }
  const byId = new Map(rows.map((r) => [r.processid, r]));
  const retried = rows.filter((r) => r.errors.length > 0);
  const reasons = new Map<string, number>();
  for (const r of retried)
    for (const e of r.errors) {
      const reason = e.replace(/ ?executor [^\s:]+| \(attempt \d+\)/g, '').trim();
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    }
  const executions = [...runs.values()].reduce((n, a) => n + a.length, 0);
  t.diagnostic(`${rows.length} processes (${accepted.size} accepted submits), ${executions} executions, executor stats ${JSON.stringify(stats)}`);
  t.diagnostic(`retried by the lease: ${retried.length} (${[...reasons].map(([k, n]) => `${n}× ${k}`).join('; ')})`);
  for (const [i, r] of restarts.entries()) {
    const ends = r.held.map((id) => byId.get(id)).filter((x) => x !== undefined);
    const again = ends.filter((x) => x.attempt > r.attempts.get(x.processid)!).length;
    const lastEnd = Math.max(r.killedAt, ...ends.map((x) => new Date(x.endtime!).getTime()));
    t.diagnostic(
      `kill ${i + 1}: listening again ${r.restartMs} ms after, first close ${r.firstCloseMs} ms after; ` +
        `${r.held.length} held at the crash (${again} retried), all done ${lastEnd - r.killedAt} ms after`,
    );
  }

  const lost = [...accepted].filter((id) => !byId.has(id));
  assert.deepEqual(lost, [], 'every accepted submit exists');
  const notSuccess = rows.filter((r) => r.state !== 'SUCCESS').map((r) => `${r.processid} ${r.state} ${r.errors.join('; ')}`);
  assert.deepEqual(notSuccess, [], 'every process ends SUCCESS (none FAILED whose function succeeded)');
  // The kept output is the final attempt's: a stale attempt's close accepted after the retry would differ.
  const wrongOutput = rows.filter((r) => r.output[0] !== r.attempt || r.output[1] !== r.processid);
  assert.deepEqual(wrongOutput, [], 'each output is its final attempt’s');
  const notRun = rows.filter((r) => !runs.get(r.processid)?.includes(r.attempt)).map((r) => r.processid);
  assert.deepEqual(notRun, [], 'the final attempt of each process really ran');
  const twice = [...runs].filter(([id, a]) => new Set(a).size !== a.length || a.some((n) => n > (byId.get(id)?.attempt ?? 0)));
  assert.deepEqual(twice, [], 'each attempt ran at most once, and none past the final one');
  assert.equal(stats.closed, rows.length, 'exactly one close acknowledged per process');
  assert.equal(stats.failed, 0);
  assert.equal(stats.stderrLines, 0, 'the executor reported no unexpected error');
});
