/**
 * The bus carries three things out of a committed change: "work became ready" (wakes long-polls),
 * live events (WebSocket subscribers) and revocations (someone's access to a colony may have ended). Local delivery is immediate. With PostgreSQL, both also go to
 * the other replicas through one NOTIFY channel, batched per event-loop turn and split under
 * PostgreSQL's 8000-byte payload limit.
 *
 * Replicas know of each other: each says hello on the channel when it starts and every few seconds,
 * and answers a newcomer's hello at once. A replica that has heard no other within PEER_TTL_MS is
 * alone and sends nothing (most deployments are one server: no NOTIFY, and no parsing of its own
 * notifications, on the hot path). A newcomer is known to the others within a round trip of its
 * hello; until then a wake-up meant for it may be missed, which delays (a long-poll's timeout), never loses.
 *
 * While the LISTEN connection is down (a database restart, a cut connection) nothing can be heard, so
 * the replica acts as if it had company (mayHavePeers: nonces checked in the database) and tells its
 * listeners of missed notifications every DEGRADED_POLL_MS, so waiting long-polls claim again. Once it
 * listens again it asks every replica to answer its hello, and keeps acting accompanied for one hello
 * interval, in which it hears every replica that is around.
 */
import type { ReadyWork } from '../store/sql/processes.ts';
import type { ColonyEvent } from '../../protocol/events.ts';
import type { Logger } from '../log.ts';

/** Access to a colony may have ended: for these identities, or (no ids) for everyone in it. */
export interface Revocation {
  colonyname: string;
  ids?: string[];
}

export interface Bus {
  ready(work: ReadyWork[]): void;
  emit(events: ColonyEvent[]): void;
  /** Delivered here at once and sent to every replica, whether or not any was heard (it is rare and must not be missed). */
  revoke(r: Revocation): void;
  onReady(listener: (work: ReadyWork[]) => void): () => void;
  onEvents(listener: (events: ColonyEvent[]) => void): () => void;
  onRevoked(listener: (r: Revocation) => void): () => void;
  /** Whether another replica shares the database (heard from within PEER_TTL_MS). Always false on PGlite. */
  hasPeers(): boolean;
  /** Whether to act as if another replica shared the database: one was heard, or the channel cannot tell now. */
  mayHavePeers(): boolean;
  channelState(): ChannelState;
  /** Called when notifications may have been missed: every DEGRADED_POLL_MS while the channel is down, and once when it is back. */
  onMissed(listener: () => void): () => void;
}

/** The notification channel: `none` on PGlite (one process, nothing to hear). */
export type ChannelState = 'listening' | 'reconnecting' | 'none';

interface Wire {
  r: string;
  w?: ReadyWork[];
  e?: ColonyEvent[];
  v?: Revocation;
  /**
   * Hello: "I am here" (h: 1, answered by those who did not know the sender), the answer (h: 2, not
   * answered again), or "I am back, answer me" (h: 3, answered by all: the sender may have missed theirs).
   */
  h?: 1 | 2 | 3;
}

export const HELLO_INTERVAL_MS = 5000;
const PEER_TTL_MS = 3 * HELLO_INTERVAL_MS;
export const DEGRADED_POLL_MS = 250;
// After listening again: every replica's periodic hello arrives within an interval (they send it even while their own channel is down).
const REJOIN_MS = HELLO_INTERVAL_MS + 1000;

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
  /** The LISTEN connection was lost (false) or listens (again) (true). */
  channel(listening: boolean): void;
}

export function createBus(log: Logger, remote?: RemoteLink, now: () => number = Date.now): RemoteBus {
  const peers = new Map<string, number>();
  let helloTimer: NodeJS.Timeout | undefined;
  // Back on the channel: a hello every replica answers, as ours may have missed theirs.
  const channel = channelTracker(log, remote !== undefined, now, () => void sendWire({ r: remote?.replica ?? '', h: 3 }));
  const hasPeers = () => {
    const t = now();
    for (const [replica, seen] of peers) {
      if (t - seen < PEER_TTL_MS) return true;
      peers.delete(replica);
    }
    return false;
  };
  const mayHavePeers = () => channel.blind() || hasPeers();
  function sendWire(w: Wire) {
    return remote?.send(JSON.stringify(w)).catch((err: unknown) => log.warn('could not notify other replicas', { err: String(err) }));
  }

  const readyListeners = listenerSet<ReadyWork[]>();
  const eventListeners = listenerSet<ColonyEvent[]>();
  const revokedListeners = listenerSet<Revocation>();
  let pendingReady: ReadyWork[] = [];
  let pendingEvents: ColonyEvent[] = [];
  let scheduled = false;

  const deliverReady = readyListeners.deliver;
  const deliverEvents = eventListeners.deliver;
  const deliverRevoked = revokedListeners.deliver;

  function flush(): void {
    scheduled = false;
    if (!remote) return;
    if (!mayHavePeers()) {
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
    revoke(r) {
      deliverRevoked(r);
      if (remote) void sendWire({ r: remote.replica, v: r });
    },
    onReady: readyListeners.add,
    onEvents: eventListeners.add,
    onRevoked: revokedListeners.add,
    hasPeers,
    mayHavePeers,
    channelState: channel.state,
    onMissed: channel.onMissed,
    channel: channel.set,
    start() {
      if (!remote || helloTimer) return;
      void sendWire({ r: remote.replica, h: 1 });
      helloTimer = setInterval(() => void sendWire({ r: remote.replica, h: 1 }), HELLO_INTERVAL_MS);
      helloTimer.unref();
    },
    stop() {
      clearInterval(helloTimer);
      helloTimer = undefined;
      channel.stop();
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
      if ((msg.h === 1 && !peers.has(msg.r)) || msg.h === 3) void sendWire({ r: remote.replica, h: 2 });
      peers.set(msg.r, now());
      if (msg.w) deliverReady(msg.w);
      if (msg.e) deliverEvents(msg.e);
      if (msg.v) deliverRevoked(msg.v);
    },
  };
}

function listenerSet<T>() {
  const listeners = new Set<(v: T) => void>();
  return {
    add: (l: (v: T) => void) => {
      listeners.add(l);
      return () => void listeners.delete(l);
    },
    deliver: (v: T) => listeners.forEach((l) => l(v)),
  };
}

/** The channel's state, and what follows from it: a short poll while it is down, a rejoin window once it is back. */
function channelTracker(log: Logger, remote: boolean, now: () => number, sayBack: () => void) {
  let state: ChannelState = remote ? 'listening' : 'none';
  let rejoinUntil = 0;
  let timer: NodeJS.Timeout | undefined;
  const listeners = new Set<() => void>();
  const missed = () => listeners.forEach((l) => l());
  return {
    state: () => state,
    /** Who is around cannot be told: the channel is down, or back for less than REJOIN_MS. */
    blind: () => state === 'reconnecting' || now() < rejoinUntil,
    onMissed: (l: () => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    set: (listening: boolean) => {
      if (state === 'none' || state === (listening ? 'listening' : 'reconnecting')) return;
      if (!listening) {
        state = 'reconnecting';
        log.warn('lost the notification channel; polling until it is back');
        timer = setInterval(missed, DEGRADED_POLL_MS);
        timer.unref();
        return;
      }
      state = 'listening';
      clearInterval(timer);
      timer = undefined;
      rejoinUntil = now() + REJOIN_MS;
      log.info('listening on the notification channel again');
      sayBack();
      missed();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}

/** A log line can be far larger than a NOTIFY payload; other replicas get its head. */
function shrink(e: ColonyEvent): ColonyEvent {
  if (e.type === 'log' && e.message.length > MAX_LOG_IN_NOTIFY) return { ...e, message: e.message.slice(0, MAX_LOG_IN_NOTIFY) + '… (truncated)' };
  return e;
}
