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

test('GET /metrics has a request-duration histogram per route pattern, its buckets cumulative', async () => {
  const f = await startFixture();
  try {
    const p = await f.a.userClient.submit({ funcname: 'f', executortype: 'test-executor' });
    const [got] = await f.a.executorClient.assign({ timeout: 1 });
    await f.a.executorClient.close(p.processid, got!.attempt, []);
    const text = (await request(f.url).get('/metrics')).text;
    const series = (suffix: string, labels: string) =>
      [...text.matchAll(new RegExp(`^colonies_http_request_duration_seconds_${suffix}\\{${labels}\\} (\\S+)$`, 'gm'))].map((m) => Number(m[1]));
    const assign = 'method="POST",route="/colonies/:colony/processes/assign"';
    assert.deepEqual(series('count', assign), [1], 'one assign, counted under its route pattern');
    const [sum] = series('sum', assign);
    assert.ok(sum! > 0 && sum! < 5, `its duration in seconds: ${sum}`);
    const buckets = series('bucket', `le="[^"]+",${assign}`);
    assert.equal(buckets.length, 14, 'thirteen bounds and +Inf');
    assert.ok(
      buckets.every((n, i) => i === 0 || n >= buckets[i - 1]!),
      `cumulative: ${buckets.join(' ')}`,
    );
    assert.equal(buckets.at(-1), 1, '+Inf holds every request');
    assert.ok(!text.includes(p.processid) && !text.includes('colony-a'), 'no ids or colony names in the labels');
  } finally {
    await f.close();
  }
});
