/**
 * Live subscriptions over the server's WebSocket (/api/v1/ws): a signed hello, then per-target
 * subscriptions that deliver a snapshot of the current state followed by every change.
 */
import WebSocket from 'ws';
import { createSigner, randomNonce } from '../protocol/crypto.ts';
import { WS_PATH, signedHello } from '../protocol/signing.ts';
import type { ColonyEvent, WsServerMessage, WsSnapshot } from '../protocol/events.ts';
import { ColoniesError } from './transport.ts';

export interface SubscriptionTarget {
  colonyname: string;
  processid?: string;
  processgraphid?: string;
}

/** A snapshot, then events, until the server ends the subscription (the caller's access to the colony was revoked, say). */
export type SubscriptionMessage =
  { type: 'snapshot'; snapshot: WsSnapshot } | { type: 'event'; event: ColonyEvent } | { type: 'ended'; error: ColoniesError };

export class Subscriber {
  private readonly handlers = new Map<string, (m: SubscriptionMessage) => void>();
  private readonly pending = new Map<string, { resolve(): void; reject(e: Error): void }>();
  private counter = 0;
  private closedError: Error | null = null;
  private readonly closeListeners = new Set<(err: Error) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => this.onMessage((data as Buffer).toString('utf8')));
    socket.on('close', (code, reason) => this.fail(new ColoniesError('UNREACHABLE', `live connection closed (${code} ${String(reason)})`)));
    socket.on('error', (err) => this.fail(new ColoniesError('UNREACHABLE', `live connection failed: ${err.message}`)));
  }

  /** Opens the socket and completes the signed hello. */
  static async connect(url: string, prvkey: string, now: () => number = Date.now): Promise<Subscriber> {
    const signer = createSigner(prvkey);
    const wsUrl = url.replace(/^http/, 'ws').replace(/\/+$/, '') + WS_PATH;
    const socket = new WebSocket(wsUrl);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', (err) => reject(new ColoniesError('UNREACHABLE', `cannot open ${wsUrl}: ${err.message}`)));
    });
    const welcome = new Promise<void>((resolve, reject) => {
      socket.once('message', (data) => {
        const m = JSON.parse((data as Buffer).toString('utf8')) as WsServerMessage;
        if (m.type === 'welcome') resolve();
        else if (m.type === 'error') reject(new ColoniesError(m.error.code, m.error.message));
        else reject(new ColoniesError('BAD_RESPONSE', `expected welcome, got ${m.type}`));
      });
    });
    socket.send(JSON.stringify(signedHello(signer, { timestamp: now(), nonce: randomNonce() })));
    try {
      await welcome;
    } catch (err) {
      socket.close();
      throw err;
    }
    return new Subscriber(socket);
  }

  /** Subscribes; resolves once the snapshot was delivered to the handler. Returns an unsubscribe function. */
  async subscribe(target: SubscriptionTarget, handler: (m: SubscriptionMessage) => void): Promise<() => void> {
    if (this.closedError) throw this.closedError;
    const sub = `s${++this.counter}`;
    this.handlers.set(sub, handler);
    const done = new Promise<void>((resolve, reject) => this.pending.set(sub, { resolve, reject }));
    this.socket.send(JSON.stringify({ type: 'subscribe', sub, ...target }));
    await done;
    return () => {
      this.handlers.delete(sub);
      if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: 'unsubscribe', sub }));
    };
  }

  onClose(listener: (err: Error) => void): void {
    this.closeListeners.add(listener);
  }

  close(): void {
    this.socket.close(1000);
  }

  private onMessage(text: string): void {
    const m = JSON.parse(text) as WsServerMessage;
    if (m.type === 'snapshot') {
      this.handlers.get(m.sub)?.({ type: 'snapshot', snapshot: m.snapshot });
      this.pending.get(m.sub)?.resolve();
      this.pending.delete(m.sub);
    } else if (m.type === 'event') {
      this.handlers.get(m.sub)?.({ type: 'event', event: m.event });
    } else if (m.type === 'error' && m.sub) {
      const error = new ColoniesError(m.error.code, m.error.message);
      const pending = this.pending.get(m.sub);
      if (pending) pending.reject(error);
      else this.handlers.get(m.sub)?.({ type: 'ended', error });
      this.handlers.delete(m.sub);
      this.pending.delete(m.sub);
    }
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const l of this.closeListeners) l(err);
  }
}
