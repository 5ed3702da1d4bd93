/**
 * The closed list of error codes on the wire. Codes are never renamed once released;
 * every reply with an error has the shape { error: { code, message, details? } }.
 */
export const ERROR_CODES = {
  // 400: the request itself is wrong
  MALFORMED_JSON: { status: 400, description: 'The request body is not valid JSON.' },
  VALIDATION_FAILED: { status: 400, description: 'The request does not match its schema; details lists each issue with its path.' },
  DEPENDENCY_CYCLE: { status: 400, description: 'The workflow has a cycle; details.cycle lists its nodes in order.' },
  UNKNOWN_DEPENDENCY: { status: 400, description: 'A dependency names a node that is not in the workflow.' },
  INVALID_CRON_EXPRESSION: { status: 400, description: 'The cron expression does not parse; details lists each field error.' },
  DUPLICATE_NODENAME: { status: 400, description: 'Two function specs of one workflow share a nodename.' },
  // 401: who are you?
  UNAUTHENTICATED: { status: 401, description: 'Signature headers are missing or garbled.' },
  BAD_SIGNATURE: { status: 401, description: 'The signature does not verify against the claimed identity.' },
  STALE_REQUEST: { status: 401, description: "The request's timestamp is outside the accepted window." },
  REPLAYED_REQUEST: { status: 401, description: 'The nonce was already used within the window.' },
  // 403: you may not
  FORBIDDEN: { status: 403, description: "The caller's role does not allow this operation." },
  NOT_A_MEMBER: { status: 403, description: 'The caller is not a member of this colony.' },
  EXECUTOR_NOT_APPROVED: { status: 403, description: 'The executor is registered but not approved.' },
  NOT_ASSIGNED: { status: 403, description: 'The process is not assigned to the calling executor (or to this attempt).' },
  // 404: not here
  ROUTE_NOT_FOUND: { status: 404, description: 'No such route.' },
  COLONY_NOT_FOUND: { status: 404, description: 'No such colony.' },
  EXECUTOR_NOT_FOUND: { status: 404, description: 'No such executor in this colony.' },
  USER_NOT_FOUND: { status: 404, description: 'No such user in this colony.' },
  PROCESS_NOT_FOUND: { status: 404, description: 'No such process in this colony.' },
  CRON_NOT_FOUND: { status: 404, description: 'No such cron in this colony.' },
  PROCESSGRAPH_NOT_FOUND: { status: 404, description: 'No such process graph in this colony.' },
  SPEC_NOT_FOUND: { status: 404, description: 'No such registered workflow spec (or version of it) in this colony.' },
  // 409: state does not allow it
  ALREADY_EXISTS: { status: 409, description: 'An object with this name or id already exists.' },
  PROCESS_NOT_RUNNING: { status: 409, description: 'The process is not RUNNING (it may have timed out, been cancelled or closed).' },
  PROCESS_IS_RUNNING: { status: 409, description: 'The process or graph is running; cancel it first or use force.' },
  PART_OF_GRAPH: { status: 409, description: 'The process belongs to a process graph; act on the graph instead.' },
  INVALID_GRAPH_CHANGE: { status: 409, description: 'add_child: the parent is not running in this graph, or the named child is no longer waiting.' },
  PROCESS_FINISHED: { status: 409, description: 'The process or graph has already finished.' },
  TASK_NOT_OPEN: { status: 409, description: 'The user task is not open: its parents have not finished, or it has ended.' },
  SPEC_IN_USE: { status: 409, description: 'The workflow spec has runs waiting or running; remove it with force, or when they are done.' },
  GRAPH_HALTED: { status: 409, description: 'The process graph is already halted; resume it first.' },
  GRAPH_NOT_HALTED: { status: 409, description: 'The process graph is not halted, so there is nothing to resume.' },
  // 413, 431, 5xx
  PAYLOAD_TOO_LARGE: { status: 413, description: 'The request body exceeds the size limit.' },
  HEADERS_TOO_LARGE: { status: 431, description: "The request's path and headers exceed 16 KiB." },
  MALFORMED_REQUEST: { status: 400, description: 'The request is not well-formed HTTP.' },
  INTERNAL: { status: 500, description: 'An unexpected server error; the server log has the details.' },
  UNAVAILABLE: { status: 503, description: 'The server is shutting down or its database is unreachable; retry.' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export function isErrorCode(s: unknown): s is ErrorCode {
  return typeof s === 'string' && Object.hasOwn(ERROR_CODES, s);
}
