/**
 * Processes and graphs whose ids the test chooses (several sharing a prefix, say: random ids never do),
 * written into the fixture's store as the server writes them. A process is WAITING and standalone; a
 * graph is WAITING with no processes.
 */
import { FunctionSpec } from '../../protocol/schemas.ts';
import { processesSql } from '../../server/store/sql/processes.ts';
import type { ColonyFixture, Fixture } from './fixture.ts';

/** `prefix` followed by random hex up to an id's 64 characters. */
export function idWithPrefix(prefix: string): string {
  let id = prefix;
  while (id.length < 64) id += Math.floor(Math.random() * 16).toString(16);
  return id;
}

export async function addProcessWithId(f: Fixture, c: ColonyFixture, processid: string, funcname = 'f'): Promise<void> {
  const spec = FunctionSpec.parse({ funcname, executortype: 'chosen-ids', nodename: funcname });
  await processesSql.insert(
    f.testDb.db,
    [
      {
        processid,
        colonyname: c.colonyname,
        processgraphid: null,
        spec,
        prioritytime: 0,
        input: [],
        waitingparents: 0,
        parents: [],
        children: [],
        initiatorid: c.user.id,
      },
    ],
    new Date(),
  );
}

export async function addGraphWithId(f: Fixture, c: ColonyFixture, processgraphid: string, name: string): Promise<void> {
  await f.testDb.db.query(
    `INSERT INTO processgraphs (processgraphid, colonyname, state, initiatorid, processcount, submissiontime, name) VALUES ($1, $2, 'WAITING', $3, 0, $4, $5)`,
    [processgraphid, c.colonyname, c.user.id, new Date(), name],
  );
}
