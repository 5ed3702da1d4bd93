/** New processes as written, and their wire form without reading them back. */
import { randomId } from '../../../protocol/crypto.ts';
import type { FunctionSpec } from '../../../protocol/schemas.ts';
import type { Process } from '../../../protocol/types.ts';
import { deadlineAt, type NewProcess } from '../../store/sql/processes.ts';

const DAY_MS = 24 * 3600 * 1000;

/** Queue order: lower first; a priority of 1 jumps a whole day of FIFO (see docs/architecture.md, Process semantics). */
export function priorityTime(submission: Date, priority: number): number {
  return submission.getTime() - priority * DAY_MS;
}

export function newProcess(colonyname: string, spec: FunctionSpec, initiatorid: string, now: Date, graph?: Partial<NewProcess>): NewProcess {
  return {
    processid: randomId(),
    colonyname,
    processgraphid: null,
    spec,
    prioritytime: priorityTime(now, spec.priority),
    input: spec.args,
    waitingparents: 0,
    parents: [],
    children: [],
    initiatorid,
    ...graph,
  };
}

/**
 * The wire form of a process just written from `p` (what reading it back would return, without the
 * read): WAITING, or RUNNING on `executorid` when the submit was handed straight to it.
 */
export function freshProcess(p: NewProcess, now: Date, executorid: string | null = null): Process {
  const ready = p.waitingparents === 0;
  return {
    processid: p.processid,
    colonyname: p.colonyname,
    processgraphid: p.processgraphid,
    spec: p.spec,
    state: executorid ? 'RUNNING' : 'WAITING',
    ready,
    in: p.input,
    out: [],
    errors: [],
    retries: 0,
    attempt: executorid ? 1 : 0,
    parents: p.parents,
    children: p.children,
    initiatorid: p.initiatorid,
    assignedexecutorid: executorid,
    submissiontime: now.toISOString(),
    readytime: ready ? now.toISOString() : null,
    starttime: executorid ? now.toISOString() : null,
    endtime: null,
    waitdeadline: ready && !executorid ? deadlineAt(now, p.spec.maxwaittime) : null,
    execdeadline: executorid ? deadlineAt(now, p.spec.maxexectime) : null,
    notbefore: null,
  };
}
