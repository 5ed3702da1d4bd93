/**
 * Short ids: wherever the CLI takes a process or process graph id, any prefix of it of at least 6
 * characters will do when no other id of its kind in the colony starts with it. A whole id is used as
 * given (no round trip); a prefix is completed by the server (GET …/ids/:prefix).
 */
import type { ColoniesClient } from '../executor/client.ts';
import { ColoniesError } from '../executor/transport.ts';
import { ID_LENGTH, idPrefix, isWholeId, MAX_ID_MATCHES, type IdKind, type IdMatch } from '../protocol/ids.ts';
import { CliError, EXIT } from './errors.ts';
import { formatTime } from './output.ts';

const NOUN: Record<IdKind, string> = { process: 'process', processgraph: 'workflow' };
const NOT_FOUND = { process: 'PROCESS_NOT_FOUND', processgraph: 'PROCESSGRAPH_NOT_FOUND' } as const;
const GET = { process: 'colonies process get -p', processgraph: 'colonies workflow get -g' };

/** A match in a few words: what it runs or is called, its state and when it was submitted. */
export function describeMatch(m: IdMatch): string {
  const what =
    m.kind === 'process'
      ? `${m.funcname}${m.nodename && m.nodename !== m.funcname ? ` (node ${m.nodename})` : ''}${m.processgraphid ? ` in workflow ${m.processgraphid.slice(0, 12)}` : ''}`
      : `${m.name || 'unnamed'}, ${m.processcount} processes`;
  return `${what}, ${m.state}, submitted ${formatTime(m.submissiontime)}`;
}

/**
 * The whole id that `given` stands for. `flag` names where it came from (--processid, say) in errors:
 * a malformed or too short one is a usage error (exit 2), as is a prefix of several ids (the error lists
 * them); one that starts no id of the kind is the kind's not-found error (exit 5).
 */
export async function resolveId(client: ColoniesClient, kind: IdKind, given: string, flag: string): Promise<string> {
  if (isWholeId(given)) return given;
  const checked = idPrefix.safeParse(given);
  if (!checked.success) {
    const why = checked.error.issues[0]?.message ?? 'not an id';
    throw new CliError('USAGE', `${flag} "${given}": ${why} (the whole id is ${ID_LENGTH} characters)`, EXIT.usage);
  }
  const { matches } = await client.findIds(given);
  const mine = matches.filter((m) => m.kind === kind);
  if (mine.length === 1) return mine[0]!.id;
  const noun = NOUN[kind];
  if (mine.length === 0) {
    // The id of the other kind, perhaps: say which command takes it.
    const other = matches.find((m) => m.kind !== kind);
    const hint = other ? ` (${NOUN[other.kind]} ${other.id} does: ${GET[other.kind]} ${other.id.slice(0, 12)})` : '';
    throw new ColoniesError(NOT_FOUND[kind], `no ${noun} id in colony "${client.colonyname}" starts with ${given}${hint}`, 404);
  }
  const more = mine.length >= MAX_ID_MATCHES ? ' and maybe more' : '';
  throw new CliError(
    'AMBIGUOUS_ID',
    `${flag} ${given} is the start of ${mine.length}${more} ${noun} ids; give more of it: ${mine.map((m) => `${m.id} (${describeMatch(m)})`).join('; ')}`,
    EXIT.usage,
  );
}
