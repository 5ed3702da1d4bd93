/** Query plans in tests: a Queryable that EXPLAINs each statement (same parameters) before running it. */
import type { Queryable } from '../../server/store/db.ts';

export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** Runs each statement after EXPLAINing it with the same parameters; collects the plans. */
export function explaining(q: Queryable, plans: PlanNode[]): Queryable {
  return {
    async query(sql, params) {
      const [row] = await q.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
      const doc = row!['QUERY PLAN'];
      plans.push((typeof doc === 'string' ? (JSON.parse(doc) as { Plan: PlanNode }[]) : (doc as { Plan: PlanNode }[]))[0]!.Plan);
      return q.query(sql, params);
    },
  };
}

/** Every node of a plan, depth first. */
export function planNodes(n: PlanNode): PlanNode[] {
  return [n, ...(n.Plans ?? []).flatMap(planNodes)];
}
