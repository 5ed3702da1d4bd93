import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { startFixture } from '../helpers/fixture.ts';

test('GET /metrics counts requests and state transitions without naming colonies', async () => {
  const f = await startFixture();
  try {
    const p = await f.a.userClient.submit({ funcname: 'f', executortype: 'test-executor' });
    const [got] = await f.a.executorClient.assign({ timeout: 1 });
    assert.equal(got!.processid, p.processid);
    await f.a.executorClient.close(p.processid, got!.attempt, []);
    const res = await request(f.url).get('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /text\/plain/);
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\d+)$`, 'm').exec(res.text)?.[1]);
    assert.equal(value('colonies_state_transitions_total{kind="process",state="WAITING"}'), 1);
    assert.equal(value('colonies_state_transitions_total{kind="process",state="RUNNING"}'), 1);
    assert.equal(value('colonies_state_transitions_total{kind="process",state="SUCCESS"}'), 1);
    assert.ok(value('colonies_http_requests_total{method="POST",status="201"}') >= 1);
    assert.equal(value('colonies_assign_waiters'), 0);
    assert.ok(!res.text.includes('colony-a'), 'no colony names');
  } finally {
    await f.close();
  }
});
