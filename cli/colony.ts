/** `colonies colony add | ls | remove | stats`: colonies are added and removed by the server owner. */
import type { Command } from 'commander';
import { PROCESS_STATES } from '../protocol/states.ts';
import type { Colony, ColonyStats } from '../protocol/types.ts';
import { clientFor, colonyOf, examples, withConnection, type ConnectionFlags } from './context.ts';
import { formatTime, note, paintState, print, printJson, renderTable } from './output.ts';

type Flags = ConnectionFlags & { json?: boolean };

export function colonyTable(colonies: Colony[]): string {
  return renderTable(
    ['NAME', 'COLONY ID', 'CREATED'],
    colonies.map((c) => [c.colonyname, c.colonyid, formatTime(c.created)]),
  );
}

export function statsTable(colonyname: string, s: ColonyStats): string {
  const rows = PROCESS_STATES.map((st) => [{ text: st, paint: (x: string) => paintState(st, x) }, s.processes[st] ?? 0, s.processgraphs[st] ?? 0]);
  return (
    `Colony ${colonyname}\n` +
    renderTable([{ header: 'STATE' }, { header: 'PROCESSES', align: 'right' }, { header: 'WORKFLOWS', align: 'right' }], rows) +
    `\nExecutors: ${s.executors}`
  );
}

export function registerColony(program: Command): void {
  const colony = program.command('colony').description('colonies: add, list and remove them (server owner), show statistics (members)');

  examples(
    withConnection(
      colony
        .command('add')
        .description('add a colony owned by the key whose id is --colonyid (server owner)')
        .requiredOption('--name <name>', 'colony name')
        .requiredOption('--colonyid <id>', "the colony owner's id (from colonies key generate)")
        .option('--json', 'print the added colony as JSON'),
      'server',
      { colony: false },
    ).action(async (o: Flags & { name: string; colonyid: string }) => {
      const c = await clientFor(o, 'server', { colony: false }).addColony(o.name, o.colonyid);
      if (o.json) printJson(c);
      else print(`Colony ${c.colonyname} added (owner id ${c.colonyid})`);
    }),
    ['colonies key generate            # the new colony owner key', 'colonies colony add --name demo --colonyid 3f2a…'],
  );

  examples(
    withConnection(colony.command('ls').description('list colonies (server owner)').option('--json', 'print the raw API objects'), 'server', {
      colony: false,
    }).action(async (o: Flags) => {
      const list = await clientFor(o, 'server', { colony: false }).listColonies();
      if (o.json) printJson(list);
      else if (list.length === 0) note('No colonies found');
      else print(colonyTable(list));
    }),
    ['colonies colony ls', 'colonies colony ls --json | jq -r ".[].colonyname"'],
  );

  examples(
    withConnection(
      colony.command('remove').description('remove a colony and everything in it (server owner)').requiredOption('--name <name>', 'colony name'),
      'server',
      { colony: false },
    ).action(async (o: Flags & { name: string }) => {
      await clientFor(o, 'server', { colony: false }).removeColony(o.name);
      print(`Colony ${o.name} removed`);
    }),
    ['colonies colony remove --name demo'],
  );

  examples(
    withConnection(
      colony
        .command('stats')
        .description("counts of the colony's processes and workflows by state, and its executors")
        .option('--json', 'print the raw API object'),
      'member',
    ).action(async (o: Flags) => {
      const s = await clientFor(o, 'member').stats();
      if (o.json) printJson(s);
      else print(statsTable(colonyOf(o), s));
    }),
    ['colonies colony stats', 'colonies colony stats --colony dev --json'],
  );
}
