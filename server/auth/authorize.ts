/** Roles in a colony (see docs/architecture.md, The path of a request). Every check throws a precise 403 or 404, never a bare "no". */
import { AppError } from '../errors.ts';
import type { ColonyService, Membership } from '../services/colonies.ts';

export type Role = 'owner' | 'member' | 'executor';

export interface Authorizer {
  serverOwner(id: string): void;
  colony(colonyname: string, id: string, role: Role): Promise<Membership>;
}

/**
 * An executor the colony knows but has not approved (PENDING, or REJECTED): said as such, with how it is
 * approved, so that it is not taken for a stranger. details: { executorname, state }.
 */
function notApproved(colonyname: string, executor: { executorname: string; state: string }): AppError {
  const { executorname, state } = executor;
  return new AppError(
    'EXECUTOR_NOT_APPROVED',
    `executor "${executorname}" is registered in colony "${colonyname}" but ${state === 'PENDING' ? 'PENDING approval' : state}: ` +
      `the colony owner approves it with "colonies executor approve --name ${executorname}" (POST /colonies/${colonyname}/executors/${executorname}/approve)`,
    { executorname, state },
  );
}

export function createAuthorizer(colonies: ColonyService, serverId: string | undefined): Authorizer {
  return {
    serverOwner(id) {
      if (!serverId) throw new AppError('FORBIDDEN', 'this server has no owner key configured (COLONIES_SERVER_PRVKEY or COLONIES_SERVER_ID)');
      if (id !== serverId) throw new AppError('FORBIDDEN', 'only the server owner may do this');
    },
    async colony(colonyname, id, role) {
      const m = await colonies.membership(colonyname, id);
      const approvedExecutor = m.executor?.state === 'APPROVED';
      if (!m.isOwner && !m.username && !m.executor) throw new AppError('NOT_A_MEMBER', `caller is not a member of colony "${colonyname}"`);
      if (role === 'owner') {
        if (!m.isOwner) throw new AppError('FORBIDDEN', `only the owner of colony "${colonyname}" may do this`);
      } else if (role === 'executor') {
        if (!m.executor) throw new AppError('FORBIDDEN', 'only an executor may do this');
        if (!approvedExecutor) throw notApproved(colonyname, m.executor);
      } else if (!m.isOwner && !m.username && !approvedExecutor) {
        throw notApproved(colonyname, m.executor!);
      }
      return m;
    },
  };
}
