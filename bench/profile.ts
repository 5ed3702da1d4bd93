/**
 * Where the server's CPU goes: summarises a V8 .cpuprofile by self time, grouped into categories
 * (signature and hashing, JSON, pg driver, express, zod, Node's HTTP, GC, our own code by file).
 *   node --import tsx bench/profile.ts bench/results/<file>.cpuprofile
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  categories: { name: string; ms: number; pct: number }[];
  top: { name: string; ms: number; pct: number }[];
}

const RULES: [RegExp, string][] = [
  [/node:internal\/crypto|\/protocol\/crypto\.ts|tweetnacl/, 'crypto (Ed25519 sign/verify, SHA-256)'],
  [/\/node_modules\/(pg|pg-protocol|pg-pool|pg-types|postgres-[a-z]+|pgpass|buffer-writer|packet-reader)\//, 'pg driver'],
  [
    /\/node_modules\/(express|router|body-parser|raw-body|iconv-lite|qs|type-is|content-type|mime-types|send|finalhandler|on-finished|debug|path-to-regexp|accepts|negotiator|statuses|http-errors|depd|parseurl|encodeurl|vary|cookie|proxy-addr|ipaddr\.js|fresh|etag|range-parser|merge-descriptors|serve-static|content-disposition|media-typer|bytes|unpipe|setprototypeof|toidentifier|inherits|safe-buffer|safer-buffer|call-bound|es-errors|get-intrinsic|side-channel[a-z-]*|object-inspect|function-bind|hasown|gopd|has-symbols|math-intrinsics|dunder-proto|es-object-atoms|es-define-property|call-bind-apply-helpers|get-proto|once|wrappy|ee-first)\//,
    'express & middleware',
  ],
  [/\/node_modules\/zod\//, 'zod validation'],
  [/\/node_modules\/graphile-worker\//, 'graphile-worker'],
  [/\/node_modules\/pg-boss\//, 'pg-boss'],
  [/\/executor\//, 'executor SDK (client, transport, Executor)'],
  [/\/node_modules\/ws\//, 'ws'],
  [/\/node_modules\/@electric-sql\/pglite\//, 'PGlite (WASM)'],
  [
    /node:internal\/(http|_http|streams|stream|net|dns|url|timers|event_target|events|async_hooks|process|util|buffer|webstreams)|node:(http|_http_[a-z]+|net|stream|events|buffer)/,
    "Node's HTTP, streams, timers",
  ],
  [/\/node_modules\/tsx\/|node:internal\/modules/, 'module loading (tsx)'],
  [/\/server\/http\//, 'server/http (routes, auth glue)'],
  [/\/server\/auth\//, 'server/auth'],
  [/\/server\/services\//, 'server/services'],
  [/\/server\/store\//, 'server/store (SQL, row mapping)'],
  [/\/server\/ws\//, 'server/ws'],
  [/\/protocol\//, 'protocol (schemas, signing)'],
  [/\/server\//, 'server (other)'],
];

function categoryOfUrl(url: string): string | undefined {
  for (const [re, name] of RULES) if (re.test(url)) return name;
  return undefined;
}

const isLibraryOrOurs = (url: string) => url !== '' && !url.startsWith('node:');

/**
 * Native code and Node internals are charged to whoever called them: the nearest frame up the
 * stack that belongs to a library or to our code (so a socket write under res.json() counts as
 * express, one under a query as the pg driver, and OpenSSL's verify as crypto).
 */
function categorize(n: ProfileNode, parent: Map<number, ProfileNode>): string {
  const { functionName, url } = n.callFrame;
  if (functionName === '(idle)') return '(idle)';
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return '(program: native, not attributed)';
  if (url === '' && /^(parse|stringify)$/.test(functionName)) return 'JSON parse/stringify';
  let first: string | undefined;
  for (let cur: ProfileNode | undefined = n; cur; cur = parent.get(cur.id)) {
    const u = cur.callFrame.url;
    if (u.includes('/node:inspector') || /^node:inspector/.test(u) || u.includes('/bench/')) return 'bench harness (profiler, bench functions)';
    if (/node:internal\/crypto/.test(u)) return 'crypto (Ed25519 sign/verify, SHA-256)';
    if (/node:internal\/deps\/undici/.test(u)) return 'undici (fetch)';
    if (first === undefined && u !== '') first = u;
    if (isLibraryOrOurs(u)) return categoryOfUrl(u) ?? 'other';
  }
  if (first) return categoryOfUrl(first) ?? 'Node (other)';
  return `native: ${functionName || '(anonymous)'}`;
}

export function summarizeProfile(file: string, topN = 20): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, ProfileNode>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n);
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  const cats = new Map<string, number>();
  const fns = new Map<string, number>();
  let idle = 0;
  let busy = 0;
  for (const [id, t] of self) {
    const n = byId.get(id)!;
    const c = categorize(n, parent);
    if (c === '(idle)') {
      idle += t;
      continue;
    }
    busy += t;
    cats.set(c, (cats.get(c) ?? 0) + t);
    let named = n;
    // Name a native leaf after its caller too ("writev ← Socket._writeGeneric").
    const up = parent.get(n.id);
    const where = (x: ProfileNode) =>
      x.callFrame.url
        ? `${x.callFrame.url.replace(/^.*\/(node_modules\/|server\/|protocol\/|executor\/)/, '$1')}:${x.callFrame.lineNumber + 1}`
        : 'native';
    let key = `${named.callFrame.functionName || '(anonymous)'} ${where(named)}`;
    if (!n.callFrame.url && up && up.callFrame.url) {
      named = up;
      key = `${n.callFrame.functionName} ← ${named.callFrame.functionName || '(anonymous)'} ${where(named)}`;
    }
    fns.set(key, (fns.get(key) ?? 0) + t);
  }
  const rank = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ name, ms, pct: (100 * ms) / busy }));
  return { busyMs: busy, idleMs: idle, categories: rank(cats), top: rank(fns).slice(0, topN) };
}

export function renderProfile(s: ProfileSummary): string {
  const lines = [`busy ${(s.busyMs / 1000).toFixed(2)} s, idle ${(s.idleMs / 1000).toFixed(2)} s`, 'self time by category:'];
  for (const c of s.categories) if (c.pct >= 0.5) lines.push(`  ${c.pct.toFixed(1).padStart(5)}%  ${c.name}`);
  lines.push('top functions (self time):');
  for (const f of s.top) lines.push(`  ${f.pct.toFixed(1).padStart(5)}%  ${f.name}`);
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  for (const f of process.argv.slice(2)) console.log(`${f}\n${renderProfile(summarizeProfile(f))}\n`);
}
