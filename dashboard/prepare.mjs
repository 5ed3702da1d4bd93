// `npm install` runs this (the package's `prepare` script): it builds the dashboard so that a fresh
// clone's `npm install && npm run dev` shows it. With the dev dependencies that is `npm run build`
// (type check, then bundle); without them (`npm ci --omit=dev`) only the bundling, with esbuild,
// which tsx brings along anyway. Without esbuild it says so, and the server shows how to build.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import console from 'node:console';
import process from 'node:process';

const require = createRequire(import.meta.url);
const has = (pkg) => {
  try {
    require.resolve(`${pkg}/package.json`);
    return true;
  } catch {
    return false;
  }
};

if (!has('esbuild')) {
  console.log('colonies: esbuild is not installed, the dashboard was not built (run `npm run build` after `npm install`)');
  process.exit(0);
}
const [cmd, args] = has('typescript') ? ['npm', ['run', '--silent', 'build']] : [process.execPath, ['dashboard/build.mjs']];
const r = spawnSync(cmd, args, { stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(r.status ?? 1);
