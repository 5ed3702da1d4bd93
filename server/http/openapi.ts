/** The OpenAPI 3.1 document of the signed API, generated from protocol/routes.ts and the zod schemas. */
import { z } from 'zod';
import { ROUTES } from '../../protocol/routes.ts';
import { ERROR_CODES } from '../../protocol/errors.ts';
import { HEADERS } from '../../protocol/signing.ts';

export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const path = '/api/v1' + r.path.replace(/:(\w+)/g, '{$1}');
    const params = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const query = r.query
      ? Object.entries((z.toJSONSchema(r.query, { io: 'input' }) as { properties?: Record<string, unknown> }).properties ?? {})
      : [];
    (paths[path] ??= {})[r.method.toLowerCase()] = {
      summary: r.summary,
      description: `Caller: ${r.role}.`,
      parameters: [...params, ...query.map(([name, schema]) => ({ name, in: 'query', required: false, schema }))],
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: z.toJSONSchema(r.body, { io: 'input', unrepresentable: 'any' }) } },
            },
          }
        : {}),
      responses: {
        [String(r.status)]: { description: 'OK' },
        default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
      security: [{ ed25519: [] }],
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Colonies API',
      version,
      description: `Every request is signed with Ed25519: headers ${Object.values(HEADERS).join(', ')} (see docs/protocol.md, Signed requests).`,
    },
    paths,
    components: {
      securitySchemes: { ed25519: { type: 'apiKey', in: 'header', name: HEADERS.signature } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { enum: Object.keys(ERROR_CODES) }, message: { type: 'string' }, details: {} },
            },
          },
        },
      },
    },
  };
}
