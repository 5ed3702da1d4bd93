/**
 * User tasks: nodes of kind usertask wait, ready, for a user of the colony (their assignee, or any
 * user) to complete them with data their form (a JSON Schema) accepts; the data is their output.
 * Completing one is a gates.ts completion: its children follow in the same transaction. Who
 * completed it is kept on the process as the identity it ran on (assignedexecutorid), so a process
 * get shows it. See docs/architecture.md, User tasks.
 */
import { AppError } from '../errors.ts';
import { describeFormIssues, formIssues } from '../../protocol/forms.ts';
import type { Process, UserTask } from '../../protocol/types.ts';
import { tasksSql, type LockedTask, type TaskRow } from '../store/sql/tasks.ts';
import { toProcess } from '../store/rows.ts';
import { processesSql } from '../store/sql/processes.ts';
import { completeNodes, publishFlow } from './gates.ts';
import { inTransaction, type ServiceDeps } from './context.ts';
import type { Membership } from './colonies.ts';

const toTask = (r: TaskRow): UserTask => ({
  processid: r.processid,
  processgraphid: r.processgraphid,
  runname: r.runname,
  nodename: r.nodename,
  assignee: r.assignee,
  form: r.form,
  in: r.input,
  readytime: new Date(r.readytime).toISOString(),
  waitdeadline: r.waitdeadline === null ? null : new Date(r.waitdeadline).toISOString(),
});

/** Who the caller is among the colony's people: a user's name, the owner, or undefined for an executor. */
function personOf(m: Membership): string | undefined {
  if (m.username) return m.username;
  if (m.isOwner) return 'the colony owner';
  return undefined;
}

/** Refuses the completion, changing nothing, unless this caller may complete this task now. */
function checkCompletion(task: LockedTask, caller: Membership, processid: string): void {
  const who = personOf(caller);
  if (who === undefined)
    throw new AppError(
      'FORBIDDEN',
      `only a user of colony "${caller.colonyname}" or its owner completes a task, not executor "${caller.executor?.executorname}"`,
    );
  const assignee = task.spec.assignee;
  if (assignee !== undefined && assignee !== caller.username)
    throw new AppError('FORBIDDEN', `task ${processid} (${task.spec.nodename}) is assigned to ${assignee}, not ${who}`, { assignee });
  if (task.open) return;
  if (task.state === 'SUCCESS') {
    const at = task.endtime ? new Date(task.endtime).toISOString() : 'an unknown time';
    throw new AppError(
      'TASK_NOT_OPEN',
      `task ${processid} (${task.spec.nodename}) was already completed at ${at} by ${task.completedby ?? 'someone'}`,
      {
        state: task.state,
        completedby: task.completedby,
        endtime: task.endtime,
      },
    );
  }
  const why = task.state === 'WAITING' ? 'waits for its parents to finish' : `is ${task.state}`;
  throw new AppError('TASK_NOT_OPEN', `task ${processid} (${task.spec.nodename}) is not open: it ${why}`, { state: task.state });
}

/** Refuses data its form does not accept, naming each failing field (ajv's instance path and keyword). */
function checkData(task: LockedTask, data: unknown): void {
  const issues = formIssues(task.spec.form, data);
  if (issues.length === 0) return;
  throw new AppError('VALIDATION_FAILED', `data does not fit the form of task ${task.spec.nodename}: ${describeFormIssues(issues)}`, {
    issues: issues.map((i) => ({ path: ['body', 'data', ...pointerSegments(i.path)].join('.'), keyword: i.keyword, message: i.message })),
  });
}

/** The segments of a JSON Pointer ('/items/0/name' → items, 0, name). */
const pointerSegments = (pointer: string) =>
  pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));

export function createTaskService(deps: ServiceDeps) {
  return {
    /** The colony's open tasks, oldest first; `mine`: those assigned to the caller or to anyone. */
    async list(caller: Membership, o: { mine: boolean; count: number; offset: number }): Promise<UserTask[]> {
      const username = o.mine ? caller.username : undefined;
      return (await tasksSql.open(deps.db, caller.colonyname, username, o.count, o.offset)).map(toTask);
    },

    /** Completes an open task with `data` (its output is [data]); answers the process, SUCCESS. */
    async complete(caller: Membership, processid: string, data: unknown): Promise<Process> {
      const now = deps.clock.now();
      const { process, outcome } = await inTransaction(deps.db, async (tx) => {
        const task = await tasksSql.lock(tx, caller.colonyname, processid);
        if (!task) throw new AppError('PROCESS_NOT_FOUND', `no user task ${processid} in colony "${caller.colonyname}"`);
        checkCompletion(task, caller, processid);
        checkData(task, data);
        await tasksSql.completedBy(tx, processid, caller.id);
        const outcome = await completeNodes(tx, new Map([[processid, [data]]]), now);
        const row = await processesSql.get(tx, caller.colonyname, processid);
        return { process: toProcess(row!), outcome };
      });
      publishFlow(deps, outcome);
      return process;
    },
  };
}

export type TaskService = ReturnType<typeof createTaskService>;
