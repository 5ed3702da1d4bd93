#!/usr/bin/env node
// The `colonies` command. TypeScript runs through tsx (no build step); see cli/main.ts.
import process from 'node:process';
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exit(await main(process.argv));
