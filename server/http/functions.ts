/** Functions known to the colony: executors declare what they serve; members list it. */
import type { Handlers, Services } from './context.ts';
import type { Submitted } from '../../protocol/types.ts';

export function functionHandlers({ functions }: Services) {
  return {
    declareFunctions: ({ member, body }) => functions.declare(member.colonyname, member.id, body.functions),
    listFunctions: ({ member }) => functions.list(member.colonyname),
  } satisfies Partial<Handlers>;
}

/** A submit's answer with its warnings, when it has any (an answer without the field had none). */
export function withWarnings<T extends object>(answer: T, warnings: string[]): Submitted<T> {
  return warnings.length > 0 ? { ...answer, warnings } : answer;
}
