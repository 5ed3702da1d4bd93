/**
 * Replica presence on the bus: a replica alone sends nothing on the channel; one that hears another
 * sends ready work and events to it; one that has heard nobody for a while is alone again. The
 * channel here delivers every payload to every bus, sender included, as NOTIFY does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBus, DEGRADED_POLL_MS, HELLO_INTERVAL_MS, type RemoteBus } from '../../server/services/bus.ts';
import { silentLogger } from '../../server/log.ts';
import type { ColonyEvent } from '../../protocol/events.ts';

function channel() {
  const members: RemoteBus[] = [];
  const sent: { from: string; payload: string }[] = [];
  let time = 0;
  return {
    sent,
    advance: (ms: number) => (time += ms),
    join(replica: string): RemoteBus {
      const bus = createBus(
        silentLogger,
        {
          replica,
          send: async (payload) => {
            sent.push({ from: replica, payload });
            setImmediate(() => members.forEach((m) => m.receive(payload)));
          },
        },
        () => time,
      );
      members.push(bus);
      return bus;
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 20));
const event = (processid: string): ColonyEvent => ({
  type: 'process',
  colonyname: 'c',
  processid,
  processgraphid: null,
  nodename: 'n',
  funcname: 'f',
  executortype: 't',
  state: 'WAITING',
  retries: 0,
  assignedexecutorid: null,
  time: new Date(0).toISOString(),
});
const dataSent = (sent: { from: string; payload: string }[], from: string) =>
  sent.filter((s) => s.from === from && !(JSON.parse(s.payload) as { h?: number }).h);

test('a replica alone delivers locally and sends nothing but its hello', async () => {
  const ch = channel();
  const a = ch.join('a');
  a.start();
  const got: ColonyEvent[] = [];
  a.onEvents((e) => got.push(...e));
  a.emit([event('p1')]);
  a.ready([{ colonyname: 'c', executortype: 't', n: 1 }]);
  await settle();
  assert.equal(a.hasPeers(), false);
  assert.deepEqual(
    got.map((e) => e.type === 'process' && e.processid),
    ['p1'],
  );
  assert.deepEqual(dataSent(ch.sent, 'a'), [], 'no NOTIFY of work or events while alone');
  assert.equal(ch.sent.length, 1, 'only the hello');
  a.stop();
});

test('replicas learn of each other from a hello and its answer, then share work and events', async () => {
  const ch = channel();
  const a = ch.join('a');
  const b = ch.join('b');
  a.start();
  await settle();
  b.start(); // the newcomer: a answers its hello at once
  await settle();
  assert.equal(a.hasPeers(), true);
  assert.equal(b.hasPeers(), true);
  const onB: ColonyEvent[] = [];
  let readyOnB = 0;
  b.onEvents((e) => onB.push(...e));
  b.onReady((w) => (readyOnB += w.reduce((s, x) => s + x.n, 0)));
  a.emit([event('p2')]);
  a.ready([{ colonyname: 'c', executortype: 't', n: 3 }]);
  await settle();
  assert.deepEqual(
    onB.map((e) => e.type === 'process' && e.processid),
    ['p2'],
  );
  assert.equal(readyOnB, 3);
  // A replica does not deliver its own notifications twice.
  const onA: ColonyEvent[] = [];
  a.onEvents((e) => onA.push(...e));
  a.emit([event('p3')]);
  await settle();
  assert.equal(onA.length, 1);
  a.stop();
  b.stop();
});

test('a replica not heard from for three hello intervals is forgotten', async () => {
  const ch = channel();
  const a = ch.join('a');
  const b = ch.join('b');
  a.start();
  b.start();
  await settle();
  assert.equal(a.hasPeers(), true);
  b.stop();
  ch.advance(3 * HELLO_INTERVAL_MS + 1);
  assert.equal(a.hasPeers(), false);
  const before = dataSent(ch.sent, 'a').length;
  a.emit([event('p4')]);
  await settle();
  assert.equal(dataSent(ch.sent, 'a').length, before, 'alone again: nothing sent');
  a.stop();
});

test('while its channel is down a replica acts accompanied and polls; back, it asks everyone to answer', async () => {
  const ch = channel();
  const a = ch.join('a');
  a.start();
  await settle();
  assert.equal(a.mayHavePeers(), false, 'alone: nonces in memory');
  let missed = 0;
  a.onMissed(() => missed++);
  a.channel(false);
  assert.equal(a.channelState(), 'reconnecting');
  assert.equal(a.mayHavePeers(), true, 'it cannot hear a replica that may be there');
  await new Promise((r) => setTimeout(r, DEGRADED_POLL_MS * 2 + 50));
  assert.ok(missed >= 2, `waiting long-polls are woken by a short poll (${missed})`);
  a.emit([event('p5')]);
  await settle();
  assert.equal(dataSent(ch.sent, 'a').length, 1, 'its work and events still go out: the others may hear them');

  const b = ch.join('b');
  b.start();
  await settle(); // b knows a now
  const sentBefore = ch.sent.length;
  const polled = missed;
  a.channel(true);
  await settle();
  assert.equal(a.channelState(), 'listening');
  assert.equal(missed, polled + 1, 'once more on the way back, for what was missed meanwhile');
  const after = ch.sent.slice(sentBefore).map((s) => ({ from: s.from, h: (JSON.parse(s.payload) as { h?: number }).h }));
  assert.deepEqual(
    after,
    [
      { from: 'a', h: 3 },
      { from: 'b', h: 2 },
    ],
    'its hello of return is answered even by a replica that knew it',
  );
  assert.equal(a.mayHavePeers(), true, 'accompanied for a hello interval after it is back');
  await new Promise((r) => setTimeout(r, DEGRADED_POLL_MS + 50));
  assert.equal(missed, polled + 1, 'no more polling');
  b.stop();
  ch.advance(3 * HELLO_INTERVAL_MS + 1);
  assert.equal(a.mayHavePeers(), false);
  a.stop();
});

test('a revocation reaches every replica, even one that has heard no other', async () => {
  const ch = channel();
  const a = ch.join('a');
  const b = ch.join('b'); // neither has started: they do not know of each other
  const heard: string[] = [];
  b.onRevoked((r) => heard.push(`${r.colonyname}:${(r.ids ?? ['*']).join(',')}`));
  a.revoke({ colonyname: 'c', ids: ['id-1'] });
  a.revoke({ colonyname: 'd' });
  await settle();
  assert.deepEqual(heard, ['c:id-1', 'd:*']);
});
