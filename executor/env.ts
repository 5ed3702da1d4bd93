/** The SDK's and CLI's settings from COLONIES_* environment variables (ColonyOS names where they exist). */
export interface ClientEnv {
  url: string;
  prvkey: string | undefined;
  colonyname: string | undefined;
  colonyPrvkey: string | undefined;
  serverPrvkey: string | undefined;
  executortype: string | undefined;
  executorname: string | undefined;
  executorPrvkey: string | undefined;
}

export const CLIENT_ENV_VARS = {
  COLONIES_SERVER_URL: 'Server base URL (overrides host and port), e.g. http://localhost:50080.',
  COLONIES_SERVER_HOST: 'Server host (default localhost).',
  COLONIES_SERVER_PORT: 'Server port (default 50080).',
  COLONIES_PRVKEY: 'Private key of the user or executor making requests.',
  COLONIES_COLONY_NAME: 'Colony to work in.',
  COLONIES_COLONY_PRVKEY: "Colony owner's private key (registering executors, adding users).",
  COLONIES_SERVER_PRVKEY: "Server owner's private key (adding and removing colonies).",
  COLONIES_EXECUTOR_TYPE: 'Executor type an executor serves.',
  COLONIES_EXECUTOR_NAME: 'Executor name.',
  COLONIES_EXECUTOR_PRVKEY: "An executor's own private key (`colonies executor start`; `colonies dev` writes one).",
} as const;

/** `env` is typed without Node's namespace so the SDK's declarations need no @types/node. */
export function clientEnv(env: Record<string, string | undefined> = process.env): ClientEnv {
  const host = env.COLONIES_SERVER_HOST || 'localhost';
  const port = env.COLONIES_SERVER_PORT || '50080';
  return {
    url: env.COLONIES_SERVER_URL || `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`,
    prvkey: env.COLONIES_PRVKEY || undefined,
    colonyname: env.COLONIES_COLONY_NAME || undefined,
    colonyPrvkey: env.COLONIES_COLONY_PRVKEY || undefined,
    serverPrvkey: env.COLONIES_SERVER_PRVKEY || undefined,
    executortype: env.COLONIES_EXECUTOR_TYPE || undefined,
    executorname: env.COLONIES_EXECUTOR_NAME || undefined,
    executorPrvkey: env.COLONIES_EXECUTOR_PRVKEY || undefined,
  };
}
