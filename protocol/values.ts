/**
 * The values the store can hold, as zod schemas every string and JSON field of the wire is built from.
 * PostgreSQL refuses the NUL character and lone surrogates (UTF-16 halves without their pair) in text
 * and jsonb, and `int` columns hold 32 bits; JSON.parse turns a number too large for a double into
 * Infinity, which JSON cannot write back. A request holding one is refused here, naming the field,
 * rather than by the database. The server and the CLI's spec checks share these rules (protocol/schemas.ts).
 */
import { z } from 'zod';

/** The largest value of a PostgreSQL `int` column (attempt, count, retries…). */
export const INT32_MAX = 2_147_483_647;

/** Deepest nesting of a JSON value (args, kwargs, out): deeper ones would only exhaust recursive encoders. */
export const MAX_JSON_DEPTH = 100;

const NUL_MESSAGE = 'strings may not contain the NUL character (\\u0000)';
const SURROGATE_MESSAGE = 'strings may not contain a lone surrogate (\\ud800-\\udfff)';

// With the u flag a surrogate pair is one code point, so \p{Cs} matches only the halves left alone.
const UNSTORABLE = /[\0\p{Cs}]/u;

/** Why the store cannot hold this string, or undefined when it can. */
export function unstorableText(s: string): string | undefined {
  if (!UNSTORABLE.test(s)) return undefined;
  return s.includes('\0') ? NUL_MESSAGE : SURROGATE_MESSAGE;
}

/** A string the store can hold (chain .min/.max on it like on z.string()). */
export const storableString = () =>
  z.string().superRefine((s, ctx) => {
    const why = unstorableText(s);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  });

/** The first problem of a JSON value for the store, with its path inside the value; undefined when there is none. */
export function jsonProblem(value: unknown): { path: PropertyKey[]; message: string } | undefined {
  const path: PropertyKey[] = [];
  const message = walk(value, path);
  return message === undefined ? undefined : { path, message };
}

// Recursion is safe: it stops at MAX_JSON_DEPTH. The path is one array, grown and shrunk on the way.
function walk(v: unknown, path: PropertyKey[]): string | undefined {
  if (typeof v === 'string') return unstorableText(v);
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : 'numbers must be finite (JSON has no Infinity or NaN)';
  if (v === null || typeof v !== 'object') return undefined;
  if (path.length >= MAX_JSON_DEPTH) return `JSON values may nest at most ${MAX_JSON_DEPTH} levels deep`;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      const why = walk(v[i], path);
      if (why !== undefined) return why;
      path.pop();
    }
    return undefined;
  }
  for (const key of Object.keys(v)) {
    path.push(key);
    // A "__proto__" key would replace the prototype of whatever object a client copies it into.
    if (key === '__proto__') return 'the key "__proto__" is not accepted';
    const bad = unstorableText(key);
    if (bad) return `keys: ${bad}`;
    const why = walk((v as Record<string, unknown>)[key], path);
    if (why !== undefined) return why;
    path.pop();
  }
  return undefined;
}

function checkJson(v: unknown, ctx: z.core.$RefinementCtx<unknown>): void {
  const problem = jsonProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
}

/** Any JSON value the store can hold: every string and key storable, numbers finite, nesting bounded. */
export const jsonValue = z.unknown().superRefine(checkJson);

/** A JSON object of storable values (kwargs), passed on as it came: not rebuilt, so "__proto__" is refused, not dropped. */
export const jsonObject = z
  .custom<Record<string, unknown>>((v) => v !== null && typeof v === 'object' && !Array.isArray(v), 'expected an object')
  .superRefine(checkJson);
