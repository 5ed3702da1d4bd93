import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture } from '../helpers/fixture.ts';
import { ManualClock, systemClock } from '../../server/clock.ts';
import { purgeFinished } from '../../server/loops/maintenance.ts';
import type { ColoniesError } from '../../executor/transport.ts';

test('retention removes finished work older than the cut-off, with its logs, and nothing else', async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const f = await startFixture({ clock, authClock: systemClock });
  try {
    const user = f.a.userClient;
    const exec = f.a.executorClient;
    // An old finished process (with a log line), an old finished graph, and work that must stay.
    const old = await user.submit({ funcname: 'old', executortype: 'test-executor' });
    let [p] = await exec.assign({ timeout: 1 });
    await exec.addLog(p!.processid, 'a line');
    await exec.close(p!.processid, p!.attempt, []);
    const oldGraph = await user.submitWorkflow([{ funcname: 'g', executortype: 'test-executor' }]);
    [p] = await exec.assign({ timeout: 1 });
    await exec.close(p!.processid, p!.attempt, []);
    const waiting = await user.submit({ funcname: 'waiting', executortype: 'other' });

    clock.advance(3600_000);
    const recent = await user.submit({ funcname: 'recent', executortype: 'test-executor' });
    [p] = await exec.assign({ timeout: 1 });
    await exec.close(p!.processid, p!.attempt, []);

    clock.advance(1000);
    const removed = await purgeFinished(f.server.db, clock, 1800);
    assert.deepEqual(removed, { graphs: 1, processes: 1 });
    await assert.rejects(user.getProcess(old.processid), (e: ColoniesError) => e.code === 'PROCESS_NOT_FOUND');
    await assert.rejects(user.getProcessGraph(oldGraph.processgraphid), (e: ColoniesError) => e.code === 'PROCESSGRAPH_NOT_FOUND');
    assert.equal((await user.getProcess(waiting.processid)).state, 'WAITING', 'unfinished work is never removed');
    assert.equal((await user.getProcess(recent.processid)).state, 'SUCCESS', 'recent work is kept');
    const logs = await f.server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM logs WHERE processid = $1', [old.processid]);
    assert.equal(logs[0]!.n, 0, 'logs go with their process');
    assert.deepEqual(await purgeFinished(f.server.db, clock, 1800), { graphs: 0, processes: 0 });
  } finally {
    await f.close();
  }
});
