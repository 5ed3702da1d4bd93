import { Router } from 'express';
import { AddCronRequest } from '../../protocol/schemas.ts';
import { inColony, param, parse, type RouteDeps } from './context.ts';

export function cronsRouter(deps: RouteDeps): Router {
  const r = Router();
  const { crons } = deps.services;

  r.post('/colonies/:colony/crons', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    const body = parse(AddCronRequest, req.body);
    res.status(201).json(
      await crons.add(m.colonyname, m.id, {
        name: body.name,
        functionspecs: body.workflow.functionspecs,
        cronexpression: body.cronexpression,
        interval: body.interval,
        waitforprevprocessgraph: body.waitforprevprocessgraph,
      }),
    );
  });
  r.get('/colonies/:colony/crons', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    res.json(await crons.list(m.colonyname));
  });
  r.get('/colonies/:colony/crons/:name', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    res.json(await crons.get(m.colonyname, param(req, 'name')));
  });
  r.delete('/colonies/:colony/crons/:name', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    await crons.remove(m.colonyname, param(req, 'name'));
    res.status(204).end();
  });
  r.post('/colonies/:colony/crons/:name/run', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    res.json(await crons.run(m.colonyname, param(req, 'name')));
  });
  return r;
}
