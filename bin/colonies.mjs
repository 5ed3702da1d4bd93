#!/usr/bin/env node
// The `colonies` command. TypeScript runs through tsx (no build step); see cli/main.ts.
// Both of tsx's hooks, as `node --import tsx` has them: a .ts or .js module outside a "type": "module"
// package (a functions module in any folder) is CommonJS to Node and goes through require(), which
// reads TypeScript or `export` only with tsx's CommonJS hook (without it: "Cannot require() ES Module … in a cycle").
import process from 'node:process';
import { register as registerCommonJs } from 'tsx/cjs/api';
import { register } from 'tsx/esm/api';

registerCommonJs();
register();
const { main } = await import('../cli/main.ts');
process.exit(await main(process.argv));
