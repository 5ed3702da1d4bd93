/** `colonies cron add | ls | get | remove | run`: workflows submitted on a timetable. */
import type { Command } from 'commander';
import type { Cron } from '../protocol/types.ts';
import { clientFor, examples, positiveInt, withConnection, type ConnectionFlags } from './context.ts';
import { usage } from './errors.ts';
import { formatTime, note, print, printJson, renderSection, renderTable, type Cell } from './output.ts';
import { fileLabel, parseWorkflowSpec, readJsonFile } from './spec.ts';
import { finishGraph, waitForGraph } from './wait.ts';
import { parseVars } from './workflow-spec.ts';
import type { ColoniesClient } from '../executor/client.ts';

type Flags = ConnectionFlags & { json?: boolean };
type NameFlags = Flags & { name: string };

const schedule = (c: Cron) => (c.interval > 0 ? `every ${c.interval} s` : c.cronexpression);

function cronTable(list: Cron[]): string {
  return renderTable(
    ['NAME', 'SCHEDULE', 'NEXT RUN', 'LAST RUN', { header: 'RUNS', align: 'right' }, { header: 'SKIPS', align: 'right' }, 'LAST WORKFLOW'],
    list.map((c) => [c.name, schedule(c), formatTime(c.nextrun), formatTime(c.lastrun), c.runs, c.skips, c.lastprocessgraphid ?? '']),
  );
}

function cronView(c: Cron): string {
  const pairs: [string, Cell][] = [
    ['Name', c.name],
    ['Schedule', schedule(c)],
    ['Wait for previous', c.waitforprevprocessgraph ? 'yes: a firing is skipped while the previous workflow runs' : 'no'],
    ['Next run', formatTime(c.nextrun)],
    ['Last run', formatTime(c.lastrun)],
    ['Last run late by', c.lastrun ? `${(c.lastrunlatems / 1000).toFixed(1)} s` : ''],
    ['Last workflow', c.lastprocessgraphid ?? ''],
    ['Runs / skips', `${c.runs} / ${c.skips}`],
    ['Last skip', c.lastskipreason],
    ['Runs', c.specname ? `workflow spec ${c.specname}${c.specversion ? ` version ${c.specversion}` : ' (latest version)'}` : 'its workflow'],
    [
      'Variables',
      Object.entries(c.variables)
        .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
        .join('\n'),
    ],
    ['Functions', c.functionspecs.map((s) => s.nodename).join(', ')],
    ['Created', formatTime(c.created)],
  ];
  return renderSection(`Cron ${c.name}`, pairs);
}

type AddFlags = Flags & {
  name: string;
  spec?: string;
  workflowspec?: string;
  version?: number;
  var: string[];
  cron?: string;
  interval?: number;
  waitprevious?: boolean;
  type?: string;
};

const collectVar = (v: string, all: string[] = []) => [...all, v];

/** What the cron runs: the workflow file, or a registered spec with its variables typed by the declarations. */
async function cronWork(client: ColoniesClient, o: AddFlags) {
  if ((o.spec === undefined) === (o.workflowspec === undefined)) throw usage('give exactly one of --spec <file> and --workflowspec <name>');
  if (o.spec !== undefined) return { workflow: parseWorkflowSpec(await readJsonFile(o.spec), fileLabel(o.spec), o.type) };
  const v = await client.getWorkflowSpec(o.workflowspec!, o.version ? { version: o.version } : {});
  return { spec: { name: v.name, ...(o.version ? { version: o.version } : {}), variables: parseVars(o.var, v.spec.variables) } };
}

export function registerCron(program: Command): void {
  const cron = program.command('cron').description('cron schedules: a workflow submitted on a cron expression or every N seconds');

  examples(
    withConnection(
      cron
        .command('add')
        .description('add a cron (the workflow and the expression are checked now, not at the first firing)')
        .requiredOption('--name <name>', 'unique in the colony')
        .option('--spec <file>', 'the workflow: a JSON array of function specs, or {"functionspecs": [...]} ("-" reads stdin)')
        .option('--workflowspec <name>', 'or: run this registered workflow spec (its latest version, unless --version)')
        .option('--version <n>', 'with --workflowspec: pin this version', positiveInt)
        .option('--var <name=value>', 'with --workflowspec: a variable, typed by its declaration (repeat for each)', collectVar, [])
        .option('--cron <expr>', 'cron expression: 5 fields, or 6 with seconds first (server time zone)')
        .option('--interval <s>', 'or: every this many seconds', positiveInt)
        .option('--waitprevious', 'skip a firing while the previous workflow is still waiting or running')
        .option('--type <type>', 'executor type for specs that name none')
        .option('--json', 'print the raw API object'),
      'member',
    ).action(async (o: AddFlags) => {
      if ((o.cron === undefined) === (o.interval === undefined)) throw usage('give exactly one of --cron <expr> and --interval <s>');
      const client = clientFor(o, 'member');
      const c = await client.addCron({
        name: o.name,
        ...(await cronWork(client, o)),
        ...(o.cron !== undefined ? { cronexpression: o.cron } : { interval: o.interval! }),
        waitforprevprocessgraph: o.waitprevious === true,
      });
      if (o.json) printJson(c);
      else print(`cron ${c.name} added; next run ${formatTime(c.nextrun)}`);
    }),
    [
      'colonies cron add --name nightly --spec etl.json --cron "0 2 * * *"',
      'colonies cron add --name poll --spec check.json --interval 30 --waitprevious',
      'colonies cron add --name fast --spec wf.json --cron "*/10 * * * * *"   # every 10 seconds',
      'colonies cron add --name daily-report --workflowspec report --var dataset=sales --cron "0 6 * * *"',
    ],
  );

  examples(
    withConnection(cron.command('ls').description('list the crons of the colony').option('--json', 'print the raw API objects'), 'member').action(
      async (o: Flags) => {
        const list = await clientFor(o, 'member').listCrons();
        if (o.json) printJson(list);
        else if (list.length === 0) note('No crons');
        else print(cronTable(list));
      },
    ),
    ['colonies cron ls', 'colonies cron ls --json'],
  );

  examples(
    withConnection(
      cron
        .command('get')
        .description('show a cron: schedule, next and last run')
        .requiredOption('--name <name>', 'cron name')
        .option('--json', 'print the raw API object'),
      'member',
    ).action(async (o: NameFlags) => {
      const c = await clientFor(o, 'member').getCron(o.name);
      if (o.json) printJson(c);
      else print(cronView(c));
    }),
    ['colonies cron get --name nightly'],
  );

  examples(
    withConnection(
      cron.command('remove').description('remove a cron (workflows it submitted stay)').requiredOption('--name <name>', 'cron name'),
      'member',
    ).action(async (o: NameFlags) => {
      await clientFor(o, 'member').removeCron(o.name);
      note(`cron ${o.name} removed`);
    }),
    ['colonies cron remove --name nightly'],
  );

  examples(
    withConnection(
      cron
        .command('run')
        .description('fire a cron now, outside its schedule; prints the workflow id')
        .requiredOption('--name <name>', 'cron name')
        .option('--wait', 'wait for the workflow to finish and print {nodename: out} of its leaves; exit 1 if it failed')
        .option('--timeout <s>', 'with --wait: give up after this many seconds (exit 1)', positiveInt)
        .option('--json', 'print the raw API object'),
      'member',
    ).action(async (o: NameFlags & { wait?: boolean; timeout?: number }) => {
      const client = clientFor(o, 'member');
      const r = await client.runCron(o.name);
      if (!r.processgraph) {
        if (o.json) printJson(r);
        else note(`cron ${o.name} did not fire: ${r.skipped ?? 'skipped'}`);
        return;
      }
      if (!o.wait) {
        if (o.json) printJson(r);
        else print(r.processgraph.processgraphid);
        return;
      }
      finishGraph(await waitForGraph(client, r.processgraph.processgraphid, o.timeout), o.json === true);
    }),
    ['colonies cron run --name nightly', 'colonies cron run --name nightly --wait'],
  );
}
