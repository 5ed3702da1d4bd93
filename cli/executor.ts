/**
 * `colonies executor add | approve | reject | remove | ls | get` (registration is the colony owner's job)
 * and `colonies executor start`: serve the functions a module exports with the SDK Executor runtime.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Option, type Command } from 'commander';
import { clientEnv } from '../executor/env.ts';
import { Executor as ExecutorRuntime, type ExecutionContext, type ExecutorFunction } from '../executor/executor.ts';
import { ColoniesError } from '../executor/transport.ts';
import { isPrivateKey } from '../protocol/crypto.ts';
import type { Executor } from '../protocol/types.ts';
import { CliError, EXIT, oneLine } from './errors.ts';
import { clientFor, colonyOf, examples, nonNegativeInt, positiveInt, serverUrlOf, withConnection, type ConnectionFlags } from './context.ts';
import { formatDuration, formatTime, note, paintState, print, printJson, renderSection, renderTable } from './output.ts';
import { loadTypeScript } from './typescript.mjs';

type Flags = ConnectionFlags & { json?: boolean };

const stateCell = (s: string) => ({ text: s, paint: (x: string) => paintState(s, x) });
/** Online: heard from within the server's lease, so its running processes are safe; offline ones are retried elsewhere. */
const livenessCell = (e: Executor) => (e.online ? { text: 'online', paint: (x: string) => paintState('SUCCESS', x) } : 'offline');

export function executorTable(list: Executor[]): string {
  return renderTable(
    ['NAME', 'TYPE', 'STATE', 'LIVENESS', 'LOCATION', 'LAST HEARD FROM', 'EXECUTOR ID'],
    list.map((e) => [
      e.executorname,
      e.executortype,
      stateCell(e.state),
      livenessCell(e),
      e.location || '-',
      formatTime(e.lastheardfrom),
      e.executorid,
    ]),
  );
}

export function executorView(e: Executor): string {
  return renderSection(`Executor ${e.executorname}`, [
    ['Name', e.executorname],
    ['Type', e.executortype],
    ['State', stateCell(e.state)],
    ['Liveness', livenessCell(e)],
    ['Colony', e.colonyname],
    ['Location', e.location || '-'],
    ['Registered', formatTime(e.registered)],
    ['Last heard from', formatTime(e.lastheardfrom)],
    ['Executor ID', e.executorid],
  ]);
}

/** The functions a module exports (named exports, and the members of a default-exported object). */
export async function loadFunctions(path: string): Promise<Record<string, ExecutorFunction>> {
  const abs = resolve(path);
  try {
    await stat(abs);
  } catch {
    throw new CliError('FILE_NOT_FOUND', `functions module ${path} does not exist`, EXIT.usage);
  }
  let mod: Record<string, unknown>;
  try {
    await loadTypeScript();
    mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // A .ts or .js file outside a "type": "module" package is CommonJS, where top-level await cannot be.
    const hint = /top-level await/i.test(message) ? ' (name it .mts or .mjs, or put it in a package with "type": "module")' : '';
    throw new CliError('BAD_MODULE', `cannot load ${path}: ${message}${hint}`, EXIT.usage);
  }
  const fns: Record<string, ExecutorFunction> = {};
  const def = mod.default;
  if (def && typeof def === 'object') for (const [k, v] of Object.entries(def)) if (typeof v === 'function') fns[k] = v as ExecutorFunction;
  for (const [k, v] of Object.entries(mod)) if (k !== 'default' && typeof v === 'function') fns[k] = v as ExecutorFunction;
  if (Object.keys(fns).length === 0) throw new CliError('BAD_MODULE', `${path} exports no functions`, EXIT.usage);
  return fns;
}

const stamp = () => formatTime(new Date().toISOString());

/** Each function wrapped to log one line when its process finishes: time, funcname, id prefix, state, ms. */
function logged(fns: Record<string, ExecutorFunction>, log: (line: string) => void): Record<string, ExecutorFunction> {
  const out: Record<string, ExecutorFunction> = {};
  for (const [name, fn] of Object.entries(fns)) {
    out[name] = async (ctx: ExecutionContext, ...args: unknown[]) => {
      const p = ctx.process;
      const node = p.spec.nodename !== name ? ` (${p.spec.nodename})` : '';
      const what = `${name}${node}  ${p.processid.slice(0, 12)}${p.retries > 0 ? ` (retry ${p.retries})` : ''}`;
      const t = Date.now();
      // The server said the process is over (cancelled, expired, lease lost) or the executor is stopping: its result is dropped.
      const stopped = (): boolean => {
        if (!ctx.signal.aborted) return false;
        log(`${stamp()}  ${what}  ${paintState('CANCELLED', 'STOPPED')}  ${formatDuration(Date.now() - t)}`);
        return true;
      };
      try {
        const result: unknown = await fn(ctx, ...args);
        if (!stopped()) log(`${stamp()}  ${what}  ${paintState('SUCCESS')}  ${formatDuration(Date.now() - t)}`);
        return result;
      } catch (err) {
        if (stopped()) throw err;
        log(
          `${stamp()}  ${what}  ${paintState('FAILED')}  ${formatDuration(Date.now() - t)}: ${oneLine(err instanceof Error ? err.message : String(err))}`,
        );
        throw err;
      }
    };
  }
  return out;
}

interface StartFlags extends ConnectionFlags {
  type?: string;
  name?: string;
  functions: string;
  concurrency: number;
  location?: string;
  grace: number;
}

async function start(o: StartFlags): Promise<void> {
  const env = clientEnv();
  const url = serverUrlOf(o);
  const colonyname = colonyOf(o);
  const executortype = o.type ?? env.executortype;
  if (!executortype) throw new CliError('USAGE', 'no executor type: pass --type or set COLONIES_EXECUTOR_TYPE', EXIT.usage);
  // The environment's executor identity (colonies dev writes one) is used only for the type it was registered with.
  const envIdentity = !env.executortype || env.executortype === executortype;
  const prvkey = o.prvkey ?? (envIdentity ? env.executorPrvkey : undefined);
  const name = o.name ?? (envIdentity || o.prvkey ? env.executorname : undefined);
  const colonyPrvkey = o.colonyPrvkey ?? env.colonyPrvkey;
  for (const [k, v] of [
    ['executor', prvkey],
    ['colony owner', colonyPrvkey],
  ] as const) {
    if (v !== undefined && !isPrivateKey(v)) throw new CliError('BAD_KEY', `the ${k} key is not 64 lowercase hex characters`, EXIT.usage);
  }
  if (!prvkey && !colonyPrvkey) {
    throw new CliError(
      'MISSING_KEY',
      "no executor key: pass --prvkey or set COLONIES_EXECUTOR_PRVKEY, or give the colony owner's key (COLONIES_COLONY_PRVKEY) to register a new executor",
      EXIT.usage,
    );
  }
  const fns = await loadFunctions(o.functions);
  const log = (line: string) => process.stdout.write(line + '\n');
  const ex = new ExecutorRuntime({
    url,
    colonyname,
    executortype,
    ...(name ? { executorname: name } : {}),
    ...(prvkey ? { prvkey } : {}),
    ...(colonyPrvkey ? { colonyPrvkey } : {}),
    ...(o.location ? { location: o.location } : {}),
    functions: logged(fns, log),
    concurrency: o.concurrency,
    graceMs: o.grace * 1000,
    onError: (err) =>
      note(`${stamp()}  warning: ${err instanceof ColoniesError ? `${err.code}: ` : ''}${oneLine(err instanceof Error ? err.message : String(err))}`),
  });

  await ex.register();
  let me: Executor;
  try {
    me = await ex.client.getExecutor(ex.executorname);
  } catch (err) {
    if (err instanceof ColoniesError && err.code === 'EXECUTOR_NOT_APPROVED') {
      // Registered, so the colony knows it: only the owner's approval is missing.
      const state = (err.details as { state?: string } | undefined)?.state ?? 'not approved';
      throw new CliError(
        err.code,
        `executor ${ex.executorname} (id ${ex.id}) is registered in colony ${colonyname} but ${state === 'PENDING' ? 'PENDING approval' : state}: the colony owner approves it with "colonies executor approve --name ${ex.executorname}", then start it again`,
        EXIT.auth,
      );
    }
    if (err instanceof ColoniesError && err.code === 'NOT_A_MEMBER') {
      throw new CliError(
        err.code,
        `executor ${ex.executorname} (id ${ex.id}) is not registered in colony ${colonyname}: the colony owner registers it with "colonies executor add --name ${ex.executorname} --type ${executortype} --executorid ${ex.id}" and approves it, or start it with the colony owner's key (COLONIES_COLONY_PRVKEY) to register itself`,
        EXIT.auth,
      );
    }
    throw err;
  }
  if (me.state !== 'APPROVED') {
    throw new CliError(
      'EXECUTOR_NOT_APPROVED',
      `executor ${me.executorname} is ${me.state}: approve it with "colonies executor approve --name ${me.executorname}"`,
      EXIT.auth,
    );
  }
  if (me.executortype !== executortype) note(`warning: executor ${me.executorname} is registered with type ${me.executortype}, not ${executortype}`);
  await ex.start();
  log(
    `${stamp()}  executor ${ex.executorname} (type ${me.executortype}) serving ${Object.keys(fns).join(', ')} in colony ${colonyname} at ${url}, concurrency ${o.concurrency}`,
  );

  await new Promise<void>((done) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      note(
        signals > 1
          ? `${stamp()}  ${signal} again: failing running processes and stopping now`
          : `${stamp()}  ${signal}: stopping (running processes get ${o.grace} s to finish; again to stop now)`,
      );
      void ex.stop(signals > 1 ? 0 : undefined).then(done);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // Stopped by the server: removed from the colony, no longer approved, or the colony removed.
    void ex.done.then(() => ex.accessEnded && done());
  });
  log(`${stamp()}  executor ${ex.executorname} stopped: ${ex.stats.closed} succeeded, ${ex.stats.failed} failed`);
  if (ex.accessEnded)
    throw new CliError(
      ex.accessEnded.code,
      `executor ${ex.executorname} may no longer serve colony ${colonyname}: ${ex.accessEnded.message}`,
      EXIT.auth,
    );
}

export function registerExecutor(program: Command): void {
  const executor = program.command('executor').description('executors: register and approve them (colony owner), list them, run one');

  examples(
    withConnection(
      executor
        .command('add')
        .description('register an executor (colony owner); it must be approved before it is assigned work')
        .requiredOption('--name <name>', 'executor name')
        .requiredOption('--type <type>', 'executor type (the executortype of the specs it serves)')
        .requiredOption('--executorid <id>', "the executor's id (from colonies key generate)")
        .option('--location <text>', 'where it runs', '')
        .option('--json', 'print the registered executor as JSON'),
      'owner',
    ).action(async (o: Flags & { name: string; type: string; executorid: string; location: string }) => {
      const e = await clientFor(o, 'owner').addExecutor({
        executorname: o.name,
        executortype: o.type,
        executorid: o.executorid,
        location: o.location,
      });
      if (o.json) printJson(e);
      else
        print(
          `Executor ${e.executorname} added (type ${e.executortype}, ${e.state}); approve it with: colonies executor approve --name ${e.executorname}`,
        );
    }),
    ['colonies executor add --name gpu-1 --type gpu-executor --executorid 3f2a…', 'colonies executor approve --name gpu-1'],
  );

  for (const [verb, what] of [
    ['approve', 'approve an executor: it may now be assigned work (colony owner)'],
    ['reject', 'reject an executor: it is assigned no more work (colony owner)'],
    ['remove', 'remove an executor (colony owner)'],
  ] as const) {
    examples(
      withConnection(executor.command(verb).description(what).requiredOption('--name <name>', 'executor name'), 'owner').action(
        async (o: Flags & { name: string }) => {
          const c = clientFor(o, 'owner');
          if (verb === 'approve') await c.approveExecutor(o.name);
          else if (verb === 'reject') await c.rejectExecutor(o.name);
          else await c.removeExecutor(o.name);
          print(`Executor ${o.name} ${verb === 'approve' ? 'approved' : verb === 'reject' ? 'rejected' : 'removed'}`);
        },
      ),
      [`colonies executor ${verb} --name gpu-1`],
    );
  }

  examples(
    withConnection(executor.command('ls').description("list the colony's executors").option('--json', 'print the raw API objects'), 'member').action(
      async (o: Flags) => {
        const list = await clientFor(o, 'member').listExecutors();
        if (o.json) printJson(list);
        else if (list.length === 0) note('No executors found');
        else print(executorTable(list));
      },
    ),
    ['colonies executor ls', 'colonies executor ls --json | jq -r ".[] | select(.state==\\"PENDING\\") | .executorname"'],
  );

  examples(
    withConnection(
      executor
        .command('get')
        .description('show one executor')
        .requiredOption('--name <name>', 'executor name')
        .option('--json', 'print the raw API object'),
      'member',
    ).action(async (o: Flags & { name: string }) => {
      const e = await clientFor(o, 'member').getExecutor(o.name);
      if (o.json) printJson(e);
      else print(executorView(e));
    }),
    ['colonies executor get --name dev-executor'],
  );

  const startCmd = executor
    .command('start')
    .summary('serve the functions a module exports')
    .description(
      'serve the functions a module exports: each is called fn(ctx, ...input) and its return value is the output\n' +
        '(registers and approves itself when the colony owner key is set; SIGINT/SIGTERM stop it gracefully)',
    )
    .requiredOption('--functions <module>', 'a .ts, .mts, .js or .mjs module in any folder; every exported function is served under its name')
    .option('--type <type>', 'executor type to serve [env COLONIES_EXECUTOR_TYPE]')
    .option('--name <name>', 'executor name [env COLONIES_EXECUTOR_NAME; default <type>-<key prefix>]')
    .option('--concurrency <n>', 'processes run at once', positiveInt, 1)
    .option('--location <text>', 'where it runs (shown in executor ls)')
    .option('--grace <seconds>', 'on stop, how long running functions may finish before they are failed', nonNegativeInt, 30);
  withConnection(startCmd, 'owner');
  startCmd.addOption(
    new Option(
      '--prvkey <key>',
      "the executor's own key [env COLONIES_EXECUTOR_PRVKEY; else a new key, registered with the colony owner's key]",
    ).helpGroup('Connection (flags override the COLONIES_* environment):'),
  );
  examples(
    startCmd.action((o: StartFlags) => start(o)),
    [
      'source .colonies/dev.env && colonies executor start --functions examples/functions.ts',
      'colonies executor start --type gpu-executor --name gpu-1 --functions ./gpu.ts --concurrency 4',
      '',
      'A functions module:',
      '  export function gen_nums(ctx) { return [1, 2]; }            // out = [1, 2]',
      '  export function sum_nums(ctx, a, b) { return a + b; }       // in = [1, 2] → out = [3]',
    ],
  );
}
