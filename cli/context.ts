/**
 * Who the CLI talks to and as whom: flags first, then the COLONIES_* environment (executor/env.ts).
 * Commands declare the identity they act as; the matching key option is added to their help.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ColoniesClient } from '../executor/client.ts';
import { clientEnv } from '../executor/env.ts';
import { isPrivateKey } from '../protocol/crypto.ts';
import { CliError, EXIT, usage } from './errors.ts';

/** member: a user (or any member) of the colony; owner: the colony owner; server: the server owner. */
export type Identity = 'member' | 'owner' | 'server';

export interface ConnectionFlags {
  url?: string;
  colony?: string;
  prvkey?: string;
  colonyPrvkey?: string;
  serverPrvkey?: string;
}

const GROUP = 'Connection (flags override the COLONIES_* environment):';

/** Adds --url, --colony (unless the command is not colony-scoped) and the key option of the identity. */
export function withConnection(cmd: Command, who: Identity, o: { colony?: boolean } = {}): Command {
  cmd.addOption(new Option('--url <url>', 'server URL [env COLONIES_SERVER_URL, or COLONIES_SERVER_HOST + COLONIES_SERVER_PORT]').helpGroup(GROUP));
  if (o.colony !== false) cmd.addOption(new Option('--colony <name>', 'colony to work in [env COLONIES_COLONY_NAME]').helpGroup(GROUP));
  if (who === 'member')
    cmd.addOption(new Option('--prvkey <key>', 'your private key [env COLONIES_PRVKEY, else COLONIES_COLONY_PRVKEY]').helpGroup(GROUP));
  if (who === 'owner')
    cmd.addOption(new Option('--colony-prvkey <key>', "the colony owner's private key [env COLONIES_COLONY_PRVKEY]").helpGroup(GROUP));
  if (who === 'server')
    cmd.addOption(new Option('--server-prvkey <key>', "the server owner's private key [env COLONIES_SERVER_PRVKEY]").helpGroup(GROUP));
  return cmd;
}

export function serverUrlOf(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): string {
  const url = flags.url ?? clientEnv(env).url;
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
  } catch {
    throw usage(`"${url}" is not an http(s) URL (--url or COLONIES_SERVER_URL)`);
  }
  return url;
}

/** The private key of the identity, checked for shape; a missing key is a usage error naming where to put it. */
export function keyOf(flags: ConnectionFlags, who: Identity, env: NodeJS.ProcessEnv = process.env): string {
  const e = clientEnv(env);
  const [key, where] =
    who === 'member'
      ? [flags.prvkey ?? e.prvkey ?? e.colonyPrvkey, 'set COLONIES_PRVKEY or pass --prvkey']
      : who === 'owner'
        ? [flags.colonyPrvkey ?? e.colonyPrvkey, "this needs the colony owner's key: set COLONIES_COLONY_PRVKEY or pass --colony-prvkey"]
        : [flags.serverPrvkey ?? e.serverPrvkey, "this needs the server owner's key: set COLONIES_SERVER_PRVKEY or pass --server-prvkey"];
  if (!key) throw new CliError('MISSING_KEY', `no private key: ${where} (source .colonies/dev.env after "colonies dev")`, EXIT.usage);
  if (!isPrivateKey(key)) throw new CliError('BAD_KEY', 'a private key is 64 lowercase hex characters (see "colonies key generate")', EXIT.usage);
  return key;
}

export function colonyOf(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): string {
  const c = flags.colony ?? clientEnv(env).colonyname;
  if (!c) throw new CliError('MISSING_COLONY', 'no colony: set COLONIES_COLONY_NAME or pass --colony', EXIT.usage);
  return c;
}

/** A client signing as the identity; bound to the colony unless the command is server-wide. */
export function clientFor(flags: ConnectionFlags, who: Identity, o: { colony?: boolean } = {}): ColoniesClient {
  const url = serverUrlOf(flags);
  const prvkey = keyOf(flags, who);
  return new ColoniesClient(o.colony === false ? { url, prvkey } : { url, prvkey, colonyname: colonyOf(flags) });
}

/** Option parsers: bad values are usage errors (exit 2) reported by commander. */
export function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

export function integer(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be an integer');
  return n;
}

export function nonNegativeNumber(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number, 0 or more');
  return n;
}

export function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

/** `--spec` examples and other help text end with this. */
export function examples(cmd: Command, lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => (l ? `  ${l}` : '')).join('\n')}`);
}
