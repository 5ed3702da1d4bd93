import { Router } from 'express';
import { AddColonyRequest, AddExecutorRequest, AddUserRequest, resourceName } from '../../protocol/schemas.ts';
import { callerId, inColony, param, parse, type RouteDeps } from './context.ts';

export function coloniesRouter(deps: RouteDeps): Router {
  const r = Router();
  const { colonies, processes, graphs } = deps.services;

  // Server owner: the colonies themselves.
  r.post('/colonies', async (req, res) => {
    deps.authorize.serverOwner(callerId(req));
    const body = parse(AddColonyRequest, req.body);
    res.status(201).json(await colonies.addColony(body.colonyname, body.colonyid));
  });
  r.get('/colonies', async (req, res) => {
    deps.authorize.serverOwner(callerId(req));
    res.json(await colonies.listColonies());
  });
  r.delete('/colonies/:colony', async (req, res) => {
    deps.authorize.serverOwner(callerId(req));
    await colonies.removeColony(parse(resourceName, param(req, 'colony'), 'path.colony'));
    res.status(204).end();
  });

  // Members.
  r.get('/colonies/:colony', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    res.json(await colonies.getColony(m.colonyname));
  });
  r.get('/colonies/:colony/stats', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    const [p, g, executors] = await Promise.all([processes.stats(m.colonyname), graphs.stats(m.colonyname), colonies.listExecutors(m.colonyname)]);
    res.json({ processes: p, processgraphs: g, executors: executors.length });
  });
  r.get('/colonies/:colony/executors', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    res.json(await colonies.listExecutors(m.colonyname));
  });
  r.get('/colonies/:colony/executors/:name', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    res.json(await colonies.getExecutor(m.colonyname, param(req, 'name')));
  });

  // Colony owner: executors and users.
  r.post('/colonies/:colony/executors', async (req, res) => {
    const m = await inColony(deps, req, 'owner');
    res.status(201).json(await colonies.addExecutor(m.colonyname, parse(AddExecutorRequest, req.body)));
  });
  r.post('/colonies/:colony/executors/:name/approve', async (req, res) => {
    const m = await inColony(deps, req, 'owner');
    res.json(await colonies.setExecutorState(m.colonyname, param(req, 'name'), 'APPROVED'));
  });
  r.post('/colonies/:colony/executors/:name/reject', async (req, res) => {
    const m = await inColony(deps, req, 'owner');
    res.json(await colonies.setExecutorState(m.colonyname, param(req, 'name'), 'REJECTED'));
  });
  r.delete('/colonies/:colony/executors/:name', async (req, res) => {
    const m = await inColony(deps, req, 'owner');
    await colonies.removeExecutor(m.colonyname, param(req, 'name'));
    res.status(204).end();
  });
  r.post('/colonies/:colony/users', async (req, res) => {
    const m = await inColony(deps, req, 'owner');
    const body = parse(AddUserRequest, req.body);
    res.status(201).json(await colonies.addUser(m.colonyname, body.username, body.userid));
  });
  r.get('/colonies/:colony/users', async (req, res) => {
    const m = await inColony(deps, req, 'member');
    res.json(await colonies.listUsers(m.colonyname));
  });
  r.delete('/colonies/:colony/users/:name', async (req, res) => {
    const m = await inColony(deps, req, 'owner');
    await colonies.removeUser(m.colonyname, param(req, 'name'));
    res.status(204).end();
  });
  return r;
}
