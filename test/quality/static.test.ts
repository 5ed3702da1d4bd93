/**
 * The static checks are part of the suite, so `npm test` (and CI) refuses code that does not
 * type-check or lint. They do not depend on the store, so they run once, in the PGlite pass.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const onceOnly = process.env.COLONIES_TEST_ENGINE === 'postgres';

function run(bin: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

test('the code type-checks (tsc, strict)', { skip: onceOnly && 'runs in the PGlite pass' }, async () => {
  const r = await run('node_modules/typescript/bin/tsc', ['-p', 'tsconfig.json']);
  assert.equal(r.code, 0, r.out);
});

test('the code lints clean (eslint)', { skip: onceOnly && 'runs in the PGlite pass' }, async () => {
  const r = await run('node_modules/eslint/bin/eslint.js', ['.', '--max-warnings=0']);
  assert.equal(r.code, 0, r.out);
});
