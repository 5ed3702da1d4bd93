/**
 * When a cron fires next. Expressions are parsed and validated by node-cron (5 fields, or 6 with
 * seconds); the search for the next matching second is ours, because it must run on the injected
 * clock rather than on the wall clock. Times are in the server's local time zone (TZ), as cron's are.
 */
import cron from 'node-cron';

export interface CronCheck {
  valid: boolean;
  errors: string[];
}

export function checkCronExpression(expression: string): CronCheck {
  const r = cron.validateDetailed(expression);
  return { valid: r.valid, errors: r.errors.map((e) => `${e.field}: ${e.message}`) };
}

interface Matcher {
  seconds: Set<number>;
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number>;
  months: Set<number>;
  daysOfWeek: Set<number>;
  /** Vixie cron: when both day fields are restricted, a day matching either one is a match. */
  eitherDay: boolean;
}

function matcher(expression: string): Matcher {
  const f = cron.parse(expression);
  const fields = expression.trim().split(/\s+/);
  const [dom, dow] = fields.length === 6 ? [fields[3], fields[5]] : [fields[2], fields[4]];
  const nums = (xs: (number | string)[]) => new Set(xs.map(Number).filter((n) => Number.isInteger(n)));
  const restricted = (x: string | undefined) => x !== undefined && x !== '*' && x !== '?';
  return {
    seconds: new Set(f.second),
    minutes: new Set(f.minute),
    hours: new Set(f.hour),
    daysOfMonth: nums(f.dayOfMonth),
    months: new Set(f.month),
    daysOfWeek: new Set([...nums(f.dayOfWeek)].map((d) => d % 7)),
    eitherDay: restricted(dom) && restricted(dow),
  };
}

function dayMatches(m: Matcher, d: Date): boolean {
  if (!m.months.has(d.getMonth() + 1)) return false;
  const dom = m.daysOfMonth.has(d.getDate());
  const dow = m.daysOfWeek.has(d.getDay());
  return m.eitherDay ? dom || dow : dom && dow;
}

/** The first matching time strictly after `after` (within ~5 years), or null when none exists. */
export function nextCronTime(expression: string, after: Date): Date | null {
  const m = matcher(expression);
  const t = new Date(after.getTime());
  t.setMilliseconds(0);
  t.setSeconds(t.getSeconds() + 1);
  const limit = after.getTime() + 5 * 366 * 24 * 3600 * 1000;
  while (t.getTime() <= limit) {
    if (!dayMatches(m, t)) {
      t.setDate(t.getDate() + 1);
      t.setHours(0, 0, 0, 0);
      continue;
    }
    if (!m.hours.has(t.getHours())) {
      t.setHours(t.getHours() + 1, 0, 0, 0);
      continue;
    }
    if (!m.minutes.has(t.getMinutes())) {
      t.setMinutes(t.getMinutes() + 1, 0, 0);
      continue;
    }
    if (!m.seconds.has(t.getSeconds())) {
      t.setSeconds(t.getSeconds() + 1, 0);
      continue;
    }
    return t;
  }
  return null;
}

/** Next firing of an interval schedule: on the grid started at `anchor`, strictly after `after` (no drift). */
export function nextIntervalTime(anchor: Date, intervalSeconds: number, after: Date): Date {
  const step = intervalSeconds * 1000;
  const k = Math.floor((after.getTime() - anchor.getTime()) / step) + 1;
  return new Date(anchor.getTime() + Math.max(1, k) * step);
}
