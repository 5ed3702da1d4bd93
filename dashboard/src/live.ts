/**
 * Live updates over the server's WebSocket (/api/v1/ws): one connection per tab, a signed hello, then
 * subscriptions (a colony, a process graph, a process). Each subscription gets a snapshot first, then
 * events in order. The connection comes back by itself after a drop, and every subscription is sent
 * again, so its handler gets a fresh snapshot and misses nothing.
 */
import type { ColonyEvent, WsServerMessage, WsSnapshot } from '../../protocol/events.ts';
import { WS_PATH, signedHello } from '../../protocol/signing.ts';
import { randomNonce, type Signer } from './crypto.ts';

export type LiveMessage = { type: 'snapshot'; snapshot: WsSnapshot } | { type: 'event'; event: ColonyEvent } | { type: 'error'; message: string };
export type LiveStatus = 'connecting' | 'live' | 'offline';

export interface LiveTarget {
  processid?: string;
  processgraphid?: string;
}

interface Sub {
  target: LiveTarget;
  handler: (m: LiveMessage) => void;
}

export class Live {
  private socket: WebSocket | undefined;
  private ready = false;
  private readonly subs = new Map<string, Sub>();
  private counter = 0;
  private retryMs = 500;
  private retryTimer: number | undefined;
  private closed = false;
  status: LiveStatus = 'connecting';
  onStatus: (s: LiveStatus) => void = () => undefined;

  constructor(
    private readonly signer: Signer,
    private readonly colonyname: string,
    private readonly now: () => number,
  ) {}

  /** Subscribes; returns the function that ends the subscription. */
  subscribe(target: LiveTarget, handler: (m: LiveMessage) => void): () => void {
    const sub = `d${++this.counter}`;
    this.subs.set(sub, { target, handler });
    if (this.ready) this.sendSubscribe(sub, target);
    else this.connect();
    return () => {
      if (!this.subs.delete(sub)) return;
      if (this.ready) this.send({ type: 'unsubscribe', sub });
    };
  }

  close(): void {
    this.closed = true;
    window.clearTimeout(this.retryTimer);
    this.subs.clear();
    this.socket?.close(1000);
  }

  private setStatus(s: LiveStatus): void {
    this.status = s;
    this.onStatus(s);
  }

  private send(m: object): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(m));
  }

  private sendSubscribe(sub: string, target: LiveTarget): void {
    this.send({ type: 'subscribe', sub, colonyname: this.colonyname, ...target });
  }

  private connect(): void {
    if (this.socket || this.closed) return;
    this.setStatus('connecting');
    const url = new URL(WS_PATH, location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify(signedHello(this.signer, { timestamp: this.now(), nonce: randomNonce() })));
    socket.onmessage = (ev) => this.onMessage(String(ev.data));
    socket.onclose = () => {
      this.socket = undefined;
      this.ready = false;
      if (this.closed) return;
      this.setStatus('offline');
      this.retryTimer = window.setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    };
  }

  private onMessage(text: string): void {
    let m: WsServerMessage;
    try {
      m = JSON.parse(text) as WsServerMessage;
    } catch {
      return;
    }
    if (m.type === 'welcome') {
      this.ready = true;
      this.retryMs = 500;
      this.setStatus('live');
      for (const [sub, s] of this.subs) this.sendSubscribe(sub, s.target);
    } else if (m.type === 'snapshot') {
      this.subs.get(m.sub)?.handler({ type: 'snapshot', snapshot: m.snapshot });
    } else if (m.type === 'event') {
      this.subs.get(m.sub)?.handler({ type: 'event', event: m.event });
    } else if (m.type === 'error') {
      if (m.sub) this.subs.get(m.sub)?.handler({ type: 'error', message: `${m.error.code}: ${m.error.message}` });
      else if (!this.ready) this.socket?.close(); // the hello was refused; retry later
    }
  }
}
