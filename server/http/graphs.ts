/** Process graphs (workflows) and the children executors add to them while they run. */
import type { Handlers, Services } from './context.ts';
import { withWarnings } from './functions.ts';
import { originOf } from './specs.ts';

export function graphHandlers({ graphs, functions }: Services) {
  return {
    submitWorkflow: async ({ member, body }) =>
      withWarnings(
        await graphs.submit(member.colonyname, body.functionspecs, {
          origin: originOf(member),
          name: body.name,
          key: body.key,
          decls: body.variables,
          given: {},
        }),
        await functions.warnings(member.colonyname, body.functionspecs),
      ),
    listProcessGraphs: ({ member, query }) => graphs.list(member.colonyname, query),
    removeAllProcessGraphs: async ({ member, query }) => ({ removed: await graphs.removeAll(member.colonyname, query.state) }),
    getProcessGraph: async ({ member, params }) => {
      const g = await graphs.getWithProcesses(member.colonyname, params.id);
      return { ...g, processes: await functions.explain(member.colonyname, g.processes) };
    },
    findProcess: ({ member, params }) => graphs.findProcess(member.colonyname, params.id, params.nodename),
    cancelProcessGraph: ({ member, params }) => graphs.cancel(member.colonyname, params.id),
    haltProcessGraph: ({ member, params }) => graphs.halt(member.colonyname, params.id),
    resumeProcessGraph: ({ member, params }) => graphs.resume(member.colonyname, params.id),
    removeProcessGraph: ({ member, params, query }) => graphs.remove(member.colonyname, params.id, query.force === 'true'),
    addChild: async ({ member, params, body }) => {
      const [child] = await graphs.addChildren(member.colonyname, params.id, member.id, body.parentprocessid, [body]);
      return child;
    },
    addChildren: ({ member, params, body }) => graphs.addChildren(member.colonyname, params.id, member.id, body.parentprocessid, body.children),
  } satisfies Partial<Handlers>;
}
