/** `colonies function ls`: the functions the colony's executors declared they serve, per executor type. */
import type { Command } from 'commander';
import type { FunctionInfo } from '../protocol/types.ts';
import { clientFor, examples, withConnection, type ConnectionFlags } from './context.ts';
import { note, paintState, print, printJson, renderTable, type Cell } from './output.ts';

type Flags = ConnectionFlags & { json?: boolean };

/** None online is the state worth seeing at a glance: a process of it would wait. */
const onlineCell = (f: FunctionInfo): Cell => ({
  text: `${f.online} of ${f.executors}`,
  paint: (x) => paintState(f.online > 0 ? 'SUCCESS' : 'FAILED', x),
});

export function functionTable(list: FunctionInfo[]): string {
  return renderTable(
    [
      'FUNCNAME',
      'EXECUTOR TYPE',
      { header: 'EXECUTORS', align: 'right' },
      { header: 'ONLINE', align: 'right' },
      { header: 'EXECUTOR NAMES', max: 60 },
    ],
    list.map((f) => [f.funcname, f.executortype, String(f.executors), onlineCell(f), f.executornames.join(', ')]),
  );
}

export function registerFunction(program: Command): void {
  const fn = program.command('function').description('the functions executors serve (declared when they start)');
  examples(
    withConnection(
      fn
        .command('ls')
        .description('list the functions the colony knows: funcname, executor type, how many executors serve it and how many are online')
        .option('--json', 'print the raw API objects'),
      'member',
    ).action(async (o: Flags) => {
      const list = await clientFor(o, 'member').listFunctions();
      if (o.json) printJson(list);
      else if (list.length === 0) note('No functions declared: start an executor (colonies executor start --functions <module>)');
      else print(functionTable(list));
    }),
    ['colonies function ls', "colonies function ls --json | jq -r '.[] | select(.online == 0) | .funcname'"],
  );
}
