/**
 * An SDK Executor in a process of its own whose function `record` appends "<processid> <attempt>" to
 * the file COLONIES_TEST_RECORD before returning [attempt, processid]: a fault test compares what ran
 * with what the server kept (`node --import tsx test/helpers/recording-executor.ts`).
 * Env: COLONIES_SERVER_URL, COLONIES_PRVKEY (an approved executor's key), COLONIES_COLONY_NAME,
 * COLONIES_EXECUTOR_TYPE, COLONIES_EXECUTOR_NAME, COLONIES_TEST_RECORD, COLONIES_TEST_CONCURRENCY.
 * Prints {"started":true} once polling; on SIGTERM it stops and prints {"stats":…} (Executor.stats and the
 * counts of the errors a server crash causes).
 */
import { appendFileSync } from 'node:fs';
import { Executor, type ExecutionContext } from '../../executor/executor.ts';
import { clientEnv } from '../../executor/env.ts';
import { ColoniesError } from '../../executor/transport.ts';

const env = clientEnv();
const file = process.env.COLONIES_TEST_RECORD;
if (!env.prvkey || !env.colonyname || !env.executortype || !file)
  throw new Error('recording-executor needs COLONIES_PRVKEY, COLONIES_COLONY_NAME, COLONIES_EXECUTOR_TYPE and COLONIES_TEST_RECORD');
const say = (msg: object) => process.stdout.write(JSON.stringify(msg) + '\n');
/** Errors expected while the server is killed: it was unreachable, or a close came after its attempt's lease. */
const expected = { UNREACHABLE: 0, PROCESS_NOT_RUNNING: 0 };

const executor = new Executor({
  url: env.url,
  prvkey: env.prvkey,
  colonyname: env.colonyname,
  executortype: env.executortype,
  ...(env.executorname ? { executorname: env.executorname } : {}),
  concurrency: Number(process.env.COLONIES_TEST_CONCURRENCY ?? 8),
  assignTimeout: 5,
  functions: {
    record: (ctx: ExecutionContext) => {
      const { processid, attempt } = ctx.process;
      // Written before the function returns, so before its close can reach the server.
      appendFileSync(file, `${processid} ${attempt}\n`);
      return [attempt, processid];
    },
  },
  onError: (err) => {
    if (err instanceof ColoniesError && (err.code === 'UNREACHABLE' || err.code === 'PROCESS_NOT_RUNNING')) expected[err.code]++;
    else process.stderr.write(`recording-executor: ${String(err)}\n`);
  },
});
const stop = () =>
  void executor.stop(2000).then(() => {
    say({ stats: { ...executor.stats, ...expected } });
    process.exit(0);
  });
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
await executor.start();
say({ started: true });
