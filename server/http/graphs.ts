import { Router } from 'express';
import { AddChildRequest, AddChildrenRequest, ForceQuery, ListGraphsQuery, RemoveAllQuery, WorkflowSpec, processId } from '../../protocol/schemas.ts';
import { inColony, param, parse, type RouteDeps } from './context.ts';

export function graphsRouter(deps: RouteDeps): Router {
  const r = Router();
  const { graphs } = deps.services;
  const gid = (req: Parameters<typeof param>[0]) => parse(processId, param(req, 'id'), 'path.id');

  r.post('/colonies/:colony/processgraphs', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    const wf = parse(WorkflowSpec, req.body);
    res.status(201).json(await graphs.submit(m.colonyname, wf.functionspecs, m.id));
  });
  r.get('/colonies/:colony/processgraphs', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    res.json(await graphs.list(m.colonyname, parse(ListGraphsQuery, req.query, 'query')));
  });
  r.delete('/colonies/:colony/processgraphs', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    res.json({ removed: await graphs.removeAll(m.colonyname, parse(RemoveAllQuery, req.query, 'query').state) });
  });
  r.get('/colonies/:colony/processgraphs/:id', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    res.json(await graphs.getWithProcesses(m.colonyname, gid(req)));
  });
  r.get('/colonies/:colony/processgraphs/:id/nodes/:nodename', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    res.json(await graphs.findProcess(m.colonyname, gid(req), param(req, 'nodename')));
  });
  r.post('/colonies/:colony/processgraphs/:id/cancel', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    res.json(await graphs.cancel(m.colonyname, gid(req)));
  });
  r.delete('/colonies/:colony/processgraphs/:id', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    await graphs.remove(m.colonyname, gid(req), parse(ForceQuery, req.query, 'query').force === 'true');
    res.status(204).end();
  });
  r.post('/colonies/:colony/processgraphs/:id/children', async (req, res) => {
    const m = await inColony(deps, req, 'executor');
    const body = parse(AddChildRequest, req.body);
    const [child] = await graphs.addChildren(m.colonyname, gid(req), m.id, body.parentprocessid, [body]);
    res.status(201).json(child);
  });
  r.post('/colonies/:colony/processgraphs/:id/children/batch', async (req, res) => {
    const m = await inColony(deps, req, 'executor');
    const body = parse(AddChildrenRequest, req.body);
    res.status(201).json(await graphs.addChildren(m.colonyname, gid(req), m.id, body.parentprocessid, body.children));
  });
  return r;
}
