/** Short ids: the colony's processes and process graphs whose id starts with a prefix (protocol/ids.ts). */
import { MAX_ID_MATCHES, type IdMatches } from '../../protocol/ids.ts';
import { idsSql } from '../store/sql/ids.ts';
import type { ServiceDeps } from './context.ts';

const iso = (d: Date | string) => new Date(d).toISOString();

export function createIdService({ db }: Pick<ServiceDeps, 'db'>) {
  return {
    async find(colonyname: string, prefix: string): Promise<IdMatches> {
      const processes = await idsSql.processes(db, colonyname, prefix, MAX_ID_MATCHES);
      const graphs = await idsSql.processgraphs(db, colonyname, prefix, MAX_ID_MATCHES);
      return {
        prefix,
        matches: [
          ...processes.map((r) => ({ kind: 'process' as const, ...r, submissiontime: iso(r.submissiontime) })),
          ...graphs.map((r) => ({ kind: 'processgraph' as const, ...r, submissiontime: iso(r.submissiontime) })),
        ],
      };
    },
  };
}

export type IdService = ReturnType<typeof createIdService>;
