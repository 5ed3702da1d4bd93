/** Helpers every router uses: the verified caller, zod parsing to VALIDATION_FAILED, role checks. */
import type { Request } from 'express';
import type { z } from 'zod';
import { AppError } from '../errors.ts';
import { flattenIssues, summarizeIssues } from '../../protocol/issues.ts';
import type { Authorizer, Role } from '../auth/authorize.ts';
import type { Membership } from '../services/colonies.ts';
import type { ColonyService } from '../services/colonies.ts';
import type { ProcessService } from '../services/processes.ts';
import type { GraphService } from '../services/graphs.ts';
import type { CronService } from '../services/crons.ts';

export interface Services {
  colonies: ColonyService;
  processes: ProcessService;
  graphs: GraphService;
  crons: CronService;
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

export function callerId(req: Request): string {
  if (!req.callerId) throw new AppError('UNAUTHENTICATED', 'request is not signed');
  return req.callerId;
}

export function parse<S extends z.ZodType>(schema: S, data: unknown, where = 'body'): z.output<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const issues = flattenIssues(r.error, where.split('.'));
  throw new AppError('VALIDATION_FAILED', summarizeIssues(issues), { issues });
}

export function param(req: Request, name: string): string {
  const v = req.params[name];
  if (typeof v !== 'string') throw new AppError('VALIDATION_FAILED', `missing path parameter ${name}`);
  return v;
}

/** The caller's membership of the colony named in the path, checked for the role. */
export function inColony(deps: RouteDeps, req: Request, role: Role): Promise<Membership> {
  return deps.authorize.colony(param(req, 'colony'), callerId(req), role);
}
