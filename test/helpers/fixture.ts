/**
 * A running server on 127.0.0.1:0 over a per-file test database, with two colonies (A and B), each
 * with an owner, a user and an approved executor, and SDK clients for every identity.
 */
import { createColoniesServer, type ColoniesServer } from '../../server/main.ts';
import { loadServerConfig, type ServerConfig } from '../../server/config.ts';
import { createLogger, silentLogger } from '../../server/log.ts';
import type { Clock } from '../../server/clock.ts';
import { ColoniesClient } from '../../executor/client.ts';
import { generateKeyPair, type KeyPair } from '../../protocol/crypto.ts';
import { openTestDb, type TestDb } from './db.ts';
import { createPgDb } from '../../server/store/pg-db.ts';

export interface ColonyFixture {
  colonyname: string;
  owner: KeyPair;
  user: KeyPair;
  executor: KeyPair;
  executortype: string;
  executorname: string;
  ownerClient: ColoniesClient;
  userClient: ColoniesClient;
  executorClient: ColoniesClient;
}

export interface Fixture {
  server: ColoniesServer;
  url: string;
  testDb: TestDb;
  serverKey: KeyPair;
  serverClient: ColoniesClient;
  a: ColonyFixture;
  b: ColonyFixture;
  /** A fresh approved executor of the given type in colony A. */
  addExecutor(type: string, colony?: ColonyFixture): Promise<{ key: KeyPair; name: string; client: ColoniesClient }>;
  /** Stops the server (gracefully) and, after `down()` resolves, starts a new one on the same port and database: a restart as clients see it. */
  restart(down?: () => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

let counter = 0;

export interface FixtureOptions {
  clock?: Clock;
  /** Clock for signature freshness (defaults to `clock`); pass systemClock when `clock` is a ManualClock far from now. */
  authClock?: Clock;
  loops?: boolean;
  testDb?: TestDb;
  /** Overrides of the server config (e.g. a short deadlineIntervalMs with loops: true). */
  config?: Partial<ServerConfig>;
}

export async function startFixture(opts: FixtureOptions = {}): Promise<Fixture> {
  const testDb = opts.testDb ?? (await openTestDb());
  const serverKey = generateKeyPair();
  const config = { ...loadServerConfig({}), host: '127.0.0.1', port: 0, serverId: serverKey.id, logLevel: 'silent' as const, ...opts.config };
  const log = process.env.COLONIES_TEST_LOG ? createLogger('debug') : silentLogger;
  const serve = (port: number) =>
    createColoniesServer(
      { ...config, port },
      {
        db: testDb.db,
        log,
        loops: opts.loops ?? false,
        ...(opts.clock ? { clock: opts.clock } : {}),
        ...(opts.authClock ? { authClock: opts.authClock } : {}),
      },
    );
  let server = await serve(config.port);
  const url = await server.listen();
  const serverClient = new ColoniesClient({ url, prvkey: serverKey.prvkey });

  async function addExecutor(type: string, colony: ColonyFixture) {
    const key = generateKeyPair();
    const name = `${type}-${++counter}`;
    await colony.ownerClient.addExecutor({ executorname: name, executorid: key.id, executortype: type });
    await colony.ownerClient.approveExecutor(name);
    return { key, name, client: new ColoniesClient({ url, prvkey: key.prvkey, colonyname: colony.colonyname }) };
  }

  async function colony(colonyname: string): Promise<ColonyFixture> {
    const owner = generateKeyPair();
    const user = generateKeyPair();
    await serverClient.addColony(colonyname, owner.id);
    const ownerClient = new ColoniesClient({ url, prvkey: owner.prvkey, colonyname });
    await ownerClient.addUser('alice', user.id);
    const c: ColonyFixture = {
      colonyname,
      owner,
      user,
      ownerClient,
      userClient: new ColoniesClient({ url, prvkey: user.prvkey, colonyname }),
      executortype: 'test-executor',
      executorname: '',
      executor: owner,
      executorClient: ownerClient,
    };
    const e = await addExecutor('test-executor', c);
    c.executor = e.key;
    c.executorname = e.name;
    c.executorClient = e.client;
    return c;
  }

  const a = await colony('colony-a');
  const b = await colony('colony-b');
  return {
    get server() {
      return server;
    },
    url,
    testDb,
    serverKey,
    serverClient,
    a,
    b,
    addExecutor: (type, c = a) => addExecutor(type, c),
    async restart(down = async () => {}) {
      await server.close();
      await down();
      server = await serve(Number(new URL(url).port));
      await server.listen();
    },
    async close() {
      await server.close();
      if (!opts.testDb) await testDb.drop();
    },
  };
}

/**
 * A second server replica on the fixture's PostgreSQL database (multi-replica tests; PostgreSQL
 * only). Listening on 127.0.0.1:0; close() stops it and its own connection pool.
 */
export async function startReplica(
  f: Fixture,
  opts: { clock?: Clock } = {},
): Promise<{ server: ColoniesServer; url: string; close: () => Promise<void> }> {
  if (!f.testDb.url) throw new Error('startReplica needs the PostgreSQL engine');
  const server = await createColoniesServer(
    { ...loadServerConfig({}), host: '127.0.0.1', port: 0, logLevel: 'silent' },
    { db: createPgDb({ connectionString: f.testDb.url, max: 4 }), log: silentLogger, loops: false, ...(opts.clock ? { clock: opts.clock } : {}) },
  );
  const url = await server.listen();
  // Each replica knows of the other within a round trip of the newcomer's hello (server/services/bus.ts).
  for (const until = Date.now() + 5000; !(server.hasPeers() && f.server.hasPeers());) {
    if (Date.now() > until) throw new Error('the replicas did not hear each other within 5 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  return {
    server,
    url,
    close: async () => {
      await server.close();
      await server.db.close();
    },
  };
}

/** API requests the server has answered so far (the sum of its request counter at GET /metrics). */
export async function requestsServed(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return [...text.matchAll(/^colonies_http_requests_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
}
