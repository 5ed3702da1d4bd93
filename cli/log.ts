/** `colonies log get -p ID [--count N] [--follow]`: the lines a process's executor logged (ctx.log). */
import type { Command } from 'commander';
import { FINISHED_STATES } from '../protocol/states.ts';
import type { LogEntry } from '../protocol/types.ts';
import { clientFor, examples, nonNegativeInt, positiveInt, withConnection, type ConnectionFlags } from './context.ts';
import { resolveId } from './ids.ts';
import { formatTime, note, print, printJson, style } from './output.ts';
import { RECONNECTING, watch } from './wait.ts';

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
  const processid = await resolveId(client, 'process', o.processid, '--processid');
  const count = o.count ?? 100;
  let since = o.since ?? 0;
  if (!o.follow) {
    const logs = await client.getLogs(processid, { since, count });
    if (o.json) printJson(logs);
    else if (logs.length === 0) note(`No logs for process ${processid}`);
    else for (const l of logs) print(line(l));
    return;
  }
  // Follow: the live connection says when there is something new (a log line, the end of the process);
  // the lines themselves are read over HTTP from the last one printed, so none is lost or truncated.
  const drain = async () => {
    for (;;) {
      const logs = await client.getLogs(processid, { since, count });
      for (const l of logs) print(o.json ? JSON.stringify(l) : line(l));
      if (logs.length > 0) since = logs[logs.length - 1]!.seq;
      if (logs.length < count) return;
    }
  };
  let stopped = false;
  let finalState = '';
  // Said once per outage, on stderr (stdout keeps only the lines); the next snapshot means it is over.
  let lost = false;
  const stop = () => (stopped = true);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await watch(
      client,
      { processid },
      async (m) => {
        if (m.type === 'snapshot') lost = false;
        const state =
          m.type === 'snapshot' ? (m.snapshot.of === 'process' ? m.snapshot.process.state : '') : m.event.type === 'process' ? m.event.state : '';
        if (m.type === 'snapshot' || m.event.type === 'log' || state) await drain();
        if (FINISHED_STATES.some((s) => s === state)) finalState = state;
        return finalState !== '' || stopped;
      },
      () => {
        if (stopped) throw new Error('stopped');
      },
      () => {
        if (!lost) note(`(${RECONNECTING})`);
        lost = true;
      },
    ).catch((err: unknown) => {
      if (!stopped) throw err;
    });
    if (finalState && !o.json) note(`process ${processid} ${finalState}`);
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
        .requiredOption('-p, --processid <id>', 'process id (or its first 6+ characters)')
        .option('--count <n>', 'at most this many lines (per poll with --follow)', positiveInt)
        .option('--since <seq>', 'only lines after this sequence number (the seq field of --json)', nonNegativeInt)
        .option('--follow', 'keep printing new lines until the process has finished (Ctrl-C stops)')
        .option('--json', 'print the raw API objects (one per line with --follow)'),
      'member',
    ).action((o: LogFlags) => get(o)),
    ['colonies log get -p 3f2a…', 'colonies log get -p 3f2a… --follow', 'colonies log get -p 3f2a… --json | jq -r ".[].message"'],
  );
}
