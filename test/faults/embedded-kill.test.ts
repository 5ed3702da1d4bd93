/**
 * The embedded store (PGlite in a data directory) under a server killed with -9 while submits,
 * assigns and closes stream in, restarted on the same directory, then drained and killed a last
 * time: every submit, assignment and close the server acknowledged is in the directory as
 * acknowledged (a closed process SUCCESS with the output and attempt of its close), and what was
 * assigned when the answer was lost is retried after the lease.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { testEngine } from '../helpers/db.ts';
import { freePort, seedColony, spawnServer, type ServerChild } from '../helpers/spawn-server.ts';
import { createPgliteDb } from '../../server/store/pglite-db.ts';
import { ColoniesClient } from '../../executor/client.ts';
import { generateKeyPair } from '../../protocol/crypto.ts';

const skip = testEngine() !== 'pglite' ? 'embedded store only (PostgreSQL: server-kill.test.ts)' : false;

const LEASE_SECONDS = 2;
/** The server is killed once this many more closes have been acknowledged. */
const CLOSES_BEFORE_KILL = 100;
/** Kills under traffic; the test's own read of the directory after the last kill is one more crash recovery. */
const KILLS = 1;
const COLONY = 'faults';
const TYPE = 'embedded';

let dir: string | undefined;
let server: ServerChild | undefined;

before(() => {
  if (!skip) dir = mkdtempSync(join(tmpdir(), 'colonies-embedded-kill-'));
});

after(async () => {
  await server?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, ms: number, get: () => Promise<T | undefined>): Promise<T> {
  for (const end = Date.now() + ms; ; await sleep(50)) {
    const v = await get().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
  }
}

/** What the server acknowledged: submits, assignments (attempt) and closes (attempt and output). */
interface Acked {
  submitted: Set<string>;
  assigned: Map<string, number>;
  closed: Map<string, { attempt: number; out: unknown[] }>;
}

/** Submits and assign-then-close cycles until stopped; a request the dead server did not answer is simply not recorded. */
async function traffic(user: ColoniesClient, exec: ColoniesClient, acked: Acked, stop: AbortSignal): Promise<void> {
  const submitter = async () => {
    while (!stop.aborted) {
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => user.submit({ funcname: 'f', executortype: TYPE, maxretries: 20 })));
      for (const r of results) if (r.status === 'fulfilled') acked.submitted.add(r.value.processid);
      if (results.some((r) => r.status === 'rejected')) await sleep(50);
    }
  };
  const worker = async () => {
    while (!stop.aborted) {
      try {
        // Holding nothing between cycles: an assignment whose answer the crash swallowed is given back after the grace.
        const procs = await exec.assign({ timeout: 1, count: 20, holding: [] });
        for (const p of procs) acked.assigned.set(p.processid, p.attempt);
        if (procs.length === 0) continue;
        const closes = procs.map((p) => ({ processid: p.processid, attempt: p.attempt, out: [p.attempt, p.processid] }));
        const r = await exec.closeMany(closes);
        for (const id of r.closed)
          acked.closed.set(
            id,
            closes.find((c) => c.processid === id)!,
          );
      } catch {
        await sleep(50);
      }
    }
  };
  await Promise.all([submitter(), worker()]);
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

test('the embedded store: a server killed with -9 mid-traffic keeps every acknowledged submit, assignment and close', { skip }, async (t) => {
  const dataDir = join(dir!, 'data');
  const port = await freePort();
  const serverKey = generateKeyPair();
  const vars = {
    COLONIES_DATA_DIR: dataDir,
    COLONIES_SERVER_PRVKEY: serverKey.prvkey,
    COLONIES_LEASE_SECONDS: String(LEASE_SECONDS),
    COLONIES_DEADLINE_INTERVAL_MS: '200',
  };
  server = await spawnServer(port, vars);
  const url = server.url;
  const { user, executor: execKey } = await seedColony(url, serverKey.prvkey, { colonyname: COLONY, executorname: 'worker', executortype: TYPE });
  const exec = new ColoniesClient({ url, prvkey: execKey.prvkey, colonyname: COLONY });

  const acked: Acked = { submitted: new Set(), assigned: new Map(), closed: new Map() };
  const stop = new AbortController();
  const running = traffic(user, exec, acked, stop.signal);
  const kills: { killedAt: number; restartMs: number }[] = [];
  try {
    for (let k = 1; k <= KILLS; k++) {
      await until(`${k * CLOSES_BEFORE_KILL} closes`, 60_000, async () => (acked.closed.size >= k * CLOSES_BEFORE_KILL ? true : undefined));
      const killedAt = Date.now();
      await server.kill();
      server = await spawnServer(port, vars);
      kills.push({ killedAt, restartMs: Date.now() - killedAt });
    }
    await until('closes after the last restart', 30_000, async () => (acked.closed.size >= (KILLS + 0.5) * CLOSES_BEFORE_KILL ? true : undefined));
  } finally {
    stop.abort();
    await running;
  }

  // Everything left is drained (what was held at a crash comes back after the lease); then the server
  // is killed once more and the test reads the directory itself, as the next start would find it.
  await until('every process finished', 30_000, async () => {
    const procs = await exec.assign({ timeout: 0, count: 100, holding: [] });
    if (procs.length > 0) await exec.closeMany(procs.map((p) => ({ processid: p.processid, attempt: p.attempt, out: [p.attempt, p.processid] })));
    const { processes: n } = await user.stats();
    return n.WAITING + n.RUNNING === 0 ? true : undefined;
  });
  await server.kill();
  const db = await createPgliteDb(dataDir);
  let rows: Row[];
  try {
    rows = await db.query<Row>('SELECT processid, state, attempt, retries, output, errors, endtime FROM processes WHERE colonyname = $1', [COLONY]);
  } finally {
    await db.close();
  }

  const byId = new Map(rows.map((r) => [r.processid, r]));
  const retried = rows.filter((r) => r.retries > 0);
  t.diagnostic(
    `${acked.submitted.size} submits and ${acked.closed.size} closes acknowledged, ${rows.length} processes; retried by the lease: ${retried.length} ` +
      `(${[...new Set(retried.flatMap((r) => r.errors.map((e) => e.replace(/ ?executor [^\s:]+| \(attempt \d+\)/g, '').trim())))].join('; ')})`,
  );
  for (const [i, k] of kills.entries()) {
    // A process retried after kill i ended between it and the next kill.
    const next = kills[i + 1]?.killedAt ?? Infinity;
    const ends = retried.map((r) => new Date(r.endtime!).getTime()).filter((at) => at > k.killedAt && at < next);
    t.diagnostic(
      `kill ${i + 1}: listening again ${k.restartMs} ms after; ${ends.length} retried by the lease` +
        (ends.length > 0 ? `, done ${Math.max(...ends) - k.killedAt} ms after the kill` : ''),
    );
  }

  const lost = [...acked.submitted].filter((id) => !byId.has(id));
  assert.deepEqual(lost, [], 'every acknowledged submit is kept');
  const changed = [...acked.closed]
    .filter(([id, c]) => {
      const r = byId.get(id);
      return r?.state !== 'SUCCESS' || r.attempt !== c.attempt || JSON.stringify(r.output) !== JSON.stringify(c.out);
    })
    .map(([id, c]) => ({ id, acked: c, kept: byId.get(id) }));
  assert.deepEqual(changed, [], 'every acknowledged close is kept as acknowledged (state, attempt, output)');
  const undone = [...acked.assigned].filter(([id, attempt]) => (byId.get(id)?.attempt ?? 0) < attempt);
  assert.deepEqual(undone, [], 'no acknowledged assignment is undone (attempts only grow)');
  const unfinished = rows.filter((r) => r.state !== 'SUCCESS' || r.output[0] !== r.attempt);
  assert.deepEqual(unfinished, [], 'every process ends SUCCESS with its final attempt’s output');
});
