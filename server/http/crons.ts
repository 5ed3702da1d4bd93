/** Crons: workflows submitted on a schedule. */
import type { Handlers, Services } from './context.ts';

export function cronHandlers({ crons }: Services) {
  return {
    addCron: ({ member, body }) =>
      crons.add(member.colonyname, member.id, {
        name: body.name,
        functionspecs: body.workflow?.functionspecs,
        spec: body.spec,
        cronexpression: body.cronexpression,
        interval: body.interval,
        waitforprevprocessgraph: body.waitforprevprocessgraph,
      }),
    listCrons: ({ member }) => crons.list(member.colonyname),
    getCron: ({ member, params }) => crons.get(member.colonyname, params.name),
    removeCron: ({ member, params }) => crons.remove(member.colonyname, params.name),
    runCron: ({ member, params }) => crons.run(member.colonyname, params.name),
  } satisfies Partial<Handlers>;
}
