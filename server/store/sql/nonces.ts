import type { Queryable } from '../db.ts';

export const noncesSql = {
  /** Inserts the nonces; returns those that were new (a replayed one conflicts and is left out). */
  insertNew: async (q: Queryable, nonces: string[], now: Date) =>
    new Set(
      (
        await q.query<{ nonce: string }>(
          'INSERT INTO request_nonces (nonce, seen) SELECT n, $2 FROM unnest($1::text[]) AS n ON CONFLICT (nonce) DO NOTHING RETURNING nonce',
          [nonces, now],
        )
      ).map((r) => r.nonce),
    ),
  forgetBefore: (q: Queryable, before: Date) => q.query('DELETE FROM request_nonces WHERE seen < $1', [before]),
};
