/** `colonies event post | ls`: external events posted to a workflow, for its event nodes (kind event). */
import type { Command } from 'commander';
import type { ColoniesClient } from '../executor/client.ts';
import type { GraphEvent } from '../protocol/types.ts';
import { clientFor, examples, withConnection, type ConnectionFlags } from './context.ts';
import { usage } from './errors.ts';
import { resolveId } from './ids.ts';
import { parseJsonValue } from './spec.ts';
import { formatTime, jsonCell, note, print, printJson, renderTable } from './output.ts';

type Flags = ConnectionFlags & { json?: boolean; processgraphid?: string };

/** The whole graph id of -g (a prefix is completed: cli/ids.ts). */
function graphId(client: ColoniesClient, o: Flags): Promise<string> {
  if (!o.processgraphid) throw usage('required option --processgraphid <id> (-g) not specified');
  return resolveId(client, 'processgraph', o.processgraphid, '--processgraphid');
}

/** What became of a posted event, in a line. */
export function postedLine(e: GraphEvent): string {
  return e.consumedby
    ? `Event ${e.name} consumed by process ${e.consumedby}`
    : `Event ${e.name} kept: no event node of workflow ${e.processgraphid} waits for it yet (the first to reach it consumes it)`;
}

export function eventTable(list: GraphEvent[]): string {
  return renderTable(
    ['NAME', 'POSTED', 'POSTED BY', 'CONSUMED BY', { header: 'DATA', max: 60 }],
    list.map((e) => [e.name, formatTime(e.postedtime), e.postedbyname || e.postedby.slice(0, 12) + '…', e.consumedby ?? 'kept', jsonCell(e.data)]),
  );
}

export function registerEvent(program: Command): void {
  const ev = program.command('event').description('external events: post one to a workflow for its event nodes, list what was posted');
  examples(
    withConnection(
      ev
        .command('post')
        .description('post an event to a workflow: the event node waiting longest for its name finishes with [data]; else it is kept for one')
        .option('-g, --processgraphid <id>', 'the workflow (process graph) id (or its first 6+ characters)')
        .requiredOption('--name <name>', 'the event name, as the event nodes name it ("event": "payment-received")')
        .option('--data <json>', 'the event data, any JSON value (default null)')
        .option('--json', 'print the raw API object'),
      'member',
    ).action(async (o: Flags & { name: string; data?: string }) => {
      // --data: any JSON value (an object, a string in quotes, a number…).
      const data = o.data === undefined ? null : parseJsonValue('--data', o.data);
      const client = clientFor(o, 'member');
      const e = await client.postEvent(await graphId(client, o), o.name, data);
      if (o.json) printJson(e);
      else print(postedLine(e));
    }),
    ['colonies event post -g 3f2a… --name payment-received --data \'{"amount": 42}\'', 'colonies event post -g 3f2a… --name approved --json'],
  );
  examples(
    withConnection(
      ev
        .command('ls')
        .description("list a workflow's events, oldest first, with the process that consumed each (or kept)")
        .option('-g, --processgraphid <id>', 'the workflow (process graph) id (or its first 6+ characters)')
        .option('--json', 'print the raw API objects'),
      'member',
    ).action(async (o: Flags) => {
      const client = clientFor(o, 'member');
      const list = await client.listEvents(await graphId(client, o));
      if (o.json) printJson(list);
      else if (list.length === 0) note('No events posted to this workflow');
      else print(eventTable(list));
    }),
    ['colonies event ls -g 3f2a…', "colonies event ls -g 3f2a… --json | jq '.[] | select(.consumedby == null)'"],
  );
}
