/**
 * Every route of the signed API, with who may call it and what it takes. The OpenAPI document is
 * generated from this table, and a test checks that the server serves exactly these routes.
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
  CloseRequest,
  FailRequest,
  ForceQuery,
  FunctionSpec,
  ListGraphsQuery,
  ListProcessesQuery,
  LogRequest,
  LogsQuery,
  RemoveAllQuery,
  SubmitManyRequest,
  WorkflowSpec,
} from './schemas.ts';

export type Role = 'server owner' | 'colony owner' | 'member' | 'executor';

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** Express-style path under /api/v1. */
  path: string;
  role: Role;
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** Success status. */
  status: 200 | 201 | 204;
}

const C = '/colonies/:colony';

export const ROUTES: Route[] = [
  { method: 'POST', path: '/colonies', role: 'server owner', summary: 'Add a colony', body: AddColonyRequest, status: 201 },
  { method: 'GET', path: '/colonies', role: 'server owner', summary: 'List colonies', status: 200 },
  { method: 'DELETE', path: C, role: 'server owner', summary: 'Remove a colony and everything in it', status: 204 },
  { method: 'GET', path: C, role: 'member', summary: 'Get the colony', status: 200 },
  { method: 'GET', path: `${C}/stats`, role: 'member', summary: 'Processes and graphs per state, executor count', status: 200 },
  { method: 'POST', path: `${C}/executors`, role: 'colony owner', summary: 'Register an executor (PENDING)', body: AddExecutorRequest, status: 201 },
  { method: 'GET', path: `${C}/executors`, role: 'member', summary: 'List executors', status: 200 },
  { method: 'GET', path: `${C}/executors/:name`, role: 'member', summary: 'Get an executor', status: 200 },
  { method: 'POST', path: `${C}/executors/:name/approve`, role: 'colony owner', summary: 'Approve an executor', status: 200 },
  { method: 'POST', path: `${C}/executors/:name/reject`, role: 'colony owner', summary: 'Reject an executor', status: 200 },
  { method: 'DELETE', path: `${C}/executors/:name`, role: 'colony owner', summary: 'Remove an executor', status: 204 },
  { method: 'GET', path: `${C}/executors/:executorid/logs`, role: 'member', summary: "An executor's log lines", query: LogsQuery, status: 200 },
  { method: 'POST', path: `${C}/users`, role: 'colony owner', summary: 'Add a user', body: AddUserRequest, status: 201 },
  { method: 'GET', path: `${C}/users`, role: 'member', summary: 'List users', status: 200 },
  { method: 'DELETE', path: `${C}/users/:name`, role: 'colony owner', summary: 'Remove a user', status: 204 },
  { method: 'POST', path: `${C}/processes`, role: 'member', summary: 'Submit a function spec as one process', body: FunctionSpec, status: 201 },
  {
    method: 'POST',
    path: `${C}/processes/batch`,
    role: 'member',
    summary: 'Submit many function specs, each on its own: results[i] is {process} or {error} for specs[i]',
    body: SubmitManyRequest,
    status: 200,
  },
  { method: 'GET', path: `${C}/processes`, role: 'member', summary: 'List processes, newest first', query: ListProcessesQuery, status: 200 },
  { method: 'DELETE', path: `${C}/processes`, role: 'member', summary: 'Remove standalone processes by state', query: RemoveAllQuery, status: 200 },
  {
    method: 'POST',
    path: `${C}/processes/assign`,
    role: 'executor',
    summary: 'Long-poll: be assigned up to `count` ready processes of your type (closing `closes` first, if given)',
    body: AssignRequest,
    status: 200,
  },
  {
    method: 'POST',
    path: `${C}/processes/close`,
    role: 'executor',
    summary: 'Close many of your processes in one transaction',
    body: CloseManyRequest,
    status: 200,
  },
  { method: 'GET', path: `${C}/processes/:id`, role: 'member', summary: 'Get a process', status: 200 },
  {
    method: 'DELETE',
    path: `${C}/processes/:id`,
    role: 'member',
    summary: 'Remove a process (force: even if running)',
    query: ForceQuery,
    status: 204,
  },
  { method: 'POST', path: `${C}/processes/:id/cancel`, role: 'member', summary: 'Cancel a process', status: 200 },
  {
    method: 'POST',
    path: `${C}/processes/:id/close`,
    role: 'executor',
    summary: 'Close your process with its output',
    body: CloseRequest,
    status: 204,
  },
  {
    method: 'POST',
    path: `${C}/processes/:id/fail`,
    role: 'executor',
    summary: 'Fail your attempt (retried while retries remain)',
    body: FailRequest,
    status: 200,
  },
  {
    method: 'POST',
    path: `${C}/processes/:id/logs`,
    role: 'executor',
    summary: 'Append a log line to your running process',
    body: LogRequest,
    status: 204,
  },
  { method: 'GET', path: `${C}/processes/:id/logs`, role: 'member', summary: "A process's log lines", query: LogsQuery, status: 200 },
  { method: 'POST', path: `${C}/processgraphs`, role: 'member', summary: 'Submit a workflow', body: WorkflowSpec, status: 201 },
  { method: 'GET', path: `${C}/processgraphs`, role: 'member', summary: 'List process graphs, newest first', query: ListGraphsQuery, status: 200 },
  { method: 'DELETE', path: `${C}/processgraphs`, role: 'member', summary: 'Remove process graphs by state', query: RemoveAllQuery, status: 200 },
  { method: 'GET', path: `${C}/processgraphs/:id`, role: 'member', summary: 'Get a graph with all its processes', status: 200 },
  { method: 'GET', path: `${C}/processgraphs/:id/nodes/:nodename`, role: 'member', summary: 'Find a process of a graph by nodename', status: 200 },
  { method: 'POST', path: `${C}/processgraphs/:id/cancel`, role: 'member', summary: 'Cancel a graph', status: 200 },
  {
    method: 'DELETE',
    path: `${C}/processgraphs/:id`,
    role: 'member',
    summary: 'Remove a graph (force: even if running)',
    query: ForceQuery,
    status: 204,
  },
  {
    method: 'POST',
    path: `${C}/processgraphs/:id/children`,
    role: 'executor',
    summary: 'add_child to the process you run',
    body: AddChildRequest,
    status: 201,
  },
  {
    method: 'POST',
    path: `${C}/processgraphs/:id/children/batch`,
    role: 'executor',
    summary: 'Add many children in one transaction',
    body: AddChildrenRequest,
    status: 201,
  },
  { method: 'POST', path: `${C}/crons`, role: 'member', summary: 'Add a cron', body: AddCronRequest, status: 201 },
  { method: 'GET', path: `${C}/crons`, role: 'member', summary: 'List crons', status: 200 },
  { method: 'GET', path: `${C}/crons/:name`, role: 'member', summary: 'Get a cron', status: 200 },
  { method: 'DELETE', path: `${C}/crons/:name`, role: 'member', summary: 'Remove a cron', status: 204 },
  { method: 'POST', path: `${C}/crons/:name/run`, role: 'member', summary: 'Fire a cron now', status: 200 },
];
