/** User tasks: members list the open ones; users and the colony owner complete them (services/tasks.ts). */
import type { Handlers, Services } from './context.ts';

export function taskHandlers({ tasks }: Services) {
  return {
    listTasks: ({ member, query }) => tasks.list(member, { mine: query.mine === 'true', count: query.count, offset: query.offset }),
    completeTask: ({ member, params, body }) => tasks.complete(member, params.id, body.data),
  } satisfies Partial<Handlers>;
}
