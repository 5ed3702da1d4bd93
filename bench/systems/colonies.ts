/**
 * Colonies under test: a server child on loopback over a fresh PostgreSQL database (or an embedded
 * PGlite directory), a colony with a user who submits, and executor identities for the workers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ColoniesClient } from '../../executor/client.ts';
import { generateKeyPair } from '../../protocol/crypto.ts';
import { Child } from '../children.ts';
import { onCleanup } from '../cleanup.ts';
import type { PgAdmin } from '../pg-admin.ts';
import type { Target } from '../target.ts';

export const EXECUTOR_TYPE = 'bench';
const COLONY = 'bench';

export interface ColoniesSystem {
  store: 'PostgreSQL' | 'PGlite';
  url: string;
  server: Child;
  db?: { name: string; url: string };
  user: ColoniesClient;
  /** The colony's owner: removing every process at once is theirs alone. */
  owner: ColoniesClient;
  /** Registers and approves a new executor; returns its private key. */
  newExecutor(): Promise<string>;
  close(): Promise<void>;
}

export async function startColonies(store: 'PostgreSQL' | 'PGlite', admin: PgAdmin, opts: { profileFile?: string } = {}): Promise<ColoniesSystem> {
  const cleanups: (() => Promise<void>)[] = [];
  let db: { name: string; url: string } | undefined;
  let dataDir = '';
  if (store === 'PostgreSQL') {
    const created = await admin.createDatabase('colonies');
    db = created;
    cleanups.push(onCleanup(`drop ${created.name}`, () => admin.dropDatabase(created.name)));
  } else {
    dataDir = await mkdtemp(join(tmpdir(), 'colonies-bench-'));
    cleanups.push(onCleanup(`rm ${dataDir}`, () => rm(dataDir, { recursive: true, force: true })));
  }
  const serverKey = generateKeyPair();
  const { child: server, ready } = await Child.spawn<{ url: string }>(
    `server (${store})`,
    './server.ts',
    {},
    {
      env: {
        COLONIES_DATABASE_URL: db?.url ?? '',
        COLONIES_DATA_DIR: dataDir,
        COLONIES_SERVER_HOST: '127.0.0.1',
        COLONIES_SERVER_PORT: '0',
        COLONIES_SERVER_PRVKEY: '',
        COLONIES_SERVER_ID: serverKey.id,
        COLONIES_LOG_LEVEL: 'warn',
      },
      ...(opts.profileFile ? { execArgv: ['--cpu-prof', `--cpu-prof-name=${opts.profileFile}`] } : {}),
    },
  );
  cleanups.push(onCleanup(`stop server (${store})`, () => server.kill(15_000)));
  const url = ready.url;

  const owner = generateKeyPair();
  const userKey = generateKeyPair();
  await new ColoniesClient({ url, prvkey: serverKey.prvkey }).addColony(COLONY, owner.id);
  const ownerClient = new ColoniesClient({ url, prvkey: owner.prvkey, colonyname: COLONY });
  await ownerClient.addUser('bench-user', userKey.id);
  let executors = 0;

  return {
    store,
    url,
    server,
    ...(db ? { db } : {}),
    user: new ColoniesClient({ url, prvkey: userKey.prvkey, colonyname: COLONY }),
    owner: ownerClient,
    async newExecutor() {
      const k = generateKeyPair();
      const executorname = `bench-${++executors}`;
      await ownerClient.addExecutor({ executorname, executorid: k.id, executortype: EXECUTOR_TYPE });
      await ownerClient.approveExecutor(executorname);
      return k.prvkey;
    },
    async close() {
      // Server first (it holds connections to the database), then the database or directory.
      for (const c of cleanups.reverse()) await c();
    },
  };
}

export interface ColoniesModeOptions {
  children: number;
  /** single: Executor slots per child; batch: long-poll loops per child. */
  slots: number;
  /** Processes per assign in batch mode. */
  batch: number;
}

export async function coloniesTarget(sys: ColoniesSystem, mode: 'single' | 'batch', o: ColoniesModeOptions): Promise<Target> {
  const keys: string[] = [];
  for (let i = 0; i < o.children; i++) keys.push(await sys.newExecutor());
  const user = sys.user;
  return {
    id: `colonies-${sys.store.toLowerCase()}-${mode}`,
    system: 'Colonies',
    role: 'ours',
    variant: mode === 'single' ? 'default' : 'batched',
    store: sys.store,
    settings:
      mode === 'single'
        ? `SDK Executor, ${o.children} processes × ${o.slots} slots (one long-poll for the free slots; results go in with the next assign), signed HTTP`
        : `${o.children} processes × ${o.slots} long-poll loops, assign up to ${o.batch}, results in with the next assign, signed HTTP`,
    workers: keys.map((prvkey) => ({
      kind: 'colonies',
      mode,
      url: sys.url,
      colonyname: user.colonyname!,
      executortype: EXECUTOR_TYPE,
      prvkey,
      slots: o.slots,
      batch: o.batch,
    })),
    ...(sys.db ? { db: sys.db } : {}),
    server: sys.server,
    async submitBulk(n) {
      // All at once, so that the SDK merges them into large batch requests, as the peers insert in bulk.
      await Promise.all(Array.from({ length: n }, () => user.submit({ funcname: 'noop', executortype: EXECUTOR_TYPE })));
    },
    async submitOne(t) {
      await user.submit({ funcname: 'noop', executortype: EXECUTOR_TYPE, args: [t] });
    },
    async purge() {
      await sys.owner.removeAllProcesses('WAITING');
    },
  };
}
