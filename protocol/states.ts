/** Process and process-graph states. ColonyOS numbers them 0–4; our wire uses the readable names. */
export const PROCESS_STATES = ['WAITING', 'RUNNING', 'SUCCESS', 'FAILED', 'CANCELLED', 'SKIPPED', 'HALTED'] as const;
export type ProcessState = (typeof PROCESS_STATES)[number];

/** SKIPPED: a process whose condition or trigger rule said it should not run (it never did). */
/** HALTED: a graph a user halted, and its processes that wait meanwhile (not finished; resumed as WAITING). */
export const FINISHED_STATES: readonly ProcessState[] = ['SUCCESS', 'FAILED', 'CANCELLED', 'SKIPPED'];

export function isProcessState(s: string): s is ProcessState {
  return (PROCESS_STATES as readonly string[]).includes(s);
}

export const EXECUTOR_STATES = ['PENDING', 'APPROVED', 'REJECTED'] as const;
export type ExecutorState = (typeof EXECUTOR_STATES)[number];
