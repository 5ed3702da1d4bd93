/** Times, durations, ids and values as people read them. */
export function shortId(id: string | null | undefined): string {
  return id ? id.slice(0, 8) : '—';
}

export function time(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const today = new Date();
  const sameDay = d.toDateString() === today.toDateString();
  const t = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  return sameDay ? t : `${d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${t}`;
}

export function fullTime(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString(undefined, { hour12: false }) + ` (${iso})` : '';
}

export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** From start to end, or to now while it runs. */
export function span(start: string | null | undefined, end: string | null | undefined, now = Date.now()): string {
  if (!start) return '—';
  return duration((end ? Date.parse(end) : now) - Date.parse(start));
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const ms = now - Date.parse(iso);
  if (ms < 0) return `in ${duration(-ms)}`;
  if (ms < 5000) return 'just now';
  return `${duration(ms)} ago`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

export function plural(n: number, one: string, many: string): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}

/** JSON for display, cut at `max` characters (the full text stays one click away). */
export function json(v: unknown, max = 20_000): { text: string; cut: boolean; full: string } {
  // Short values on one line ([1,2,1,2]); longer ones indented.
  const flat = JSON.stringify(v) ?? 'undefined';
  const full = flat.length <= 100 ? flat : JSON.stringify(v, null, 2);
  return full.length > max ? { text: full.slice(0, max), cut: true, full } : { text: full, cut: false, full };
}

/** maxretries as shown: -1 retries without limit. */
export function maxRetries(n: number): string {
  return n < 0 ? 'unlimited' : String(n);
}

/** A run as people name it: its name (given, or its spec's or cron's), else the start of its id. */
export function runName(g: { name?: string; processgraphid: string }): string {
  return g.name || shortId(g.processgraphid);
}

/** The registered spec a run follows ("quickstart v2"), or '' for an ad-hoc submit. */
export function specLabel(g: { specname?: string | null; specversion?: number | null }): string {
  return g.specname ? `${g.specname} v${g.specversion ?? '?'}` : '';
}

/** Who started a run: its cron, else the user's or executor's name as the server knows it, else `fallback` (a name looked up by id). */
export function startedBy(g: { cronname?: string | null; initiatorname?: string }, fallback: string): string {
  return g.cronname ? `cron ${g.cronname}` : g.initiatorname || fallback;
}
