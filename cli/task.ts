/** `colonies task ls | complete`: user tasks (nodes of kind usertask) waiting for a person, and completing them. */
import type { Command } from 'commander';
import type { UserTask } from '../protocol/types.ts';
import { clientFor, examples, withConnection, type ConnectionFlags } from './context.ts';
import { usage } from './errors.ts';
import { resolveId } from './ids.ts';
import { durationBetween, formatTime, note, print, printJson, renderTable, runCell, style } from './output.ts';
import { parseJsonValue, readJsonFile } from './spec.ts';

type Flags = ConnectionFlags & { json?: boolean };

/** Open tasks: the id to complete, the run and node, who may complete it, since when it waits. */
export function taskTable(list: UserTask[], now = new Date()): string {
  return renderTable(
    ['ID', { header: 'RUN', max: 30 }, { header: 'NODE', max: 30 }, 'ASSIGNEE', 'WAITING SINCE'],
    list.map((t) => [
      t.processid,
      runCell(t),
      t.nodename,
      t.assignee ?? { text: 'anyone', paint: style.dim },
      `${formatTime(t.readytime)} (${durationBetween(t.readytime, now.toISOString())})`,
    ]),
  );
}

/** The data of --data or --data-file (one of them): any JSON, checked by the server against the task's form. */
async function dataOf(o: { data?: string; dataFile?: string }): Promise<unknown> {
  if ((o.data === undefined) === (o.dataFile === undefined)) throw usage('give the task its data: --data <json> or --data-file <file> (one of them)');
  if (o.dataFile !== undefined) return readJsonFile(o.dataFile, 'data file');
  return parseJsonValue('--data', o.data!);
}

export function registerTask(program: Command): void {
  const task = program.command('task').description('user tasks: workflow nodes (kind usertask) that wait for a person to complete them with data');
  examples(
    withConnection(
      task
        .command('ls')
        .description('list the open user tasks of the colony, oldest first')
        .option('--mine', 'only tasks assigned to you, or to anyone')
        .option('--json', "print the raw API objects (with each task's form and input)"),
      'member',
    ).action(async (o: Flags & { mine?: boolean }) => {
      const list = await clientFor(o, 'member').listTasks({ mine: o.mine === true });
      if (o.json) printJson(list);
      else if (list.length === 0) note(o.mine ? 'No open tasks for you' : 'No open tasks');
      else print(taskTable(list));
    }),
    ['colonies task ls', 'colonies task ls --mine', "colonies task ls --json | jq '.[] | {processid, form}'"],
  );
  examples(
    withConnection(
      task
        .command('complete')
        .description("complete a user task with data its form accepts; the data becomes the task's output")
        .argument('<processid>', 'the task (its process id from task ls, or its first 6+ characters)')
        .option('--data <json>', 'the data, as JSON')
        .option('--data-file <file>', 'the data from a JSON file ("-" reads stdin)')
        .option('--json', 'print the completed process'),
      'member',
    ).action(async (processid: string, o: Flags & { data?: string; dataFile?: string }) => {
      const data = await dataOf(o);
      const client = clientFor(o, 'member');
      const p = await client.completeTask(await resolveId(client, 'process', processid, 'the task id'), data);
      if (o.json) printJson(p);
      else print(`Task ${p.processid} (${p.spec.nodename}) completed`);
    }),
    [`colonies task complete <processid> --data '{"approved": true, "comment": "ok"}'`, 'colonies task complete <processid> --data-file answer.json'],
  );
}
