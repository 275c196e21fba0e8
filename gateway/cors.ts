import type { FastifyInstance } from 'fastify';

/** Allowed browser origins: any (`*`) or an explicit list. */
export type CorsOrigins = '*' | string[];

/** Parses CORS_ORIGINS: `*` or a comma-separated list of origins (`https://shop.example`). */
export function parseCorsOrigins(raw: string): CorsOrigins {
  const list = raw
    .split(',')
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter((origin) => origin.length > 0);
  return list.length === 0 || list.includes('*') ? '*' : list;
}

const ALLOWED_METHODS = 'GET, POST, PUT, DELETE, OPTIONS';
const ALLOWED_HEADERS = 'Authorization, Content-Type, Idempotency-Key';
/** Response headers a page on another origin may read: when to retry a 429 or 503. */
const EXPOSED_HEADERS = 'Retry-After';
/** How long a browser may cache a preflight answer (s). */
const PREFLIGHT_MAX_AGE_S = 600;

/**
 * CORS for the HTTP API, so storefront widgets on other origins can call it. Bearer tokens, no
 * cookies: credentials are never allowed, so `*` is safe when the operator wants any origin.
 */
export function registerCors(app: FastifyInstance, origins: CorsOrigins): void {
  const allowed = (origin: string) => origins === '*' || origins.includes(origin);
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (!origin || !allowed(origin)) return;
    reply.header('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    if (origins === '*') {
      reply.header('Access-Control-Allow-Origin', '*');
    } else {
      reply.header('Access-Control-Allow-Origin', origin);
      reply.header('Vary', 'Origin');
    }
  });
  // Preflight for every path; the onRequest hook above already set the origin header if allowed.
  app.options('*', async (_request, reply) => {
    reply.header('Access-Control-Allow-Methods', ALLOWED_METHODS);
    reply.header('Access-Control-Allow-Headers', ALLOWED_HEADERS);
    reply.header('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_S));
    return reply.code(204).send();
  });
}
