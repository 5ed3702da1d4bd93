/** Composition root: config → store → services → HTTP → loops. Returns a handle to start and stop it. */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { systemClock, type Clock } from './clock.ts';
import { createLogger, type Logger } from './log.ts';
import type { ServerConfig } from './config.ts';
import type { Db } from './store/db.ts';
import { createPgDb } from './store/pg-db.ts';
import { createPgliteDb } from './store/pglite-db.ts';
import { migrate } from './store/migrate.ts';
import { WakeHub } from './services/wake.ts';
import type { ServiceDeps } from './services/context.ts';
import { createColonyService } from './services/colonies.ts';
import { createProcessService } from './services/processes.ts';
import { createGraphService } from './services/graphs.ts';
import { createCronService } from './services/crons.ts';
import { createFunctionService } from './services/functions.ts';
import { createSpecService } from './services/workflows/specs.ts';
import { createEventService } from './services/events.ts';
import { createTaskService } from './services/tasks.ts';
import { createIdService } from './services/ids.ts';
import { createAuthorizer } from './auth/authorize.ts';
import { createVerifier } from './auth/verify.ts';
import { createApp } from './http/app.ts';
import { dashboardMiddleware } from './http/dashboard.ts';
import { answerClientErrors } from './http/client-errors.ts';
import type { Services } from './http/context.ts';
import { startDeadlineLoop } from './loops/deadlines.ts';
import { startCronLoop } from './loops/crons.ts';
import { attachWsHub } from './ws/hub.ts';
import { startRevocation } from './auth/revocation.ts';
import { startNonceCleanup, startRetentionLoop, startVacuumLoop } from './loops/maintenance.ts';
import { Metrics } from './metrics.ts';
import { createSharedNonces } from './auth/shared-nonces.ts';
import { randomNonce } from '../protocol/crypto.ts';
import { createBus } from './services/bus.ts';
import { createHealthCheck } from './services/health.ts';

const BUS_CHANNEL = 'colonies_bus';
const SHUTDOWN_GRACE_MS = 10_000;

export async function openDb(config: Pick<ServerConfig, 'databaseUrl' | 'dataDir' | 'dbPoolSize'>): Promise<Db> {
  const db = config.databaseUrl ? createPgDb({ connectionString: config.databaseUrl, max: config.dbPoolSize }) : await createPgliteDb(config.dataDir);
  await migrate(db);
  return db;
}

/** Every domain's service over the same store, clock and bus. */
/** Ready work, events and revocations cross replicas on one NOTIFY channel (PostgreSQL only: PGlite is one process). */
async function openBus(db: Db, log: Logger, wake: WakeHub) {
  const replica = randomNonce();
  let unlisten: (() => Promise<void>) | undefined;
  const bus = createBus(
    log,
    db.engine === 'postgres'
      ? { replica, send: async (payload) => void (await db.query('SELECT pg_notify($1, $2)', [BUS_CHANNEL, payload])) }
      : undefined,
  );
  if (db.engine === 'postgres') {
    unlisten = await db.listen(
      BUS_CHANNEL,
      (payload) => bus.receive(payload),
      (listening) => bus.channel(listening),
    );
    bus.start();
  }
  bus.onReady((work) => {
    for (const w of work) wake.notify(WakeHub.key(w.colonyname, w.executortype), w.n);
  });
  // Ready work of other replicas may have gone unheard: every waiting long-poll claims again.
  bus.onMissed(() => wake.wakeAll());
  return { bus, unlisten };
}

export interface ColoniesServer {
  readonly services: Services;
  readonly db: Db;
  readonly app: ReturnType<typeof createApp>;
  /** Whether another replica shares the database (see Bus.hasPeers). */
  hasPeers(): boolean;
  /** Starts listening and the background loops; resolves to the base URL. */
  listen(): Promise<string>;
  /** Graceful: stop accepting, release long-polls, finish in-flight requests, stop loops, close the store. */
  close(): Promise<void>;
}

export interface ServerOptions {
  clock?: Clock;
  /** Clock for signature freshness (defaults to `clock`). */
  authClock?: Clock;
  log?: Logger;
  /** An already-open, migrated database (tests share one per file). Not closed by close(). */
  db?: Db;
  /** Run the background loops (tests drive deadlines by hand). */
  loops?: boolean;
}

/** The services, each on the store, the clock and the bus; a spec's runs are graphs, a cron may run a spec. */
function createServices(deps: ServiceDeps): Services {
  const graphs = createGraphService(deps);
  const specs = createSpecService(deps, graphs);
  return {
    colonies: createColonyService(deps),
    processes: createProcessService(deps),
    graphs,
    crons: createCronService(deps, specs),
    specs,
    functions: createFunctionService(deps),
    events: createEventService(deps),
    tasks: createTaskService(deps),
    ids: createIdService(deps),
  };
}

export async function createColoniesServer(config: ServerConfig, opts: ServerOptions = {}): Promise<ColoniesServer> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger(config.logLevel);
  const ownsDb = !opts.db;
  const db = opts.db ?? (await openDb(config));
  const wake = new WakeHub();

  const { bus, unlisten } = await openBus(db, log, wake);

  const deps: ServiceDeps = { db, clock, log, wake, bus, leaseMs: config.leaseSeconds * 1000 };
  const services = createServices(deps);
  const authorize = createAuthorizer(services.colonies, config.serverId);
  // With PostgreSQL there may be other replicas: a nonce must be new to all of them.
  const sharedNonces = db.engine === 'postgres' ? createSharedNonces(db, () => bus.mayHavePeers(), log) : undefined;
  const verify = createVerifier(config.signatureWindowMs, opts.authClock ?? clock, sharedNonces);
  const metrics = new Metrics({ colonies_assign_waiters: () => wake.waiterCount() });
  bus.onEvents((events) => metrics.events(events));
  const app = createApp({
    metrics,
    services,
    authorize,
    verify,
    log,
    maxBodyBytes: config.maxBodyBytes,
    engine: db.engine,
    health: createHealthCheck(
      db,
      () => bus.channelState(),
      () => clock.monotonic(),
    ),
    extra: (a) => a.use(dashboardMiddleware()),
  });

  let http: Server | undefined;
  let ws: { close(): Promise<void> } | undefined;
  let revocation: { stop(): void } | undefined;
  const loops: { stop(): Promise<void> }[] = [];
  // Requests in flight per connection. closeIdleConnections() skips connections that never sent a
  // request (undici opens a spare one right after an aborted request), which would hold close() for
  // the whole grace period; on close every connection with nothing in flight is cut.
  const connections = new Map<Socket, number>();

  return {
    services,
    db,
    app,
    hasPeers: () => bus.hasPeers(),
    async listen() {
      http = createHttpServer(app);
      answerClientErrors(http);
      // Long-polls hold requests for up to two minutes; keep idle sockets a little longer than clients do.
      http.keepAliveTimeout = 65_000;
      http.requestTimeout = 0;
      http.on('connection', (socket) => {
        connections.set(socket, 0);
        socket.once('close', () => connections.delete(socket));
      });
      http.on('request', (req, res) => {
        const socket = req.socket;
        connections.set(socket, (connections.get(socket) ?? 0) + 1);
        res.once('close', () => {
          if (connections.has(socket)) connections.set(socket, connections.get(socket)! - 1);
        });
      });
      const hub = attachWsHub(http, { verify, authorize, services, bus, log, monotonic: () => clock.monotonic() });
      ws = hub;
      revocation = startRevocation({
        bus,
        authorize,
        forgetMemberships: services.colonies.forgetMemberships,
        holders: [hub.holder, services.processes.longPolls],
        log,
        monotonic: () => clock.monotonic(),
      });
      await new Promise<void>((resolve, reject) => {
        http!.once('error', reject);
        http!.listen(config.port, config.host, () => resolve());
      });
      if (opts.loops !== false) {
        loops.push(startDeadlineLoop(services.processes, config.deadlineIntervalMs, log));
        loops.push(startCronLoop(services.crons, config.cronIntervalMs, log));
        // Often, so that each vacuum has little to do (PGlite serves nothing meanwhile); analyze every ten minutes.
        if (db.engine === 'pglite') loops.push(startVacuumLoop(db, 15_000, log, 40));
        else loops.push(startNonceCleanup(db, config.signatureWindowMs, opts.authClock ?? clock, log));
        if (config.retentionSeconds > 0) loops.push(startRetentionLoop(db, clock, config.retentionSeconds, log));
      }
      const addr = http.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${addr.port}`;
      log.info('colonies server listening', { url, engine: db.engine });
      return url;
    },
    async close() {
      services.processes.stop();
      revocation?.stop();
      await ws?.close();
      if (http) {
        // In-flight requests finish; keep-alive connections are closed as soon as they fall idle,
        // and anything still open after the grace period is cut.
        const server = http;
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        const closeIdle = () => {
          server.closeIdleConnections();
          for (const [socket, inFlight] of connections) if (inFlight === 0) socket.destroy();
        };
        const sweep = setInterval(closeIdle, 25);
        const hard = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
        closeIdle();
        await closed;
        clearInterval(sweep);
        clearTimeout(hard);
      }
      await Promise.all(loops.splice(0).map((l) => l.stop()));
      bus.stop();
      await sharedNonces?.stop();
      await unlisten?.();
      if (ownsDb) await db.close();
    },
  };
}
