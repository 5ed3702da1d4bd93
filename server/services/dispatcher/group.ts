export function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const g = groups.get(key(item));
    if (g) g.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}
