/**
 * PostgreSQL stopped with `-m immediate` and started again under two replicas with a steady load of
 * signed submits, on a throwaway cluster of this test's own: meanwhile requests are answered 503 with
 * Retry-After (never 500, no replica ends), every submit answered 2xx is kept, service resumes by
 * itself, and the replicas hear each other again (replay refused across them, wake-ups cross them).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { postgresBinDir, startPgCluster, type PgCluster } from '../helpers/pg-cluster.ts';
import { startFixture, startReplica, type Fixture } from '../helpers/fixture.ts';
import { errorCode, expectError, signedAgent } from '../helpers/signed-agent.ts';
import { createPgDb } from '../../server/store/pg-db.ts';
import { migrate } from '../../server/store/migrate.ts';
import { HELLO_INTERVAL_MS } from '../../server/services/bus.ts';
import { ColoniesClient } from '../../executor/client.ts';
import { randomNonce } from '../../protocol/crypto.ts';
import type { TestDb } from '../helpers/db.ts';

const skip =
  process.env.COLONIES_TEST_ENGINE !== 'postgres'
    ? 'PostgreSQL engine only'
    : postgresBinDir() === undefined
      ? 'no PostgreSQL binaries to start a cluster of its own'
      : false;

// A replica forgets another not heard from for three hello intervals (server/services/bus.ts).
const PEER_TTL_MS = 3 * HELLO_INTERVAL_MS;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ms: number, ok: () => boolean | Promise<boolean>): Promise<void> {
  for (const end = Date.now() + ms; !(await ok()); await sleep(20)) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
  }
}

interface Outcome {
  replica: number;
  at: number;
  status: number;
  code?: string | undefined;
  retryAfter?: string | undefined;
  processid?: string | undefined;
}

let cluster: PgCluster | undefined;
let testDb: TestDb | undefined;
let f: Fixture | undefined;
let b: Awaited<ReturnType<typeof startReplica>> | undefined;

before(async () => {
  if (skip) return;
  cluster = await startPgCluster();
  const db = createPgDb({ connectionString: cluster.url, max: 8 });
  await migrate(db);
  testDb = { db, engine: 'postgres', url: cluster.url, drop: () => db.close() };
  // Replica A runs the loops (deadlines, crons, maintenance), which must live through the outage.
  f = await startFixture({ testDb, loops: true, config: { deadlineIntervalMs: 200 } });
  b = await startReplica(f);
});

after(async () => {
  // Whatever failed, the cluster is stopped and its folder removed.
  await b?.close().catch(() => {});
  await f?.close().catch(() => {});
  await testDb?.drop().catch(() => {});
  await cluster?.destroy();
});

/** Signed submits, one after the other, until stopped; each answer recorded. */
async function load(url: string, replica: number, prvkey: string, stop: AbortSignal, out: Outcome[]): Promise<void> {
  const agent = signedAgent(url, prvkey);
  while (!stop.aborted) {
    const at = Date.now();
    try {
      const res = await agent.post('/colonies/colony-a/processes', { funcname: 'noop', executortype: 'fault-load' }).timeout(10_000);
      out.push({
        replica,
        at,
        status: res.status,
        code: errorCode(res),
        retryAfter: res.headers['retry-after'],
        processid: (res.body as { processid?: string }).processid,
      });
    } catch {
      out.push({ replica, at, status: 0 }); // the replica did not answer at all
    }
    await sleep(10);
  }
}

async function health(url: string): Promise<{ status: number; body: { status: string; database: string; channel: string } }> {
  const res = await fetch(`${url}/health`);
  return { status: res.status, body: (await res.json()) as { status: string; database: string; channel: string } };
}

test('a PostgreSQL restart under two replicas: 503 meanwhile, nothing lost, service and replica links resume', { skip }, async () => {
  const fx = f!;
  const urls = [fx.url, b!.url];
  const outcomes: Outcome[] = [];
  const stopLoad = new AbortController();
  const loads = urls.map((u, i) => load(u, i, fx.a.user.prvkey, stopLoad.signal, outcomes));
  await sleep(300);

  const down = Date.now();
  await cluster!.stop('immediate');
  await until('both replicas answer 503 while the database is down', 5000, () =>
    [0, 1].every((r) => outcomes.some((o) => o.replica === r && o.at > down && o.status === 503)),
  );
  const during = await Promise.all(urls.map(health));
  for (const h of during) {
    assert.equal(h.status, 503, 'every replica still answers /health, with 503');
    assert.equal(h.body.database, 'down');
  }

  await cluster!.start();
  const up = Date.now();
  await until('submits succeed again on both replicas', 10_000, () =>
    [0, 1].every((r) => outcomes.some((o) => o.replica === r && o.at >= up && o.status === 201)),
  );
  const resumedMs = [0, 1].map((r) => Math.min(...outcomes.filter((o) => o.replica === r && o.at >= up && o.status === 201).map((o) => o.at)) - up);
  await sleep(200);
  stopLoad.abort();
  await Promise.all(loads);

  const count = (s: number) => outcomes.filter((o) => o.status === s).length;
  console.error(
    `[pg-restart] submits: ${outcomes.length}, 201: ${count(201)}, 503: ${count(503)}, 500: ${count(500)}, no answer: ${count(0)}; ` +
      `resumed after the restart in ${resumedMs.join(' / ')} ms (replica A / B)`,
  );
  const unexpected = outcomes.filter((o) => o.status !== 201 && o.status !== 503);
  assert.deepEqual(unexpected, [], 'only 201 or 503, never a 500 or a dropped connection');
  for (const o of outcomes.filter((x) => x.status === 503)) {
    assert.equal(o.code, 'UNAVAILABLE');
    assert.equal(o.retryAfter, '1', 'a 503 says when to retry');
  }
  for (const ms of resumedMs) assert.ok(ms < 3000, `service resumes within seconds (${ms} ms)`);

  const accepted = outcomes.filter((o) => o.status === 201).map((o) => o.processid!);
  const kept = await fx.server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM processes WHERE processid = ANY($1)', [accepted]);
  assert.equal(kept[0]!.n, accepted.length, 'every submit answered 201 is in the database');

  // The deadline loop lives on: a wait deadline set now expires.
  const expiring = await fx.a.userClient.submit({ funcname: 'late', executortype: 'nobody', maxwaittime: 1 });

  await until('both replicas listen on the notification channel again', 5000, async () =>
    (await Promise.all(urls.map(health))).every((h) => h.status === 200 && h.body.channel === 'listening' && h.body.status === 'ok'),
  );
  // Past PEER_TTL_MS since the outage began, what the replicas knew of each other before it is forgotten:
  // from here on they know each other only through hellos heard since.
  await sleep(Math.max(0, down + PEER_TTL_MS + 500 - Date.now()));
  console.error(`[pg-restart] replicas hear each other ${PEER_TTL_MS} ms after the outage: ${fx.server.hasPeers()} / ${b!.server.hasPeers()}`);
  assert.ok(fx.server.hasPeers() && b!.server.hasPeers(), 'the replicas hear each other again');

  // A signed request captured at one replica is refused at the other, both ways.
  const agents = urls.map((u) => signedAgent(u, fx.a.user.prvkey));
  for (const [first, second] of [
    [0, 1],
    [1, 0],
  ] as const) {
    const nonce = randomNonce();
    const spec = { funcname: 'noop', executortype: 'fault-load' };
    assert.equal((await agents[first]!.post('/colonies/colony-a/processes', spec, { nonce })).status, 201);
    const replayed = await agents[second]!.post('/colonies/colony-a/processes', spec, { nonce });
    console.error(`[pg-restart] replay from replica ${'AB'[first]} to ${'AB'[second]}: ${replayed.status}`);
    expectError(replayed, 401, 'REPLAYED_REQUEST');
  }

  // A long-poll on B is woken by a submit on A.
  const onB = new ColoniesClient({ url: b!.url, prvkey: fx.a.executor.prvkey, colonyname: 'colony-a' });
  const polling = onB.assign({ timeout: 10, count: 1 });
  await until('the long-poll waits on B', 5000, () => b!.server.services.processes.waitingLongPolls('colony-a', fx.a.executortype) === 1);
  const submittedAt = Date.now();
  const submitted = await fx.a.userClient.submit({ funcname: 'wake', executortype: fx.a.executortype });
  const got = await polling;
  const wokenMs = Date.now() - submittedAt;
  console.error(`[pg-restart] long-poll on B woken by a submit on A in ${wokenMs} ms`);
  assert.deepEqual(
    got.map((p) => p.processid),
    [submitted.processid],
  );
  assert.ok(wokenMs < 2000, `woken through the channel, not by its timeout (${wokenMs} ms)`);

  await until(
    'the wait deadline set after the restart expires',
    5000,
    async () => (await fx.a.userClient.getProcess(expiring.processid)).state === 'FAILED',
  );
});

test('every connection cut while the database stays up: the replicas listen again at once and serve on', { skip }, async () => {
  const fx = f!;
  const urls = [fx.url, b!.url];
  const admin = createPgDb({ connectionString: cluster!.url, max: 1 });
  try {
    const cut = Date.now();
    await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()");
    await until('both replicas listen on the notification channel again', 3000, async () =>
      (await Promise.all(urls.map(health))).every((h) => h.status === 200 && h.body.channel === 'listening'),
    );
    console.error(`[pg-restart] connections cut: both replicas listening again after ${Date.now() - cut} ms`);
    const agents = urls.map((u) => signedAgent(u, fx.a.user.prvkey));
    const nonce = randomNonce();
    const spec = { funcname: 'noop', executortype: 'fault-load' };
    assert.equal((await agents[0]!.post('/colonies/colony-a/processes', spec, { nonce })).status, 201);
    expectError(await agents[1]!.post('/colonies/colony-a/processes', spec, { nonce }), 401, 'REPLAYED_REQUEST');
  } finally {
    await admin.close();
  }
});
