/** The index rows of a run's indexed variables: each value in the column its type searches by. */
import type { IndexedVar } from '../../store/sql/graphs.ts';
import type { VariableDeclarations } from '../../../protocol/variables.ts';

export function indexedVars(decls: VariableDeclarations, values: Record<string, unknown>): IndexedVar[] {
  const out: IndexedVar[] = [];
  for (const [varname, d] of Object.entries(decls)) {
    const v = values[varname];
    if (!d.index || v === undefined || v === null) continue;
    const row: IndexedVar = { varname, s: null, n: null, t: null };
    if (d.type === 'string' && d.format === 'date-time') row.t = v as string;
    else if (d.type === 'string') row.s = v as string;
    else if (d.type === 'integer' || d.type === 'number') row.n = v as number;
    else if (d.type === 'boolean') row.s = v === true ? 'true' : 'false';
    else row.json = v;
    out.push(row);
  }
  return out;
}
