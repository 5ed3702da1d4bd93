/**
 * The README's shell blocks, run as written against a live `colonies dev`: one bash process runs them
 * in order (so the ids kept in shell variables carry over), with the executor's block in the background
 * as in its own terminal. Each command must exit as its comment says: 0, or N when it says `exit N`.
 *
 * Every line of a block keeps its README line number in the script (the rest is blank), so bash's
 * $LINENO is the README's line: an ERR trap records each failing line with its status, and a DEBUG trap
 * marks stdout and stderr before each command, so the output of each line can be told apart.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { README, readmeBlocks, type ReadmeBlock } from '../helpers/readme.ts';
import { baseEnv, BIN, closedPort, ROOT, start, type Running } from '../cli/helpers.ts';

/** The shell blocks this test does not run, by the section each is in, and why. */
const NOT_RUN: { section: string; why: string }[] = [
  { section: 'Quick start', why: 'npm install and a server of its own: this test starts `colonies dev` itself' },
  { section: 'The TypeScript SDK', why: 'a clone, npm pack and an install elsewhere: test/package/pack.test.ts runs it' },
  {
    section: 'PostgreSQL and replicas',
    why: 'a PostgreSQL database of its own and a server in the foreground: test/cli/dev.test.ts runs `server start` on PostgreSQL',
  },
];
/** The executor's block: it serves until stopped, so it runs in the background, as in a terminal of its own. */
const isExecutor = (b: ReadmeBlock) => b.text.includes('colonies executor start');
/** A comment's promise that the command fails, and with which exit status. */
const EXPECTED_EXIT = /\s#\s.*\bexit (\d+)\b/;

interface Line {
  line: number;
  text: string;
}

/** The README's shell blocks: those to run in order, and the executor's. Every block falls under one rule. */
function shellBlocks(): { run: ReadmeBlock[]; executor: ReadmeBlock } {
  const all = readmeBlocks(['bash', 'sh', 'shell']);
  for (const rule of NOT_RUN) {
    const n = all.filter((b) => b.section === rule.section).length;
    assert.equal(n, 1, `README.md section "${rule.section}" has ${n} shell blocks; the rule not to run it (${rule.why}) expects one`);
  }
  const kept = all.filter((b) => !NOT_RUN.some((r) => r.section === b.section));
  const executors = kept.filter(isExecutor);
  assert.equal(executors.length, 1, 'one README block starts the executor');
  return { run: kept.filter((b) => !isExecutor(b)), executor: executors[0]! };
}

const linesOf = (b: ReadmeBlock): Line[] =>
  b.text
    .split('\n')
    .slice(0, -1)
    .map((text, i) => ({ line: b.line + i, text }));

/**
 * The script: README-long, blank but for the blocks at their own lines, the traps on line 1 (a title),
 * and the executor's block in a background subshell whose fences stand on the README's fence lines.
 * After it, the script waits (as a reader watches the executor's terminal) until no workflow waits or runs.
 */
function script(run: ReadmeBlock[], executor: ReadmeBlock): string {
  const lines: string[] = readFileSync(README, 'utf8')
    .split('\n')
    .map(() => '');
  const put = (line: number, text: string) => {
    assert.equal(lines[line - 1], '', `README.md:${line} is taken twice in the script`);
    lines[line - 1] = text;
  };
  put(
    1,
    [
      'set -o errtrace',
      `trap 'rc=$?; echo "$LINENO $rc" >>"$README_TEST_FAILS"' ERR`,
      `trap 'printf "\\n@@line %s@@\\n" "$LINENO"; printf "\\n@@line %s@@\\n" "$LINENO" >&2' DEBUG`,
    ].join('; '),
  );
  for (const b of run) for (const l of linesOf(b)) put(l.line, l.text);
  const last = executor.line + linesOf(executor).length;
  put(executor.line - 1, '( trap - ERR DEBUG');
  for (const l of linesOf(executor)) put(l.line, l.text);
  put(
    last,
    [
      ') >"$README_TEST_EXECUTOR_LOG" 2>&1 </dev/null & README_TEST_EXECUTOR=$!;',
      'while [ -n "$(colonies workflow psw -q)$(colonies workflow ps -q)" ]; do',
      'kill -0 $README_TEST_EXECUTOR && [ $SECONDS -lt 600 ] || { echo "the executor stopped, or left work waiting for 10 minutes" >&2; exit 98; };',
      'sleep 1; done',
    ].join(' '),
  );
  return lines.join('\n');
}

/** The lines that start a command: not blank, not a comment, not in a here-document. */
function commandLines(lines: Line[]): Line[] {
  const out: Line[] = [];
  let heredoc: string | undefined;
  for (const l of lines) {
    if (heredoc !== undefined) {
      if (l.text === heredoc) heredoc = undefined;
    } else if (l.text.trim() !== '' && !l.text.trim().startsWith('#')) {
      out.push(l);
      heredoc = /(?<!<)<<-?\s*['"]?(\w+)['"]?/.exec(l.text)?.[1];
    }
  }
  return out;
}

/** Output split at the DEBUG trap's markers: what each README line printed. */
function byLine(output: string): Map<number, string> {
  const out = new Map<number, string>();
  const parts = output.split(/\n?@@line (\d+)@@\n/);
  for (let i = 1; i < parts.length; i += 2) {
    const line = Number(parts[i]);
    out.set(line, (out.get(line) ?? '') + parts[i + 1]!);
  }
  return out;
}

let root: string;
let dev: Running | undefined;
/** The process group of the bash running the blocks, with the executor it started. */
let group: number | undefined;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'colonies-readme-shell-'));
});
after(async () => {
  if (group) await stopGroup(group);
  await dev?.stop('SIGTERM');
  rmSync(root, { recursive: true, force: true });
});

/** Runs bash in its own process group; resolves when it has exited, then stops whatever it left running (the executor). */
function bash(file: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [file], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    group = child.pid;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      void stopGroup(child.pid!).then(() => resolve({ code, stdout, stderr }), reject);
    });
  });
}

/** SIGTERM to a process group, then waits for it to be empty (SIGKILL after a generous while). */
async function stopGroup(pgid: number): Promise<void> {
  const alive = () => {
    try {
      process.kill(-pgid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (alive()) process.kill(-pgid, 'SIGTERM');
  for (let i = 0; alive(); i++) {
    if (i === 300) process.kill(-pgid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the README shell blocks run as written, each command exiting as its comment says', { timeout: 900_000 }, async () => {
  const { run, executor } = shellBlocks();

  // A directory like a clone's: the README's relative paths (examples/…) work there, and `colonies` is on the PATH.
  const cwd = join(root, 'session');
  const bin = join(root, 'bin');
  mkdirSync(cwd);
  mkdirSync(bin);
  symlinkSync(join(ROOT, 'examples'), join(cwd, 'examples'));
  writeFileSync(join(bin, 'colonies'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(join(bin, 'colonies'), 0o755);

  const port = await closedPort();
  dev = start(['dev', '--port', String(port)], baseEnv(), { cwd });
  await dev.waitFor(/Ctrl-C stops the server/, 180_000);
  assert.ok(existsSync(join(cwd, '.colonies', 'dev.env')));

  const file = join(root, 'readme.sh');
  writeFileSync(file, script(run, executor));
  const fails = join(root, 'fails');
  const executorLog = join(root, 'executor.log');
  writeFileSync(fails, '');
  const r = await bash(
    file,
    cwd,
    baseEnv({ PATH: `${bin}:${process.env.PATH ?? ''}`, README_TEST_FAILS: fails, README_TEST_EXECUTOR_LOG: executorLog }),
  );
  const stdout = byLine(r.stdout);
  const stderr = byLine(r.stderr);
  const executorOutput = existsSync(executorLog) ? readFileSync(executorLog, 'utf8') : '(none)';
  const bashSaid = r.stderr
    .replace(/\n?@@line \d+@@\n/g, '\n')
    .replace(/\n{2,}/g, '\n')
    .slice(-3000);
  const context = `\n--- stderr ---\n${bashSaid}\n--- executor ---\n${executorOutput}\n--- colonies dev ---\n${dev.stdout()}${dev.stderr()}`;

  // Every command ran: a syntax error, say, stops bash at once.
  const commands = run.flatMap(linesOf);
  const notRun = commandLines(commands).filter((c) => !stdout.has(c.line));
  const lastRan = Math.max(0, ...stdout.keys());
  assert.deepEqual(
    notRun.map((c) => `README.md:${c.line}: ${c.text}`),
    [],
    `the script stopped after README.md:${lastRan} (exit ${r.code}): these commands did not run${context}`,
  );

  // Each command's exit status, against its comment.
  const textOf = (line: number) => commands.find((c) => c.line === line)?.text ?? '(not a README command: the test glue)';
  const failed = new Map<number, number>();
  for (const entry of readFileSync(fails, 'utf8').split('\n').filter(Boolean)) {
    const [line, rc] = entry.split(' ').map(Number);
    failed.set(line!, rc!);
  }
  const expected = new Map(commands.flatMap((c) => (EXPECTED_EXIT.test(c.text) ? [[c.line, Number(EXPECTED_EXIT.exec(c.text)![1])]] : [])));
  const problems: string[] = [];
  for (const line of new Set([...failed.keys(), ...expected.keys()])) {
    const got = failed.get(line) ?? 0;
    const want = expected.get(line) ?? 0;
    if (got !== want) {
      problems.push(
        `README.md:${line}: ${textOf(line)}\n  exited ${got}, expected ${want}\n  stdout: ${stdout.get(line) ?? ''}\n  stderr: ${stderr.get(line) ?? ''}`,
      );
    }
  }
  assert.deepEqual(problems, [], problems.join('\n') + context);
  assert.equal(r.code, 0, `the script ended with exit ${r.code}: ${r.stderr.slice(-2000)}${context}`);
  assert.ok(expected.size > 0, 'the README shows commands that fail, with their exit status');

  // What the comments promise the commands print.
  const outputsOf = (marker: string) => {
    const found = commands.filter((c) => c.text.includes(marker));
    assert.ok(found.length > 0, `no README command contains ${marker}`);
    return found.map((c) => {
      assert.ok(stdout.has(c.line), `README.md:${c.line} did not run: ${c.text}`);
      return { stdout: stdout.get(c.line)!, stderr: stderr.get(c.line) ?? '' };
    });
  };
  const one = (marker: string) => {
    const all = outputsOf(marker);
    assert.equal(all.length, 1, `one README command contains ${marker}`);
    return all[0]!;
  };
  assert.match(one('--var input-name=obi-wan)').stderr, /no executor serves greet/);
  const [waiting, succeeded] = outputsOf('colonies workflow get -g $RUN');
  assert.match(waiting!.stdout, /│ State +│ WAITING/);
  assert.match(succeeded!.stdout, /│ State +│ SUCCESS/);
  const runId = /^Workflow ([0-9a-f]{64})$/m.exec(waiting!.stdout)?.[1];
  assert.ok(runId, waiting!.stdout);
  assert.ok(one('workflow search --spec quickstart').stdout.includes(runId), 'the search finds the run');
  assert.match(one('process get -p $GREET').stdout, /Hello, obi-wan!/);
  assert.match(one("--var 'input-name=obi wan!' --wait").stderr, /error: FAILED: .*is not a name/);
  const failedGreet = one('process get -p $FAILED').stdout;
  assert.match(failedGreet, /obi wan!/);
  assert.match(failedGreet, /is not a name/);
  assert.equal(one('workflow submit --spec wf.json --wait').stdout.trim(), '{"sum_nums":[3]}');
  assert.match(one('--funcname flaky --type ts-executor --wait').stderr, /error: FAILED: .*transient failure 1 of 2/);
  const logs = one('log get -p $FLAKY --follow');
  assert.match(logs.stdout, /failing on purpose[\s\S]*failing on purpose[\s\S]*succeeded after 2 retries/);
  assert.match(logs.stderr, /SUCCESS/);
  assert.match(one('workflow run report --var dataset=sales --wait').stdout, /"sum":55/);
  assert.match(one('--key sales-0107').stdout.trim(), /^[0-9a-f]{64}$/);
  assert.match(one('workflow search --spec report').stdout, /report/);
});
