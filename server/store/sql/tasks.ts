/**
 * User tasks (nodes of kind usertask, services/tasks.ts): the open ones of a colony, and one task
 * locked for its completion. An open task is a ready server node, WAITING with waitingparents 0 under
 * the executor type ':usertask', so the claim index (processes_claim) finds them.
 */
import type { Queryable } from '../db.ts';
import type { ProcessState } from '../../../protocol/states.ts';
import type { FunctionSpec } from '../../../protocol/schemas.ts';
import { serverExecutorType } from '../../../protocol/flow.ts';

const USERTASK = serverExecutorType('usertask');

export interface TaskRow {
  processid: string;
  processgraphid: string;
  runname: string;
  nodename: string;
  assignee: string | null;
  form: Record<string, unknown> | null;
  input: unknown[];
  readytime: Date;
  waitdeadline: Date | null;
}

/** A task as its completion reads it, locked; `completedby`: the name of who completed it (a user, or the colony owner). */
export interface LockedTask {
  processid: string;
  state: ProcessState;
  open: boolean;
  spec: FunctionSpec;
  endtime: Date | null;
  completedby: string | null;
  byowner: boolean;
}

export const tasksSql = {
  /** The colony's open tasks, oldest first (queue order); `username` keeps those assigned to it or to anyone. */
  open: (q: Queryable, colonyname: string, username: string | null | undefined, count: number, offset: number) =>
    q.query<TaskRow>(
      `SELECT p.processid, p.processgraphid, g.name AS runname, p.nodename, p.spec->>'assignee' AS assignee,
              p.spec->'form' AS form, p.input, p.readytime, p.waitdeadline
         FROM processes p JOIN processgraphs g ON g.processgraphid = p.processgraphid
        WHERE p.colonyname = $1 AND p.executortype = $2 AND p.state = 'WAITING' AND p.waitingparents = 0 AND p.gated
          AND ($3::boolean IS FALSE OR p.spec->>'assignee' IS NULL OR p.spec->>'assignee' = $4)
        ORDER BY p.prioritytime, p.seq LIMIT $5 OFFSET $6`,
      [colonyname, USERTASK, username !== undefined, username ?? null, count, offset],
    ),

  /** One user task of the colony, locked until the transaction ends (so that two completions queue); undefined: no such task. */
  lock: async (q: Queryable, colonyname: string, processid: string) =>
    (
      await q.query<LockedTask>(
        `SELECT p.processid, p.state, (p.state = 'WAITING' AND p.waitingparents = 0 AND p.gated) AS open, p.spec, p.endtime,
                coalesce(u.username, CASE WHEN c.colonyid = p.assignedexecutorid THEN 'the colony owner' END) AS completedby,
                (c.colonyid = p.assignedexecutorid) IS TRUE AS byowner
           FROM processes p JOIN colonies c ON c.colonyname = p.colonyname
           LEFT JOIN users u ON u.colonyname = p.colonyname AND u.userid = p.assignedexecutorid
          WHERE p.processid = $1 AND p.colonyname = $2 AND p.executortype = $3
          FOR UPDATE OF p`,
        [processid, colonyname, USERTASK],
      )
    )[0],

  /** Records who completed the task, on the row it finishes: a user task "ran" on its user (see services/tasks.ts). */
  completedBy: (q: Queryable, processid: string, id: string) =>
    q.query(`UPDATE processes SET assignedexecutorid = $2 WHERE processid = $1`, [processid, id]),
};
