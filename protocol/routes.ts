/**
 * Every route of the signed API, keyed by its operation name, with who may call it and what it takes.
 * The server registers its routes from this table, the SDK builds its paths with routePath, the
 * OpenAPI document is generated from it, and the security sweep walks it.
 */
import type { z } from 'zod';
import {
  AddChildRequest,
  AddChildrenRequest,
  AddColonyRequest,
  AddCronRequest,
  AddExecutorRequest,
  AddUserRequest,
  AssignRequest,
  CloseManyRequest,
  CompleteTaskRequest,
  CloseRequest,
  DeclareFunctionsRequest,
  FailRequest,
  ForceQuery,
  FunctionSpec,
  HeartbeatRequest,
  ListGraphsQuery,
  ListProcessesQuery,
  ListTasksQuery,
  LogRequest,
  LogsQuery,
  PostEventRequest,
  RegisterSpecRequest,
  RemoveAllQuery,
  RunWorkflowRequest,
  SearchRunsQuery,
  SubmitManyRequest,
  VersionQuery,
  WorkflowSpec,
  identityId,
  processId,
  resourceName,
  text,
} from './schemas.ts';
import { idPrefix } from './ids.ts';

export type Role = 'server owner' | 'colony owner' | 'member' | 'executor';

export interface RouteSpec {
  method: 'GET' | 'POST' | 'DELETE';
  /** Express-style path under /api/v1. */
  path: string;
  role: Role;
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** Schemas of the path parameters the server checks; the others are plain strings (a colony's is checked by its membership). */
  params?: Record<string, z.ZodType>;
  /** Success status. */
  status: 200 | 201 | 204;
}

const C = '/colonies/:colony';
const PROCESS = { id: processId };
/** Executors, users and crons are named in the path like colonies: a name no one could have been given is refused, not looked up. */
const NAME = { name: resourceName };

export const OPERATIONS = {
  addColony: { method: 'POST', path: '/colonies', role: 'server owner', summary: 'Add a colony', body: AddColonyRequest, status: 201 },
  listColonies: { method: 'GET', path: '/colonies', role: 'server owner', summary: 'List colonies', status: 200 },
  removeColony: {
    method: 'DELETE',
    path: C,
    role: 'server owner',
    summary: 'Remove a colony and everything in it',
    params: { colony: resourceName },
    status: 204,
  },
  getColony: { method: 'GET', path: C, role: 'member', summary: 'Get the colony', status: 200 },
  getColonyStats: { method: 'GET', path: `${C}/stats`, role: 'member', summary: 'Processes and graphs per state, executor count', status: 200 },
  addExecutor: {
    method: 'POST',
    path: `${C}/executors`,
    role: 'colony owner',
    summary: 'Register an executor (PENDING)',
    body: AddExecutorRequest,
    status: 201,
  },
  listExecutors: { method: 'GET', path: `${C}/executors`, role: 'member', summary: 'List executors', status: 200 },
  getExecutor: {
    method: 'GET',
    path: `${C}/executors/:name`,
    role: 'member',
    summary: 'Get an executor',
    params: NAME,
    status: 200,
  },
  approveExecutor: {
    method: 'POST',
    path: `${C}/executors/:name/approve`,
    role: 'colony owner',
    summary: 'Approve an executor',
    params: NAME,
    status: 200,
  },
  rejectExecutor: {
    method: 'POST',
    path: `${C}/executors/:name/reject`,
    role: 'colony owner',
    summary: 'Reject an executor',
    params: NAME,
    status: 200,
  },
  removeExecutor: {
    method: 'DELETE',
    path: `${C}/executors/:name`,
    role: 'colony owner',
    summary: 'Remove an executor',
    params: NAME,
    status: 204,
  },
  executorHeartbeat: {
    method: 'POST',
    path: `${C}/executors/heartbeat`,
    role: 'executor',
    summary: 'Report the attempts you hold (your lease); answers `revoked`: those that are over and should stop',
    body: HeartbeatRequest,
    status: 200,
  },
  getExecutorLogs: {
    method: 'GET',
    path: `${C}/executors/:executorid/logs`,
    role: 'member',
    summary: "An executor's log lines",
    query: LogsQuery,
    params: { executorid: identityId },
    status: 200,
  },
  addUser: { method: 'POST', path: `${C}/users`, role: 'colony owner', summary: 'Add a user', body: AddUserRequest, status: 201 },
  listUsers: { method: 'GET', path: `${C}/users`, role: 'member', summary: 'List users', status: 200 },
  removeUser: {
    method: 'DELETE',
    path: `${C}/users/:name`,
    role: 'colony owner',
    summary: 'Remove a user',
    params: NAME,
    status: 204,
  },
  submitProcess: {
    method: 'POST',
    path: `${C}/processes`,
    role: 'member',
    summary: 'Submit a function spec as one process',
    body: FunctionSpec,
    status: 201,
  },
  submitProcessBatch: {
    method: 'POST',
    path: `${C}/processes/batch`,
    role: 'member',
    summary: 'Submit many function specs, each on its own: results[i] is {process} or {error} for specs[i]',
    body: SubmitManyRequest,
    status: 200,
  },
  listProcesses: {
    method: 'GET',
    path: `${C}/processes`,
    role: 'member',
    summary: 'List processes, newest first',
    query: ListProcessesQuery,
    status: 200,
  },
  removeAllProcesses: {
    method: 'DELETE',
    path: `${C}/processes`,
    role: 'colony owner',
    summary: 'Remove standalone processes by state',
    query: RemoveAllQuery,
    status: 200,
  },
  assign: {
    method: 'POST',
    path: `${C}/processes/assign`,
    role: 'executor',
    summary: 'Long-poll: be assigned up to `count` ready processes of your type (closing `closes` first, if given)',
    body: AssignRequest,
    status: 200,
  },
  closeProcesses: {
    method: 'POST',
    path: `${C}/processes/close`,
    role: 'executor',
    summary: 'Close many of your processes in one transaction',
    body: CloseManyRequest,
    status: 200,
  },
  getProcess: { method: 'GET', path: `${C}/processes/:id`, role: 'member', summary: 'Get a process', params: PROCESS, status: 200 },
  removeProcess: {
    method: 'DELETE',
    path: `${C}/processes/:id`,
    role: 'member',
    summary: 'Remove a process (force: even if running)',
    query: ForceQuery,
    params: PROCESS,
    status: 204,
  },
  cancelProcess: { method: 'POST', path: `${C}/processes/:id/cancel`, role: 'member', summary: 'Cancel a process', params: PROCESS, status: 200 },
  closeProcess: {
    method: 'POST',
    path: `${C}/processes/:id/close`,
    role: 'executor',
    summary: 'Close your process with its output',
    body: CloseRequest,
    params: PROCESS,
    status: 204,
  },
  failProcess: {
    method: 'POST',
    path: `${C}/processes/:id/fail`,
    role: 'executor',
    summary: 'Fail your attempt (retried while retries remain, unless final or of a kind in noretry)',
    body: FailRequest,
    params: PROCESS,
    status: 200,
  },
  addLog: {
    method: 'POST',
    path: `${C}/processes/:id/logs`,
    role: 'executor',
    summary: 'Append a log line to your running process',
    body: LogRequest,
    params: PROCESS,
    status: 204,
  },
  getLogs: {
    method: 'GET',
    path: `${C}/processes/:id/logs`,
    role: 'member',
    summary: "A process's log lines",
    query: LogsQuery,
    params: PROCESS,
    status: 200,
  },
  submitWorkflow: { method: 'POST', path: `${C}/processgraphs`, role: 'member', summary: 'Submit a workflow', body: WorkflowSpec, status: 201 },
  listProcessGraphs: {
    method: 'GET',
    path: `${C}/processgraphs`,
    role: 'member',
    summary: 'List process graphs, newest first',
    query: ListGraphsQuery,
    status: 200,
  },
  removeAllProcessGraphs: {
    method: 'DELETE',
    path: `${C}/processgraphs`,
    role: 'colony owner',
    summary: 'Remove process graphs by state',
    query: RemoveAllQuery,
    status: 200,
  },
  getProcessGraph: {
    method: 'GET',
    path: `${C}/processgraphs/:id`,
    role: 'member',
    summary: 'Get a graph with all its processes',
    params: PROCESS,
    status: 200,
  },
  findProcess: {
    method: 'GET',
    path: `${C}/processgraphs/:id/nodes/:nodename`,
    role: 'member',
    summary: 'Find a process of a graph by nodename',
    params: { ...PROCESS, nodename: text },
    status: 200,
  },
  cancelProcessGraph: {
    method: 'POST',
    path: `${C}/processgraphs/:id/cancel`,
    role: 'member',
    summary: 'Cancel a graph',
    params: PROCESS,
    status: 200,
  },
  haltProcessGraph: {
    method: 'POST',
    path: `${C}/processgraphs/:id/halt`,
    role: 'member',
    summary: 'Halt a graph: nothing more of it is assigned until it is resumed (running processes finish)',
    params: PROCESS,
    status: 200,
  },
  resumeProcessGraph: {
    method: 'POST',
    path: `${C}/processgraphs/:id/resume`,
    role: 'member',
    summary: 'Resume a halted graph',
    params: PROCESS,
    status: 200,
  },
  removeProcessGraph: {
    method: 'DELETE',
    path: `${C}/processgraphs/:id`,
    role: 'member',
    summary: 'Remove a graph (force: even if running)',
    query: ForceQuery,
    params: PROCESS,
    status: 204,
  },
  addChild: {
    method: 'POST',
    path: `${C}/processgraphs/:id/children`,
    role: 'executor',
    summary: 'add_child to the process you run',
    body: AddChildRequest,
    params: PROCESS,
    status: 201,
  },
  addChildren: {
    method: 'POST',
    path: `${C}/processgraphs/:id/children/batch`,
    role: 'executor',
    summary: 'Add many children in one transaction',
    body: AddChildrenRequest,
    params: PROCESS,
    status: 201,
  },
  postEvent: {
    method: 'POST',
    path: `${C}/processgraphs/:id/events`,
    role: 'member',
    summary: 'Post an external event to a graph: an event node waiting for its name consumes it, else it is kept for one',
    body: PostEventRequest,
    params: PROCESS,
    status: 201,
  },
  listEvents: {
    method: 'GET',
    path: `${C}/processgraphs/:id/events`,
    role: 'member',
    summary: "A graph's external events, oldest first, with the node that consumed each",
    params: PROCESS,
    status: 200,
  },
  registerWorkflowSpec: {
    method: 'POST',
    path: `${C}/workflowspecs`,
    role: 'member',
    summary: 'Register a workflow spec under a name: a new immutable version, or the version an identical spec has',
    body: RegisterSpecRequest,
    status: 201,
  },
  listWorkflowSpecs: {
    method: 'GET',
    path: `${C}/workflowspecs`,
    role: 'member',
    summary: 'Registered workflow specs: latest version and runs per state',
    status: 200,
  },
  getWorkflowSpec: {
    method: 'GET',
    path: `${C}/workflowspecs/:name`,
    role: 'member',
    summary: 'A version of a workflow spec (default: the latest)',
    query: VersionQuery,
    params: NAME,
    status: 200,
  },
  removeWorkflowSpec: {
    method: 'DELETE',
    path: `${C}/workflowspecs/:name`,
    role: 'member',
    summary: 'Remove every version of a workflow spec (refused while runs are active, unless force)',
    query: ForceQuery,
    params: NAME,
    status: 204,
  },
  runWorkflow: {
    method: 'POST',
    path: `${C}/workflowspecs/:name/runs`,
    role: 'member',
    summary: 'Run a registered workflow spec with variables (a key makes it idempotent)',
    body: RunWorkflowRequest,
    params: NAME,
    status: 201,
  },
  searchWorkflows: {
    method: 'GET',
    path: `${C}/workflowspecs/:name/runs`,
    role: 'member',
    summary: 'Runs of a workflow spec by indexed variables (var=name=value, name>=value …), state and time, newest first',
    query: SearchRunsQuery,
    params: NAME,
    status: 200,
  },
  addCron: { method: 'POST', path: `${C}/crons`, role: 'member', summary: 'Add a cron', body: AddCronRequest, status: 201 },
  listCrons: { method: 'GET', path: `${C}/crons`, role: 'member', summary: 'List crons', status: 200 },
  getCron: {
    method: 'GET',
    path: `${C}/crons/:name`,
    role: 'member',
    summary: 'Get a cron',
    params: NAME,
    status: 200,
  },
  removeCron: {
    method: 'DELETE',
    path: `${C}/crons/:name`,
    role: 'member',
    summary: 'Remove a cron',
    params: NAME,
    status: 204,
  },
  runCron: {
    method: 'POST',
    path: `${C}/crons/:name/run`,
    role: 'member',
    summary: 'Fire a cron now',
    params: NAME,
    status: 200,
  },
  declareFunctions: {
    method: 'POST',
    path: `${C}/functions`,
    role: 'executor',
    summary: 'Declare the functions you serve (replaces what you declared before)',
    body: DeclareFunctionsRequest,
    status: 200,
  },
  listFunctions: {
    method: 'GET',
    path: `${C}/functions`,
    role: 'member',
    summary: 'Functions declared by approved executors, per executor type, with how many serve each and how many are online',
    status: 200,
  },
  findIds: {
    method: 'GET',
    path: `${C}/ids/:prefix`,
    role: 'member',
    summary: 'The processes and process graphs whose id starts with a prefix (6 to 64 hex characters), at most 10 of each: completes a short id',
    params: { prefix: idPrefix },
    status: 200,
  },
  listTasks: {
    method: 'GET',
    path: `${C}/tasks`,
    role: 'member',
    summary: 'Open user tasks (ready nodes of kind usertask), oldest first; mine: assigned to the caller or to anyone',
    query: ListTasksQuery,
    status: 200,
  },
  completeTask: {
    method: 'POST',
    path: `${C}/tasks/:id/complete`,
    role: 'member',
    summary: 'Complete a user task with data its form accepts (its assignee, or any user when it has none; not executors)',
    body: CompleteTaskRequest,
    params: PROCESS,
    status: 200,
  },
} as const satisfies Record<string, RouteSpec>;

export type Operation = keyof typeof OPERATIONS;

export type Route = RouteSpec & { operation: Operation };

/** The table as a list, in its order (the order the server registers the routes). */
export const ROUTES: readonly Route[] = Object.entries(OPERATIONS).map(([operation, r]) => ({
  ...(r as RouteSpec),
  operation: operation as Operation,
}));

/** The names of a path's parameters: '/colonies/:colony/processes/:id' → 'colony' | 'id'. */
type ParamNames<P extends string> = P extends `${string}:${infer N}/${infer Rest}`
  ? N | ParamNames<Rest>
  : P extends `${string}:${infer N}`
    ? N
    : never;

export type PathParamName<O extends Operation> = ParamNames<(typeof OPERATIONS)[O]['path']>;
export type PathParams<O extends Operation> = { [K in PathParamName<O>]: string };

/** The path of an operation under /api/v1, its parameters percent-encoded: routePath('closeProcess', {colony, id}). */
export function routePath<O extends Operation>(operation: O, params: PathParams<O>): string {
  const values = params as Record<string, string>;
  return OPERATIONS[operation].path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(values[name]!));
}
