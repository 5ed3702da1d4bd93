/** `colonies log get -p ID [--count N] [--follow]`: the lines a process's executor logged (ctx.log). */
import type { Command } from 'commander';
import { FINISHED_STATES } from '../protocol/states.ts';
import type { LogEntry } from '../protocol/types.ts';
import { clientFor, examples, nonNegativeInt, positiveInt, withConnection, type ConnectionFlags } from './context.ts';
import { formatTime, note, print, printJson, style } from './output.ts';

export const FOLLOW_POLL_MS = 500;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function line(l: LogEntry): string {
  return `${style.dim(formatTime(l.time))}  ${l.message}`;
}

interface LogFlags extends ConnectionFlags {
  processid: string;
  count?: number;
  since?: number;
  follow?: boolean;
  json?: boolean;
}

async function get(o: LogFlags): Promise<void> {
  const client = clientFor(o, 'member');
  const count = o.count ?? 100;
  let since = o.since ?? 0;
  if (!o.follow) {
    const logs = await client.getLogs(o.processid, { since, count });
    if (o.json) printJson(logs);
    else if (logs.length === 0) note(`No logs for process ${o.processid}`);
    else for (const l of logs) print(line(l));
    return;
  }
  // Follow: poll every 500 ms (a WebSocket comes later) until the process has finished and its logs are drained.
  let stopped = false;
  const stop = () => (stopped = true);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    for (;;) {
      const p = await client.getProcess(o.processid);
      const done = FINISHED_STATES.includes(p.state);
      for (;;) {
        const logs = await client.getLogs(o.processid, { since, count });
        for (const l of logs) print(o.json ? JSON.stringify(l) : line(l));
        if (logs.length > 0) since = logs[logs.length - 1]!.seq;
        if (logs.length < count) break;
      }
      if (done || stopped) {
        if (done && !o.json) note(`process ${o.processid} ${p.state}`);
        return;
      }
      await sleep(FOLLOW_POLL_MS);
      if (stopped) return;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

export function registerLog(program: Command): void {
  const log = program.command('log').description('process logs (written by executors with ctx.log)');
  examples(
    withConnection(
      log
        .command('get')
        .description("print a process's log lines, oldest first")
        .requiredOption('-p, --processid <id>', 'process id')
        .option('--count <n>', 'at most this many lines (per poll with --follow)', positiveInt)
        .option('--since <seq>', 'only lines after this sequence number (the seq field of --json)', nonNegativeInt)
        .option('--follow', 'keep printing new lines until the process has finished (Ctrl-C stops)')
        .option('--json', 'print the raw API objects (one per line with --follow)'),
      'member',
    ).action((o: LogFlags) => get(o)),
    ['colonies log get -p 3f2a…', 'colonies log get -p 3f2a… --follow', 'colonies log get -p 3f2a… --json | jq -r ".[].message"'],
  );
}
