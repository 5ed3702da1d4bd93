#!/usr/bin/env node
// The `colonies` command: cli/main.bundle.mjs (built by `npm install`, see cli/bundle.mjs) while no
// source it was built from is newer, else the TypeScript sources through tsx (cli/typescript.ts).
import { readFileSync, statSync } from 'node:fs';
import process from 'node:process';

const root = new URL('../', import.meta.url);

/** Whether the bundle exists and none of its sources changed after it was built. */
function bundleIsFresh() {
  try {
    const built = statSync(new URL('cli/main.bundle.mjs', root)).mtimeMs;
    const { inputs } = JSON.parse(readFileSync(new URL('cli/main.bundle.json', root), 'utf8'));
    return inputs.every((f) => statSync(new URL(f, root)).mtimeMs <= built);
  } catch {
    return false;
  }
}

let main;
if (bundleIsFresh()) ({ main } = await import('../cli/main.bundle.mjs'));
else {
  const { loadTypeScript } = await import('../cli/typescript.mjs');
  await loadTypeScript();
  ({ main } = await import('../cli/main.ts'));
}
process.exit(await main(process.argv));
