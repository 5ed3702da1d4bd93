/** Zod schemas of every request body and query on the wire. Types are inferred from them, never declared twice. */
import { z } from 'zod';
import { PROCESS_STATES } from './states.ts';
import { HEX_ID } from './signing.ts';
import { INT32_MAX, jsonObject, jsonValue, storableString } from './values.ts';
import { isDateTime, jsonPath, variableName, VariableDeclarations } from './variables.ts';
import { conditionProblem, NODE_KINDS, serverExecutorType, TRIGGER_RULES } from './flow.ts';
import { ExpandSource } from './expand.ts';
import { formProblem } from './forms.ts';

export const LIMITS = {
  maxNameLength: 200,
  maxWorkflowSpecs: 10_000,
  maxChildrenPerBatch: 20_000,
  maxListCount: 10_000,
  maxListOffset: 1_000_000,
  defaultListCount: 100,
  maxAssignTimeoutSeconds: 120,
  maxAssignCount: 500,
  maxSubmitBatch: 1000,
  maxDeadlineSeconds: 10 * 365 * 24 * 3600,
  maxRetries: 1000,
  /** retrybackoff: a factor above this would reach any ceiling within a retry or two. */
  maxRetryBackoff: 100,
  /** noretry: error kinds per spec. */
  maxNoRetryKinds: 100,
  maxPriority: 1000,
  maxLogMessageLength: 64 * 1024,
} as const;

/** `maxretries` for "retry without limit", as in ColonyOS. */
export const UNLIMITED_RETRIES = -1;

/** Names that appear in URLs: colonies, executors, users. */
export const resourceName = z
  .string()
  .min(1)
  .max(LIMITS.maxNameLength)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit');

export const identityId = z.string().regex(HEX_ID, 'an id is an Ed25519 public key: 64 lowercase hex characters');
export const processId = z.string().regex(HEX_ID, 'a process id is 64 lowercase hex characters');

/** Names inside a colony's data (funcname, nodename, dependencies): any storable text. */
export const text = storableString().min(1).max(LIMITS.maxNameLength);
const seconds = z.number().int().min(-1).max(LIMITS.maxDeadlineSeconds);
/** A retry delay: seconds, fractions allowed (zod refuses NaN and the infinities). */
const delaySeconds = z.number().min(0, 'seconds, 0 or more').max(LIMITS.maxDeadlineSeconds);
/** An error's kind as executors report it (the SDK: the thrown error's `name`, such as ValidationError). */
export const errorKind = storableString().min(1, 'an error kind is a non-empty string').max(LIMITS.maxNameLength);

// Every request body is a strict object, people's and executors': an unknown field (a typo such as "maxretry") is refused, naming it, not dropped.
const Conditions = z
  .strictObject({
    dependencies: z.array(text).max(LIMITS.maxWorkflowSpecs).default([]),
    /** ColonyOS puts the executor type here; we accept it as an alias of the top-level field. */
    executortype: resourceName.optional(),
    /** ColonyOS names the colony here too; the request's colony is the one that counts. */
    colonyname: resourceName.optional(),
    /** A CEL expression over the parents' outputs and the run's variables: false → SKIPPED without running. */
    when: storableString()
      .min(1)
      .max(4000)
      .superRefine((w, ctx) => {
        const why = conditionProblem(w);
        if (why) ctx.addIssue({ code: 'custom', message: why });
      })
      .optional(),
    /** When the process may run, by its parents' outcomes (default all_success). */
    trigger: z.enum(TRIGGER_RULES).optional(),
  })
  .default({ dependencies: [] });

const FunctionSpecFields = z.strictObject({
  nodename: text.optional(),
  /** Required of a function; a server node is named after its kind when it has none. */
  funcname: text.optional(),
  args: z.array(jsonValue).default([]),
  kwargs: jsonObject.default({}),
  executortype: resourceName.optional(),
  priority: z.number().int().min(-LIMITS.maxPriority).max(LIMITS.maxPriority).default(0),
  maxwaittime: seconds.default(0),
  maxexectime: seconds.default(0),
  /** Retries of a failed attempt; -1 = without limit (as in ColonyOS): only maxwaittime or a cancel ends the process. */
  maxretries: z.number().int().min(UNLIMITED_RETRIES, `-1 (retry without limit) or 0 to ${LIMITS.maxRetries}`).max(LIMITS.maxRetries).default(0),
  /** The retry policy (docs/architecture.md, Process semantics): seconds before the first retry (default 0: at once)… */
  retrydelay: delaySeconds.optional(),
  /** …multiplied by this for each further retry (default 2)… */
  retrybackoff: z.number().min(1, 'a factor of 1 (a constant delay) or more').max(LIMITS.maxRetryBackoff).optional(),
  /** …up to this ceiling (default 100 × retrydelay). */
  maxretrydelay: delaySeconds.optional(),
  /** Error kinds never retried: a failure of one of them ends the process FAILED at once. */
  noretry: z.array(errorKind).max(LIMITS.maxNoRetryKinds).optional(),
  label: storableString().max(LIMITS.maxNameLength).default(''),
  conditions: Conditions,
  /** Run variables set from this process's output when it closes: {"total": "$[0]"}. */
  setvariables: z.record(variableName, jsonPath).optional(),
  /** What runs the node (default function: an executor); the others run on the server (see protocol/flow.ts). */
  kind: z.enum(NODE_KINDS).optional(),
  /** kind event: the name of the event it waits for. */
  event: text.optional(),
  /** kind sleep: seconds to wait once ready… */
  seconds: z.number().min(0).max(LIMITS.maxDeadlineSeconds).optional(),
  /** …or until a time: an ISO 8601 time, or a run variable holding one ({"$var": "ship-at"}). */
  until: z.union([storableString().refine(isDateTime, 'an ISO 8601 date-time'), z.object({ $var: variableName }).strict()]).optional(),
  /** kind usertask: the colony user who may complete it (default: any user of the colony). */
  assignee: resourceName.optional(),
  /** kind usertask: a JSON Schema of the data that completes it (default: any JSON object). */
  form: jsonObject.optional(),
  /** One process per element of a list (a run variable or a parent's output): see protocol/expand.ts. */
  expand: ExpandSource.optional(),
});

/** The retry policy's rules across fields; each issue names the field to change. */
function checkRetryPolicy(s: z.output<typeof FunctionSpecFields>, ctx: z.core.$RefinementCtx<unknown>): void {
  if (s.maxretrydelay !== undefined && s.maxretrydelay < (s.retrydelay ?? 0))
    ctx.addIssue({
      code: 'custom',
      message: `maxretrydelay (${s.maxretrydelay}) is below retrydelay (${s.retrydelay ?? 0})`,
      path: ['maxretrydelay'],
    });
  // Unlimited retries without a delay would fail in a loop as fast as the executors can take the work.
  if (s.maxretries === UNLIMITED_RETRIES && !((s.retrydelay ?? 0) > 0))
    ctx.addIssue({ code: 'custom', message: 'maxretries -1 (retry without limit) needs a retrydelay greater than 0', path: ['maxretries'] });
}

/** The fields that belong to one kind of node only. */
const KIND_FIELDS = { event: ['event'], sleep: ['seconds', 'until'], usertask: ['assignee', 'form'] } as const;

/** A function spec as users write it; normalised so that nodename and executortype are always set. */
export const FunctionSpec = FunctionSpecFields.superRefine((s, ctx) => {
  const kind = s.kind ?? 'function';
  for (const [owner, fields] of Object.entries(KIND_FIELDS))
    for (const field of fields)
      if (owner !== kind && s[field] !== undefined)
        ctx.addIssue({ code: 'custom', message: `${field} belongs to kind ${owner}, not ${kind}`, path: [field] });
  if (kind === 'event' && s.event === undefined) ctx.addIssue({ code: 'custom', message: 'a node of kind event names its event', path: ['event'] });
  if (kind === 'sleep' && (s.seconds === undefined) === (s.until === undefined))
    ctx.addIssue({ code: 'custom', message: 'a node of kind sleep has seconds or until (one of them)', path: ['seconds'] });
  if (kind !== 'function' && s.expand !== undefined)
    ctx.addIssue({ code: 'custom', message: `a node of kind ${kind} runs on the server: only functions expand`, path: ['expand'] });
  if (kind !== 'function' && (s.executortype ?? s.conditions.executortype) !== undefined)
    ctx.addIssue({ code: 'custom', message: `a node of kind ${kind} runs on the server, not on an executor`, path: ['executortype'] });
  const badForm = s.form === undefined ? undefined : formProblem(s.form);
  if (badForm) ctx.addIssue({ code: 'custom', message: `form ${badForm}`, path: ['form'] });
}).transform((s, ctx) => {
  checkRetryPolicy(s, ctx);
  const executortype = s.kind && s.kind !== 'function' ? serverExecutorType(s.kind) : (s.executortype ?? s.conditions.executortype);
  const funcname = s.funcname ?? (s.kind && s.kind !== 'function' ? s.kind : undefined);
  if (!funcname) ctx.addIssue({ code: 'custom', message: 'funcname is required', path: ['funcname'] });
  if (!executortype) ctx.addIssue({ code: 'custom', message: 'executortype is required', path: ['executortype'] });
  if (!funcname || !executortype) return z.NEVER;
  const { conditions, ...rest } = s;
  const { when, trigger } = conditions;
  return {
    ...rest,
    funcname,
    nodename: s.nodename ?? funcname,
    executortype,
    conditions: { dependencies: conditions.dependencies, ...(when !== undefined ? { when } : {}), ...(trigger !== undefined ? { trigger } : {}) },
  };
});
export type FunctionSpecInput = z.input<typeof FunctionSpec>;
export type FunctionSpec = z.output<typeof FunctionSpec>;

/** A caller's key that makes a run or submit idempotent within the colony. */
export const idempotencyKey = storableString().min(1).max(LIMITS.maxNameLength);
/** A run's name, shown instead of its id. */
export const runName = storableString().min(1).max(LIMITS.maxNameLength);

/**
 * A workflow: {functionspecs:[…], variables?} (SDK, registered specs) or a bare array of specs (the
 * CLI's file format). A submit may name the run and give an idempotency key.
 */
export const WorkflowSpec = z
  .union([
    z.strictObject({
      /** As in ColonyOS; the request's colony is the one that counts. */
      colonyname: resourceName.optional(),
      functionspecs: z.array(FunctionSpec).min(1).max(LIMITS.maxWorkflowSpecs),
      variables: VariableDeclarations.optional(),
      name: runName.optional(),
      key: idempotencyKey.optional(),
    }),
    z.array(FunctionSpec).min(1).max(LIMITS.maxWorkflowSpecs),
  ])
  .transform((w) =>
    Array.isArray(w)
      ? { functionspecs: w, variables: {} }
      : {
          functionspecs: w.functionspecs,
          variables: w.variables ?? {},
          ...(w.name !== undefined ? { name: w.name } : {}),
          ...(w.key !== undefined ? { key: w.key } : {}),
        },
  );
export type WorkflowSpecInput = z.input<typeof WorkflowSpec>;
export type WorkflowSpec = z.output<typeof WorkflowSpec>;

/** The workflow a registered spec holds: {functionspecs, variables?} or a bare array of function specs. */
export const RegisteredWorkflow = z.union([
  z.strictObject({ functionspecs: z.array(FunctionSpec).min(1).max(LIMITS.maxWorkflowSpecs), variables: VariableDeclarations.optional() }),
  z.array(FunctionSpec).min(1).max(LIMITS.maxWorkflowSpecs),
]);
export type RegisteredWorkflowInput = z.input<typeof RegisteredWorkflow>;

/** A spec to register under a name: the workflow (its functions and variables), validated like a submit. */
export const RegisterSpecRequest = z.strictObject({ name: resourceName, spec: RegisteredWorkflow }).transform((r) => ({
  name: r.name,
  spec: Array.isArray(r.spec) ? { functionspecs: r.spec, variables: {} } : { functionspecs: r.spec.functionspecs, variables: r.spec.variables ?? {} },
}));
export type RegisterSpecInput = z.input<typeof RegisterSpecRequest>;

/** Run a registered spec by name: its variables' values, a version (default: the latest), a run name, a key. */
export const RunWorkflowRequest = z.strictObject({
  variables: z.record(z.string(), jsonValue).default({}),
  version: z.number().int().min(1).max(INT32_MAX).optional(),
  name: runName.optional(),
  key: idempotencyKey.optional(),
});
export type RunWorkflowInput = z.input<typeof RunWorkflowRequest>;

export const AddColonyRequest = z.strictObject({ colonyname: resourceName, colonyid: identityId });
export const AddExecutorRequest = z.strictObject({
  executorname: resourceName,
  executorid: identityId,
  executortype: resourceName,
  location: storableString().max(LIMITS.maxNameLength).default(''),
});
export const AddUserRequest = z.strictObject({ username: resourceName, userid: identityId });

/** An attempt number: a PostgreSQL int. */
const attempt = z.number().int().min(1).max(INT32_MAX);
const output = z.array(jsonValue).default([]);

const CloseItems = z.array(z.strictObject({ processid: processId, attempt, out: output })).max(LIMITS.maxAssignCount);

/** The attempts an executor runs now, its results not yet acknowledged: its lease report, with its assigns and heartbeats. */
export const Holding = z.array(z.strictObject({ processid: processId, attempt })).max(10_000);

/**
 * Names one run of an executor program (random, new at each start), sent with its lease reports: a
 * process assigned during this run that the run says it does not hold never reached it, and is tried
 * again without spending a retry. Without it every such process costs a retry.
 */
export const ExecutorInstance = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, 'expected 8 to 64 letters, digits, _ or -');

export const AssignRequest = z.strictObject({
  /** Seconds to wait for work; 0 answers at once. */
  timeout: z.number().min(0).max(LIMITS.maxAssignTimeoutSeconds).default(10),
  /** Up to this many processes in one reply. */
  count: z.number().int().min(1).max(LIMITS.maxAssignCount).default(1),
  /** Processes this executor finished: closed (as by POST …/processes/close) before the wait begins. */
  closes: CloseItems.optional(),
  /** Every attempt this executor holds (see Holding); a RUNNING process of its not listed goes back to the queue. */
  holding: Holding.optional(),
  instance: ExecutorInstance.optional(),
});

/** An executor's heartbeat while it runs functions: what it holds. */
export const HeartbeatRequest = z.strictObject({ holding: Holding, instance: ExecutorInstance.optional() });

export const CloseRequest = z.strictObject({ attempt, out: output });
/** Many independent submits in one request; each spec is validated (and answered) on its own. */
export const SubmitManyRequest = z.strictObject({
  specs: z.array(z.unknown()).min(1).max(LIMITS.maxSubmitBatch),
});

/** Batch close: many processes of the calling executor in one request and one transaction. */
export const CloseManyRequest = z.strictObject({
  closes: CloseItems.min(1),
});

/** No errors (as ColonyOS's Fail(id, [])) is accepted: the server records a reason naming the executor and attempt. */
export const FailRequest = z.strictObject({
  attempt,
  errors: z.array(storableString().max(LIMITS.maxLogMessageLength)).default([]),
  /** false: the failure is final, whatever retries remain (bad input, say, that no retry can fix). */
  retry: z.boolean().default(true),
  /** The error's kind (the SDK sends the thrown error's `name`): a kind in the spec's `noretry` is not retried. */
  errorkind: errorKind.optional(),
});
export const LogRequest = z.strictObject({ message: storableString().max(LIMITS.maxLogMessageLength) });

const intFromQuery = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const paging = {
  count: intFromQuery(1, LIMITS.maxListCount).default(LIMITS.defaultListCount),
  /** Skip this many of the newest matches (pages of a large colony). */
  offset: intFromQuery(0, LIMITS.maxListOffset).default(0),
};
const nameFilters = {
  label: storableString().max(LIMITS.maxNameLength).optional(),
  funcname: storableString().max(LIMITS.maxNameLength).optional(),
  nodename: storableString().max(LIMITS.maxNameLength).optional(),
};
const time = z.string().refine(isDateTime, 'an ISO 8601 date-time such as 2026-01-31T12:00:00Z');
/** Submitted at or after `since`, before `until`. */
const timeRange = { since: time.optional(), until: time.optional() };

// Every query is strict: an unknown parameter (a misspelt filter) is refused with its name, not ignored.
export const ListProcessesQuery = z
  .object({
    state: z.enum(PROCESS_STATES).optional(),
    executortype: resourceName.optional(),
    ...nameFilters,
    ...timeRange,
    ...paging,
  })
  .strict();
/** Graphs filtered by label/funcname/nodename are those with at least one such process. */
export const ListGraphsQuery = z
  .object({
    state: z.enum(PROCESS_STATES).optional(),
    ...nameFilters,
    ...timeRange,
    ...paging,
  })
  .strict();
/**
 * Runs of a registered spec, by the values of its indexed variables: each `var` is `name=value`, or for
 * numbers and times `name>=v`, `name>v`, `name<=v`, `name<v` (repeat `var` to combine).
 */
export const SearchRunsQuery = z
  .object({
    var: z.union([storableString().max(1000), z.array(storableString().max(1000)).max(20)]).optional(),
    state: z.enum(PROCESS_STATES).optional(),
    ...timeRange,
    ...paging,
  })
  .strict();
export const VersionQuery = z.object({ version: intFromQuery(1, INT32_MAX).optional() }).strict();
export const RemoveAllQuery = z.object({ state: z.enum(PROCESS_STATES).optional() }).strict();
export const ForceQuery = z.object({ force: z.enum(['true', 'false']).optional() }).strict();
export const LogsQuery = z
  .object({
    count: intFromQuery(1, LIMITS.maxListCount).default(LIMITS.defaultListCount),
    since: z.coerce.number().int().min(0).optional(),
  })
  .strict();

/** User tasks: the colony's open ones (`mine`: those assigned to the caller or to anyone). */
export const ListTasksQuery = z
  .object({
    mine: z.enum(['true', 'false']).optional(),
    ...paging,
  })
  .strict();
/** Completing a user task: the data its form describes (without a form, any JSON object). */
export const CompleteTaskRequest = z
  .object({ data: jsonValue.refine((v) => v !== undefined, "required: the data the task's form describes") })
  .strict();

/** add_child: splice a new process into a running graph (the caller runs the parent). */
export const AddChildRequest = z.strictObject({
  parentprocessid: processId,
  childprocessid: processId.optional(),
  spec: FunctionSpec,
  nodename: text.optional(),
  insert: z.boolean().default(false),
});
export type AddChildInput = z.input<typeof AddChildRequest>;

/** Batch form for fan-outs of thousands: one transaction. */
export const AddChildrenRequest = z.strictObject({
  parentprocessid: processId,
  children: z
    .array(
      z.strictObject({ spec: FunctionSpec, nodename: text.optional(), childprocessid: processId.optional(), insert: z.boolean().default(false) }),
    )
    .min(1)
    .max(LIMITS.maxChildrenPerBatch),
});

/** An external event posted to a graph: an event node waiting for `name` consumes it, else it is kept for one. */
export const PostEventRequest = z.strictObject({
  name: text,
  /** The consuming node's output is [data]; null when none is given. */
  data: jsonValue.default(null),
});

/** A cron: a workflow submitted on a cron expression (5 fields, or 6 with seconds) or every `interval` seconds. */
export const AddCronRequest = z
  .strictObject({
    name: resourceName,
    /** The workflow inline, or `spec`: a registered one run with variables. */
    workflow: WorkflowSpec.optional(),
    spec: z
      .strictObject({
        name: resourceName,
        version: z.number().int().min(1).max(INT32_MAX).optional(),
        variables: z.record(z.string(), jsonValue).default({}),
      })
      .optional(),
    cronexpression: storableString().max(LIMITS.maxNameLength).optional(),
    interval: z.number().int().min(1).max(LIMITS.maxDeadlineSeconds).optional(),
    /** Skip a firing while the previous run's graph is still waiting or running. */
    waitforprevprocessgraph: z.boolean().default(false),
  })
  .refine((c) => (c.cronexpression ? 1 : 0) + (c.interval ? 1 : 0) === 1, {
    message: 'give exactly one of cronexpression and interval',
    path: ['cronexpression'],
  })
  .refine((c) => (c.workflow ? 1 : 0) + (c.spec ? 1 : 0) === 1, {
    message: 'give exactly one of workflow and spec',
    path: ['workflow'],
  });
export type AddCronInput = z.input<typeof AddCronRequest>;

/** How many functions one executor may declare. */
export const MAX_DECLARED_FUNCTIONS = 1000;

/** The functions an executor serves (its function table): replaces what it declared before. */
export const DeclareFunctionsRequest = z.strictObject({
  functions: z.array(text).max(MAX_DECLARED_FUNCTIONS),
});
