/**
 * Revocation: when someone's access to a colony may have ended (a user, an executor or the colony
 * removed, an executor no longer approved — on this replica or another), everything held open on
 * their behalf is checked again: WebSocket subscriptions and assign long-polls. While the check runs,
 * nothing more is sent to them; then they go on (still allowed) or end with the authorizer's error.
 */
import { isAppError, AppError } from '../errors.ts';
import type { Bus, Revocation } from '../services/bus.ts';
import type { Logger } from '../log.ts';
import type { Authorizer, Role } from './authorize.ts';

/** Something that holds requests open for identities in colonies. */
export interface Holder {
  /** The role the open requests need. */
  readonly role: Role;
  /** Colonies in which something is held open. */
  colonies(): string[];
  /** Identities holding something open in this colony. */
  holders(colonyname: string): string[];
  /** Sends them nothing more until release() or end(). */
  hold(colonyname: string, id: string): void;
  release(colonyname: string, id: string): void;
  /** Ends everything they hold open in the colony, with this error. */
  end(colonyname: string, id: string, err: AppError): void;
}

export interface RevocationDeps {
  bus: Bus;
  authorize: Authorizer;
  forgetMemberships(): void;
  holders: Holder[];
  log: Logger;
  monotonic(): number;
}

// While the notification channel is down a revocation from another replica may go unheard: check every holder this often.
const BLIND_RECHECK_MS = 1000;

export function startRevocation(deps: RevocationDeps): { stop(): void } {
  const check = async (h: Holder, colonyname: string, id: string, held: boolean) => {
    try {
      await deps.authorize.colony(colonyname, id, h.role);
      if (held) h.release(colonyname, id);
    } catch (err) {
      // Access could not be confirmed (the database is away, say): end it; the client reconnects and is checked afresh.
      if (!isAppError(err)) deps.log.warn('could not confirm access after a revocation', { colonyname, err: String(err) });
      h.end(colonyname, id, isAppError(err) ? err : new AppError('UNAVAILABLE', 'access could not be confirmed; reconnect'));
    }
  };
  const recheck = (r: Revocation) => {
    deps.forgetMemberships();
    for (const h of deps.holders) {
      // Named ids are checked even when they hold nothing here yet: a request of theirs may be on its way in.
      const ids = r.ids ?? h.holders(r.colonyname);
      for (const id of ids) h.hold(r.colonyname, id);
      for (const id of ids) void check(h, r.colonyname, id, true);
    }
  };
  const offRevoked = deps.bus.onRevoked(recheck);
  let lastBlindCheck = 0;
  const offMissed = deps.bus.onMissed(() => {
    const now = deps.monotonic();
    if (now - lastBlindCheck < BLIND_RECHECK_MS) return;
    lastBlindCheck = now;
    for (const h of deps.holders) for (const colonyname of h.colonies()) for (const id of h.holders(colonyname)) void check(h, colonyname, id, false);
  });
  return {
    stop() {
      offRevoked();
      offMissed();
    },
  };
}
