import { Router, type Response } from 'express';
import {
  AssignRequest,
  CloseManyRequest,
  CloseRequest,
  FailRequest,
  ForceQuery,
  FunctionSpec,
  ListProcessesQuery,
  LogRequest,
  LogsQuery,
  RemoveAllQuery,
  SubmitManyRequest,
  processId,
} from '../../protocol/schemas.ts';
import { identityId } from '../../protocol/schemas.ts';
import { inColony, param, parse, type RouteDeps } from './context.ts';
import { errorBody, isAppError } from '../errors.ts';

/** An AbortSignal that fires when the client goes away before we answer (long-polls stop claiming). */
function clientGone(res: Response): AbortSignal {
  const ac = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) ac.abort();
  });
  return ac.signal;
}

/** Whatever did not close was not RUNNING on this attempt of this executor (timed out, cancelled…). */
function closeOutcome(closes: { processid: string }[], closed: Set<string>) {
  return { closed: [...closed], refused: closes.filter((c) => !closed.has(c.processid)).map((c) => c.processid) };
}

export function processesRouter(deps: RouteDeps): Router {
  const r = Router();
  const { processes } = deps.services;
  const pid = (req: Parameters<typeof param>[0]) => parse(processId, param(req, 'id'), 'path.id');

  r.post('/colonies/:colony/processes', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    res.status(201).json(await processes.submit(m.colonyname, parse(FunctionSpec, req.body), m.id));
  });
  // Independent submits in one request (the SDK coalesces concurrent submit() calls into it): a bad
  // spec is refused on its own, with the error its single submit would get; the others are written
  // together, in one statement.
  r.post('/colonies/:colony/processes/batch', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    const { specs } = parse(SubmitManyRequest, req.body);
    const results = await Promise.all(
      specs.map(async (spec, i) => {
        try {
          return { process: await processes.submit(m.colonyname, parse(FunctionSpec, spec, `body.specs.${i}`), m.id) };
        } catch (err) {
          if (isAppError(err)) return errorBody(err);
          throw err;
        }
      }),
    );
    res.json({ results });
  });
  r.get('/colonies/:colony/processes', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    res.json(await processes.list(m.colonyname, parse(ListProcessesQuery, req.query, 'query')));
  });
  r.delete('/colonies/:colony/processes', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    const q = parse(RemoveAllQuery, req.query, 'query');
    res.json({ removed: await processes.removeAll(m.colonyname, q.state) });
  });
  r.post('/colonies/:colony/processes/assign', async (req, res) => {
    const m = await inColony(deps, req, 'executor');
    const body = parse(AssignRequest, req.body);
    const executor = { id: m.id, executortype: m.executor!.executortype };
    const timeoutMs = body.timeout * 1000;
    if (!body.closes?.length) {
      res.json({ processes: await processes.assign(m.colonyname, executor, body.count, timeoutMs, clientGone(res)) });
      return;
    }
    // An executor hands in what it finished and asks for more in one request (one statement, one round trip per cycle).
    const r = await processes.closeAndAssign(m.colonyname, executor, body.closes, body.count, timeoutMs, clientGone(res));
    res.json({ processes: r.processes, ...closeOutcome(body.closes, r.closed) });
  });
  r.post('/colonies/:colony/processes/close', async (req, res) => {
    const m = await inColony(deps, req, 'executor');
    const body = parse(CloseManyRequest, req.body);
    res.json(closeOutcome(body.closes, await processes.closeMany(m.colonyname, m.id, body.closes)));
  });
  r.get('/colonies/:colony/processes/:id', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    res.json(await processes.get(m.colonyname, pid(req)));
  });
  r.delete('/colonies/:colony/processes/:id', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    await processes.remove(m.colonyname, pid(req), parse(ForceQuery, req.query, 'query').force === 'true');
    res.status(204).end();
  });
  r.post('/colonies/:colony/processes/:id/cancel', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    res.json(await processes.cancel(m.colonyname, pid(req)));
  });
  r.post('/colonies/:colony/processes/:id/close', async (req, res) => {
    const m = await inColony(deps, req, 'executor');
    const body = parse(CloseRequest, req.body);
    await processes.close(m.colonyname, m.id, { processid: pid(req), attempt: body.attempt, out: body.out });
    res.status(204).end();
  });
  r.post('/colonies/:colony/processes/:id/fail', async (req, res) => {
    const m = await inColony(deps, req, 'executor');
    const body = parse(FailRequest, req.body);
    res.json(await processes.fail(m.colonyname, m.id, pid(req), body.attempt, body.errors));
  });
  r.post('/colonies/:colony/processes/:id/logs', async (req, res) => {
    const m = await inColony(deps, req, 'executor');
    await processes.addLog(m.colonyname, m.id, pid(req), parse(LogRequest, req.body).message);
    res.status(204).end();
  });
  r.get('/colonies/:colony/processes/:id/logs', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    const q = parse(LogsQuery, req.query, 'query');
    res.json(await processes.logs(m.colonyname, pid(req), q.since ?? 0, q.count));
  });
  r.get('/colonies/:colony/executors/:executorid/logs', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    const q = parse(LogsQuery, req.query, 'query');
    res.json(await processes.executorLogs(m.colonyname, parse(identityId, param(req, 'executorid'), 'path.executorid'), q.since ?? 0, q.count));
  });
  return r;
}
