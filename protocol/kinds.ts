/** Node kinds, pure and dependency-free (the dashboard reads them too): what runs a node. */
/** What runs a node: an executor's function, or the server itself (it waits for an event, a time, a user). */
export const NODE_KINDS = ['function', 'event', 'sleep', 'usertask'] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

/** The executor type a server node is stored under: no executor can have it (names start with a letter or digit). */
export const serverExecutorType = (kind: NodeKind): string => `:${kind}`;

/** Whether the server runs the node itself. */
export const isServerNode = (spec: { kind?: string | undefined }): boolean => spec.kind !== undefined && spec.kind !== 'function';
