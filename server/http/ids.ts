/** Short ids: completing a prefix to the ids of the colony's processes and graphs that start with it (services/ids.ts). */
import type { Handlers, Services } from './context.ts';

export function idHandlers({ ids }: Services) {
  return {
    findIds: ({ member, params }) => ids.find(member.colonyname, params.prefix),
  } satisfies Partial<Handlers>;
}
