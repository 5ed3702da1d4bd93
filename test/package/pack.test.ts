/**
 * The package as its users get it: `npm pack` of a copy of the repository (prepack compiles the SDK into
 * dist/sdk, prepare builds the dashboard), installed without network into a project in the temporary
 * folder, and used from there against a live server: a plain .mjs script, TypeScript type checks, and
 * `colonies executor start` on a .ts module that imports the package.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { funcSpec, Workflow } from '../../executor/workflow.ts';
import { baseEnv, ROOT, start } from '../cli/helpers.ts';
import { readmeBlock } from '../helpers/readme.ts';

const SLOW = 900_000;
/** Not copied: what a clone does not have, and what the build must make itself. */
const NOT_COPIED = new Set(['.git', 'node_modules', 'dist', 'dashboard/dist', 'test-artifacts', '.colonies', 'bench/results']);
/** All the compiled SDK may import besides itself and node: — none of the server's packages. */
const SDK_PACKAGES = new Set(['zod', 'ws', 'tweetnacl', 'ajv', 'ajv-formats', 'jsonpath-plus', '@marcbachmann/cel-js']);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = baseEnv()): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 600_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr: stderr + (err && typeof err.code !== 'number' ? `\n${err.message}` : '') });
    });
  });
}

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dev?: boolean;
  license?: string;
  dependencies?: Record<string, string>;
  bin?: unknown;
  engines?: unknown;
}
interface Lockfile {
  packages: Record<string, LockEntry>;
}
const repoLock = (): Lockfile => JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lockfile;

/**
 * The project's lockfile: the tarball, and the repository's locked production dependencies. npm then
 * installs the versions `npm ci` put in its cache, with no registry request (without a lockfile npm
 * asks for full metadata, which the cache of an `npm ci` does not hold).
 */
function writeProject(dir: string, tarball: string, integrity: string): void {
  const lock = repoLock();
  const { version, license, dependencies: needs, bin, engines } = lock.packages['']!;
  const spec = `file:${relative(dir, tarball)}`;
  const dependencies = { colonies: spec };
  const packages: Lockfile['packages'] = {
    '': { dependencies },
    'node_modules/colonies': { version, resolved: spec, integrity, license, dependencies: needs, bin, engines },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path && !entry.dev) packages[path] = entry;
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'colonies-user', private: true, type: 'module', dependencies }, null, 2));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: 'colonies-user', lockfileVersion: 3, requires: true, packages }, null, 2));
}

/** Where npm's cache lacks a package: the tarball unpacked by hand, the repository's dependencies linked in. */
async function linkInstall(dir: string, tarball: string): Promise<void> {
  const into = join(dir, 'node_modules', 'colonies');
  mkdirSync(into, { recursive: true });
  const untar = await sh('tar', ['-xzf', tarball, '-C', into, '--strip-components=1'], dir);
  assert.equal(untar.code, 0, untar.stderr);
  for (const [path, entry] of Object.entries(repoLock().packages)) {
    const top = path.startsWith('node_modules/') && !path.slice('node_modules/'.length).includes('node_modules/');
    if (!top || entry.dev || !existsSync(join(ROOT, path))) continue;
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    symlinkSync(join(ROOT, path), join(dir, path));
  }
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync('../colonies/bin/colonies.mjs', join(dir, 'node_modules', '.bin', 'colonies'));
}

/** The package a bare specifier names: 'zod', '@scope/name'. */
const packageOf = (spec: string): string =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

/** Every file under dir, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** The README's SDK example, as written: an executor serving two functions, and a workflow of them. */
const HELLO = readmeBlock('js', '// hello.mjs');

/** Uses the package's classes and types the way an application does; it must type-check as it is. */
const TYPED = `import { ColoniesClient, ColoniesError, Executor, Workflow, funcSpec } from 'colonies';
import type { ErrorCode, ExecutionContext, ExecutorFunction, Process, ProcessGraphWithProcesses, ProcessState } from 'colonies';

export const shout: ExecutorFunction = (ctx: ExecutionContext, ...words: string[]): string => \`\${ctx.executortype}: \${words.join(' ')}\`;

export function executor(url: string, colonyname: string, colonyPrvkey: string): Executor {
  return new Executor({ url, colonyname, executortype: 'typed', colonyPrvkey, functions: { shout } });
}

export async function run(client: ColoniesClient): Promise<{ state: ProcessState; out: unknown[] | undefined }> {
  const wf = new Workflow().add(funcSpec({ func: shout, args: ['hi'], executortype: 'typed', maxexectime: 10 }));
  const graph = await client.submitWorkflow(wf);
  const done: ProcessGraphWithProcesses = await client.waitForProcessGraph(graph.processgraphid);
  const last: Process | undefined = done.processes.find((p) => p.spec.nodename === 'shout');
  return { state: done.state, out: last?.out };
}

export function codeOf(err: unknown): ErrorCode | 'UNREACHABLE' | 'BAD_RESPONSE' | 'TIMEOUT' | undefined {
  return err instanceof ColoniesError ? err.code : undefined;
}
`;

/** Two mistakes the package's types must catch. */
const WRONG = `import { funcSpec, type ProcessState } from 'colonies';

export const state: ProcessState = 'DONE';
export const spec = funcSpec({ func: 'shout' });
`;

/** A functions module that imports the package for a value (ColoniesError) and a type. */
const FUNCTIONS = `import { ColoniesError, type ExecutionContext } from 'colonies';

export function split(_ctx: ExecutionContext, text: string): string[] {
  return text.split(' ');
}

export function shout(ctx: ExecutionContext, ...words: string[]): string {
  if (words.length === 0) throw new ColoniesError('VALIDATION_FAILED', 'nothing to shout');
  return \`\${words.join(' ').toUpperCase()}! (\${ctx.executortype})\`;
}
`;

interface Installed {
  /** The temporary folder holding the clone, the tarball and the project. */
  work: string;
  /** The project in which the package is installed. */
  project: string;
  packed: { filename: string; integrity: string; files: { path: string }[] };
  /** Why npm did not install the tarball, when it was installed by hand instead. */
  linked: string | undefined;
}

/** Packs a copy of the repository (as a clone has it) and installs the tarball into a new project beside it. */
async function packAndInstall(work: string): Promise<Installed> {
  const clone = join(work, 'clone');
  cpSync(ROOT, clone, { recursive: true, filter: (from) => !NOT_COPIED.has(relative(ROOT, from)) });
  symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
  mkdirSync(join(work, 'out'));
  const pack = await sh('npm', ['pack', '--json', '--pack-destination', join(work, 'out')], clone);
  assert.equal(pack.code, 0, pack.stderr);
  const packed = (JSON.parse(pack.stdout) as Installed['packed'][])[0]!;
  const tarball = join(work, 'out', packed.filename);

  const project = join(work, 'project');
  mkdirSync(project);
  writeProject(project, tarball, packed.integrity);
  const install = await sh('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], project);
  let linked: string | undefined;
  if (install.code !== 0 && /ENOTCACHED/.test(install.stderr)) {
    linked = `npm's cache lacks a dependency, so the tarball was unpacked and the dependencies linked by hand: ${install.stderr}`;
    rmSync(join(project, 'node_modules'), { recursive: true, force: true });
    await linkInstall(project, tarball);
  } else assert.equal(install.code, 0, install.stderr);
  return { work, project, packed, linked };
}

/** `colonies executor start` (the script `bin`, else the repository's) on a module, running split → shout through it. */
async function servesThroughCli(f: Fixture, type: string, module: string, cwd: string, bin?: string): Promise<void> {
  const env = baseEnv({
    COLONIES_SERVER_URL: f.url,
    COLONIES_COLONY_NAME: f.a.colonyname,
    COLONIES_COLONY_PRVKEY: f.a.owner.prvkey,
    COLONIES_EXECUTOR_TYPE: type,
  });
  const executor = start(['executor', 'start', '--functions', module, '--name', type], env, { cwd, ...(bin ? { bin } : {}) });
  try {
    await executor.waitFor(/serving shout, split in colony colony-a/, 120_000);
    const wf = new Workflow(f.a.colonyname)
      .add(funcSpec({ func: 'split', args: ['hello colonies'], executortype: type, maxexectime: 30 }))
      .add(funcSpec({ func: 'shout', executortype: type, dependencies: ['split'], maxexectime: 30 }));
    const graph = await f.a.userClient.submitWorkflow(wf);
    const done = await f.a.userClient.waitForProcessGraph(graph.processgraphid, 60_000);
    assert.equal(done.state, 'SUCCESS', `${type}: ${JSON.stringify(done.processes.map((p) => [p.spec.nodename, p.state, p.errors]))}`);
    assert.deepEqual(done.processes.find((p) => p.spec.nodename === 'shout')?.out, [`HELLO COLONIES! (${type})`]);
  } finally {
    const stopped = await executor.stop('SIGTERM');
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, new RegExp(`executor ${type} stopped: 2 succeeded, 0 failed\\n$`));
  }
}

describe('the colonies package, packed and installed outside the repository', { timeout: SLOW }, () => {
  let f: Fixture;
  let pkg: Installed;

  before(
    async () => {
      f = await startFixture();
      pkg = await packAndInstall(mkdtempSync(join(tmpdir(), 'colonies-pack-')));
    },
    { timeout: SLOW },
  );
  after(async () => {
    if (pkg) rmSync(pkg.work, { recursive: true, force: true });
    if (f) await f.close();
  });

  test('the tarball holds the package: the compiled SDK, the CLI, the server and the built dashboard, not the repository', (t) => {
    t.diagnostic(pkg.linked ?? 'installed with npm ci --offline from the tarball');
    const paths = pkg.packed.files.map((x) => x.path);
    for (const needed of [
      'package.json',
      'README.md',
      'bin/colonies.mjs',
      'cli/main.ts',
      'server/main.ts',
      'migrations/0001_init.sql',
      'dashboard/dist/index.html',
      'dist/sdk/executor/index.js',
      'dist/sdk/executor/index.d.ts',
    ])
      assert.ok(paths.includes(needed), `${needed} is packed`);
    // Nothing else: no test/, bench/, examples/, docs/, node_modules/, test-artifacts/, dashboard sources.
    const stray = paths.filter(
      (p) => !/^(package\.json|README\.md|(bin|cli|server|executor|protocol|migrations|dashboard\/dist|dist\/sdk)\/.+)$/.test(p),
    );
    assert.deepEqual(stray, []);
    const installed = JSON.parse(readFileSync(join(pkg.project, 'node_modules', 'colonies', 'package.json'), 'utf8')) as { exports: unknown };
    assert.deepEqual(installed.exports, {
      '.': { types: './dist/sdk/executor/index.d.ts', default: './dist/sdk/executor/index.js' },
      './package.json': './package.json',
    });
  });

  test('the compiled SDK is JavaScript with declarations: no .ts specifier, nothing imported outside it but the client packages', () => {
    const sdk = join(pkg.project, 'node_modules', 'colonies', 'dist', 'sdk');
    const files = filesUnder(sdk);
    assert.ok(files.includes(join('executor', 'client.d.ts')), 'declarations are emitted');
    const outside = new Set<string>();
    for (const file of files.filter((x) => x.endsWith('.js'))) {
      const text = readFileSync(join(sdk, file), 'utf8');
      // Statements only (a comment may quote an import): import … from 'x', export … from 'x', import 'x', import('x').
      const statements = /^(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|^import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]/gm;
      for (const m of text.matchAll(statements)) {
        const spec = (m[1] ?? m[2] ?? m[3])!;
        if (spec.startsWith('.')) {
          assert.match(spec, /\.js$/, `${file} imports ${spec}`);
          assert.ok(existsSync(join(sdk, dirname(file), spec)), `${file} imports ${spec}, which is packed`);
        } else if (!spec.startsWith('node:')) outside.add(packageOf(spec));
      }
    }
    assert.ok(outside.has('zod') && outside.has('ws'), `the scan sees the SDK's imports: ${[...outside].join(', ')}`);
    assert.deepEqual([...outside].filter((p) => !SDK_PACKAGES.has(p)).sort(), []);
  });

  test("a plain .mjs script (no tsx) imports from 'colonies', serves functions and runs a workflow to its result", async () => {
    writeFileSync(join(pkg.project, 'hello.mjs'), HELLO);
    const env = baseEnv({
      COLONIES_SERVER_URL: f.url,
      COLONIES_COLONY_NAME: f.a.colonyname,
      COLONIES_PRVKEY: f.a.user.prvkey,
      COLONIES_COLONY_PRVKEY: f.a.owner.prvkey,
    });
    const r = await sh(process.execPath, ['hello.mjs'], pkg.project, env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "SUCCESS [ 'HELLO COLONIES!' ]\n");
    assert.equal(r.stderr, '');
    const resolved = await sh(process.execPath, ['--input-type=module', '-e', "console.log(import.meta.resolve('colonies'))"], pkg.project);
    assert.equal(resolved.stdout.trim(), `file://${join(pkg.project, 'node_modules', 'colonies', 'dist', 'sdk', 'executor', 'index.js')}`);
  });

  test("TypeScript (nodenext) resolves the package's types: a typed file checks, a wrong one is reported", async () => {
    writeFileSync(join(pkg.project, 'typed.ts'), TYPED);
    writeFileSync(join(pkg.project, 'wrong.ts'), WRONG);
    const options = { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: false };
    writeFileSync(join(pkg.project, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files: ['typed.ts'] }));
    writeFileSync(join(pkg.project, 'tsconfig.wrong.json'), JSON.stringify({ compilerOptions: options, files: ['typed.ts', 'wrong.ts'] }));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

    const typed = await sh(process.execPath, [tsc, '-p', 'tsconfig.json'], pkg.project);
    assert.equal(typed.code, 0, typed.stdout + typed.stderr);

    const wrong = await sh(process.execPath, [tsc, '-p', 'tsconfig.wrong.json'], pkg.project);
    assert.notEqual(wrong.code, 0);
    const errors = wrong.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
    assert.equal(errors.length, 2, wrong.stdout);
    assert.match(errors[0]!, /^wrong\.ts\(3,14\): error TS2322: Type '"DONE"' is not assignable to type '"WAITING" \| "RUNNING" \| /);
    assert.match(
      errors[1]!,
      /^wrong\.ts\(4,30\): error TS2345: Argument of type '\{ func: string; \}' is not assignable to parameter of type 'FuncSpecOptions'\./,
    );
    assert.match(wrong.stdout, /Property 'executortype' is missing/);
  });

  test("executor start serves a .ts module that imports 'colonies': the installed CLI in a CommonJS folder, the repository's in the ESM project", async () => {
    const commonjs = join(pkg.project, 'commonjs');
    mkdirSync(commonjs);
    writeFileSync(join(commonjs, 'package.json'), JSON.stringify({ type: 'commonjs' }));
    writeFileSync(join(commonjs, 'functions.ts'), FUNCTIONS);
    writeFileSync(join(pkg.project, 'functions.ts'), FUNCTIONS);
    await servesThroughCli(f, 'pkg-installed', join(commonjs, 'functions.ts'), pkg.project, join(pkg.project, 'node_modules', '.bin', 'colonies'));
    await servesThroughCli(f, 'pkg-repo', join(pkg.project, 'functions.ts'), pkg.project);
  });
});
