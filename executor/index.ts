/** The Colonies TypeScript SDK. */
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
export { clientEnv, CLIENT_ENV_VARS, type ClientEnv } from './env.ts';
export { generateKeyPair, idOf } from '../protocol/crypto.ts';
export type * from '../protocol/types.ts';
export type { ProcessState } from '../protocol/states.ts';
