/** What every page gets: the signed API, the live connection, names for ids, and navigation. */
import type { Api } from './api.ts';
import type { Live } from './live.ts';
import { shortId } from './format.ts';
import type { Colony } from '../../protocol/types.ts';

export interface Page {
  el: HTMLElement;
  /** Ends subscriptions and timers when the user leaves the page. */
  dispose?(): void;
}

export interface Ctx {
  api: Api;
  live: Live;
  names: Names;
  colony: Colony;
}

/** Names for the ids that appear in processes (initiators, executors), learnt from the colony's lists. */
export class Names {
  private readonly map = new Map<string, string>();
  private loaded: Promise<void> | undefined;

  constructor(private readonly api: Api) {}

  load(force = false): Promise<void> {
    if (!this.loaded || force) {
      this.loaded = (async () => {
        const [colony, users, executors] = await Promise.all([
          this.api.colony(),
          this.api.users().catch(() => []),
          this.api.executors().catch(() => []),
        ]);
        this.map.set(colony.colonyid, 'colony owner');
        for (const u of users) this.map.set(u.userid, u.username);
        for (const e of executors) this.map.set(e.executorid, e.executorname);
      })().catch(() => undefined);
    }
    return this.loaded;
  }

  private lastForced = 0;

  of(id: string | null | undefined): string {
    if (!id) return '—';
    const name = this.map.get(id);
    if (name) return name;
    // A newly registered executor or user: learn the names again, at most every 10 s.
    if (Date.now() - this.lastForced > 10_000) {
      this.lastForced = Date.now();
      void this.load(true);
    }
    return shortId(id);
  }
}

export interface Route {
  path: string[];
  params: URLSearchParams;
}

export function parseHash(hash = location.hash): Route {
  const raw = hash.replace(/^#/, '');
  const [p = '', q = ''] = raw.split('?', 2);
  return { path: p.split('/').filter(Boolean), params: new URLSearchParams(q) };
}

export function href(path: string, params: Record<string, string | number | undefined | null> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const qs = q.toString();
  return `#${path}${qs ? '?' + qs : ''}`;
}
