/** The `var` filters of a search: `name=value`, or `name>=v` (and >, <=, <) on numbers and times, typed by the declarations. */
import { AppError } from '../../errors.ts';
import type { VarFilter } from '../../store/sql/graphs.ts';
import { declared, isDateTime, typeLabel, type VariableDeclarations } from '../../../protocol/variables.ts';

const FILTER = /^([A-Za-z0-9][A-Za-z0-9._-]*)(>=|<=|=|>|<)(.*)$/s;

const bad = (message: string) => new AppError('VALIDATION_FAILED', `query.var: ${message}`, { issues: [{ path: 'query.var', message }] });

export function parseVarFilters(decls: VariableDeclarations, raw: string[], specname: string): VarFilter[] {
  return raw.map((f) => {
    const m = FILTER.exec(f);
    if (!m) throw bad(`"${f}" is not a filter: name=value, or name>=value (>, <=, <) for numbers and times`);
    const [, varname, op, text] = m as unknown as [string, string, VarFilter['op'], string];
    const d = declared(decls, varname);
    if (!d) throw bad(`variable "${varname}" is not declared by workflow spec "${specname}"`);
    if (!d.index) throw bad(`variable "${varname}" is not indexed (declare it with "index": true to search by it)`);
    const ranged = d.type === 'integer' || d.type === 'number' || d.format === 'date-time';
    if (op !== '=' && !ranged) throw bad(`variable "${varname}" (${typeLabel(d)}): ranges are for numbers and times; use =`);
    const wrong = () => bad(`variable "${varname}" (${typeLabel(d)}): "${text}" is not a value of its type`);
    switch (d.type) {
      case 'integer':
      case 'number': {
        const n = Number(text);
        if (text.trim() === '' || !Number.isFinite(n) || (d.type === 'integer' && !Number.isSafeInteger(n))) throw wrong();
        return { varname, column: 'n', op, value: n };
      }
      case 'boolean':
        if (text !== 'true' && text !== 'false') throw wrong();
        return { varname, column: 's', op, value: text };
      case 'json':
        try {
          JSON.parse(text);
        } catch {
          throw wrong();
        }
        return { varname, column: 'j', op, value: text };
      case 'string':
        if (d.format === 'date-time') {
          if (!isDateTime(text)) throw wrong();
          return { varname, column: 't', op, value: text };
        }
        return { varname, column: 's', op, value: text };
    }
  });
}
