/**
 * The deadline rule, once for SQL and once for TypeScript: maxwaittime and maxexectime are seconds,
 * and a value ≤ 0 means no deadline (see docs/architecture.md, Process semantics).
 */

/**
 * SQL: `now` (a timestamptz expression) plus `seconds` (an int expression), or `otherwise` when
 * `seconds` ≤ 0 or the condition `when` does not hold.
 */
export function deadlineSql(now: string, seconds: string, when?: string, otherwise = 'NULL'): string {
  return `CASE WHEN ${when ? `${when} AND ` : ''}${seconds} > 0 THEN ${now}::timestamptz + make_interval(secs => ${seconds}) ELSE ${otherwise} END`;
}

/** TypeScript: the deadline `seconds` after `now` as an ISO string, or null when `seconds` ≤ 0. */
export function deadlineAt(now: Date, seconds: number): string | null {
  return seconds > 0 ? new Date(now.getTime() + seconds * 1000).toISOString() : null;
}
