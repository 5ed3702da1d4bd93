/**
 * The Python client (clients/python) against a real server: its own unit and live tests, its route
 * table against protocol/routes.ts, the Python examples run as subprocesses with the Python example
 * executor, and `pip install` of the package into a fresh virtual environment.
 *
 * It needs a python3 with the cryptography package (Debian's python3-cryptography; .ci/ensure-python
 * installs it) and fails, naming what is missing, when there is none.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { readmeBlock } from '../helpers/readme.ts';
import { OPERATIONS } from '../../protocol/routes.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const clientDir = join(root, 'clients', 'python');
const examplesDir = join(root, 'examples', 'python');
/** Short, so that a Python function outliving it shows the heartbeats keep its lease. */
const LEASE_SECONDS = 3;

const CANDIDATES = ['python3', '/usr/bin/python3'];
const HAS_CRYPTOGRAPHY = 'import cryptography';
// Building offline without isolation: setuptools, and before 70.1 its bdist_wheel came from wheel.
const CAN_BUILD = `${HAS_CRYPTOGRAPHY}
import setuptools, pip, venv
if tuple(int(x) for x in setuptools.__version__.split(".")[:2]) < (70, 1):
    import wheel`;

/** The first interpreter on the list that runs `check` without error. */
function findPython(check: string): string | undefined {
  return CANDIDATES.find((py) => spawnSync(py, ['-c', check], { stdio: 'ignore', timeout: 30_000 }).status === 0);
}

function requirePython(check: string, what: string): string {
  const py = findPython(check);
  if (!py) assert.fail(`no Python interpreter (tried ${CANDIDATES.join(', ')}) has ${what}: run "bash .ci/ensure-python" (Debian packages)`);
  return py;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end (killed after timeoutMs); its output for the assertions. */
function run(cmd: string, args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: o.cwd ?? root, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const said = (r: Ran) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

let f: Fixture;
const children = new Set<ChildProcess>();

before(async () => {
  f = await startFixture({ loops: true, config: { deadlineIntervalMs: 100, leaseSeconds: LEASE_SECONDS } });
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await f?.close();
});

/** The environment of the Python examples: the server, colony A, and (for the executor) its owner's key. */
function exampleEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PYTHONPATH: clientDir,
    PYTHONUNBUFFERED: '1',
    COLONIES_SERVER_URL: f.url,
    COLONIES_COLONY_NAME: f.a.colonyname,
    COLONIES_PRVKEY: f.a.user.prvkey,
    ...extra,
  };
}

test("the Python client's unit tests and live tests pass, none skipped", async () => {
  const python = requirePython(HAS_CRYPTOGRAPHY, 'the cryptography package');
  const r = await run(python, ['-m', 'unittest', 'discover', '-s', 'tests', '-v'], {
    cwd: clientDir,
    timeoutMs: 300_000,
    env: {
      ...process.env,
      PYTHONPATH: clientDir,
      COLONIES_TEST_SERVER_URL: f.url,
      COLONIES_TEST_COLONY_NAME: f.a.colonyname,
      COLONIES_TEST_COLONY_PRVKEY: f.a.owner.prvkey,
      COLONIES_TEST_PRVKEY: f.a.user.prvkey,
      COLONIES_TEST_LEASE_SECONDS: String(LEASE_SECONDS),
    },
  });
  assert.equal(r.code, 0, said(r));
  assert.match(r.stderr, /^OK$/m, said(r));
  assert.doesNotMatch(r.stderr, /skipped/, 'every live test ran against the server');
  const ran = Number(/^Ran (\d+) tests/m.exec(r.stderr)?.[1]);
  assert.ok(ran >= 30, `ran ${ran} tests`);
  for (const name of ['test_every_request_hash_canonical_string_signature_and_headers', 'test_heartbeats_keep_a_function_longer_than_the_lease'])
    assert.match(r.stderr, new RegExp(`${name} .* ok$`, 'm'), `${name} ran and passed`);
});

test("the Python client's route table is protocol/routes.ts's", async () => {
  const python = requirePython(HAS_CRYPTOGRAPHY, 'the cryptography package');
  const r = await run(python, ['-c', 'import json; from colonies.routes import OPERATIONS; print(json.dumps(OPERATIONS))'], {
    env: { ...process.env, PYTHONPATH: clientDir },
  });
  assert.equal(r.code, 0, said(r));
  const expected = Object.fromEntries(Object.entries(OPERATIONS).map(([op, route]) => [op, [route.method, route.path]]));
  assert.deepEqual(JSON.parse(r.stdout), expected);
});

/** Starts examples/python/executor.py; resolves with its id once it says it started. */
async function startPythonExecutor(python: string): Promise<{ child: ChildProcess; id: string; lines: string[]; exited: Promise<number | null> }> {
  const child = spawn(python, [join(examplesDir, 'executor.py')], {
    cwd: root,
    env: exampleEnv({ COLONIES_COLONY_PRVKEY: f.a.owner.prvkey, COLONIES_PRVKEY: '' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const lines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const id = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the Python executor did not start within 30 s; stderr: ${stderr}`)), 30_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      const m = / started \(id ([0-9a-f]{64}),/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => reject(new Error(`the Python executor exited (${code}) before starting; stderr: ${stderr}`)));
  });
  return { child, id, lines, exited };
}

test('the Python examples run against the server, served by the Python example executor', async () => {
  const python = requirePython(HAS_CRYPTOGRAPHY, 'the cryptography package');
  const executor = await startPythonExecutor(python);
  const cases = [
    { script: 'two_steps.py', result: 3, nodes: ['gen_nums', 'sum_nums'] },
    { script: 'fan_in.py', result: 30, nodes: ['fetch_a', 'fetch_b', 'merge'] },
    { script: 'map_reduce.py', result: 15, nodes: ['map', 'reduce', 'gen_nums_0', 'gen_nums_1', 'gen_nums_2', 'gen_nums_3', 'gen_nums_4'] },
  ];
  for (const c of cases) {
    const r = await run(python, [join(examplesDir, c.script)], { env: exampleEnv() });
    assert.equal(r.code, 0, `${c.script}: ${said(r)}`);
    assert.match(r.stdout, new RegExp(`^Result: ${c.result}$`, 'm'), said(r));
    for (const nodename of c.nodes) assert.match(r.stdout, new RegExp(`^  ${nodename}: SUCCESS$`, 'm'), said(r));
    const graphid = /^Workflow submitted: ([0-9a-f]{64})$/m.exec(r.stdout)?.[1];
    assert.ok(graphid, said(r));
    const graph = await f.a.userClient.getProcessGraph(graphid);
    assert.equal(graph.state, 'SUCCESS');
    assert.deepEqual(new Set(graph.processes.map((p) => p.assignedexecutorid)), new Set([executor.id]), 'the Python executor ran every process');
    assert.deepEqual(graph.processes.map((p) => p.spec.nodename).sort(), [...c.nodes].sort());
  }
  const reduce = (await f.a.userClient.listProcesses({ funcname: 'reduce', count: 1 }))[0]!;
  assert.deepEqual(reduce.in, [1, 2, 1, 2, 1, 2, 1, 2, 1, 2], "reduce's input is the five gen_nums outputs");

  executor.child.kill('SIGTERM');
  assert.equal(await executor.exited, 0, executor.lines.join('\n'));
  assert.ok(
    executor.lines.some((l) => l.endsWith(' stopped')),
    executor.lines.join('\n'),
  );
  assert.ok(executor.lines.some((l) => / reduce \(reduce\) process [0-9a-f]{12}: done in \d+ ms -> \[15\]$/.test(l)));
});

test("the README's Python script runs as written", async () => {
  const python = requirePython(HAS_CRYPTOGRAPHY, 'the cryptography package');
  const script = readmeBlock('python', 'from colonies import');
  const r = await run(python, ['-c', script], { env: exampleEnv({ COLONIES_COLONY_PRVKEY: f.a.owner.prvkey }) });
  assert.equal(r.code, 0, said(r));
  assert.equal(r.stdout, 'State: SUCCESS\nResult: 3\n', said(r));
});

test('an example script without its environment says what to set', async () => {
  const python = requirePython(HAS_CRYPTOGRAPHY, 'the cryptography package');
  const r = await run(python, [join(examplesDir, 'two_steps.py')], { env: exampleEnv({ COLONIES_PRVKEY: '', COLONIES_COLONY_NAME: '' }) });
  assert.equal(r.code, 1, said(r));
  assert.match(r.stderr, /COLONIES_PRVKEY and COLONIES_COLONY_NAME not set/);
});

test('pip installs the package offline into a fresh virtual environment, importable outside the repository', async () => {
  const python = requirePython(CAN_BUILD, 'cryptography, pip, venv and setuptools (with wheel before setuptools 70.1)');
  const dir = mkdtempSync(join(tmpdir(), 'colonies-pip-'));
  try {
    // A copy: pip builds in the source tree, and the repository stays as it is.
    const src = join(dir, 'src');
    cpSync(clientDir, src, { recursive: true, filter: (p) => !p.includes('__pycache__') });
    const venv = join(dir, 'venv');
    const made = await run(python, ['-m', 'venv', '--without-pip', '--system-site-packages', venv]);
    assert.equal(made.code, 0, said(made));
    const vpython = join(venv, 'bin', 'python');
    const installed = await run(vpython, ['-m', 'pip', 'install', '--no-build-isolation', '--no-index', src], { timeoutMs: 180_000 });
    assert.equal(installed.code, 0, said(installed));
    assert.match(installed.stdout, /Successfully installed colonies-0\.1\.0/, said(installed));
    const vectors = join(root, 'test', 'vectors', 'signing.json');
    const used = await run(
      vpython,
      [
        '-c',
        `import json, colonies
from colonies import Colonies, Crypto, Executor, Workflow, func_spec
v = json.load(open(${JSON.stringify(vectors)}))
print(colonies.__file__)
print(Crypto().id(v["prvkey"]) == v["id"])`,
      ],
      { cwd: dir, env: { ...process.env, PYTHONPATH: '' } },
    );
    assert.equal(used.code, 0, said(used));
    const [file, sameId] = used.stdout.trim().split('\n');
    assert.ok(file?.startsWith(join(venv, 'lib')), `imported from the virtual environment: ${file}`);
    assert.equal(sameId, 'True');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
