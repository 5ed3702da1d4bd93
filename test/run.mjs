#!/usr/bin/env node
// Runs the whole suite on every store engine available: PGlite always, PostgreSQL when
// COLONIES_TEST_DATABASE_URL is set (or a server answers on 127.0.0.1:5432 with trust auth).
// Usage: npm test [-- file.test.ts …]   env: COLONIES_TEST_ENGINES=pglite|postgres|pglite,postgres
//
// The folders below test a client or the code itself, not the store: the server under them is the
// one the store-facing folders test on every engine. They run in one pass only, the last engine's
// (PostgreSQL's when there is one: its test databases are the cheaper to start).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = fileURLToPath(new URL('..', import.meta.url));
const ONE_PASS = ['browser', 'cli', 'package', 'protocol', 'python', 'quality'].map((d) => `test/${d}/`);

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : findTests(p);
    return e.name.endsWith('.test.ts') ? [p] : [];
  });
}

async function postgresUrl() {
  if (process.env.COLONIES_TEST_DATABASE_URL) return process.env.COLONIES_TEST_DATABASE_URL;
  const url = 'postgres://postgres@127.0.0.1:5432/postgres';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.end();
    return url;
  } catch {
    return undefined;
  }
}

function runEngine(engine, files, env) {
  const dir = mkdtempSync(join(tmpdir(), 'colonies-test-'));
  const tap = join(dir, 'report.tap');
  const args = [
    // PGlite's WebAssembly compiled by V8's baseline compiler only: a test file lives seconds, too short
    // to earn back the optimizing compiler's work (about a third of the PGlite pass's CPU).
    '--liftoff-only',
    '--import',
    'tsx',
    '--test',
    // One file more than cores: a file waits on its servers, subprocesses and timers for part of its run.
    `--test-concurrency=${availableParallelism() + 1}`,
    '--test-timeout=180000',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...files,
  ];
  console.log(`\n=== store engine: ${engine} (${files.length} files) ===`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env, COLONIES_TEST_ENGINE: engine } });
    child.on('exit', (code) => {
      let text = '';
      try {
        text = readFileSync(tap, 'utf8');
      } catch {
        /* the runner died before writing */
      }
      rmSync(dir, { recursive: true, force: true });
      const count = (name) => Number((text.match(new RegExp(`^# ${name} (\\d+)$`, 'm')) ?? [])[1] ?? 0);
      resolve({ engine, code: code ?? 1, pass: count('pass'), fail: count('fail'), skipped: count('skipped') });
    });
  });
}

const requested = process.argv.slice(2);
const files = (requested.length > 0 ? requested.map((f) => join(process.cwd(), f)) : findTests(join(root, 'test')))
  .map((f) => relative(root, f))
  .sort();
const url = await postgresUrl();
const wanted = (process.env.COLONIES_TEST_ENGINES ?? 'pglite,postgres').split(',');
const engines = wanted.filter((e) => e === 'pglite' || (e === 'postgres' && url));
if (wanted.includes('postgres') && !url) console.log('PostgreSQL not found (set COLONIES_TEST_DATABASE_URL): running on PGlite only');

const onePass = (f) => ONE_PASS.some((d) => f.split('\\').join('/').startsWith(d));
const results = [];
for (const engine of engines) {
  const last = engine === engines.at(-1);
  // The one-pass files start first: they hold the longest (lint, the packed package, the README), and
  // the short store files fill the cores around them rather than leaving one idle at the end.
  const theirs = [...files.filter((f) => last && onePass(f)), ...files.filter((f) => !onePass(f))];
  if (theirs.length > 0) results.push(await runEngine(engine, theirs, url ? { COLONIES_TEST_DATABASE_URL: url } : {}));
}

console.log('');
for (const r of results) console.log(`${r.engine}: ${r.pass} passed, ${r.fail} failed, ${r.skipped} skipped (exit ${r.code})`);
const pass = results.reduce((n, r) => n + r.pass, 0);
const fail = results.reduce((n, r) => n + r.fail, 0);
const skipped = results.reduce((n, r) => n + r.skipped, 0);
const ok = results.length > 0 && results.every((r) => r.code === 0) && fail === 0 && pass > 0;
console.log(`${pass} passed, ${fail} failed, ${skipped} skipped`);
process.exit(ok ? 0 : 1);
