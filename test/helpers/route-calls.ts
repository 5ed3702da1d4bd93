/** Calling the routes of protocol/routes.ts in tests: a route's path with its parameters filled, and who may call it. */
import { randomId } from '../../protocol/crypto.ts';
import type { Route } from '../../protocol/routes.ts';
import type { SignedAgent } from './signed-agent.ts';

/**
 * A route's path with its parameters filled: the given values, else ones that name nothing in colony A
 * (a ghost name, a random id). `encode` percent-encodes each value (tests may send what encodeURIComponent refuses).
 */
export function fillPath(route: Route, params: Record<string, string> = {}, encode: (v: string) => string = encodeURIComponent): string {
  const values: Record<string, string> = {
    colony: 'colony-a',
    name: 'ghost',
    nodename: 'ghost',
    id: randomId(),
    executorid: randomId(),
    prefix: randomId().slice(0, 8),
    ...params,
  };
  return route.path.replace(/:(\w+)/g, (_, k: string) => encode(values[k]!));
}

/** One identity per role of colony A, and the server owner. */
export interface RoleAgents {
  server: SignedAgent;
  owner: SignedAgent;
  user: SignedAgent;
  executor: SignedAgent;
}

/** The identities the route's role admits (the roles: docs/architecture.md, The path of a request). */
export function allowedAgents(route: Route, a: RoleAgents): SignedAgent[] {
  switch (route.role) {
    case 'server owner':
      return [a.server];
    case 'colony owner':
      return [a.owner];
    case 'member':
      return [a.owner, a.user, a.executor];
    case 'executor':
      return [a.executor];
  }
}
