/** Composition root: config → store → services → HTTP → loops. Returns a handle to start and stop it. */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
import { createAuthorizer } from './auth/authorize.ts';
import { createVerifier } from './auth/verify.ts';
import { createApp } from './http/app.ts';
import type { Services } from './http/context.ts';
import { startDeadlineLoop } from './loops/deadlines.ts';
import { startMaintenanceLoop } from './loops/maintenance.ts';
import { randomNonce } from '../protocol/crypto.ts';
import type { ReadyWork } from './store/sql/processes.ts';

const READY_CHANNEL = 'colonies_ready';

export async function openDb(config: Pick<ServerConfig, 'databaseUrl' | 'dataDir' | 'dbPoolSize'>): Promise<Db> {
  const db = config.databaseUrl ? createPgDb({ connectionString: config.databaseUrl, max: config.dbPoolSize }) : await createPgliteDb(config.dataDir);
  await migrate(db);
  return db;
}

export interface ColoniesServer {
  readonly services: Services;
  readonly db: Db;
  readonly app: ReturnType<typeof createApp>;
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

export async function createColoniesServer(config: ServerConfig, opts: ServerOptions = {}): Promise<ColoniesServer> {
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger(config.logLevel);
  const ownsDb = !opts.db;
  const db = opts.db ?? (await openDb(config));
  const wake = new WakeHub();
  const replica = randomNonce();

  let unlisten: (() => Promise<void>) | undefined;
  let publishReady: (work: ReadyWork[]) => void = () => {};
  if (db.engine === 'postgres') {
    // Long-polls on other replicas learn of ready work through NOTIFY (delivered on commit).
    unlisten = await db.listen(READY_CHANNEL, (payload) => {
      try {
        const msg = JSON.parse(payload) as { r: string; w: ReadyWork[] };
        if (msg.r === replica) return;
        for (const w of msg.w) wake.notify(WakeHub.key(w.colonyname, w.executortype), w.n);
      } catch {
        log.warn('ignored a malformed ready notification');
      }
    });
    publishReady = (work) => {
      db.query('SELECT pg_notify($1, $2)', [READY_CHANNEL, JSON.stringify({ r: replica, w: work })]).catch((err: unknown) =>
        log.warn('could not publish ready work', { err: String(err) }),
      );
    };
  }

  const deps: ServiceDeps = { db, clock, log, wake, publishReady: (w) => publishReady(w) };
  const services: Services = { colonies: createColonyService(deps), processes: createProcessService(deps), graphs: createGraphService(deps) };
  const app = createApp({
    services,
    authorize: createAuthorizer(services.colonies, config.serverId),
    verify: createVerifier(config.signatureWindowMs, opts.authClock ?? clock),
    log,
    maxBodyBytes: config.maxBodyBytes,
    engine: db.engine,
  });

  let http: Server | undefined;
  const loops: { stop(): Promise<void> }[] = [];

  return {
    services,
    db,
    app,
    async listen() {
      http = createHttpServer(app);
      // Long-polls hold requests for up to two minutes; keep idle sockets a little longer than clients do.
      http.keepAliveTimeout = 65_000;
      http.requestTimeout = 0;
      await new Promise<void>((resolve, reject) => {
        http!.once('error', reject);
        http!.listen(config.port, config.host, () => resolve());
      });
      if (opts.loops !== false) {
        loops.push(startDeadlineLoop(services.processes, config.deadlineIntervalMs, log));
        if (db.engine === 'pglite') loops.push(startMaintenanceLoop(db, 60_000, log));
      }
      const addr = http.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${addr.port}`;
      log.info('colonies server listening', { url, engine: db.engine });
      return url;
    },
    async close() {
      services.processes.stop();
      if (http) {
        const server = http;
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
      }
      await Promise.all(loops.splice(0).map((l) => l.stop()));
      await unlisten?.();
      if (ownsDb) await db.close();
    },
  };
}
