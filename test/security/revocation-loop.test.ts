/**
 * The revocation loop on its own, with stand-ins for the authorizer and the holders: who is checked,
 * what is held back meanwhile, and the once-a-second check while the notification channel is down.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBus } from '../../server/services/bus.ts';
import { startRevocation, type Holder } from '../../server/auth/revocation.ts';
import { AppError } from '../../server/errors.ts';
import { silentLogger } from '../../server/log.ts';
import type { Authorizer } from '../../server/auth/authorize.ts';
import type { Membership } from '../../server/services/colonies.ts';

function recordingHolder(open: Record<string, string[]>) {
  const log: string[] = [];
  const holder: Holder = {
    role: 'member',
    colonies: () => Object.keys(open),
    holders: (c) => open[c] ?? [],
    hold: (c, id) => void log.push(`hold ${c}/${id}`),
    release: (c, id) => void log.push(`release ${c}/${id}`),
    end: (c, id, err) => void log.push(`end ${c}/${id} ${err.code}`),
  };
  return { holder, log };
}

function authorizer(members: Set<string>, asked: string[]): Authorizer {
  return {
    serverOwner: () => {},
    colony: (colonyname, id) => {
      asked.push(`${colonyname}/${id}`);
      if (!members.has(`${colonyname}/${id}`))
        return Promise.reject(new AppError('NOT_A_MEMBER', `caller is not a member of colony "${colonyname}"`));
      return Promise.resolve({ colonyname, id, isOwner: false, username: 'u', executor: null } satisfies Membership);
    },
  };
}

const settle = () => new Promise((r) => setTimeout(r, 20));

test('named identities are held, checked, then released or ended; a colony-wide revocation checks every holder there', async () => {
  const bus = createBus(silentLogger);
  const { holder, log } = recordingHolder({ c: ['stays', 'goes'], d: ['other'] });
  const asked: string[] = [];
  let forgotten = 0;
  const r = startRevocation({
    bus,
    authorize: authorizer(new Set(['c/stays', 'd/other']), asked),
    forgetMemberships: () => void forgotten++,
    holders: [holder],
    log: silentLogger,
    monotonic: () => performance.now(),
  });
  try {
    bus.revoke({ colonyname: 'c', ids: ['goes'] });
    assert.deepEqual(log, ['hold c/goes'], 'held at once, before the check answers');
    await settle();
    assert.deepEqual(log, ['hold c/goes', 'end c/goes NOT_A_MEMBER']);
    assert.equal(forgotten, 1, 'cached memberships are forgotten before the check');
    log.length = 0;
    bus.revoke({ colonyname: 'c' });
    await settle();
    assert.deepEqual(log.sort(), ['end c/goes NOT_A_MEMBER', 'hold c/goes', 'hold c/stays', 'release c/stays']);
    assert.ok(!asked.includes('d/other'), 'another colony is not checked');
  } finally {
    r.stop();
  }
});

test('while the channel is down every holder is checked, at most once a second', async () => {
  const bus = createBus(silentLogger, { replica: 'r', send: () => Promise.resolve() });
  const { holder, log } = recordingHolder({ c: ['stays', 'gone-elsewhere'] });
  const asked: string[] = [];
  let now = 0;
  const r = startRevocation({
    bus,
    authorize: authorizer(new Set(['c/stays']), asked),
    forgetMemberships: () => {},
    holders: [holder],
    log: silentLogger,
    monotonic: () => now,
  });
  try {
    now = 5000;
    bus.channel(false); // polls every DEGRADED_POLL_MS from now on
    await new Promise((res) => setTimeout(res, 700));
    assert.deepEqual(asked.sort(), ['c/gone-elsewhere', 'c/stays'], 'checked once, not at every poll');
    assert.deepEqual(log, ['end c/gone-elsewhere NOT_A_MEMBER'], 'nothing held back: nothing was named');
    now = 6500;
    await new Promise((res) => setTimeout(res, 400));
    assert.equal(asked.length, 4, 'checked again once a second had passed');
  } finally {
    bus.channel(true);
    bus.stop();
    r.stop();
  }
});
