/** `colonies workflow submit | ps | psw | pss | psf | psc | psh | get | halt | resume | cancel | remove | removeall` (a workflow is a process graph). */
import type { Command } from 'commander';
import type { ColoniesClient } from '../executor/client.ts';
import type { ProcessGraph, ProcessGraphWithProcesses } from '../protocol/types.ts';
import type { WorkflowSpecInput } from '../protocol/schemas.ts';
import { confirm } from './confirm.ts';
import { clientFor, examples, nonNegativeInt, positiveInt, withConnection, type ConnectionFlags } from './context.ts';
import { layersOf, renderDag } from './dag.ts';
import { usage } from './errors.ts';
import { resolveId } from './ids.ts';
import { durationBetween, formatTime, jsonCell, note, print, printJson, renderSection, renderTable, retryWait, style, type Cell } from './output.ts';
import {
  LISTINGS,
  listFilters,
  listOutput,
  namesById,
  printIds,
  REMOVE_FLAGS,
  removeAllState,
  stateCell,
  timeColumn,
  who,
  type ListFlags,
} from './process.ts';
import { fileLabel, parseWorkflowSpec, readJsonFile } from './spec.ts';
import { graphCounts, reportStarted } from './wait.ts';
import { registerWorkflowSpecs, startedBy } from './workflow-spec.ts';

type Flags = ConnectionFlags & { json?: boolean };
type GraphFlags = Flags & { processgraphid?: string; workflowid?: string };

const ROWS = 50;

/** The whole graph id of -g/--processgraphid (or --workflowid): a prefix is completed (cli/ids.ts). */
async function graphId(client: ColoniesClient, o: GraphFlags): Promise<string> {
  const id = o.processgraphid ?? o.workflowid;
  if (!id) throw usage('required option --processgraphid <id> (or -g, --workflowid) not specified');
  return resolveId(client, 'processgraph', id, o.processgraphid ? '--processgraphid' : '--workflowid');
}

function withGraphId(cmd: Command): Command {
  return cmd
    .option('-g, --processgraphid <id>', 'process graph (workflow) id (or its first 6+ characters)')
    .option('--workflowid <id>', 'the same, by its user name');
}

export function graphTable(list: ProcessGraph[], state: ProcessGraph['state'], names: Map<string, string>): string {
  const [timeHeader, time] = timeColumn(state);
  return renderTable(
    [
      'NAME',
      'PROCESSGRAPH ID',
      { header: 'PROCESSES', align: 'right' },
      'SUBMISSION TIME',
      ...(state === 'WAITING' ? [] : [timeHeader]),
      'STARTED BY',
    ],
    list.map((g) => [
      g.name,
      g.processgraphid,
      `${g.successcount}/${g.processcount}`,
      formatTime(g.submissiontime),
      ...(state === 'WAITING' ? [] : [time(g)]),
      startedBy(g, names),
    ]),
  );
}

/** Why its ready processes wait, one line per reason with the nodes it holds back (processes waiting for parents are left out). */
function waitReasons(processes: ProcessGraphWithProcesses['processes']): string {
  const byReason = new Map<string, string[]>();
  for (const p of processes) {
    const retry = retryWait(p);
    const reason = retry ? `${retry.text} (last error: ${retry.lasterror})` : p.ready && p.waitreason;
    if (reason) byReason.set(reason, [...(byReason.get(reason) ?? []), p.spec.nodename]);
  }
  return [...byReason]
    .map(([reason, nodes]) => `${nodes.slice(0, 3).join(', ')}${nodes.length > 3 ? ` and ${nodes.length - 3} more` : ''}: ${reason}`)
    .join('\n');
}

/** The graph's summary, its processes as a table and its DAG. */
export function graphView(g: ProcessGraphWithProcesses, names: Map<string, string>, all: boolean): string {
  const c = graphCounts(g);
  const counts = (['SUCCESS', 'RUNNING', 'HALTED', 'WAITING', 'FAILED', 'CANCELLED'] as const)
    .filter((s) => c[s] > 0)
    .map((s) => `${c[s]} ${s}`)
    .join(', ');
  const summary: [string, Cell][] = [
    ...(g.name ? ([['Name', g.name]] as [string, Cell][]) : []),
    ...(g.specname ? ([['Spec', `${g.specname} version ${g.specversion}`]] as [string, Cell][]) : []),
    ['State', stateCell(g.state)],
    ['Processes', `${g.processes.length}${counts ? ` (${counts})` : ''}`],
    ['Started by', g.cronname ? `cron ${g.cronname}` : g.initiatorname || who(g.initiatorid, names)],
    ['Submitted', formatTime(g.submissiontime)],
    ['Started', formatTime(g.starttime)],
    ['Ended', formatTime(g.endtime)],
    ['Ran', durationBetween(g.starttime, g.endtime)],
  ];
  if (g.errors.length > 0) summary.push(['Errors', g.errors.join('\n')]);
  const waiting = waitReasons(g.processes);
  if (waiting) summary.push(['Waiting', waiting]);
  const vars = Object.entries(g.variables ?? {});
  if (vars.length > 0) summary.push(['Variables', vars.map(([k, v]) => `${k} = ${jsonCell(v)}`).join('\n')]);
  const ordered = layersOf(g.processes).flat(); // the DAG's order: roots first
  const shown = all ? ordered : ordered.slice(0, ROWS);
  const table = renderTable(
    ['NODENAME', 'FUNCNAME', 'STATE', 'PROCESS ID', 'START TIME', 'END TIME'],
    shown.map((p) => [p.spec.nodename, p.spec.funcname, stateCell(p.state), p.processid, formatTime(p.starttime), formatTime(p.endtime)]),
  );
  const more = g.processes.length - shown.length;
  return [
    renderSection(`Workflow ${g.processgraphid}`, summary),
    `${style.bold('Processes')}\n${table}${more > 0 ? `\n… ${more} more processes (--all lists them, --json prints them all)` : ''}`,
    renderDag(g.processes, { expand: all }),
  ].join('\n\n');
}

/** The workflow with the run's name and idempotency key, when given. */
function withRun(spec: WorkflowSpecInput, o: { name?: string; key?: string }): WorkflowSpecInput {
  if (!o.name && !o.key) return spec;
  return { ...(Array.isArray(spec) ? { functionspecs: spec } : spec), ...(o.name ? { name: o.name } : {}), ...(o.key ? { key: o.key } : {}) };
}

/** `workflow halt` and `workflow resume`: stop handing out a workflow's processes, and go on. */
function registerHaltResume(wf: Command): void {
  const verbs = [
    ['halt', 'halt a workflow: none of its processes is assigned until it is resumed (running ones finish, their results kept)'],
    ['resume', 'resume a halted workflow: its waiting processes are assigned again'],
  ] as const;
  for (const [verb, description] of verbs) {
    examples(
      withConnection(withGraphId(wf.command(verb).description(description)).option('--json', 'print the raw process graph'), 'member').action(
        async (o: GraphFlags) => {
          const client = clientFor(o, 'member');
          const id = await graphId(client, o);
          const g = verb === 'halt' ? await client.haltProcessGraph(id) : await client.resumeProcessGraph(id);
          if (o.json) printJson(g);
          else print(`Workflow ${g.processgraphid} ${g.state}`);
        },
      ),
      [`colonies workflow ${verb} -g 3f2a…`, `colonies workflow ${verb} -g 3f2a… --json`],
    );
  }
}

/** `workflow submit`: an ad-hoc workflow from a spec file. */
function registerSubmit(wf: Command): void {
  examples(
    withConnection(
      wf
        .command('submit')
        .description('submit a workflow; prints its id (or, with --wait, the outputs of its leaf nodes)')
        .requiredOption('--spec <file>', 'a JSON file: an array of function specs, or {"functionspecs": [...]} ("-" reads stdin)')
        .option('--type <type>', 'executor type for specs that name none')
        .option('--name <name>', 'name the run (shown instead of its id)')
        .option('--key <key>', 'idempotency key: a second submit with this key returns the first run')
        .option('--wait', 'wait for it to finish (progress on stderr), print {nodename: out} of its leaves; exit 1 if it failed')
        .option('--timeout <s>', 'with --wait: give up after this many seconds (exit 1)', positiveInt)
        .option('--json', 'print the raw process graph (the final one, with its processes, with --wait)'),
      'member',
    ).action(async (o: Flags & { spec: string; type?: string; name?: string; key?: string; wait?: boolean; timeout?: number }) => {
      const spec = parseWorkflowSpec(await readJsonFile(o.spec), fileLabel(o.spec), o.type);
      const client = clientFor(o, 'member');
      await reportStarted(client, await client.submitWorkflow(withRun(spec, o)), o);
    }),
    [
      'colonies workflow submit --spec two-steps.json --wait      # prints {"sum_nums":[3]}',
      'ID=$(colonies workflow submit --spec two-steps.json) && colonies workflow get -g $ID',
      '',
      'two-steps.json:',
      '  [',
      '    { "funcname": "gen_nums", "executortype": "ts-executor", "maxexectime": 100 },',
      '    { "funcname": "sum_nums", "executortype": "ts-executor", "conditions": { "dependencies": ["gen_nums"] } }',
      '  ]',
    ],
  );
}

export function registerWorkflow(program: Command): void {
  const wf = program
    .command('workflow')
    .description('workflows (process graphs): submit, list by state, inspect with their DAG, halt and resume, cancel and remove');

  registerSubmit(wf);

  for (const [name, state, word] of LISTINGS) {
    examples(
      withConnection(
        wf
          .command(name)
          .description(`list ${word} workflows (${state}), newest first`)
          .option('--count <n>', 'at most this many (server default 100)', positiveInt)
          .option('--label <label>', 'only workflows with a process with this label')
          .option('--funcname <name>', 'only workflows with a process of this function')
          .option('--nodename <name>', 'only workflows with a process with this node name')
          .option('--since <time>', 'submitted at or after this ISO time')
          .option('--until <time>', 'submitted before this ISO time')
          .option('--offset <n>', 'skip this many of the newest (paging)', nonNegativeInt)
          .option('--json', 'print the raw API objects')
          .option('-q, --quiet', 'print only the workflow ids, one per line'),
        'member',
      ).action(async (o: Flags & ListFlags & { quiet?: boolean }) => {
        const output = listOutput(o);
        const client = clientFor(o, 'member');
        const list = await client.listProcessGraphs({ state, ...listFilters(o) });
        if (output === 'json') printJson(list);
        else if (output === 'ids') printIds(list.map((g) => g.processgraphid));
        else if (list.length === 0) note(`No ${word} workflows found`);
        else print(graphTable(list, state, await namesById(client)));
      }),
      [
        `colonies workflow ${name}`,
        `colonies workflow ${name} --count 5 --json`,
        `colonies workflow ${name} --funcname reduce`,
        `ID=$(colonies workflow ${name} --count 1 -q)     # the newest one's id`,
      ],
    );
  }

  examples(
    withConnection(
      withGraphId(wf.command('get').description('show a workflow: summary, processes table and its DAG with the state of each node'))
        .option('--all', 'list every process and every DAG node (no fan-out summaries)')
        .option('--json', 'print the raw API object (the graph with its processes)'),
      'member',
    ).action(async (o: GraphFlags & { all?: boolean }) => {
      const client = clientFor(o, 'member');
      const g = await client.getProcessGraph(await graphId(client, o));
      if (o.json) printJson(g);
      else print(graphView(g, await namesById(client), o.all === true));
    }),
    [
      'colonies workflow get --processgraphid 3f2a…',
      'colonies workflow get -g 3f2a… --all',
      'colonies workflow get -g 3f2a… --json | jq ".processes[].state"',
    ],
  );

  examples(
    withConnection(withGraphId(wf.command('cancel').description('cancel a workflow: its waiting processes are cancelled')), 'member').action(
      async (o: GraphFlags) => {
        const client = clientFor(o, 'member');
        const g = await client.cancelProcessGraph(await graphId(client, o));
        print(`Workflow ${g.processgraphid} ${g.state}`);
      },
    ),
    ['colonies workflow cancel -g 3f2a…'],
  );

  registerHaltResume(wf);

  examples(
    withConnection(
      withGraphId(wf.command('remove').description('remove a workflow and its processes (a running one only with --force)')).option(
        '--force',
        'remove it even while it runs',
      ),
      'member',
    ).action(async (o: GraphFlags & { force?: boolean }) => {
      const client = clientFor(o, 'member');
      const id = await graphId(client, o);
      await client.removeProcessGraph(id, { force: o.force === true });
      print(`Workflow ${id} removed`);
    }),
    ['colonies workflow remove -g 3f2a…', 'colonies workflow remove -g 3f2a… --force'],
  );

  registerWorkflowSpecs(wf);

  const removeAll = wf
    .command('removeall')
    .description("remove every workflow of the colony that is not running, or only those in one state (the colony owner's key)");
  for (const [flag, state] of REMOVE_FLAGS) removeAll.option(`--${flag}`, `only ${state} workflows`);
  examples(
    withConnection(removeAll.option('--yes', 'do not ask for confirmation (required when stdin is not a terminal)'), 'owner').action(
      async (o: Flags & { yes?: boolean }) => {
        const state = removeAllState(o);
        const client = clientFor(o, 'owner');
        await confirm(`Remove all ${state ?? 'non-running'} workflows of colony ${client.colonyname}?`, o.yes);
        const r = await client.removeAllProcessGraphs(state);
        print(`Removed ${r.removed} workflows`);
      },
    ),
    ['colonies workflow removeall --successful --yes', 'colonies workflow removeall                 # asks first'],
  );
}
