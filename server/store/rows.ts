/** Rows as stored (snake_case where the schema says so) and their one mapping to wire objects. */
import type { Colony, Executor, LogEntry, Process, ProcessGraph, User } from '../../protocol/types.ts';
import type { ExecutorState, ProcessState } from '../../protocol/states.ts';
import type { FunctionSpec } from '../../protocol/schemas.ts';

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());
const isoRequired = (d: Date | string): string => new Date(d).toISOString();

export interface ColonyRow {
  colonyname: string;
  colonyid: string;
  created: Date;
}
export const toColony = (r: ColonyRow): Colony => ({ colonyname: r.colonyname, colonyid: r.colonyid, created: isoRequired(r.created) });

export interface ExecutorRow {
  colonyname: string;
  executorname: string;
  executorid: string;
  executortype: string;
  state: ExecutorState;
  location: string;
  registered: Date;
  lastheardfrom: Date | null;
}
/** `heardSince`: an executor heard from at or after it is online (now minus the lease). */
export const toExecutor = (r: ExecutorRow, heardSince: Date): Executor => ({
  executorname: r.executorname,
  executorid: r.executorid,
  executortype: r.executortype,
  colonyname: r.colonyname,
  state: r.state,
  location: r.location,
  registered: isoRequired(r.registered),
  lastheardfrom: iso(r.lastheardfrom),
  online: r.lastheardfrom !== null && new Date(r.lastheardfrom).getTime() >= heardSince.getTime(),
});

export interface UserRow {
  colonyname: string;
  username: string;
  userid: string;
}
export const toUser = (r: UserRow): User => ({ username: r.username, userid: r.userid, colonyname: r.colonyname });

export interface ProcessRow {
  processid: string;
  colonyname: string;
  processgraphid: string | null;
  spec: FunctionSpec;
  state: ProcessState;
  waitingparents: number;
  input: unknown[];
  output: unknown[];
  errors: string[];
  retries: number;
  attempt: number;
  parents: string[];
  children: string[];
  initiatorid: string;
  assignedexecutorid: string | null;
  // A Date when read as a column, an ISO string when read from JSON (a claim returns its rows as JSON).
  submissiontime: Date | string;
  readytime: Date | string | null;
  starttime: Date | string | null;
  endtime: Date | string | null;
  waitdeadline: Date | string | null;
  execdeadline: Date | string | null;
  notbefore: Date | string | null;
}

/** The columns a Process is built from (never SELECT * : seq is an int8 the drivers disagree on). */
/**
 * A process's input when it has parents: their outputs concatenated in parent order (see
 * docs/architecture.md, Graph semantics). `row` names the row whose parents are read. Computed when
 * the process is claimed (see sql/processes/claim.ts)
 * and, for a ready process not claimed yet, when it is read.
 */
export const parentOutputs = (row: string) => `(
  SELECT coalesce(jsonb_agg(e.v ORDER BY par.ord, e.ord), '[]'::jsonb)
    FROM unnest(${row}.parents) WITH ORDINALITY AS par(id, ord)
    JOIN processes pp ON pp.processid = par.id
    CROSS JOIN LATERAL jsonb_array_elements(pp.output) WITH ORDINALITY AS e(v, ord))`;

const columns = (input: string) =>
  `processid, colonyname, processgraphid, spec, state, waitingparents, ${input}, output, errors, retries, attempt, parents, children, initiatorid, assignedexecutorid, submissiontime, readytime, starttime, endtime, waitdeadline, execdeadline, notbefore`;

/** The columns of a process row as stored (input included: what a claim fixed, or a root's args). */
export const STORED_PROCESS_COLUMNS = columns('input');

/** For SELECTs FROM processes: as stored, but a ready child not yet claimed shows the input it will get. */
export const PROCESS_COLUMNS = columns(
  `CASE WHEN processes.state IN ('WAITING', 'HALTED') AND processes.waitingparents = 0 AND cardinality(processes.parents) > 0 AND NOT processes.gated
        THEN ${parentOutputs('processes')} ELSE processes.input END AS input`,
);

export const toProcess = (r: ProcessRow): Process => ({
  processid: r.processid,
  colonyname: r.colonyname,
  processgraphid: r.processgraphid,
  spec: r.spec,
  state: r.state,
  ready: r.waitingparents <= 0 && r.readytime !== null,
  in: r.input,
  out: r.output,
  errors: r.errors,
  retries: r.retries,
  attempt: r.attempt,
  parents: r.parents,
  children: r.children,
  initiatorid: r.initiatorid,
  assignedexecutorid: r.assignedexecutorid,
  submissiontime: isoRequired(r.submissiontime),
  readytime: iso(r.readytime),
  starttime: iso(r.starttime),
  endtime: iso(r.endtime),
  waitdeadline: iso(r.waitdeadline),
  execdeadline: iso(r.execdeadline),
  notbefore: iso(r.notbefore),
});

export interface ProcessGraphRow {
  processgraphid: string;
  colonyname: string;
  state: ProcessState;
  initiatorid: string;
  processcount: number;
  successcount: number;
  submissiontime: Date;
  starttime: Date | null;
  endtime: Date | null;
  errors: string[];
  name: string;
  specname: string | null;
  specversion: number | null;
  initiatorname: string;
  cronname: string | null;
  processids: string[] | null;
  variables?: Record<string, unknown>;
}
export const toProcessGraph = (r: ProcessGraphRow): ProcessGraph => ({
  processgraphid: r.processgraphid,
  colonyname: r.colonyname,
  state: r.state,
  initiatorid: r.initiatorid,
  processcount: r.processcount,
  successcount: r.successcount,
  submissiontime: isoRequired(r.submissiontime),
  starttime: iso(r.starttime),
  endtime: iso(r.endtime),
  errors: r.errors,
  name: r.name,
  specname: r.specname,
  specversion: r.specversion,
  initiatorname: r.initiatorname,
  cronname: r.cronname,
  ...(r.processids ? { processids: r.processids } : {}),
  ...(r.variables ? { variables: r.variables } : {}),
});

export interface LogRow {
  processid: string;
  executorid: string;
  message: string;
  time: Date;
  seq: number;
}
export const toLogEntry = (r: LogRow): LogEntry => ({
  processid: r.processid,
  executorid: r.executorid,
  message: r.message,
  time: isoRequired(r.time),
  seq: Number(r.seq),
});
