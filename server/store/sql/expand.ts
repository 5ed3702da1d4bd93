/**
 * The statements of an expansion (services/expand.ts), inside the gate's transaction: what the node
 * needs that its gate row lacks, the names its instances would take, and the rewiring that puts the
 * instances between the node's parents and the node, which becomes their collector.
 */
import type { Queryable } from '../db.ts';
import { EXPANDED_KEY } from '../../../protocol/expand.ts';
import type { VariableRef } from '../../../protocol/variables.ts';

export const expandSql = {
  /** Who started the node, and the references to variables its run sets, still to resolve (NULL: none). */
  node: async (q: Queryable, processid: string) =>
    (
      await q.query<{ initiatorid: string; varrefs: VariableRef[] | null }>('SELECT initiatorid, varrefs FROM processes WHERE processid = $1', [
        processid,
      ])
    )[0]!,

  /** Of these nodenames, one already taken in the graph (a user's node or an added child), if any. */
  taken: async (q: Queryable, processgraphid: string, nodenames: string[]) =>
    (
      await q.query<{ nodename: string }>('SELECT nodename FROM processes WHERE processgraphid = $1 AND nodename = ANY($2::text[]) LIMIT 1', [
        processgraphid,
        nodenames,
      ])
    )[0]?.nodename,

  /**
   * The node's parents name the instances where they named the node (in its place, in order); the node
   * waits for the instances and its gate, and is marked expanded (its spec's EXPANDED_KEY).
   */
  rewire: async (q: Queryable, node: { processid: string; parents: string[] }, instances: string[]) => {
    if (node.parents.length > 0)
      await q.query(
        `UPDATE processes p SET children = ARRAY(
           SELECT e.id FROM unnest(p.children) WITH ORDINALITY AS c(id, ord)
            CROSS JOIN LATERAL unnest(CASE WHEN c.id = $1 THEN $3::text[] ELSE ARRAY[c.id] END) WITH ORDINALITY AS e(id, k)
            ORDER BY c.ord, e.k)
          WHERE p.processid = ANY($2::text[])`,
        [node.processid, node.parents, instances],
      );
    await q.query(
      `UPDATE processes SET parents = $2::text[], waitingparents = cardinality($2::text[]) + 1,
              spec = spec || jsonb_build_object('${EXPANDED_KEY}', cardinality($2::text[]))
        WHERE processid = $1`,
      [node.processid, instances],
    );
  },
};
