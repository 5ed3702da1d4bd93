/**
 * A user task (kind usertask): when its gate opens it waits, ready, for a user of the colony to
 * complete it with data its form accepts (services/tasks.ts); nothing happens at its start, so
 * starting it again (a resumed graph) changes nothing. Its maxwaittime bounds the wait.
 */
import type { FunctionSpec } from '../../../protocol/schemas.ts';
import type { StartServerNode } from './index.ts';

export const startUserTask: StartServerNode = () => Promise.resolve(undefined);

/** Why a ready user task waits. */
export const userTaskWaitReason = (spec: FunctionSpec): string =>
  spec.assignee !== undefined ? `waiting for ${spec.assignee} to complete the task` : 'waiting for a user to complete the task';
