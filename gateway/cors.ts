import fastifyCors from '@fastify/cors';
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

const ALLOWED_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'];
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key'];
/** Response headers a page on another origin may read: when to retry a 429 or 503. */
const EXPOSED_HEADERS = ['Retry-After'];
/** How long a browser may cache a preflight answer (s). */
const PREFLIGHT_MAX_AGE_S = 600;

/**
 * CORS for the HTTP API, so storefront widgets on other origins can call it, by `@fastify/cors`
 * in an `onRequest` hook (so hooks registered after it, such as rate limits, answer with CORS
 * headers). Bearer tokens, no cookies: credentials are never allowed, so `*` is safe when the
 * operator wants any origin. With a list, an allowed origin is echoed, a refused one gets no
 * `Access-Control-Allow-Origin`, and every response carries `Vary: Origin` (its answer depends on
 * the Origin, so a shared cache must not serve one origin's answer to another).
 *
 * Every OPTIONS request is a preflight answered 204 in the hook (not strict: no Origin or
 * Access-Control-Request-Method needed), with the allowed methods and headers.
 */
export function registerCors(app: FastifyInstance, origins: CorsOrigins): void {
  void app.register(fastifyCors, {
    origin: origins,
    credentials: false,
    methods: ALLOWED_METHODS,
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE_S,
    strictPreflight: false,
  });
}
