/** createApp(deps): the whole HTTP surface, without listening (tests drive it with supertest). */
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { AppError, databaseUnavailable, errorBody, isAppError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Verifier } from '../auth/verify.ts';
import { isConnectionError, sqlState } from '../store/db.ts';
import { apiRouter } from './api.ts';
import { refusedValue, type RouteDeps } from './context.ts';
import type { Metrics } from '../metrics.ts';
import { openApiDocument } from './openapi.ts';
import type { Health } from '../services/health.ts';

export const API_PREFIX = '/api/v1';
export const VERSION = '0.1.0';

export interface AppDeps extends RouteDeps {
  verify: Verifier;
  log: Logger;
  maxBodyBytes: number;
  engine: string;
  /** The database and the notification channel, for /health (without it: "ok"). */
  health?: () => Promise<Health>;
  metrics?: Metrics;
  /** Extra unauthenticated routes mounted before the API (dashboard, metrics). */
  extra?: (app: express.Express) => void;
}

const EMPTY = Buffer.alloc(0);
// Seconds a client should wait before retrying an UNAVAILABLE answer: the pool reconnects on the next request.
const RETRY_AFTER_S = '1';

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  app.get('/health', async (_req, res) => {
    const h = deps.health ? await deps.health() : { status: 'ok' as const };
    if (h.status === 'unavailable') res.status(503).set('retry-after', RETRY_AFTER_S);
    res.json({ ...h, engine: deps.engine, version: VERSION });
  });
  app.get(`${API_PREFIX}/version`, (_req, res) => {
    res.json({ version: VERSION, api: 'v1' });
  });
  const openapi = openApiDocument(VERSION);
  app.get(`${API_PREFIX}/openapi.json`, (_req, res) => {
    res.json(openapi);
  });
  if (deps.metrics) {
    const metrics = deps.metrics;
    app.get('/metrics', async (_req, res) => {
      res.type('text/plain; version=0.0.4').send(await metrics.render());
    });
    app.use(API_PREFIX, (req, res, next) => {
      const start = performance.now();
      // req.route is the route that answered (set by the router when it matched; still set once the answer is sent).
      res.on('finish', () =>
        metrics.request(req.method, res.statusCode, (req.route as { path?: string } | undefined)?.path, (performance.now() - start) / 1000),
      );
      next();
    });
  }
  deps.extra?.(app);

  // The signature covers the exact body bytes, so read them raw and parse JSON only after verifying.
  app.use(API_PREFIX, readRawBody(deps.maxBodyBytes));
  const authenticate: RequestHandler = async (req, _res, next) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : EMPTY;
    req.callerId = await deps.verify({ method: req.method, pathWithQuery: req.originalUrl, header: (n) => req.get(n), body: raw });
    if (raw.length === 0) req.body = {};
    else {
      try {
        req.body = JSON.parse(raw.toString('utf8')) as unknown;
      } catch (err) {
        throw new AppError('MALFORMED_JSON', `request body is not valid JSON: ${(err as Error).message}`);
      }
    }
    next();
  };
  app.use(API_PREFIX, authenticate);
  app.use(API_PREFIX, apiRouter(deps));
  app.use((req) => {
    throw new AppError('ROUTE_NOT_FOUND', `no route for ${req.method} ${req.path}`);
  });
  app.use(errorHandler(deps.log));
  return app;
}

/**
 * Reads the body as raw bytes (the signature covers them exactly). A few lines instead of
 * body-parser/raw-body, which cost more than the rest of a request's handling here.
 */
function readRawBody(limit: number): RequestHandler {
  return (req, _res, next) => {
    const encoding = req.headers['content-encoding'];
    if (encoding && encoding !== 'identity') {
      next(new AppError('MALFORMED_JSON', `compressed request bodies are not accepted (content-encoding: ${encoding})`));
      return;
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) {
      next(new AppError('PAYLOAD_TOO_LARGE', 'request body is larger than the server accepts'));
      return;
    }
    if (declared === '0' || (declared === undefined && req.headers['transfer-encoding'] === undefined)) {
      req.body = EMPTY;
      next();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        next(new AppError('PAYLOAD_TOO_LARGE', 'request body is larger than the server accepts'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (failed) return;
      req.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      next();
    });
    req.on('error', (err) => {
      if (failed) return;
      failed = true;
      next(new AppError('MALFORMED_JSON', `the request body could not be read: ${err.message}`));
    });
  };
}

function isClientHttpError(err: unknown): err is Error & { status: number } {
  const status = (err as { status?: unknown } | null)?.status;
  return err instanceof Error && typeof status === 'number' && status >= 400 && status < 500;
}

function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let e: AppError;
    const refused = refusedValue(err);
    if (isAppError(err)) e = err;
    else if ((err as { type?: string }).type === 'entity.too.large')
      e = new AppError('PAYLOAD_TOO_LARGE', 'request body is larger than the server accepts');
    else if (isClientHttpError(err)) {
      // Thrown by express itself on the client's mistake (router: a path that is not valid percent-encoding;
      // body reader: a bad or unsupported content-encoding, a body shorter than its content-length).
      e =
        err instanceof URIError
          ? new AppError('VALIDATION_FAILED', `the path is not valid percent-encoding: ${err.message}`)
          : new AppError('MALFORMED_JSON', `the request body could not be read: ${err.message}`);
    } else if (refused) {
      // Validation should have caught it first (protocol/values.ts): worth a warning.
      log.warn('the database refused a value of a request', { method: req.method, path: req.path, sqlstate: sqlState(err) });
      e = refused;
    } else if (isConnectionError(err)) {
      log.warn('database unavailable', { err: String(err) });
      e = databaseUnavailable();
    } else {
      log.error('unhandled error', { method: req.method, path: req.path, err: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      e = new AppError('INTERNAL', 'internal server error');
    }
    if (res.headersSent) return;
    if (e.code === 'UNAVAILABLE') res.set('retry-after', RETRY_AFTER_S);
    res.status(e.status).json(errorBody(e));
  };
}
