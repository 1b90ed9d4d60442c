import { z } from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import type { ApiRoute } from './define';
import { errorSchema } from './schemas';

/** The OpenAPI 3.1 document of /api/v1, generated from the route table and its zod schemas. */
export function openApiDocument(routes: readonly ApiRoute[], serverUrl: string): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    const body = route.body ?? route.bodyDoc;
    const operation: ZodOpenApiOperationObject = {
      operationId: `${route.method}${route.path.replace(/\{(\w+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase())}`,
      summary: route.summary,
      tags: [route.tag],
      requestParams: {
        ...(route.params ? { path: route.params } : {}),
        ...(route.query ? { query: route.query } : {}),
        ...(route.idempotent
          ? { header: z.object({ 'Idempotency-Key': z.string().min(1).max(200).optional().meta({ description: 'Sent again with the same body, the first answer is returned and nothing is created twice (24 h)' }) }) }
          : {}),
      },
      ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: body } } } } : {}),
      responses: Object.fromEntries(
        Object.entries({
          ...route.responses,
          ...(route.idempotent
            ? {
                409: { description: 'A request with this Idempotency-Key is still being handled', schema: errorSchema },
                422: { description: 'This Idempotency-Key was used for a different request', schema: errorSchema },
              }
            : {}),
        }).map(([code, spec]) => [code, { description: spec.description, ...(spec.schema ? { content: { 'application/json': { schema: spec.schema } } } : {}) }]),
      ),
    };
    paths[route.path] = { ...paths[route.path], [route.method]: operation };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'WOOM Order Monitor API',
      version: '1',
      description: 'Every store, its state, alerts, settings and sales. Authenticate with "Authorization: Bearer <token>" (npm run woom -- token create). Errors are {error, message, fields?}.',
    },
    servers: [{ url: `${serverUrl.replace(/\/+$/, '')}/api/v1` }],
    security: [{ bearer: [] }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token, woomtk_...' } } },
    paths,
  });
}
