/**
 * `colonies executor start --functions` with modules of every kind in a folder outside the repository:
 * .js and .ts there are CommonJS to Node (no package.json says "type": "module"), .mjs and .mts are ESM,
 * and a .ts in a "type": "module" folder is ESM (top-level await and all). Each serves a two-step workflow.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Fixture } from '../helpers/fixture.ts';
import { funcSpec, Workflow } from '../../executor/workflow.ts';
import { baseEnv, cliFixture, errorLine, run, start, type CliFixture } from './helpers.ts';

let f: Fixture;
let dir: string;
let stop: CliFixture['stop'];
before(async () => {
  ({ f, dir, stop } = await cliFixture({ name: 'cli-modules' }));
});
after(() => stop());

/** Writes files under dir/<folder> and returns the folder. */
function folder(name: string, files: Record<string, string>): string {
  const at = join(dir, name);
  mkdirSync(at, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(at, file), text);
  return at;
}

const ownerEnv = (type: string) =>
  baseEnv({
    COLONIES_SERVER_URL: f.url,
    COLONIES_COLONY_NAME: f.a.colonyname,
    COLONIES_COLONY_PRVKEY: f.a.owner.prvkey,
    COLONIES_EXECUTOR_TYPE: type,
  });

/** Starts the CLI on the module (from its own folder), runs split → join through it, and stops it. */
async function serves(type: string, cwd: string, module: string, expected: unknown[]): Promise<void> {
  const executor = start(['executor', 'start', '--functions', module, '--name', `${type}-1`], ownerEnv(type), { cwd });
  try {
    await executor.waitFor(/serving join, split in colony colony-a/, 60_000);
    const wf = new Workflow(f.a.colonyname)
      .add(funcSpec({ func: 'split', args: ['a-b'], executortype: type, maxexectime: 30 }))
      .add(funcSpec({ func: 'join', executortype: type, dependencies: ['split'], maxexectime: 30 }));
    const graph = await f.a.userClient.submitWorkflow(wf);
    const done = await f.a.userClient.waitForProcessGraph(graph.processgraphid, 60_000);
    assert.equal(done.state, 'SUCCESS', JSON.stringify(done.processes.map((p) => [p.spec.nodename, p.state, p.errors])));
    assert.deepEqual(done.processes.find((p) => p.spec.nodename === 'join')?.out, expected);
  } finally {
    const stopped = await executor.stop('SIGTERM');
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, new RegExp(`executor ${type}-1 stopped: 2 succeeded, 0 failed\\n$`));
  }
}

describe('executor start --functions, a module outside the repository', () => {
  test('a .js module with export syntax and no package.json (CommonJS to Node)', async () => {
    const at = folder('plain-js', {
      'fns.js': [
        "export function split(_ctx, s) { return s.split('-'); }",
        "export function join(_ctx, ...parts) { return parts.join('+') + ' (js)'; }",
      ].join('\n'),
    });
    await serves('mod-js', at, join(at, 'fns.js'), ['a+b (js)']);
  });

  test('an .mjs module, given by a relative path', async () => {
    const at = folder('plain-mjs', {
      'fns.mjs': ["export const split = (_ctx, s) => s.split('-');", "export default { join: (_ctx, ...parts) => parts.join('+') + ' (mjs)' };"].join(
        '\n',
      ),
    });
    await serves('mod-mjs', at, 'fns.mjs', ['a+b (mjs)']);
  });

  test('a .ts module with types and a .ts import beside it, no package.json', async () => {
    const at = folder('plain-ts', {
      'helper.ts': "export const glue = (parts: string[]): string => parts.join('+') + ' (ts)';\n",
      'fns.ts': [
        "import { glue } from './helper.ts';",
        'interface Ctx { process: { processid: string } }',
        "export function split(_ctx: Ctx, s: string): string[] { return s.split('-'); }",
        'export function join(_ctx: Ctx, ...parts: string[]): string { return glue(parts); }',
      ].join('\n'),
    });
    await serves('mod-ts', at, join(at, 'fns.ts'), ['a+b (ts)']);
  });

  test('a .ts module in a "type": "module" package, with top-level await', async () => {
    const at = folder('esm-ts', {
      'package.json': JSON.stringify({ type: 'module', private: true }),
      'fns.ts': [
        "const suffix: string = await Promise.resolve(' (esm ts)');",
        "export function split(_ctx: unknown, s: string): string[] { return s.split('-'); }",
        "export function join(_ctx: unknown, ...parts: string[]): string { return parts.join('+') + suffix; }",
      ].join('\n'),
    });
    await serves('mod-esm-ts', at, join(at, 'fns.ts'), ['a+b (esm ts)']);
  });

  test('an .mts module with top-level await, no package.json', async () => {
    const at = folder('plain-mts', {
      'fns.mts': [
        "const suffix: string = await Promise.resolve(' (mts)');",
        "export function split(_ctx: unknown, s: string): string[] { return s.split('-'); }",
        "export function join(_ctx: unknown, ...parts: string[]): string { return parts.join('+') + suffix; }",
      ].join('\n'),
    });
    await serves('mod-mts', at, join(at, 'fns.mts'), ['a+b (mts)']);
  });

  test('top-level await in a CommonJS .ts is exit 2, BAD_MODULE, saying how to make it ESM', async () => {
    const at = folder('tla-cjs', { 'fns.ts': 'const n: number = await Promise.resolve(1);\nexport const one = () => n;\n' });
    const r = await run(['executor', 'start', '--functions', join(at, 'fns.ts')], ownerEnv('mod-tla'), { cwd: at });
    assert.equal(r.code, 2, r.stderr);
    const e = errorLine(r);
    assert.equal(e.code, 'BAD_MODULE');
    assert.match(
      e.message,
      /^cannot load .*fns\.ts: .*[Tt]op-level await.*\(name it \.mts or \.mjs, or put it in a package with "type": "module"\)$/,
    );
  });
});
