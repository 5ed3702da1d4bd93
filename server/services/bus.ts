/**
 * The bus carries two things out of a committed change: "work became ready" (wakes long-polls) and
 * live events (WebSocket subscribers). Local delivery is immediate. With PostgreSQL, both also go to
 * the other replicas through one NOTIFY channel, batched per event-loop turn and split under
 * PostgreSQL's 8000-byte payload limit.
 *
 * Replicas know of each other: each says hello on the channel when it starts and every few seconds,
 * and answers a newcomer's hello at once. A replica that has heard no other within PEER_TTL_MS is
 * alone and sends nothing (most deployments are one server: no NOTIFY, and no parsing of its own
 * notifications, on the hot path). A newcomer is known to the others within a round trip of its
 * hello; until then a wake-up meant for it may be missed, which delays (a long-poll's timeout), never loses.
 */
import type { ReadyWork } from '../store/sql/processes.ts';
import type { ColonyEvent } from '../../protocol/events.ts';
import type { Logger } from '../log.ts';

export interface Bus {
  ready(work: ReadyWork[]): void;
  emit(events: ColonyEvent[]): void;
  onReady(listener: (work: ReadyWork[]) => void): () => void;
  onEvents(listener: (events: ColonyEvent[]) => void): () => void;
  /** Whether another replica shares the database (heard from within PEER_TTL_MS). Always false on PGlite. */
  hasPeers(): boolean;
}

interface Wire {
  r: string;
  w?: ReadyWork[];
  e?: ColonyEvent[];
  /** Hello: "I am here" (h: 1), or the answer to a newcomer's hello (h: 2, not answered again). */
  h?: 1 | 2;
}

export const HELLO_INTERVAL_MS = 5000;
const PEER_TTL_MS = 3 * HELLO_INTERVAL_MS;

const MAX_PAYLOAD = 7800;
const MAX_LOG_IN_NOTIFY = 2000;

export interface RemoteLink {
  replica: string;
  send(payload: string): Promise<void>;
}

export interface RemoteBus extends Bus {
  /** A NOTIFY payload from the channel. */
  receive(payload: string): void;
  /** Says hello now and every HELLO_INTERVAL_MS until stop(). */
  start(): void;
  stop(): void;
}

export function createBus(log: Logger, remote?: RemoteLink, now: () => number = Date.now): RemoteBus {
  const peers = new Map<string, number>();
  let helloTimer: NodeJS.Timeout | undefined;
  const hasPeers = () => {
    const t = now();
    for (const [replica, seen] of peers) {
      if (t - seen < PEER_TTL_MS) return true;
      peers.delete(replica);
    }
    return false;
  };
  const sendWire = (w: Wire) =>
    remote?.send(JSON.stringify(w)).catch((err: unknown) => log.warn('could not notify other replicas', { err: String(err) }));
  const readyListeners = new Set<(w: ReadyWork[]) => void>();
  const eventListeners = new Set<(e: ColonyEvent[]) => void>();
  let pendingReady: ReadyWork[] = [];
  let pendingEvents: ColonyEvent[] = [];
  let scheduled = false;

  const deliverReady = (w: ReadyWork[]) => readyListeners.forEach((l) => l(w));
  const deliverEvents = (e: ColonyEvent[]) => eventListeners.forEach((l) => l(e));

  function flush(): void {
    scheduled = false;
    if (!remote) return;
    if (!hasPeers()) {
      pendingReady = [];
      pendingEvents = [];
      return;
    }
    const chunks: Wire[] = [];
    let current: Wire = { r: remote.replica };
    let size = 20;
    const push = (kind: 'w' | 'e', item: ReadyWork | ColonyEvent) => {
      const len = JSON.stringify(item).length + 1;
      if (size + len > MAX_PAYLOAD && (current.w || current.e)) {
        chunks.push(current);
        current = { r: remote.replica };
        size = 20;
      }
      if (kind === 'w') (current.w ??= []).push(item as ReadyWork);
      else (current.e ??= []).push(item as ColonyEvent);
      size += len;
    };
    for (const w of pendingReady) push('w', w);
    for (const e of pendingEvents) push('e', shrink(e));
    if (current.w || current.e) chunks.push(current);
    pendingReady = [];
    pendingEvents = [];
    for (const c of chunks) void sendWire(c);
  }

  function schedule(): void {
    if (!scheduled && remote) {
      scheduled = true;
      setImmediate(flush);
    }
  }

  return {
    ready(work) {
      if (work.length === 0) return;
      deliverReady(work);
      if (remote) {
        pendingReady.push(...work);
        schedule();
      }
    },
    emit(events) {
      if (events.length === 0) return;
      deliverEvents(events);
      if (remote) {
        pendingEvents.push(...events);
        schedule();
      }
    },
    onReady(l) {
      readyListeners.add(l);
      return () => readyListeners.delete(l);
    },
    onEvents(l) {
      eventListeners.add(l);
      return () => eventListeners.delete(l);
    },
    hasPeers,
    start() {
      if (!remote || helloTimer) return;
      void sendWire({ r: remote.replica, h: 1 });
      helloTimer = setInterval(() => void sendWire({ r: remote.replica, h: 1 }), HELLO_INTERVAL_MS);
      helloTimer.unref();
    },
    stop() {
      clearInterval(helloTimer);
      helloTimer = undefined;
    },
    /** A NOTIFY payload from the channel: delivered locally unless this replica sent it. */
    receive(payload) {
      let msg: Wire;
      try {
        msg = JSON.parse(payload) as Wire;
      } catch {
        log.warn('ignored a malformed notification');
        return;
      }
      if (!remote || msg.r === remote.replica) return;
      // A newcomer (not known, or forgotten) gets an answer at once, so it need not wait for our next hello.
      hasPeers(); // forgets replicas not heard from within PEER_TTL_MS
      if (msg.h === 1 && !peers.has(msg.r)) void sendWire({ r: remote.replica, h: 2 });
      peers.set(msg.r, now());
      if (msg.w) deliverReady(msg.w);
      if (msg.e) deliverEvents(msg.e);
    },
  };
}

/** A log line can be far larger than a NOTIFY payload; other replicas get its head. */
function shrink(e: ColonyEvent): ColonyEvent {
  if (e.type === 'log' && e.message.length > MAX_LOG_IN_NOTIFY) return { ...e, message: e.message.slice(0, MAX_LOG_IN_NOTIFY) + '… (truncated)' };
  return e;
}
