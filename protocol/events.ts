/** Live events and the WebSocket protocol at /api/v1/ws. Events are scoped to one colony. */
import { z } from 'zod';
import type { ProcessState } from './states.ts';
import type { ColonyStats, LogEntry, Process, ProcessGraphWithProcesses } from './types.ts';
import type { ErrorCode } from './errors.ts';
import { identityId, processId, resourceName } from './schemas.ts';

export type ColonyEvent =
  | {
      type: 'process';
      colonyname: string;
      processid: string;
      processgraphid: string | null;
      nodename: string;
      funcname: string;
      executortype: string;
      state: ProcessState;
      retries: number;
      assignedexecutorid: string | null;
      time: string;
    }
  | {
      type: 'processgraph';
      colonyname: string;
      processgraphid: string;
      state: ProcessState;
      time: string;
      /** When the run starts (WAITING): its name, its spec, and who started it (a user's or executor's name, or `cron N`). */
      name?: string;
      specname?: string | null;
      startedby?: string;
    }
  /** add_child changed a graph's shape: subscribers that draw it fetch it again. */
  | { type: 'processes-added'; colonyname: string; processgraphid: string; parentprocessid: string; count: number; time: string }
  | ({ type: 'log'; colonyname: string; processgraphid: string | null } & LogEntry)
  /** An external event was posted to a graph: consumed by the event node `processid`, or kept (null) until one reaches it. */
  | { type: 'graph-event'; colonyname: string; processgraphid: string; eventid: string; name: string; processid: string | null; time: string };

export { WS_PATH } from './signing.ts';

/** The hello is signed like an HTTP request with method WS, path /api/v1/ws and an empty body. */
export const WsHello = z.object({
  type: z.literal('hello'),
  id: identityId,
  timestamp: z.string(),
  nonce: z.string(),
  signature: z.string(),
});

export const WsSubscribe = z.object({
  type: z.literal('subscribe'),
  /** The client's name for this subscription; echoed on every message for it. */
  sub: z.string().min(1).max(100),
  colonyname: resourceName,
  processid: processId.optional(),
  processgraphid: processId.optional(),
});

export const WsUnsubscribe = z.object({ type: z.literal('unsubscribe'), sub: z.string().min(1).max(100) });

export const WsClientMessage = z.discriminatedUnion('type', [WsHello, WsSubscribe, WsUnsubscribe]);
export type WsClientMessage = z.infer<typeof WsClientMessage>;

export type WsSnapshot =
  | { of: 'process'; process: Process; logs: LogEntry[] }
  | { of: 'processgraph'; processgraph: ProcessGraphWithProcesses }
  | { of: 'colony'; stats: ColonyStats };

export type WsServerMessage =
  | { type: 'welcome'; id: string }
  | { type: 'subscribed'; sub: string }
  | { type: 'snapshot'; sub: string; snapshot: WsSnapshot }
  | { type: 'event'; sub: string; event: ColonyEvent }
  | { type: 'error'; sub?: string; error: { code: ErrorCode; message: string } };
