/**
 * The signed API's routes, registered from protocol/routes.ts: per route, the role check and the
 * parsing of path parameters, query and body happen here, in that order, once; its handler gets the
 * result and answers with the table's success status.
 */
import { Router, type Request, type Response } from 'express';
import { ROUTES, type Operation, type Route } from '../../protocol/routes.ts';
import { resourceName } from '../../protocol/schemas.ts';
import type { Role } from '../auth/authorize.ts';
import { AppError } from '../errors.ts';
import { summarizeIssues } from '../../protocol/issues.ts';
import { callerId, param, parse, type Handler, type Handlers, type RouteDeps } from './context.ts';
import { colonyHandlers } from './colonies.ts';
import { processHandlers } from './processes.ts';
import { graphHandlers } from './graphs.ts';
import { cronHandlers } from './crons.ts';
import { functionHandlers } from './functions.ts';
import { specHandlers } from './specs.ts';
import { eventHandlers } from './events.ts';
import { taskHandlers } from './tasks.ts';
import { idHandlers } from './ids.ts';

const COLONY_ROLE: Record<Exclude<Route['role'], 'server owner'>, Role> = { 'colony owner': 'owner', member: 'member', executor: 'executor' };

const REPORTING = new Set<Operation>(['assign', 'executorHeartbeat']);

function clientGone(res: Response): AbortSignal {
  const ac = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) ac.abort();
  });
  return ac.signal;
}

/** The caller, checked for the route's role: a server owner's id, or a membership of the colony in the path. */
async function authorize(deps: RouteDeps, route: Route, req: Request) {
  if (route.role === 'server owner') {
    deps.authorize.serverOwner(callerId(req));
    return { callerId: callerId(req) };
  }
  // A name no colony could have (a NUL, say) is refused before it reaches the membership lookup's SQL.
  const colony = parse(resourceName, param(req, 'colony'), 'path.colony');
  return { member: await deps.authorize.colony(colony, callerId(req), COLONY_ROLE[route.role]) };
}

/** A route that takes no query refuses any parameter, naming it, rather than ignoring it. */
function noQuery(req: Request): undefined {
  const keys = Object.keys(req.query);
  if (keys.length > 0) {
    const issues = keys.map((k) => ({ path: `query.${k}`, message: `unknown field "${k}"` }));
    throw new AppError('VALIDATION_FAILED', summarizeIssues(issues), { issues });
  }
  return undefined;
}

function register(router: Router, deps: RouteDeps, route: Route, handle: Handler<Operation>): void {
  const checked = Object.entries(route.params ?? {});
  const method = route.method.toLowerCase() as 'get' | 'post' | 'delete';
  router[method](route.path, async (req, res) => {
    const caller = await authorize(deps, route, req);
    const params: Record<string, unknown> = { ...req.params };
    for (const [name, schema] of checked) params[name] = parse(schema, param(req, name), `path.${name}`);
    const query: unknown = route.query ? parse(route.query, req.query, 'query') : noQuery(req);
    const body: unknown = route.body ? parse(route.body, req.body) : undefined;
    // Any request of an executor's renews its lease (the two that report what it holds do so themselves).
    const member = 'member' in caller ? caller.member : undefined;
    if (member?.executor && !REPORTING.has(route.operation)) deps.services.processes.heard(member.colonyname, member.id);
    const call = { ...caller, params, query, body, clientGone: () => clientGone(res) };
    const result = await handle(call as Parameters<Handler<Operation>>[0]);
    if (route.status === 204) res.status(204).end();
    else res.status(route.status).json(result);
  });
}

export function apiRouter(deps: RouteDeps): Router {
  const handlers: Handlers = {
    ...colonyHandlers(deps.services),
    ...processHandlers(deps.services),
    ...graphHandlers(deps.services),
    ...cronHandlers(deps.services),
    ...functionHandlers(deps.services),
    ...specHandlers(deps.services),
    ...eventHandlers(deps.services),
    ...taskHandlers(deps.services),
    ...idHandlers(deps.services),
  };
  const router = Router();
  for (const route of ROUTES) register(router, deps, route, handlers[route.operation] as Handler<Operation>);
  return router;
}
