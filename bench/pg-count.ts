/**
 * Counts the statements a process sends to PostgreSQL through node-postgres (every Pool.query and
 * transaction statement ends in Client.prototype.query), so that "statements per job" compares the
 * server with the peers' workers. Installed in the bench's own child processes only.
 */
import pg from 'pg';

let count = 0;
let installed = false;

export function installPgCounter(): () => number {
  if (!installed) {
    installed = true;
    const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
    const original = proto.query;
    proto.query = function (this: unknown, ...args: unknown[]) {
      count++;
      return original.apply(this, args);
    };
  }
  return () => count;
}
