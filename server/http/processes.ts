/** Processes: submitting, listing and removing them (members), and the executor's side: assign, close, fail, log. */
import { FunctionSpec } from '../../protocol/schemas.ts';
import { parse, refusedValue, type Handlers, type Services } from './context.ts';
import { errorBody, isAppError } from '../errors.ts';
import { withWarnings } from './functions.ts';

/** Whatever did not close was not RUNNING on this attempt of this executor (timed out, cancelled…). */
function closeOutcome(closes: { processid: string }[], closed: Set<string>) {
  return { closed: [...closed], refused: closes.filter((c) => !closed.has(c.processid)).map((c) => c.processid) };
}

export function processHandlers({ processes, functions }: Services) {
  return {
    // A function no executor serves yet is accepted, with a warning (read from a cache: no query per submit).
    submitProcess: async ({ member, body }) =>
      withWarnings(await processes.submit(member.colonyname, body, member.id), await functions.warnings(member.colonyname, [body])),
    // Independent submits in one request (the SDK coalesces concurrent submit() calls into it): a bad
    // spec is refused on its own, with the error its single submit would get; the others are written
    // together, in one statement.
    submitProcessBatch: async ({ member, body }) => {
      const results = await Promise.all(
        body.specs.map(async (spec, i) => {
          try {
            const one = parse(FunctionSpec, spec, `body.specs.${i}`);
            return {
              process: withWarnings(await processes.submit(member.colonyname, one, member.id), await functions.warnings(member.colonyname, [one])),
            };
          } catch (err) {
            const refused = isAppError(err) ? err : refusedValue(err);
            if (refused) return errorBody(refused);
            throw err;
          }
        }),
      );
      return { results };
    },
    listProcesses: ({ member, query }) => processes.list(member.colonyname, query),
    removeAllProcesses: async ({ member, query }) => ({ removed: await processes.removeAll(member.colonyname, query.state) }),
    assign: async ({ member, body, clientGone }) => {
      const executor = { id: member.id, executortype: member.executor!.executortype };
      processes.heard(member.colonyname, member.id, body.holding && { holding: body.holding, instance: body.instance });
      const timeoutMs = body.timeout * 1000;
      if (!body.closes?.length) return { processes: await processes.assign(member.colonyname, executor, body.count, timeoutMs, clientGone()) };
      // An executor hands in what it finished and asks for more in one request (one statement, one round trip per cycle).
      const r = await processes.closeAndAssign(member.colonyname, executor, body.closes, body.count, timeoutMs, clientGone());
      return { processes: r.processes, ...closeOutcome(body.closes, r.closed) };
    },
    executorHeartbeat: async ({ member, body }) => ({ revoked: await processes.heartbeat(member.colonyname, member.id, body) }),
    closeProcesses: async ({ member, body }) => closeOutcome(body.closes, await processes.closeMany(member.colonyname, member.id, body.closes)),
    getProcess: async ({ member, params }) => (await functions.explain(member.colonyname, [await processes.get(member.colonyname, params.id)]))[0],
    removeProcess: ({ member, params, query }) => processes.remove(member.colonyname, params.id, query.force === 'true'),
    cancelProcess: ({ member, params }) => processes.cancel(member.colonyname, params.id),
    closeProcess: ({ member, params, body }) =>
      processes.close(member.colonyname, member.id, { processid: params.id, attempt: body.attempt, out: body.out }),
    failProcess: ({ member, params, body }) =>
      processes.fail(member.colonyname, { id: member.id, name: member.executor!.executorname }, params.id, body.attempt, body.errors, {
        retry: body.retry,
        errorkind: body.errorkind,
      }),
    addLog: ({ member, params, body }) => processes.addLog(member.colonyname, member.id, params.id, body.message),
    getLogs: ({ member, params, query }) => processes.logs(member.colonyname, params.id, query.since ?? 0, query.count),
    getExecutorLogs: ({ member, params, query }) => processes.executorLogs(member.colonyname, params.executorid, query.since ?? 0, query.count),
  } satisfies Partial<Handlers>;
}
