/**
 * The `colonies` command: one file per noun. Output for people on stdout (tables), --json for
 * machines, errors as one line on stderr, and exit codes scripts can act on (see errors.ts).
 */
import { Command } from 'commander';
import { registerColony } from './colony.ts';
import { registerCron } from './cron.ts';
import { registerDev } from './dev.ts';
import { oneLine, reportError } from './errors.ts';
import { registerEvent } from './event.ts';
import { registerExecutor } from './executor.ts';
import { registerFunction } from './function.ts';
import { registerKey } from './key.ts';
import { registerLog } from './log.ts';
import { registerProcess } from './process.ts';
import { registerServer } from './server.ts';
import { registerTask } from './task.ts';
import { registerUser } from './user.ts';
import { registerWorkflow } from './workflow.ts';

const VERSION = '0.1.0';

export function createProgram(): Command {
  const program = new Command('colonies');
  // Set before the nouns are added: subcommands inherit these settings when they are created.
  program
    .version(VERSION, '-V, --version')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      // Commander's usage errors ("error: unknown option '--x'") become the CLI's one line: error: USAGE: …
      outputError: (str, write) => write(`error: USAGE: ${oneLine(str.replace(/^error:\s*/i, ''))} (see --help)\n`),
    })
    .description('Colonies: run process graphs (workflows) of functions on executors anywhere.')
    .addHelpText(
      'after',
      `
Configuration: flags, or the COLONIES_* environment (source .colonies/dev.env after "colonies dev"):
  COLONIES_SERVER_URL (or COLONIES_SERVER_HOST + COLONIES_SERVER_PORT), COLONIES_COLONY_NAME,
  COLONIES_PRVKEY (you), COLONIES_COLONY_PRVKEY (colony owner), COLONIES_SERVER_PRVKEY (server owner),
  COLONIES_EXECUTOR_TYPE, COLONIES_EXECUTOR_NAME, COLONIES_EXECUTOR_PRVKEY (executor start).

Exit codes: 0 ok, 1 the work failed, 2 usage or bad input, 3 server unreachable,
            4 not authenticated or not allowed, 5 not found.

Examples:
  colonies dev                                      # a dev server, colony and keys in one command
  source .colonies/dev.env
  colonies executor start --functions examples/functions.ts
  colonies workflow submit --spec wf.json --wait
  colonies workflow get -g <id>                     # processes and the DAG
  colonies process psf                              # failed processes
  colonies process get -p <id>                      # input, output, errors with stack
  colonies event post -g <id> --name paid --data '{"amount": 42}'   # for the workflow's event nodes

Reference: docs/cli.md`,
    );
  registerDev(program);
  registerServer(program);
  registerKey(program);
  registerColony(program);
  registerUser(program);
  registerExecutor(program);
  registerFunction(program);
  registerProcess(program);
  registerWorkflow(program);
  registerEvent(program);
  registerCron(program);
  registerTask(program);
  registerLog(program);
  return program;
}

/** Runs the command line and resolves to the exit code. */
export async function main(argv: string[] = process.argv): Promise<number> {
  try {
    await createProgram().parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    return reportError(err);
  }
}
