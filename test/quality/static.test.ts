/**
 * The static checks are part of the suite, so `npm test` (and CI) refuses code that does not
 * type-check or lint.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function run(bin: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

/**
 * The files git tracks (with those added but not committed), so that a user's scratch script in the
 * folder is not judged; outside a git checkout (an unpacked tarball), undefined: everything.
 */
function tracked(patterns: string[]): string[] | undefined {
  try {
    const out = execFileSync('git', ['ls-files', '--cached', '--', ...patterns], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.split('\n').filter((f) => f !== '');
  } catch {
    return undefined;
  }
}

test('the code type-checks (tsc, strict)', () => {
  // tsconfig.json's settings and files, less those git does not track.
  const read = ts.readConfigFile(join(ROOT, 'tsconfig.json'), (p) => ts.sys.readFile(p));
  const config = ts.parseJsonConfigFileContent(read.config as object, ts.sys, ROOT);
  const files = tracked(['*.ts']);
  const known = files && new Set(files.map((f) => join(ROOT, f)));
  const program = ts.createProgram({ rootNames: config.fileNames.filter((f) => !known || known.has(f)), options: config.options });
  const diagnostics = ts.getPreEmitDiagnostics(program);
  const host = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' };
  assert.equal(diagnostics.length, 0, ts.formatDiagnostics(diagnostics, host));
});

test('the code lints clean (eslint)', async () => {
  const files = tracked(['*.ts', '*.js', '*.mjs']);
  const r = await run('node_modules/eslint/bin/eslint.js', ['--max-warnings=0', ...(files ?? ['.'])]);
  assert.equal(r.code, 0, r.out);
});
