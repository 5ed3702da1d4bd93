/**
 * `colonies workflow spec register | ls | get | remove`, `workflow run NAME --var k=v`, `workflow search`
 * and `workflow vars`: registered workflow specs, runs by name, and the search of runs by variable.
 */
import type { Command } from 'commander';
import type { FunctionSpec } from '../protocol/schemas.ts';
import { PROCESS_STATES, type ProcessState } from '../protocol/states.ts';
import type { Process, ProcessGraph, WorkflowSpecSummary, WorkflowSpecVersion } from '../protocol/types.ts';
import { declared, typeLabel, type VariableDeclarations } from '../protocol/variables.ts';
import { clientFor, examples, nonNegativeInt, positiveInt, withConnection, type ConnectionFlags } from './context.ts';
import { renderDag } from './dag.ts';
import { CliError, EXIT, usage } from './errors.ts';
import { resolveId } from './ids.ts';
import { formatTime, jsonCell, note, print, printJson, renderSection, renderTable, type Cell } from './output.ts';
import { namesById } from './process.ts';
import { fileLabel, parseJsonValue, parseRegisteredSpec, readJsonFile } from './spec.ts';
import { reportStarted } from './wait.ts';

type Flags = ConnectionFlags & { json?: boolean };

const collect = (v: string, all: string[] = []) => [...all, v];

/** `--var k=v` values typed by the spec's declarations; an error names the variable whose value does not parse. */
export function parseVars(raw: string[], decls: VariableDeclarations): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of raw) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw usage(`--var ${item}: expected name=value`);
    const name = item.slice(0, eq);
    const text = item.slice(eq + 1);
    const d = declared(decls, name);
    if (!d)
      throw new CliError(
        'VALIDATION_FAILED',
        `--var ${name}: the spec declares no variable "${name}" (it has: ${Object.keys(decls).join(', ') || 'none'})`,
        EXIT.usage,
      );
    const bad = () => new CliError('VALIDATION_FAILED', `--var ${name}: "${text}" is not a value of type ${typeLabel(d)}`, EXIT.usage);
    switch (d.type) {
      case 'integer':
        if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw bad();
        out[name] = Number(text);
        break;
      case 'number':
        if (text.trim() === '' || !Number.isFinite(Number(text))) throw bad();
        out[name] = Number(text);
        break;
      case 'boolean':
        if (text !== 'true' && text !== 'false') throw bad();
        out[name] = text === 'true';
        break;
      case 'json':
        out[name] = parseJsonValue(`--var ${name}`, text);
        break;
      case 'string':
        out[name] = text;
    }
  }
  return out;
}

/** The spec's DAG as the workflow get draws it, every node WAITING. */
function specDag(specs: FunctionSpec[]): string {
  const children = new Map<string, string[]>();
  for (const s of specs) for (const d of s.conditions.dependencies) children.set(d, [...(children.get(d) ?? []), s.nodename]);
  const nodes = specs.map((s) => ({
    processid: s.nodename,
    spec: s,
    state: 'WAITING',
    parents: s.conditions.dependencies,
    children: children.get(s.nodename) ?? [],
    errors: [],
  }));
  return renderDag(nodes as unknown as Process[]);
}

function specView(v: WorkflowSpecVersion): string {
  const vars = Object.entries(v.spec.variables);
  const parts = [
    renderSection(`Workflow spec ${v.name} version ${v.version}`, [
      ['Registered', formatTime(v.created)],
      ['Hash', v.hash.slice(0, 16)],
    ]),
    `Functions\n${renderTable(
      ['NODENAME', 'FUNCNAME', 'EXECUTOR TYPE', 'DEPENDS ON', 'SETS'],
      v.spec.functionspecs.map((s) => [
        s.nodename,
        s.funcname,
        s.executortype,
        s.conditions.dependencies.join(', '),
        Object.keys(s.setvariables ?? {}).join(', '),
      ]),
    )}`,
  ];
  if (vars.length > 0) {
    parts.push(
      `Variables\n${renderTable(
        ['NAME', 'TYPE', 'REQUIRED', 'INDEXED', 'DEFAULT'],
        vars.map(([n, d]) => [n, typeLabel(d), d.required ? 'yes' : '', d.index ? 'yes' : '', d.default === undefined ? '' : jsonCell(d.default)]),
      )}`,
    );
  }
  parts.push(specDag(v.spec.functionspecs));
  return parts.join('\n\n');
}

function specTable(list: WorkflowSpecSummary[]): string {
  return renderTable(
    [
      'NAME',
      { header: 'VERSION', align: 'right' },
      { header: 'WAITING', align: 'right' },
      { header: 'RUNNING', align: 'right' },
      { header: 'SUCCESS', align: 'right' },
      { header: 'FAILED', align: 'right' },
      'REGISTERED',
    ],
    list.map((s) => [s.name, s.latestversion, s.runs.WAITING, s.runs.RUNNING, s.runs.SUCCESS, s.runs.FAILED, formatTime(s.created)]),
  );
}

/** Runs as lists show them: name first, then the id, state, what started them. */
export function runTable(list: ProcessGraph[], names: Map<string, string>): string {
  return renderTable(
    ['NAME', 'PROCESSGRAPH ID', 'STATE', { header: 'PROCESSES', align: 'right' }, 'SUBMISSION TIME', 'STARTED BY'],
    list.map((g): Cell[] => [
      g.name,
      g.processgraphid,
      g.state,
      `${g.successcount}/${g.processcount}`,
      formatTime(g.submissiontime),
      startedBy(g, names),
    ]),
  );
}

export function startedBy(g: ProcessGraph, names: Map<string, string>): string {
  if (g.cronname) return `cron ${g.cronname}`;
  return g.initiatorname || names.get(g.initiatorid) || g.initiatorid.slice(0, 12) + '…';
}

function registerSpecCommands(wf: Command): void {
  const spec = wf.command('spec').description('registered workflow specs: named, versioned, run by name with variables');
  examples(
    withConnection(
      spec
        .command('register')
        .description('register a workflow spec under a name: a new version, or the version an identical spec already has')
        .requiredOption('--name <name>', 'the spec name runs are started by')
        .requiredOption('--spec <file>', 'a JSON file: {"functionspecs": [...], "variables": {...}} or an array of function specs ("-" reads stdin)')
        .option('--json', 'print the registered version'),
      'member',
    ).action(async (o: Flags & { name: string; spec: string }) => {
      const body = parseRegisteredSpec(await readJsonFile(o.spec), fileLabel(o.spec));
      const r = await clientFor(o, 'member').registerWorkflowSpec(o.name, body);
      if (o.json) printJson(r);
      else print(r.added ? `Registered ${r.name} version ${r.version}` : `${r.name} version ${r.version} is this spec already`);
    }),
    ['colonies workflow spec register --name quickstart --spec quickstart.json'],
  );
  examples(
    withConnection(
      spec.command('ls').description('registered specs: latest version and runs per state').option('--json', 'print the raw API objects'),
      'member',
    ).action(async (o: Flags) => {
      const list = await clientFor(o, 'member').listWorkflowSpecs();
      if (o.json) printJson(list);
      else if (list.length === 0) note('No workflow specs registered');
      else print(specTable(list));
    }),
    ['colonies workflow spec ls'],
  );
  examples(
    withConnection(
      spec
        .command('get <name>')
        .description('show a spec: its functions, variables and DAG')
        .option('--version <n>', 'this version (default: the latest)', positiveInt)
        .option('--json', 'print the raw API object'),
      'member',
    ).action(async (name: string, o: Flags & { version?: number }) => {
      const v = await clientFor(o, 'member').getWorkflowSpec(name, o.version ? { version: o.version } : {});
      if (o.json) printJson(v);
      else print(specView(v));
    }),
    ['colonies workflow spec get quickstart', 'colonies workflow spec get quickstart --version 1 --json'],
  );
  examples(
    withConnection(
      spec
        .command('remove <name>')
        .description('remove every version of a spec (refused while its runs wait or run, unless --force)')
        .option('--force', 'remove it even while runs of it are active (they go on)'),
      'member',
    ).action(async (name: string, o: Flags & { force?: boolean }) => {
      await clientFor(o, 'member').removeWorkflowSpec(name, { force: o.force === true });
      print(`Workflow spec ${name} removed`);
    }),
    ['colonies workflow spec remove quickstart', 'colonies workflow spec remove quickstart --force'],
  );
}

function registerRun(wf: Command): void {
  examples(
    withConnection(
      wf
        .command('run <spec>')
        .description('run a registered spec by name; prints the run id (or, with --wait, the outputs of its leaf nodes)')
        .option('--var <name=value>', 'a variable, typed by its declaration (repeat for each)', collect, [])
        .option('--version <n>', 'run this version (default: the latest)', positiveInt)
        .option('--name <name>', 'name the run (default: the spec name)')
        .option('--key <key>', 'idempotency key: a second run with this key returns the first run')
        .option('--wait', 'wait for it to finish (progress on stderr), print {nodename: out} of its leaves; exit 1 if it failed')
        .option('--timeout <s>', 'with --wait: give up after this many seconds (exit 1)', positiveInt)
        .option('--json', 'print the raw process graph'),
      'member',
    ).action(async (name: string, o: Flags & { var: string[]; version?: number; name?: string; key?: string; wait?: boolean; timeout?: number }) => {
      const client = clientFor(o, 'member');
      const spec = await client.getWorkflowSpec(name, o.version ? { version: o.version } : {});
      const vars = parseVars(o.var, spec.spec.variables);
      const g = await client.runWorkflow(name, vars, {
        version: spec.version,
        ...(o.name ? { name: o.name } : {}),
        ...(o.key ? { key: o.key } : {}),
      });
      await reportStarted(client, g, o);
    }),
    ['colonies workflow run quickstart --var input-name=obi-wan', 'colonies workflow run quickstart --var input-name=leia --key order-1234 --wait'],
  );
}

function registerSearch(wf: Command): void {
  examples(
    withConnection(
      wf
        .command('search')
        .description("runs of a spec by its indexed variables' values, newest first")
        .requiredOption('--spec <name>', 'the registered spec')
        .option('--var <filter>', 'name=value, or name>=v (>, <=, <) for numbers and times (repeat to combine)', collect, [])
        .option('--state <state>', `only runs in this state (${PROCESS_STATES.join(', ')})`)
        .option('--since <time>', 'submitted at or after this ISO time')
        .option('--until <time>', 'submitted before this ISO time')
        .option('--count <n>', 'at most this many (server default 100)', positiveInt)
        .option('--offset <n>', 'skip this many of the newest (paging)', nonNegativeInt)
        .option('--json', 'print the raw API objects'),
      'member',
    ).action(async (o: Flags & { spec: string; var: string[]; state?: string; since?: string; until?: string; count?: number; offset?: number }) => {
      if (o.state && !(PROCESS_STATES as readonly string[]).includes(o.state.toUpperCase()))
        throw usage(`--state must be one of ${PROCESS_STATES.join(', ')}`);
      const client = clientFor(o, 'member');
      // The filters go as they were typed: the server reads them by the spec's declarations and names a bad one.
      const list = await client.searchWorkflows(o.spec, {
        filters: o.var,
        ...(o.state ? { state: o.state.toUpperCase() as ProcessState } : {}),
        ...(o.since ? { since: o.since } : {}),
        ...(o.until ? { until: o.until } : {}),
        ...(o.count ? { count: o.count } : {}),
        ...(o.offset ? { offset: o.offset } : {}),
      });
      if (o.json) printJson(list);
      else if (list.length === 0) note(`No runs of ${o.spec} found`);
      else print(runTable(list, await namesById(client)));
    }),
    [
      'colonies workflow search --spec quickstart --var input-name=obi-wan',
      'colonies workflow search --spec orders --var "total>=100" --state FAILED',
    ],
  );
}

function registerVars(wf: Command): void {
  examples(
    withConnection(
      wf
        .command('vars')
        .description("a run's variables as they are now")
        .option('-g, --processgraphid <id>', 'process graph (workflow) id (or its first 6+ characters)')
        .option('--json', 'print them as one JSON object'),
      'member',
    ).action(async (o: Flags & { processgraphid?: string }) => {
      if (!o.processgraphid) throw usage('required option --processgraphid <id> (-g) not specified');
      const client = clientFor(o, 'member');
      const g = await client.getProcessGraph(await resolveId(client, 'processgraph', o.processgraphid, '--processgraphid'));
      const vars = g.variables ?? {};
      if (o.json) printJson(vars);
      else if (Object.keys(vars).length === 0) note(`Workflow ${g.processgraphid} has no variables`);
      else
        print(
          renderTable(
            ['NAME', 'VALUE'],
            Object.entries(vars).map(([k, v]) => [k, jsonCell(v)]),
          ),
        );
    }),
    ['colonies workflow vars -g 3f2a…', 'colonies workflow vars -g 3f2a… --json'],
  );
}

/** The commands of registered specs under `colonies workflow`. */
export function registerWorkflowSpecs(wf: Command): void {
  registerSpecCommands(wf);
  registerRun(wf);
  registerSearch(wf);
  registerVars(wf);
}
