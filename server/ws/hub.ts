/**
 * WebSocket at /api/v1/ws. A connection starts with a signed hello; then it subscribes to a process,
 * a process graph or a whole colony. Each subscription first gets a snapshot of the current state
 * (so a late subscriber misses nothing), then every event in order. Events are filtered to the
 * subscriber's colony; subscribing to another colony is refused like an HTTP request would be.
 * When the subscriber's access to the colony ends (see auth/revocation.ts), its subscriptions there
 * end with an error frame, and nothing committed after the revocation reaches it.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { AppError, databaseUnavailable, isAppError } from '../errors.ts';
import { isConnectionError } from '../store/db.ts';
import type { Verifier } from '../auth/verify.ts';
import type { Authorizer } from '../auth/authorize.ts';
import type { Holder } from '../auth/revocation.ts';
import { RecentEnds } from '../services/ended.ts';
import type { Services } from '../http/context.ts';
import type { Bus } from '../services/bus.ts';
import type { Logger } from '../log.ts';
import { WsClientMessage, type ColonyEvent, type WsServerMessage, type WsSnapshot } from '../../protocol/events.ts';
import { WS_PATH, helloHeaders } from '../../protocol/signing.ts';
import { issueLine, validate } from '../../protocol/issues.ts';

interface Subscription {
  sub: string;
  colonyname: string;
  processid?: string | undefined;
  processgraphid?: string | undefined;
  /** Events that arrived while the snapshot was being read; sent right after it. */
  backlog: ColonyEvent[] | null;
  /** Events held back while the subscriber's access is checked again (`holds` checks in flight). */
  held: ColonyEvent[] | null;
  holds: number;
}

interface Connection {
  socket: WebSocket;
  id: string | null;
  subs: Map<string, Subscription>;
  alive: boolean;
}

const HEARTBEAT_MS = 30_000;
const MAX_SUBSCRIPTIONS = 100;

export interface WsHubDeps {
  verify: Verifier;
  authorize: Authorizer;
  services: Services;
  bus: Bus;
  log: Logger;
  monotonic: () => number;
}

function matches(s: Subscription, e: ColonyEvent): boolean {
  if (e.colonyname !== s.colonyname) return false;
  if (s.processid) return e.type !== 'processgraph' && e.type !== 'processes-added' && e.processid === s.processid;
  if (s.processgraphid) return e.processgraphid === s.processgraphid;
  return true;
}

function send(c: Connection, m: WsServerMessage): void {
  if (c.socket.readyState === c.socket.OPEN) c.socket.send(JSON.stringify(m));
}

/** An error frame: the AppError's code and message, 503 UNAVAILABLE for a lost database, else INTERNAL (logged). */
function sendErrorFrame(log: Logger, c: Connection, err: unknown, sub?: string): void {
  const unavailable = !isAppError(err) && isConnectionError(err);
  const e = isAppError(err) ? err : unavailable ? databaseUnavailable() : new AppError('INTERNAL', 'internal server error');
  if (!isAppError(err)) log[unavailable ? 'warn' : 'error']('websocket error', { err: String(err) });
  send(c, { type: 'error', ...(sub ? { sub } : {}), error: { code: e.code, message: e.message } });
}

/** The current state a new subscription starts from: processes as the HTTP reads give them (with why they wait). */
async function snapshot(services: Services, s: Subscription): Promise<WsSnapshot> {
  const { processes, graphs, colonies, functions } = services;
  if (s.processid) {
    const [process] = await functions.explain(s.colonyname, [await processes.get(s.colonyname, s.processid)]);
    return { of: 'process', process: process!, logs: await processes.logs(s.colonyname, s.processid, 0, 1000) };
  }
  if (s.processgraphid) {
    const g = await graphs.getWithProcesses(s.colonyname, s.processgraphid);
    return { of: 'processgraph', processgraph: { ...g, processes: await functions.explain(s.colonyname, g.processes) } };
  }
  const [p, g, e] = await Promise.all([processes.stats(s.colonyname), graphs.stats(s.colonyname), colonies.listExecutors(s.colonyname)]);
  return { of: 'colony', stats: { processes: p, processgraphs: g, executors: e.length } };
}

// A subscribe whose access check was in flight when access ended learns it here (the check takes a query at most).
const ENDS_KEPT_MS = 60_000;

export function attachWsHub(server: Server, deps: WsHubDeps): { close(): Promise<void>; holder: Holder } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const connections = new Set<Connection>();
  const ended = new RecentEnds(ENDS_KEPT_MS, deps.monotonic);

  const sendError = (c: Connection, err: unknown, sub?: string) => sendErrorFrame(deps.log, c, err, sub);

  const deliver = (c: Connection, s: Subscription, e: ColonyEvent) => {
    if (s.backlog) s.backlog.push(e);
    else if (s.held) s.held.push(e);
    else send(c, { type: 'event', sub: s.sub, event: e });
  };
  const offEvents = deps.bus.onEvents((events) => {
    for (const c of connections) {
      for (const s of c.subs.values()) {
        for (const e of events) if (matches(s, e)) deliver(c, s, e);
      }
    }
  });
  const holder = wsHolder(connections, ended, deliver, sendError);

  async function onMessage(c: Connection, raw: string): Promise<void> {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new AppError('MALFORMED_JSON', 'messages are JSON objects');
    }
    const parsed = validate(WsClientMessage, json);
    if (!parsed.success) throw new AppError('VALIDATION_FAILED', parsed.issues.map(issueLine).join('; '));
    const m = parsed.data;
    if (m.type === 'hello') {
      if (c.id) throw new AppError('VALIDATION_FAILED', 'hello was already sent');
      const headers: Record<string, string> = helloHeaders(m);
      c.id = await deps.verify({
        method: 'WS',
        pathWithQuery: WS_PATH,
        header: (n) => headers[n],
        body: Buffer.alloc(0),
      });
      send(c, { type: 'welcome', id: c.id });
      return;
    }
    if (!c.id) throw new AppError('UNAUTHENTICATED', 'send a signed hello first');
    if (m.type === 'unsubscribe') {
      c.subs.delete(m.sub);
      return;
    }
    if (c.subs.has(m.sub)) throw new AppError('ALREADY_EXISTS', `subscription "${m.sub}" exists`);
    if (c.subs.size >= MAX_SUBSCRIPTIONS) throw new AppError('VALIDATION_FAILED', `at most ${MAX_SUBSCRIPTIONS} subscriptions per connection`);
    const asked = deps.monotonic();
    await deps.authorize.colony(m.colonyname, c.id, 'member');
    const s: Subscription = {
      sub: m.sub,
      colonyname: m.colonyname,
      processid: m.processid,
      processgraphid: m.processgraphid,
      backlog: [],
      held: null,
      holds: 0,
    };
    const gone = ended.since(m.colonyname, c.id, asked);
    if (gone) throw gone;
    c.subs.set(m.sub, s);
    try {
      const snap = await snapshot(deps.services, s);
      if (c.subs.get(s.sub) !== s) return; // ended meanwhile (its error frame is out)
      send(c, { type: 'subscribed', sub: s.sub });
      send(c, { type: 'snapshot', sub: s.sub, snapshot: snap });
      const backlog = s.backlog ?? [];
      s.backlog = null;
      for (const e of backlog) deliver(c, s, e);
    } catch (err) {
      c.subs.delete(m.sub);
      throw err;
    }
  }

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== WS_PATH) return; // not ours
    wss.handleUpgrade(req, socket, head, (ws) => {
      const c: Connection = { socket: ws, id: null, subs: new Map(), alive: true };
      connections.add(c);
      ws.on('pong', () => (c.alive = true));
      // Messages of one connection are handled in order, so a subscribe's snapshot precedes later ones.
      let queue = Promise.resolve();
      ws.on('message', (data, isBinary) => {
        const text = isBinary ? '' : (data as Buffer).toString('utf8');
        const sub = /"sub"\s*:\s*"([^"]{1,100})"/.exec(text)?.[1];
        queue = queue.then(() => onMessage(c, text).catch((err: unknown) => sendError(c, err, sub)));
      });
      ws.on('close', () => connections.delete(c));
      ws.on('error', () => connections.delete(c));
    });
  };
  server.on('upgrade', onUpgrade);

  const heartbeat = setInterval(() => {
    for (const c of connections) {
      if (!c.alive) {
        c.socket.terminate();
        connections.delete(c);
        continue;
      }
      c.alive = false;
      c.socket.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  return {
    holder,
    async close() {
      clearInterval(heartbeat);
      offEvents();
      server.off('upgrade', onUpgrade);
      for (const c of connections) c.socket.close(1001, 'server shutting down');
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      for (const c of connections) c.socket.terminate();
      connections.clear();
    },
  };
}

/** The hub's side of revocation: subscriptions per colony and identity, held back, released or ended. */
function wsHolder(
  connections: Set<Connection>,
  ended: RecentEnds,
  deliver: (c: Connection, s: Subscription, e: ColonyEvent) => void,
  sendError: (c: Connection, err: unknown, sub?: string) => void,
): Holder {
  function* subscriptions(colonyname: string, id?: string): Generator<[Connection, Subscription]> {
    for (const c of connections) {
      if (!c.id || (id !== undefined && c.id !== id)) continue;
      for (const s of c.subs.values()) if (s.colonyname === colonyname) yield [c, s];
    }
  }
  return {
    role: 'member',
    colonies: () => [...new Set([...connections].flatMap((c) => [...c.subs.values()].map((s) => s.colonyname)))],
    holders: (colonyname) => [...new Set([...subscriptions(colonyname)].map(([c]) => c.id!))],
    hold(colonyname, id) {
      for (const [, s] of subscriptions(colonyname, id)) {
        s.holds++;
        s.held ??= [];
      }
    },
    release(colonyname, id) {
      for (const [c, s] of subscriptions(colonyname, id)) {
        if (s.holds === 0 || --s.holds > 0) continue;
        const held = s.held ?? [];
        s.held = null;
        for (const e of held) deliver(c, s, e);
      }
    },
    end(colonyname, id, err) {
      ended.add(colonyname, id, err);
      for (const [c, s] of subscriptions(colonyname, id)) {
        c.subs.delete(s.sub);
        sendError(c, new AppError(err.code, `subscription ended: ${err.message}`), s.sub);
      }
    },
  };
}
