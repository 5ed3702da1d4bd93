/**
 * Zod issues as every part of Colonies reports them: a flat list of {path, message} and a one-line
 * summary. The server, the WebSocket hub and the CLI's spec checks all use this, so a bad spec reads
 * the same wherever it is caught.
 */
import type { z } from 'zod';

export interface Issue {
  /** Dot-joined, e.g. "body.functionspecs.0.funcname"; empty for the value itself. */
  path: string;
  message: string;
}

/**
 * A union's issue says only "Invalid input" at the union's path (e.g. a workflow, which is an object or
 * a bare array). Report instead the issues of the branch that matched the value's shape: the one whose
 * issues lie deepest. When every branch fails at the root, the union's own issue stays.
 */
function flatten(issue: z.core.$ZodIssue, prefix: PropertyKey[]): { path: PropertyKey[]; message: string }[] {
  const path = [...prefix, ...issue.path];
  // Each unknown key is an issue at its own path, so that the reply names it (a misspelt filter, say).
  if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => ({ path: [...path, k], message: `unknown field "${k}"` }));
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const depth = (branch: z.core.$ZodIssue[]) => Math.min(...branch.map((i) => i.path.length));
    const best = issue.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
    if (best.length > 0 && depth(best) > 0) return best.flatMap((i) => flatten(i, path));
  }
  return [{ path, message: issue.message }];
}

/** Every issue of a failed parse, each path under `prefix` (e.g. ['body'] or ['path', 'id']). */
export function flattenIssues(error: z.ZodError, prefix: readonly string[] = []): Issue[] {
  return error.issues.flatMap((i) => flatten(i, [...prefix])).map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/** "path: message", or the message alone for an issue with the value itself. */
export function issueLine(issue: Issue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

/** The first issue, and how many more there are: "body.count: Too big (and 2 more)". */
export function summarizeIssues(issues: readonly Issue[]): string {
  const first = issues[0];
  if (!first) return 'invalid';
  return issueLine(first) + (issues.length > 1 ? ` (and ${issues.length - 1} more)` : '');
}
