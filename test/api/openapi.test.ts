import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { startFixture, type Fixture } from '../helpers/fixture.ts';
import { ROUTES } from '../../protocol/routes.ts';
import { appRoutes } from '../helpers/routes.ts';

let f: Fixture;
before(async () => {
  f = await startFixture();
});
after(() => f.close());

test('the server serves exactly the routes of protocol/routes.ts under /api/v1', () => {
  const found = appRoutes(f.server.app);
  const signed = [...found].filter((r) => r.includes('/api/v1/') && !r.endsWith('/version') && !r.endsWith('/openapi.json')).sort();
  assert.deepEqual(signed, ROUTES.map((r) => `${r.method} /api/v1${r.path}`).sort());
});

test('GET /api/v1/openapi.json describes every route, unauthenticated', async () => {
  const res = await request(f.url).get('/api/v1/openapi.json').expect(200);
  const doc = res.body as {
    openapi: string;
    paths: Record<string, Record<string, { requestBody?: unknown; parameters: { name: string; in: string }[] }>>;
  };
  assert.equal(doc.openapi, '3.1.0');
  const operations = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
  assert.equal(operations.length, ROUTES.length);
  const assign = doc.paths['/api/v1/colonies/{colony}/processes/assign']!.post!;
  assert.ok(assign.requestBody, 'bodies carry their JSON schema');
  const list = doc.paths['/api/v1/colonies/{colony}/processes']!.get!;
  assert.deepEqual(list.parameters.map((p) => `${p.in}:${p.name}`).sort(), [
    'path:colony',
    'query:count',
    'query:executortype',
    'query:funcname',
    'query:label',
    'query:nodename',
    'query:offset',
    'query:since',
    'query:state',
    'query:until',
  ]);
});
