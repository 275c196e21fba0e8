import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { openApiDocument, recordedRoutes } from './openapi.js';
import { etagMatches } from './web-assets.js';

/** The path the document is served at (public). */
export const OPENAPI_PATH = '/v1/openapi.json';

/** The document as served and as docs/openapi.json holds it: two-space JSON and a final newline. */
export function openApiText(app: FastifyInstance): string {
  return `${JSON.stringify(openApiDocument(recordedRoutes(app)), null, 2)}\n`;
}

/**
 * Adds `GET /v1/openapi.json`: the OpenAPI document of every route `app` registered (openapi.ts),
 * made at the first request (every route is registered by then) and kept, with an ETag so a
 * client's second fetch is a 304. Register it after the other routes.
 */
export function registerOpenApiRoute(app: FastifyInstance): void {
  let served: { text: string; etag: string } | undefined;
  app.get(OPENAPI_PATH, async (request, reply) => {
    if (!served) {
      const text = openApiText(app);
      served = { text, etag: `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"` };
    }
    reply.header('Content-Type', 'application/json; charset=utf-8').header('Cache-Control', 'no-cache').header('ETag', served.etag);
    if (etagMatches(request.headers['if-none-match'], served.etag)) return reply.code(304).send();
    return reply.send(served.text);
  });
}
