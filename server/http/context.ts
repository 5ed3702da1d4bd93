/** What every handler of the API gets: the services, the parsed call (caller, path, query, body), zod parsing to VALIDATION_FAILED. */
import type { Request } from 'express';
import type { z } from 'zod';
import { AppError } from '../errors.ts';
import { isDataError, sqlState } from '../store/db.ts';
import { summarizeIssues, validate } from '../../protocol/issues.ts';
import type { OPERATIONS, Operation, PathParamName } from '../../protocol/routes.ts';
import type { Authorizer } from '../auth/authorize.ts';
import type { Membership } from '../services/colonies.ts';
import type { ColonyService } from '../services/colonies.ts';
import type { ProcessService } from '../services/processes.ts';
import type { GraphService } from '../services/graphs.ts';
import type { CronService } from '../services/crons.ts';
import type { FunctionService } from '../services/functions.ts';
import type { SpecService } from '../services/workflows/specs.ts';
import type { EventService } from '../services/events.ts';
import type { TaskService } from '../services/tasks.ts';
import type { IdService } from '../services/ids.ts';

export interface Services {
  colonies: ColonyService;
  processes: ProcessService;
  graphs: GraphService;
  crons: CronService;
  functions: FunctionService;
  specs: SpecService;
  events: EventService;
  tasks: TaskService;
  ids: IdService;
}

export interface RouteDeps {
  services: Services;
  authorize: Authorizer;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** The verified signer of this request (set by the signature middleware). */
    callerId?: string;
  }
}

type Spec<O extends Operation> = (typeof OPERATIONS)[O];
type Output<S> = S extends z.ZodType ? z.output<S> : undefined;
type ParamSchemas<O extends Operation> = Spec<O> extends { params: infer P } ? P : Record<never, never>;

/** One request to operation O, authorized and parsed by the table's role, params, query and body. */
export type Call<O extends Operation> = {
  params: { [K in PathParamName<O>]: K extends keyof ParamSchemas<O> ? Output<ParamSchemas<O>[K]> : string };
  query: Spec<O> extends { query: infer Q } ? Output<Q> : undefined;
  body: Spec<O> extends { body: infer B } ? Output<B> : undefined;
  /** An AbortSignal that fires when the client goes away before the answer (long-polls stop claiming). */
  clientGone: () => AbortSignal;
} & (Spec<O>['role'] extends 'server owner' ? { callerId: string } : { member: Membership });

/** What a handler resolves to is the reply's JSON body (nothing for a 204). */
export type Handler<O extends Operation> = (call: Call<O>) => Promise<unknown>;

/** One handler per operation of the table: a route without one does not compile. */
export type Handlers = { [O in Operation]: Handler<O> };

export function callerId(req: Request): string {
  if (!req.callerId) throw new AppError('UNAUTHENTICATED', 'request is not signed');
  return req.callerId;
}

export function parse<S extends z.ZodType>(schema: S, data: unknown, where = 'body'): z.output<S> {
  const r = validate(schema, data, where.split('.'));
  if (r.success) return r.data;
  throw new AppError('VALIDATION_FAILED', summarizeIssues(r.issues), { issues: r.issues });
}

export function param(req: Request, name: string): string {
  const v = req.params[name];
  if (typeof v !== 'string') throw new AppError('VALIDATION_FAILED', `missing path parameter ${name}`);
  return v;
}

/**
 * A value the database refused (SQLSTATE class 22 or 54) as the client's error. A safety net:
 * validation (protocol/values.ts) should have refused the value before the database did.
 */
export function refusedValue(err: unknown): AppError | undefined {
  if (!isDataError(err)) return undefined;
  return new AppError('VALIDATION_FAILED', `the request holds a value the store cannot keep (SQLSTATE ${sqlState(err)})`);
}
