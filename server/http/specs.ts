/** Registered workflow specs, runs by name and the search of runs by variable. */
import type { Membership } from '../services/colonies.ts';
import type { Origin } from '../services/graphs.ts';
import type { Handlers, Services } from './context.ts';
import { withWarnings } from './functions.ts';

/** Who starts a run: the caller's user or executor name ('' for the colony owner's key). */
export function originOf(member: Membership): Origin {
  return { initiatorid: member.id, initiatorname: member.username ?? member.executor?.executorname ?? '' };
}

export function specHandlers({ specs, functions }: Services) {
  return {
    registerWorkflowSpec: ({ member, body }) => specs.register(member.colonyname, body.name, body.spec, member.id),
    listWorkflowSpecs: ({ member }) => specs.list(member.colonyname),
    getWorkflowSpec: ({ member, params, query }) => specs.get(member.colonyname, params.name, query.version),
    removeWorkflowSpec: ({ member, params, query }) => specs.remove(member.colonyname, params.name, query.force === 'true'),
    runWorkflow: async ({ member, params, body }) => {
      const run = await specs.run(member.colonyname, params.name, body, originOf(member));
      return withWarnings(run.graph, await functions.warnings(member.colonyname, run.functionspecs));
    },
    searchWorkflows: ({ member, params, query }) => specs.search(member.colonyname, params.name, query),
  } satisfies Partial<Handlers>;
}
