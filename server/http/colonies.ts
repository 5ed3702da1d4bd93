/** Colonies (server owner), their executors and users (colony owner), and what members may read. */
import type { Handlers, Services } from './context.ts';

export function colonyHandlers({ colonies, processes, graphs }: Services) {
  return {
    addColony: ({ body }) => colonies.addColony(body.colonyname, body.colonyid),
    listColonies: () => colonies.listColonies(),
    removeColony: ({ params }) => colonies.removeColony(params.colony),
    getColony: ({ member }) => colonies.getColony(member.colonyname),
    getColonyStats: async ({ member }) => {
      const [p, g, executors] = await Promise.all([
        processes.stats(member.colonyname),
        graphs.stats(member.colonyname),
        colonies.listExecutors(member.colonyname),
      ]);
      return { processes: p, processgraphs: g, executors: executors.length };
    },
    listExecutors: ({ member }) => colonies.listExecutors(member.colonyname),
    getExecutor: ({ member, params }) => colonies.getExecutor(member.colonyname, params.name),
    addExecutor: ({ member, body }) => colonies.addExecutor(member.colonyname, body),
    approveExecutor: ({ member, params }) => colonies.setExecutorState(member.colonyname, params.name, 'APPROVED'),
    rejectExecutor: ({ member, params }) => colonies.setExecutorState(member.colonyname, params.name, 'REJECTED'),
    removeExecutor: ({ member, params }) => colonies.removeExecutor(member.colonyname, params.name),
    addUser: ({ member, body }) => colonies.addUser(member.colonyname, body.username, body.userid),
    listUsers: ({ member }) => colonies.listUsers(member.colonyname),
    removeUser: ({ member, params }) => colonies.removeUser(member.colonyname, params.name),
  } satisfies Partial<Handlers>;
}
