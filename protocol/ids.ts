/**
 * Short ids: a prefix of a process or process graph id stands for the whole id when it is at least
 * MIN_ID_PREFIX characters long and no other id of its kind in the colony starts with it. The server
 * completes prefixes (GET /colonies/:colony/ids/:prefix, one index range scan per kind); whole ids need
 * no lookup.
 */
import { z } from 'zod';
import type { ProcessState } from './states.ts';
import { HEX_ID } from './signing.ts';

/** An id is 64 lowercase hex characters (32 random bytes). */
export const ID_LENGTH = 64;
/** Shorter prefixes would match too often to be worth a lookup (16^6 ≈ 17 million values). */
export const MIN_ID_PREFIX = 6;
/** At most this many ids of each kind are answered for one prefix: enough to show that it is ambiguous. */
export const MAX_ID_MATCHES = 10;

export const idPrefix = z
  .string()
  .min(MIN_ID_PREFIX, `an id prefix is at least ${MIN_ID_PREFIX} characters of the id`)
  .max(ID_LENGTH, `an id prefix is at most the whole id (${ID_LENGTH} characters)`)
  .regex(/^[0-9a-f]*$/, 'an id prefix is lowercase hex (0-9, a-f), as ids are');

/** Whether `s` is a whole id (then it is used as given, without a lookup). */
export const isWholeId = (s: string): boolean => HEX_ID.test(s);

const HEX = '0123456789abcdef';

/**
 * The least string above every id that starts with `prefix`: its last digit that is not an "f" raised
 * by one, the "f"s after it dropped ("3f2aff" → "3f2b"); "g" when it is all "f"s. Ids start with the
 * prefix exactly when `prefix <= id < prefixEnd(prefix)`: a range that a B-tree index on the id walks
 * whatever its collation (C, or a language's: both put 0-9 before a-f), unlike LIKE 'p%', which needs C
 * or text_pattern_ops.
 */
export function prefixEnd(prefix: string): string {
  const last = prefix.replace(/f+$/, '');
  if (last === '') return 'g';
  return last.slice(0, -1) + HEX[HEX.indexOf(last.at(-1)!) + 1]!;
}

/** An id that starts with a prefix, with what a person needs to tell it from the others. */
export type IdMatch =
  | {
      kind: 'process';
      id: string;
      state: ProcessState;
      submissiontime: string;
      funcname: string;
      nodename: string;
      /** The graph it belongs to; null for a standalone process. */
      processgraphid: string | null;
    }
  | {
      kind: 'processgraph';
      id: string;
      state: ProcessState;
      submissiontime: string;
      /** The run's name ('' for an unnamed submit). */
      name: string;
      processcount: number;
    };

export type IdKind = IdMatch['kind'];

/** The answer of GET …/ids/:prefix: the colony's processes, then its process graphs, whose id starts with the prefix, each in id order. */
export interface IdMatches {
  prefix: string;
  matches: IdMatch[];
}
