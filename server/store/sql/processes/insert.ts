/** New processes: WAITING, or RUNNING at once when handed to an idle long-poll. See docs/architecture.md, The dispatcher. */
import { GENERIC_PLAN, type Queryable } from '../../db.ts';
import { deadlineSql } from './deadline.ts';
import { jsonParam } from './json.ts';
import type { NewProcess } from './types.ts';

// RUNNING at once when `handoff` names a long-polling executor that is still APPROVED (a submit handed
// straight to an idle executor: no claim round trip).
const INSERT_SQL = `${GENERIC_PLAN}
INSERT INTO processes (processid, colonyname, processgraphid, nodename, funcname, executortype, label, spec, state,
  prioritytime, input, maxretries, maxwaittime, maxexectime, waitingparents, parents, children, initiatorid,
  submissiontime, readytime, waitdeadline, assignedexecutorid, attempt, starttime, execdeadline, varrefs, varsets, gated)
SELECT r.processid, r.colonyname, r.processgraphid, r.spec->>'nodename', r.spec->>'funcname', r.spec->>'executortype',
  r.spec->>'label', r.spec, CASE WHEN e.executorid IS NULL THEN 'WAITING' ELSE 'RUNNING' END,
  r.prioritytime, r.input, (r.spec->>'maxretries')::int,
  (r.spec->>'maxwaittime')::int, (r.spec->>'maxexectime')::int, r.waitingparents,
  ARRAY(SELECT jsonb_array_elements_text(r.parents)), ARRAY(SELECT jsonb_array_elements_text(r.children)),
  r.initiatorid, $2::timestamptz,
  CASE WHEN r.waitingparents = 0 THEN $2::timestamptz END,
  ${deadlineSql('$2', "(r.spec->>'maxwaittime')::int", 'r.waitingparents = 0 AND e.executorid IS NULL')},
  e.executorid,
  CASE WHEN e.executorid IS NULL THEN 0 ELSE 1 END,
  CASE WHEN e.executorid IS NOT NULL THEN $2::timestamptz END,
  ${deadlineSql('$2', "(r.spec->>'maxexectime')::int", 'e.executorid IS NOT NULL')},
  r.varrefs, r.varsets, coalesce(r.gated, false)
FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (processid text, colonyname text, processgraphid text, spec jsonb,
  prioritytime bigint, input jsonb, waitingparents int, parents jsonb, children jsonb, initiatorid text, handoff text, varrefs jsonb, varsets jsonb, gated boolean))
  WITH ORDINALITY AS r(processid, colonyname, processgraphid, spec, prioritytime, input, waitingparents, parents, children, initiatorid, handoff, varrefs, varsets, gated, ord)
LEFT JOIN executors e ON r.handoff IS NOT NULL AND r.waitingparents = 0
  AND e.colonyname = r.colonyname AND e.executorid = r.handoff AND e.state = 'APPROVED'
ORDER BY r.ord
RETURNING processid, assignedexecutorid`;

export const insertSql = {
  /** Inserts new processes; those with a `handoff` executor (still APPROVED) start RUNNING on it. Returns the ids handed off. */
  insert: async (q: Queryable, rows: (NewProcess & { handoff?: string | null })[], now: Date): Promise<Map<string, string>> => {
    const handed = new Map<string, string>();
    if (rows.length === 0) return handed;
    for (const r of await q.query<{ processid: string; assignedexecutorid: string | null }>(INSERT_SQL, [jsonParam(rows), now]))
      if (r.assignedexecutorid) handed.set(r.processid, r.assignedexecutorid);
    return handed;
  },
};
