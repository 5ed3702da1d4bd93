/**
 * One caller's bad item never fails another's request. Concurrent submits and closes are coalesced
 * into one statement (services/batcher.ts): a poisoned one is refused by validation before it joins a
 * batch, and one that reaches the store anyway (here injected below validation, through the service)
 * fails alone while the batch's other items are written.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { expectError, signedAgent } from '../helpers/signed-agent.ts';
import { FunctionSpec } from '../../protocol/schemas.ts';
import { sqlState, type Db } from '../../server/store/db.ts';

let f: Fixture;
before(async () => {
  f = await startFixture();
});
after(() => f.close());

/** Counts the rows of each process INSERT the server runs, failed ones included. */
function watchInserts(db: Db): { rows: number[]; stop(): void } {
  const rows: number[] = [];
  const query = db.query.bind(db);
  db.query = (sql: string, params?: readonly unknown[]) => {
    if (sql.includes('INSERT INTO processes')) rows.push((JSON.parse(params![0] as string) as unknown[]).length);
    return query(sql, params);
  };
  return { rows, stop: () => void (db.query = query) };
}

test("poisoned submits of one colony, coalesced with another colony's, fail only themselves", async () => {
  const a = signedAgent(f.url, f.a.user.prvkey);
  const b = signedAgent(f.url, f.b.user.prvkey);
  // Interleaved, so that the poisoned submits arrive among the valid ones and share their flushes.
  const sent = Array.from({ length: 210 }, (_, i) =>
    i % 21 === 10
      ? a
          .post('/colonies/colony-a/processes', { funcname: 'bad', executortype: 'a-type', args: [i % 2 ? 'nul\u0000' : 'lone\ud800'] })
          .then((r) => ({ bad: true, r }))
      : b.post('/colonies/colony-b/processes', { funcname: 'ok', executortype: 'b-type', args: [i] }).then((r) => ({ bad: false, r })),
  );
  const replies = await Promise.all(sent);
  const good = replies.filter((x) => !x.bad).map((x) => x.r);
  const bad = replies.filter((x) => x.bad).map((x) => x.r);
  console.log(`valid submits refused: ${good.filter((r) => r.status !== 201).length} of ${good.length}`);
  assert.deepEqual(
    good.filter((r) => r.status !== 201).map((r) => `${r.status} ${r.text}`),
    [],
    'every valid submit of colony B was written',
  );
  for (const r of bad)
    assert.match(String((expectError(r, 400, 'VALIDATION_FAILED') as { issues: { path: string }[] }).issues[0]!.path), /^body\.args\.0$/);
  assert.equal((await f.b.userClient.listProcesses({ count: 1000 })).length, 200);
});

test('a row the store refuses inside a coalesced INSERT fails alone: the batch is split and the others are written', async () => {
  const spec = (label: string) => ({ ...FunctionSpec.parse({ funcname: 'split', executortype: 'split-type' }), label });
  const watch = watchInserts(f.server.db);
  const submits = [
    ...Array.from({ length: 20 }, (_, i) => spec(`ok-${i}`)),
    spec('nul\u0000'),
    ...Array.from({ length: 20 }, (_, i) => spec(`ok2-${i}`)),
  ].map((s) =>
    f.server.services.processes.submit(f.a.colonyname, s, f.a.user.id).then(
      (p) => ({ ok: true as const, p }),
      (err: unknown) => ({ ok: false as const, err }),
    ),
  );
  const results = await Promise.all(submits);
  watch.stop();
  console.log(`INSERT statements (rows each): ${JSON.stringify(watch.rows)}; valid submits failed: ${results.filter((r) => !r.ok).length - 1} of 40`);
  assert.ok(watch.rows[0]! > 1, `the submits were coalesced (first INSERT: ${watch.rows[0]} rows)`);
  assert.equal(results.filter((r) => r.ok).length, 40, 'every valid submit was written');
  const failed = results.filter((r) => !r.ok);
  assert.equal(failed.length, 1);
  assert.match(sqlState(failed[0]!.err) ?? '', /^22/, 'the poisoned one failed with its own data error');
  const written = await f.a.userClient.listProcesses({ executortype: 'split-type', count: 1000 });
  assert.equal(written.length, 40);
  assert.ok(written.every((p) => p.spec.label.startsWith('ok')));
});

test('a close the store refuses, coalesced with other closes, fails alone', async () => {
  const exec = await f.addExecutor('close-type');
  for (let i = 0; i < 3; i++) await f.a.userClient.submit({ funcname: 'c', executortype: 'close-type' });
  const running = await exec.client.assign({ timeout: 0, count: 3 });
  assert.equal(running.length, 3);
  const outs = [['fine'], ['nul\u0000'], ['fine too']];
  const results = await Promise.all(
    running.map((p, i) =>
      f.server.services.processes.close(f.a.colonyname, exec.key.id, { processid: p.processid, attempt: p.attempt, out: outs[i]! }).then(
        () => 'closed',
        (err: unknown) => sqlState(err) ?? String(err),
      ),
    ),
  );
  assert.equal(results[0], 'closed');
  assert.match(results[1]!, /^22/);
  assert.equal(results[2], 'closed');
  const states = await Promise.all(running.map(async (p) => (await f.a.userClient.getProcess(p.processid)).state));
  assert.deepEqual(states, ['SUCCESS', 'RUNNING', 'SUCCESS']);
});
