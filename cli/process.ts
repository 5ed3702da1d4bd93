/** `colonies process submit | ps | psw | pss | psf | psc | get | cancel | remove | removeall`. */
import type { Command } from 'commander';
import type { ColoniesClient } from '../executor/client.ts';
import { clientEnv } from '../executor/env.ts';
import type { FunctionSpecInput } from '../protocol/schemas.ts';
import type { ProcessState } from '../protocol/states.ts';
import type { Process } from '../protocol/types.ts';
import { failureText } from '../protocol/failure.ts';
import { confirm } from './confirm.ts';
import { clientFor, examples, integer, nonNegativeInt, nonNegativeNumber, positiveInt, withConnection, type ConnectionFlags } from './context.ts';
import { usage } from './errors.ts';
import { resolveId } from './ids.ts';
import {
  durationBetween,
  formatTime,
  jsonCell,
  maxRetriesText,
  note,
  retryWait,
  paintState,
  print,
  printJson,
  renderSection,
  renderTable,
  runCell,
  warn,
  type Cell,
} from './output.ts';
import { fileLabel, parseFunctionSpec, parseJsonFlag, readJsonFile } from './spec.ts';
import { finishProcess, waitForProcess } from './wait.ts';

type Flags = ConnectionFlags & { json?: boolean };

/** ps, psw, pss, psf, psc: the ColonyOS listing commands and the state each lists. */
export const LISTINGS: [string, ProcessState, string][] = [
  ['ps', 'RUNNING', 'running'],
  ['psw', 'WAITING', 'waiting'],
  ['pss', 'SUCCESS', 'successful'],
  ['psf', 'FAILED', 'failed'],
  ['psc', 'CANCELLED', 'cancelled'],
  ['psh', 'HALTED', 'halted'],
];

/** The filters and paging the ps* listings of both nouns share. */
export interface ListFlags {
  count?: number;
  offset?: number;
  label?: string;
  funcname?: string;
  nodename?: string;
  since?: string;
  until?: string;
}

export function listFilters(o: ListFlags): ListFlags {
  return { count: o.count, offset: o.offset, label: o.label, funcname: o.funcname, nodename: o.nodename, since: o.since, until: o.until };
}

/** The listings' output choice: a table, --json, or -q's bare ids (a script's `ID=$(… --count 1 -q)`). */
export function listOutput(o: { json?: boolean; quiet?: boolean }): 'table' | 'json' | 'ids' {
  if (o.json && o.quiet) throw usage('give either --json or --quiet (-q), not both');
  return o.json ? 'json' : o.quiet ? 'ids' : 'table';
}

/** Ids one per line, for -q; nothing at all (not even a note) when there are none. */
export function printIds(ids: string[]): void {
  if (ids.length > 0) print(ids.join('\n'));
}

/** removeall's state flags. */
export const REMOVE_FLAGS: [string, ProcessState][] = [
  ['waiting', 'WAITING'],
  ['successful', 'SUCCESS'],
  ['failed', 'FAILED'],
  ['cancelled', 'CANCELLED'],
];

export function removeAllState(o: object): ProcessState | undefined {
  const chosen = REMOVE_FLAGS.filter(([flag]) => (o as Record<string, unknown>)[flag]);
  if (chosen.length > 1) throw usage(`choose at most one of ${REMOVE_FLAGS.map(([f]) => `--${f}`).join(', ')}`);
  return chosen[0]?.[1];
}

export const stateCell = (s: string): Cell => ({ text: s, paint: (x) => paintState(s, x) });

/** The time a listing of this state shows: when it started, was submitted or ended. */
export function timeColumn(
  state: ProcessState,
): [string, (p: { submissiontime: string; starttime: string | null; endtime: string | null }) => string] {
  if (state === 'RUNNING') return ['START TIME', (p) => formatTime(p.starttime)];
  if (state === 'WAITING') return ['SUBMISSION TIME', (p) => formatTime(p.submissiontime)];
  if (state === 'HALTED') return ['START TIME', (p) => formatTime(p.starttime)];
  return ['END TIME', (p) => formatTime(p.endtime)];
}

export function processTable(list: Process[], state: ProcessState): string {
  const [timeHeader, time] = timeColumn(state);
  const cols = ['PROCESS ID', 'FUNCNAME', { header: 'ARGS', max: 30 }, 'EXECUTOR TYPE', { header: 'WORKFLOW', max: 30 }, timeHeader];
  if (state === 'FAILED') cols.push({ header: 'ERROR', max: 50 });
  return renderTable(
    cols,
    list.map((p) => {
      const row: Cell[] = [p.processid, p.spec.funcname, jsonCell(p.spec.args), p.spec.executortype, runCell(p), time(p)];
      if (state === 'FAILED') row.push(failureText(p));
      return row;
    }),
  );
}

/** Executor and user names by id, so views show who ran and who submitted (best effort: ids otherwise). */
export async function namesById(client: ColoniesClient): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  const [executors, users] = await Promise.allSettled([client.listExecutors(), client.listUsers()]);
  if (executors.status === 'fulfilled') for (const e of executors.value) names.set(e.executorid, e.executorname);
  if (users.status === 'fulfilled') for (const u of users.value) names.set(u.userid, u.username);
  return names;
}

export function who(id: string | null, names: Map<string, string>): string {
  if (!id) return '-';
  const n = names.get(id);
  return n ? `${n} (${id.slice(0, 12)}…)` : id;
}

/** Compact JSON when it is short, else indented (at most 30 lines; --json has it all). */
function json(v: unknown): string {
  const compact = JSON.stringify(v) ?? 'undefined';
  if (compact.length <= 80) return compact;
  const lines = (JSON.stringify(v, null, 2) ?? '').split('\n');
  return lines.length <= 30 ? lines.join('\n') : [...lines.slice(0, 29), `… ${lines.length - 29} more lines (--json prints it all)`].join('\n');
}
const seconds = (n: number) => (n > 0 ? `${n} s` : 'none');
const ids = (list: string[]) => (list.length === 0 ? '-' : list.slice(0, 5).join('\n') + (list.length > 5 ? `\n… ${list.length - 5} more` : ''));

/** The spec's retry policy, when it has one: the delay and how it grows, the kinds never retried. */
function retryPolicyRows(s: Process['spec']): [string, Cell][] {
  const rows: [string, Cell][] = [];
  if (s.retrydelay)
    rows.push(['Retry delay', `${s.retrydelay} s, × ${s.retrybackoff ?? 2} each retry, at most ${s.maxretrydelay ?? 100 * s.retrydelay} s`]);
  if (s.noretry?.length) rows.push(['Never retried', s.noretry.join(', ')]);
  return rows;
}

/** A readable multi-section view: the process, its spec, input/output, errors with stacks, times. */
export function processView(p: Process, names: Map<string, string>): string {
  const s = p.spec;
  const retry = retryWait(p);
  const waiting: [string, Cell][] = retry
    ? [
        ['Waiting', retry.text],
        ['Last error', retry.lasterror],
      ]
    : p.waitreason
      ? [['Waiting', p.waitreason]]
      : [];
  const sections = [
    renderSection(`Process ${p.processid}`, [
      ['State', stateCell(p.state)],
      ...(p.state === 'FAILED' ? ([['Error', failureText(p)]] as [string, Cell][]) : []),
      ...waiting,
      ['Workflow', p.processgraphid ?? '-'],
      ['Node name', s.nodename],
      ['Initiator', who(p.initiatorid, names)],
      // A user task runs on no executor: the identity it ran on is the person who completed it.
      [s.kind === 'usertask' ? 'Completed by' : 'Executor', who(p.assignedexecutorid, names)],
      ['Retries', `${p.retries} of ${maxRetriesText(s.maxretries)} (attempt ${p.attempt})`],
      ['Parents', ids(p.parents)],
      ['Children', ids(p.children)],
    ]),
    renderSection('Function spec', [
      ['Funcname', s.funcname],
      ['Args', json(s.args)],
      ['Kwargs', json(s.kwargs)],
      ['Executor type', s.executortype],
      ['Priority', s.priority],
      ['Max wait time', seconds(s.maxwaittime)],
      ['Max exec time', seconds(s.maxexectime)],
      ['Max retries', maxRetriesText(s.maxretries)],
      ...retryPolicyRows(s),
      ['Label', s.label || '-'],
      ['Dependencies', s.conditions.dependencies.join(', ') || '-'],
    ]),
    renderSection('Input / output', [
      ['In', json(p.in)],
      ['Out', json(p.out)],
    ]),
    renderSection('Times', [
      ['Submitted', formatTime(p.submissiontime)],
      ['Ready', formatTime(p.readytime)],
      ['Started', formatTime(p.starttime)],
      ['Ended', formatTime(p.endtime)],
      ['Waited', durationBetween(p.readytime ?? p.submissiontime, p.starttime)],
      ['Ran', durationBetween(p.starttime, p.endtime)],
      ['Wait deadline', formatTime(p.waitdeadline)],
      ['Exec deadline', formatTime(p.execdeadline)],
    ]),
  ];
  if (p.errors.length > 0) {
    sections.push(
      renderSection(
        'Errors',
        p.errors.map((e, i): [string, Cell] => [String(i + 1), { text: e, paint: (x) => paintState('FAILED', x) }]),
        160,
      ),
    );
  }
  return sections.join('\n\n');
}

interface SubmitFlags extends Flags {
  spec?: string;
  funcname?: string;
  args?: string;
  kwargs?: string;
  type?: string;
  maxwaittime?: number;
  maxexectime?: number;
  maxretries?: number;
  retrydelay?: number;
  retrybackoff?: number;
  maxretrydelay?: number;
  priority?: number;
  label?: string;
  wait?: boolean;
  timeout?: number;
}

async function specFromFlags(o: SubmitFlags): Promise<FunctionSpecInput> {
  if (o.spec && o.funcname) throw usage('give either --spec or --funcname, not both');
  if (o.spec) return parseFunctionSpec(await readJsonFile(o.spec), fileLabel(o.spec), o.type);
  if (!o.funcname) throw usage('give --spec <file> or --funcname <name> (see colonies process submit --help)');
  const raw: Record<string, unknown> = { funcname: o.funcname, executortype: o.type ?? clientEnv().executortype };
  if (o.args) raw.args = parseJsonFlag('--args', o.args, 'array');
  if (o.kwargs) raw.kwargs = parseJsonFlag('--kwargs', o.kwargs, 'object');
  for (const k of ['maxwaittime', 'maxexectime', 'maxretries', 'retrydelay', 'retrybackoff', 'maxretrydelay', 'priority', 'label'] as const)
    if (o[k] !== undefined) raw[k] = o[k];
  if (!raw.executortype) throw usage('no executor type: pass --type or set COLONIES_EXECUTOR_TYPE');
  return parseFunctionSpec(raw, 'the flags');
}

export function registerProcess(program: Command): void {
  const proc = program.command('process').description('processes: submit, list by state, inspect, cancel and remove');
  registerSubmit(proc);
  registerListings(proc);
  registerGet(proc);
  registerRemovals(proc);
}

function registerSubmit(proc: Command): void {
  examples(
    withConnection(
      proc
        .command('submit')
        .description('submit one function spec as a process; prints its id (or, with --wait, its output)')
        .option('--spec <file>', 'a JSON file with one function spec ("-" reads stdin)')
        .option('--funcname <name>', 'inline spec: the function to call')
        .option('--args <json>', 'inline spec: arguments as a JSON array', undefined)
        .option('--kwargs <json>', 'inline spec: keyword arguments as a JSON object')
        .option('--type <type>', 'executor type (inline spec; fills specs that have none) [env COLONIES_EXECUTOR_TYPE for inline specs]')
        .option('--maxwaittime <s>', 'inline spec: fail when not assigned within this many seconds', integer)
        .option('--maxexectime <s>', 'inline spec: fail the attempt when not closed within this many seconds', integer)
        .option('--maxretries <n>', 'inline spec: retries of a failed attempt (-1: without limit, needs --retrydelay)', integer)
        .option('--retrydelay <s>', 'inline spec: seconds before the first retry (default 0)', nonNegativeNumber)
        .option('--retrybackoff <x>', 'inline spec: each further retry waits this many times longer (default 2)', nonNegativeNumber)
        .option('--maxretrydelay <s>', 'inline spec: the longest a retry waits (default 100 × retrydelay)', nonNegativeNumber)
        .option('--priority <n>', 'inline spec: higher runs first', integer)
        .option('--label <text>', 'inline spec: a label to filter listings with')
        .option('--wait', 'wait for it to finish (progress on stderr), print its output; exit 1 if it failed')
        .option('--timeout <s>', 'with --wait: give up after this many seconds (exit 1)', positiveInt)
        .option('--json', 'print the raw process object (the final one with --wait)'),
      'member',
    ).action(async (o: SubmitFlags) => {
      const spec = await specFromFlags(o);
      const client = clientFor(o, 'member');
      const p = await client.submit(spec);
      warn(p.warnings);
      if (!o.wait) {
        if (o.json) printJson(p);
        else print(p.processid);
        return;
      }
      finishProcess(await waitForProcess(client, p.processid, o.timeout), o.json === true);
    }),
    [
      "colonies process submit --funcname sum_nums --args '[1, 2]' --type ts-executor --wait     # prints [3]",
      'colonies process submit --spec job.json',
      '',
      'job.json:',
      '  { "funcname": "sum_nums", "args": [1, 2], "executortype": "ts-executor", "maxexectime": 60, "maxretries": 3 }',
    ],
  );
}

/** One listing per state: ps, psw, pss, psf, psc. */
function registerListings(proc: Command): void {
  for (const [name, state, word] of LISTINGS) {
    examples(
      withConnection(
        proc
          .command(name)
          .description(`list ${word} processes (${state}), newest first`)
          .option('--count <n>', 'at most this many (server default 100)', positiveInt)
          .option('--executortype <type>', 'only this executor type')
          .option('--label <label>', 'only processes with this label')
          .option('--funcname <name>', 'only processes of this function')
          .option('--nodename <name>', 'only processes with this node name')
          .option('--since <time>', 'submitted at or after this ISO time')
          .option('--until <time>', 'submitted before this ISO time')
          .option('--offset <n>', 'skip this many of the newest (paging)', nonNegativeInt)
          .option('--json', 'print the raw API objects')
          .option('-q, --quiet', 'print only the process ids, one per line'),
        'member',
      ).action(async (o: Flags & ListFlags & { executortype?: string; quiet?: boolean }) => {
        const output = listOutput(o);
        const list = await clientFor(o, 'member').listProcesses({ state, ...listFilters(o), executortype: o.executortype });
        if (output === 'json') printJson(list);
        else if (output === 'ids') printIds(list.map((p) => p.processid));
        else if (list.length === 0) note(`No ${word} processes found`);
        else print(processTable(list, state));
      }),
      [
        `colonies process ${name}`,
        `colonies process ${name} --count 10 --executortype ts-executor`,
        `colonies process ${name} --funcname sum_nums --offset 100`,
        `ID=$(colonies process ${name} --funcname sum_nums --count 1 -q)     # the newest one's id`,
      ],
    );
  }
}

function registerGet(proc: Command): void {
  examples(
    withConnection(
      proc
        .command('get')
        .description('show a process: spec, state, input and output, errors with stack, retries, times, executor')
        .requiredOption('-p, --processid <id>', 'process id (or its first 6+ characters)')
        .option('--json', 'print the raw API object'),
      'member',
    ).action(async (o: Flags & { processid: string }) => {
      const client = clientFor(o, 'member');
      const p = await client.getProcess(await resolveId(client, 'process', o.processid, '--processid'));
      if (o.json) printJson(p);
      else print(processView(p, await namesById(client)));
    }),
    ['colonies process get -p 3f2a9c        # any 6 or more leading characters of the id', 'colonies process get -p 3f2a9c --json | jq .out'],
  );
}

/** cancel, remove and removeall. */
function registerRemovals(proc: Command): void {
  examples(
    withConnection(
      proc
        .command('cancel')
        .description('cancel a waiting or running process')
        .requiredOption('-p, --processid <id>', 'process id (or its first 6+ characters)'),
      'member',
    ).action(async (o: Flags & { processid: string }) => {
      const client = clientFor(o, 'member');
      const p = await client.cancelProcess(await resolveId(client, 'process', o.processid, '--processid'));
      print(`Process ${p.processid} ${p.state}`);
    }),
    ['colonies process cancel -p 3f2a…'],
  );

  examples(
    withConnection(
      proc
        .command('remove')
        .description('remove a process (a running one only with --force)')
        .requiredOption('-p, --processid <id>', 'process id (or its first 6+ characters)')
        .option('--force', 'remove it even while it runs'),
      'member',
    ).action(async (o: Flags & { processid: string; force?: boolean }) => {
      const client = clientFor(o, 'member');
      const id = await resolveId(client, 'process', o.processid, '--processid');
      await client.removeProcess(id, { force: o.force === true });
      print(`Process ${id} removed`);
    }),
    ['colonies process remove -p 3f2a…', 'colonies process remove -p 3f2a… --force'],
  );

  const removeAll = proc
    .command('removeall')
    .description("remove every process of the colony that is not running, or only those in one state (the colony owner's key)");
  for (const [flag, state] of REMOVE_FLAGS) removeAll.option(`--${flag}`, `only ${state} processes`);
  examples(
    withConnection(removeAll.option('--yes', 'do not ask for confirmation'), 'owner').action(async (o: Flags & { yes?: boolean }) => {
      const state = removeAllState(o);
      const client = clientFor(o, 'owner');
      await confirm(`Remove all ${state ?? 'non-running'} processes of colony ${client.colonyname}?`, o.yes);
      const r = await client.removeAllProcesses(state);
      print(`Removed ${r.removed} processes`);
    }),
    ['colonies process removeall --failed --yes', 'colonies process removeall            # asks first'],
  );
}
