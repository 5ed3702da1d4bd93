/** Roles in a colony (see docs/architecture.md, The path of a request). Every check throws a precise 403 or 404, never a bare "no". */
import { AppError } from '../errors.ts';
import type { ColonyService, Membership } from '../services/colonies.ts';

export type Role = 'owner' | 'member' | 'executor';

export interface Authorizer {
  serverOwner(id: string): void;
  colony(colonyname: string, id: string, role: Role): Promise<Membership>;
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
        if (!approvedExecutor)
          throw new AppError('EXECUTOR_NOT_APPROVED', `executor "${m.executor.executorname}" is ${m.executor.state}, not APPROVED`);
      } else if (!m.isOwner && !m.username && !approvedExecutor) {
        throw new AppError('EXECUTOR_NOT_APPROVED', `executor "${m.executor!.executorname}" is ${m.executor!.state}, not APPROVED`);
      }
      return m;
    },
  };
}
