/** Helpers every router uses: the verified caller, zod parsing to VALIDATION_FAILED, role checks. */
import type { Request } from 'express';
import type { z } from 'zod';
import { AppError } from '../errors.ts';
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

/**
 * A union's issue says only "Invalid input" at the union's path (e.g. a workflow, which is an object or
 * a bare array). Report instead the issues of the branch that matched the value's shape: the one whose
 * issues lie deepest. When every branch fails at the root, the union's own issue stays.
 */
function flattenIssue(issue: z.core.$ZodIssue, prefix: PropertyKey[]): { path: PropertyKey[]; message: string }[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const depth = (branch: z.core.$ZodIssue[]) => Math.min(...branch.map((i) => i.path.length));
    const best = issue.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
    if (best.length > 0 && depth(best) > 0) return best.flatMap((i) => flattenIssue(i, path));
  }
  return [{ path, message: issue.message }];
}

export function parse<S extends z.ZodType>(schema: S, data: unknown, where = 'body'): z.output<S> {
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const issues = r.error.issues
    .flatMap((i) => flattenIssue(i, []))
    .map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  const first = issues[0]!;
  throw new AppError('VALIDATION_FAILED', `${first.path}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`, {
    issues,
  });
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
