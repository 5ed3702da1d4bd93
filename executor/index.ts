/** The Colonies TypeScript SDK: the package's root export (`import { … } from 'colonies'`, built by `npm run build:sdk`). */
export {
  ColoniesClient,
  serverUrl,
  type ClientOptions,
  type ListOptions,
  type ChildOptions,
  type Held,
  type SpecInput,
  type RunOptions,
  type SearchOptions,
} from './client.ts';
export { ColoniesError, createTransport, type Transport } from './transport.ts';
export { Executor, toOutput, type ExecutionContext, type ExecutorFunction, type ExecutorOptions } from './executor.ts';
export {
  eventNode,
  funcSpec,
  sleepNode,
  userTask,
  Workflow,
  type FuncSpecOptions,
  type NodeOptions,
  type NodeSpec,
  type VariableInput,
} from './workflow.ts';
export type { SubscriptionMessage } from './subscriber.ts';
export { clientEnv, CLIENT_ENV_VARS, type ClientEnv } from './env.ts';
export { generateKeyPair, idOf } from '../protocol/crypto.ts';
export type * from '../protocol/types.ts';
export type { ExecutorState, ProcessState } from '../protocol/states.ts';
export type { ErrorCode } from '../protocol/errors.ts';
export type { FunctionSpecInput, WorkflowSpecInput } from '../protocol/schemas.ts';
export type { TriggerRule } from '../protocol/flow.ts';
export type { ColonyEvent } from '../protocol/events.ts';
export type { IdMatch, IdMatches } from '../protocol/ids.ts';
