/**
 * The bus carries two things out of a committed change: "work became ready" (wakes long-polls) and
 * live events (WebSocket subscribers). Local delivery is immediate. With PostgreSQL, both also go to
 * the other replicas through one NOTIFY channel, batched per event-loop turn and split under
 * PostgreSQL's 8000-byte payload limit.
 */
import type { ReadyWork } from '../store/sql/processes.ts';
import type { ColonyEvent } from '../../protocol/events.ts';
import type { Logger } from '../log.ts';

export interface Bus {
  ready(work: ReadyWork[]): void;
  emit(events: ColonyEvent[]): void;
  onReady(listener: (work: ReadyWork[]) => void): () => void;
  onEvents(listener: (events: ColonyEvent[]) => void): () => void;
}

interface Wire {
  r: string;
  w?: ReadyWork[];
  e?: ColonyEvent[];
}

const MAX_PAYLOAD = 7800;
const MAX_LOG_IN_NOTIFY = 2000;

export interface RemoteLink {
  replica: string;
  send(payload: string): Promise<void>;
}

export function createBus(log: Logger, remote?: RemoteLink): Bus & { receive(payload: string): void } {
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
    for (const c of chunks) remote.send(JSON.stringify(c)).catch((err: unknown) => log.warn('could not notify other replicas', { err: String(err) }));
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
