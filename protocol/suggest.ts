/** "Did you mean …?": the known name a misspelt one most likely stands for (a field, a filter). */

/** Edits (insert, delete, substitute, swap two neighbours) that turn a into b: the optimal string alignment distance. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        rows[0]!.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]!.push(d);
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The known name `name` most likely stands for: the same name in another case; else the nearest within
 * 2 edits (3 for names of 8 characters or more, so that "maxretry" finds "maxretries"), never a name
 * further from it than it is long, ties going to the first in `known`; else the one known name it
 * begins (4 characters or more: "func" finds "funcname"). Undefined when none is close.
 */
export function closestName(name: string, known: Iterable<string>): string | undefined {
  const lower = name.toLowerCase();
  const limit = Math.min(name.length >= 8 ? 3 : 2, name.length - 1);
  let best: string | undefined;
  let bestDistance = Infinity;
  const extending: string[] = [];
  for (const k of known) {
    if (k === name) continue;
    const kl = k.toLowerCase();
    if (kl === lower) return k;
    const d = editDistance(lower, kl);
    if (d <= limit && d < bestDistance) [best, bestDistance] = [k, d];
    if (lower.length >= 4 && kl.startsWith(lower)) extending.push(k);
  }
  return best ?? (extending.length === 1 ? extending[0] : undefined);
}
