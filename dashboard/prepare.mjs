// `npm install` runs this (the package's `prepare` script): it builds the dashboard so that a fresh
// clone's `npm install && npm run dev` shows it. Skipped, with a note, when the dev dependencies that
// build it are absent (e.g. `npm ci --omit=dev`): the server then says to run `npm run build`.
import { spawnSync } from 'node:child_process';
import console from 'node:console';
import process from 'node:process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
try {
  require.resolve('vite/package.json');
} catch {
  console.log('colonies: vite is not installed, the dashboard was not built (run `npm run build` after installing dev dependencies)');
  process.exit(0);
}
const r = spawnSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(r.status ?? 1);
