/** External events posted to a graph, for its event nodes (services/events.ts). */
import type { Handlers, Services } from './context.ts';

export function eventHandlers({ events }: Services) {
  return {
    postEvent: ({ member, params, body }) => events.post(member, params.id, body.name, body.data),
    listEvents: ({ member, params }) => events.list(member.colonyname, params.id),
  } satisfies Partial<Handlers>;
}
