/** Process graphs (workflows) and the children executors add to them while they run. */
import type { Handlers, Services } from './context.ts';
import { originOf } from './specs.ts';

export function graphHandlers({ graphs }: Services) {
  return {
    submitWorkflow: ({ member, body }) =>
      graphs.submit(member.colonyname, body.functionspecs, {
        origin: originOf(member),
        name: body.name,
        key: body.key,
        decls: body.variables,
        given: {},
      }),
    listProcessGraphs: ({ member, query }) => graphs.list(member.colonyname, query),
    removeAllProcessGraphs: async ({ member, query }) => ({ removed: await graphs.removeAll(member.colonyname, query.state) }),
    getProcessGraph: ({ member, params }) => graphs.getWithProcesses(member.colonyname, params.id),
    findProcess: ({ member, params }) => graphs.findProcess(member.colonyname, params.id, params.nodename),
    cancelProcessGraph: ({ member, params }) => graphs.cancel(member.colonyname, params.id),
    removeProcessGraph: ({ member, params, query }) => graphs.remove(member.colonyname, params.id, query.force === 'true'),
    addChild: async ({ member, params, body }) => {
      const [child] = await graphs.addChildren(member.colonyname, params.id, member.id, body.parentprocessid, [body]);
      return child;
    },
    addChildren: ({ member, params, body }) => graphs.addChildren(member.colonyname, params.id, member.id, body.parentprocessid, body.children),
  } satisfies Partial<Handlers>;
}
