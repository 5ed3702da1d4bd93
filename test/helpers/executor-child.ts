/**
 * An SDK Executor in a process of its own, for tests that kill it (`node --import tsx test/helpers/executor-child.ts`).
 * Env: COLONIES_SERVER_URL, COLONIES_PRVKEY (the executor's key, already registered and approved),
 * COLONIES_COLONY_NAME, COLONIES_EXECUTOR_TYPE, COLONIES_EXECUTOR_NAME.
 * Functions: `hang` (never returns) and `echo` (returns its input). Reports on stdout, one JSON object
 * per line: {"started":true} once polling, {"taken":"<processid>"} when a function starts.
 */
import { Executor, type ExecutionContext } from '../../executor/executor.ts';
import { clientEnv } from '../../executor/env.ts';

const env = clientEnv();
if (!env.prvkey || !env.colonyname || !env.executortype)
  throw new Error('executor-child needs COLONIES_PRVKEY, COLONIES_COLONY_NAME and COLONIES_EXECUTOR_TYPE');
const say = (msg: object) => process.stdout.write(JSON.stringify(msg) + '\n');

const executor = new Executor({
  url: env.url,
  prvkey: env.prvkey,
  colonyname: env.colonyname,
  executortype: env.executortype,
  ...(env.executorname ? { executorname: env.executorname } : {}),
  assignTimeout: 5,
  functions: {
    hang: (ctx: ExecutionContext) => {
      say({ taken: ctx.process.processid });
      // A pending promise alone would let node exit; an interval keeps the process (and the attempt) alive.
      return new Promise(() => setInterval(() => {}, 60_000));
    },
    echo: (_ctx: ExecutionContext, ...args: unknown[]) => args,
  },
  onError: (err) => process.stderr.write(`executor-child: ${String(err)}\n`),
});
executor.installSignalHandlers();
await executor.start();
say({ started: true });
