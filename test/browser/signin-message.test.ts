/**
 * The sign-in page's sentence for a refused key (dashboard/src/api.ts signInMessage), from the
 * dashboard's own Api against a real server, no browser: a registered executor's key that is not
 * approved yet is said to be pending approval, with the command that approves it; a stranger's key
 * is not a member.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { Api, ApiError, signInMessage } from '../../dashboard/src/api.ts';
import { createSigner } from '../../dashboard/src/crypto.ts';
import { generateKeyPair } from '../../protocol/crypto.ts';

let f: Fixture;

before(async () => {
  f = await startFixture();
});
after(() => f.close());

/** What the sign-in page would say for this key, or undefined when it signs in. */
async function signIn(prvkey: string, colonyname = f.a.colonyname): Promise<string | undefined> {
  try {
    await new Api(createSigner(prvkey), colonyname, f.url).colony();
    return undefined;
  } catch (err) {
    return signInMessage(err, colonyname);
  }
}

test("a pending executor's key: pending approval, and how the owner approves it; approved, it signs in", async () => {
  const key = generateKeyPair();
  await f.a.ownerClient.addExecutor({ executorname: 'worker-7', executorid: key.id, executortype: 'gpu' });
  assert.equal(
    await signIn(key.prvkey),
    'This is the key of executor "worker-7", registered in colony "colony-a" but pending approval. ' +
      'The colony owner approves it with "colonies executor approve --name worker-7"; then sign in again (or with a user\'s key).',
  );
  await f.a.ownerClient.rejectExecutor('worker-7');
  assert.match((await signIn(key.prvkey)) ?? '', /^This is the key of executor "worker-7", registered in colony "colony-a" but REJECTED\. /);
  await f.a.ownerClient.approveExecutor('worker-7');
  assert.equal(await signIn(key.prvkey), undefined);
});

test("a stranger's key, another colony's, and a colony that does not exist", async () => {
  const notMember = 'This key is not a member of colony "colony-a". Check the key (a user\'s or the colony owner\'s) and the colony name.';
  assert.equal(await signIn(generateKeyPair().prvkey), notMember);
  assert.equal(await signIn(f.b.user.prvkey), notMember);
  assert.equal(await signIn(f.a.user.prvkey, 'nowhere'), 'There is no colony "nowhere" on this server.');
});

test('an EXECUTOR_NOT_APPROVED without details keeps the server’s message', () => {
  assert.equal(signInMessage(new ApiError('EXECUTOR_NOT_APPROVED', 'not approved', 403), 'c'), 'not approved');
});
