import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import type { Role } from '../engine/contracts/schemas.js';
import { guardRoles } from './bearer-guard.js';

/**
 * The OpenAPI 3 document of the gateway's HTTP routes, made from the routes themselves: an
 * `onRoute` hook (`recordRoutes`, added first thing in createHttpApp) keeps every route's method,
 * URL, zod schemas (params, querystring, body; converted with fastify-type-provider-zod's
 * `jsonSchemaTransform`) and its BearerGuard hook's roles (bearer-guard.ts `guardRoles`). Routes
 * that check the token in their handler, or take none, say so in ROUTE_AUTH. Served at
 * `GET /v1/openapi.json` (openapi-route.ts) and written to docs/openapi.json by `npm run docs:api`.
 */

/** Who may call a route. `bearer` with `roles: []` takes any valid token. */
export type RouteAuth =
  | { kind: 'public' }
  | { kind: 'bearer'; roles: readonly Role[] }
  | { kind: 'optional'; note: string }
  | { kind: 'undocumented' };

/** A route as the hook saw it. */
export interface RecordedRoute {
  method: string;
  url: string;
  schema?: FastifySchema;
  /** Roles of the route's BearerGuard `preValidation` hook; undefined: it has none. */
  guard?: readonly Role[];
}

const recorded = new WeakMap<FastifyInstance, RecordedRoute[]>();

/** Starts keeping the routes `app` registers from now on (call it before any route is added). */
export function recordRoutes(app: FastifyInstance): void {
  const routes: RecordedRoute[] = [];
  recorded.set(app, routes);
  app.addHook('onRoute', (route: RouteOptions) => {
    const hooks = [route.preValidation ?? []].flat();
    const guard = hooks.map((hook) => guardRoles.get(hook)).find((roles) => roles !== undefined);
    for (const method of [route.method].flat()) {
      routes.push({ method, url: route.url, ...(route.schema ? { schema: route.schema } : {}), ...(guard ? { guard } : {}) });
    }
  });
}

/** The routes `recordRoutes` kept for `app` (empty when it was never called). */
export function recordedRoutes(app: FastifyInstance): readonly RecordedRoute[] {
  return recorded.get(app) ?? [];
}

const PUBLIC: RouteAuth = { kind: 'public' };
const ADMIN: RouteAuth = { kind: 'bearer', roles: ['admin'] };

/**
 * Routes under `/v1/` and `/demo/` without a BearerGuard hook: what their handler asks for.
 * A new route of that kind that is in neither place shows as `undocumented` (a unit test fails).
 */
export const ROUTE_AUTH: Readonly<Record<string, RouteAuth>> = {
  'GET /v1/openapi.json': PUBLIC,
  'POST /v1/visitors': PUBLIC,
  'POST /v1/members': { kind: 'optional', note: "a visitor's own token merges that visitor's history into the new member" },
  'POST /v1/sessions': { kind: 'optional', note: "required (the visitor's own token) when the body names `visitorId`" },
  'POST /demo/checkout': { kind: 'bearer', roles: ['member', 'visitor'] },
  // The dead-letter routes wrap the admin guard (they also need a dead-letter store).
  'GET /v1/admin/dead-letters': ADMIN,
  'POST /v1/admin/dead-letters/:id/replay': ADMIN,
  'DELETE /v1/admin/dead-letters/:id': ADMIN,
  'GET /metrics': { kind: 'optional', note: 'the METRICS_TOKEN as a bearer token, when METRICS_TOKEN is set' },
};

/** Routes that take a body without a body schema (their handler checks it): what it is. */
export const BODY_IN_HANDLER: Readonly<Record<string, string>> = {
  'POST /v1/campaigns': 'A campaign, checked by the same `acceptCampaign` the engine runs (docs/api.md)',
  'POST /demo/checkout': '`{checkoutId, lines: [{itemId, quantity}], couponCode?}`, checked by the handler (docs/storefront.md)',
};

/** What a guarded route's handler further asks of the token. */
export const AUTH_NOTES: Readonly<Record<string, string>> = {
  'GET /v1/users/:userId/recommendations': 'Only the user itself or an admin',
  'GET /v1/users/:userId/profile':
    'Marketing and admin for any user, other roles for their own user only; `at` for marketing and admin only',
};

/** Who may call `route`: its guard, else ROUTE_AUTH, else public outside `/v1/` and `/demo/`. */
export function authOf(route: RecordedRoute): RouteAuth {
  if (route.guard) return { kind: 'bearer', roles: route.guard };
  const named = ROUTE_AUTH[`${route.method} ${route.url}`];
  if (named) return named;
  return /^\/(v1|demo)\//.test(route.url) ? { kind: 'undocumented' } : PUBLIC;
}

/** Methods left out of the document: HEAD mirrors every GET, OPTIONS is the CORS preflight. */
const LEFT_OUT = new Set(['HEAD', 'OPTIONS']);

/** Whether the document lists `route` (every route but HEAD and OPTIONS). */
export function documented(route: Pick<RecordedRoute, 'method'>): boolean {
  return !LEFT_OUT.has(route.method);
}

/** `/v1/items/:itemId` as OpenAPI writes it: `/v1/items/{itemId}`; a wildcard `/web/*` is `/web/{wildcard}`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\*$/, '{wildcard}');
}

type Json = Record<string, unknown>;

const ERROR_RESPONSE = { description: 'The error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };

const STATUS_TEXT: Readonly<Record<string, string>> = {
  '400': 'The input does not match its schema (`details` names the fields)',
  '401': 'No token, a forged or an expired one',
  '403': 'The role may not do this',
};

function tagOf(url: string): string {
  const parts = url.split('/').filter((part) => part !== '');
  if (parts[0] === 'v1') return parts[1] === 'users' ? (parts[3] ?? 'users') : (parts[1] ?? 'v1');
  if (parts[0] === 'demo') return 'demo';
  if (['healthz', 'readyz', 'metrics'].includes(parts[0] ?? '')) return 'operations';
  return 'web';
}

function operationId(method: string, url: string): string {
  const words = url
    .split('/')
    .filter((part) => part !== '')
    .map((part) => (part.startsWith(':') ? `by ${part.slice(1)}` : part))
    .join(' ')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '');
  return [method.toLowerCase(), ...words.map((word) => word[0]!.toUpperCase() + word.slice(1))].join('');
}

function parametersOf(url: string, params: Json | undefined, query: Json | undefined): Json[] {
  const out: Json[] = [];
  const pathProps = (params?.properties ?? {}) as Record<string, Json>;
  for (const [, name] of url.matchAll(/:([A-Za-z0-9_]+)/g)) {
    out.push({ name, in: 'path', required: true, schema: pathProps[name!] ?? { type: 'string' } });
  }
  if (url.endsWith('*'))
    out.push({ name: 'wildcard', in: 'path', required: true, description: 'the rest of the path', schema: { type: 'string' } });
  const queryProps = (query?.properties ?? {}) as Record<string, Json>;
  const required = new Set((query?.required ?? []) as string[]);
  for (const [name, schema] of Object.entries(queryProps)) {
    out.push({ name, in: 'query', required: required.has(name), schema });
  }
  return out;
}

function securityOf(auth: RouteAuth): Json {
  switch (auth.kind) {
    case 'public':
      return { security: [], 'x-pulse-auth': 'public' };
    case 'bearer':
      return { security: [{ bearer: [] }], 'x-pulse-auth': 'bearer', 'x-pulse-roles': [...auth.roles] };
    case 'optional':
      return { security: [{}, { bearer: [] }], 'x-pulse-auth': 'optional', 'x-pulse-auth-note': auth.note };
    default:
      return { security: [], 'x-pulse-auth': 'undocumented' };
  }
}

function describeAuth(auth: RouteAuth): string {
  if (auth.kind === 'public') return 'Public: no token.';
  if (auth.kind === 'optional') return `Token optional: ${auth.note}.`;
  if (auth.kind === 'undocumented') return 'Authentication not documented.';
  return auth.roles.length === 0 ? 'Any valid bearer token.' : `Bearer token of role ${auth.roles.join(' or ')}.`;
}

/** The OpenAPI operation of one route. */
export function operationOf(route: RecordedRoute): Json {
  const { schema } = jsonSchemaTransform({ schema: (route.schema ?? {}) as never, url: route.url }) as { schema: Json };
  const auth = authOf(route);
  const parameters = parametersOf(route.url, schema.params as Json | undefined, schema.querystring as Json | undefined);
  const responses: Json = { '2XX': { description: 'Success: the answer is described in docs/api.md' } };
  const checked = schema.params !== undefined || schema.querystring !== undefined || schema.body !== undefined;
  if (checked) responses['400'] = { ...ERROR_RESPONSE, description: STATUS_TEXT['400'] };
  if (auth.kind === 'bearer') {
    responses['401'] = { ...ERROR_RESPONSE, description: STATUS_TEXT['401'] };
    if (auth.roles.length > 0) responses['403'] = { ...ERROR_RESPONSE, description: STATUS_TEXT['403'] };
  }
  responses.default = ERROR_RESPONSE;
  const key = `${route.method} ${route.url}`;
  const inHandler = BODY_IN_HANDLER[key];
  const body = schema.body ?? (inHandler !== undefined ? { type: 'object', description: inHandler } : undefined);
  const note = AUTH_NOTES[key];
  return {
    operationId: operationId(route.method, route.url),
    tags: [tagOf(route.url)],
    description: note === undefined ? describeAuth(auth) : `${describeAuth(auth)} ${note}.`,
    ...securityOf(auth),
    ...(note === undefined ? {} : { 'x-pulse-auth-note': note }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body !== undefined ? { requestBody: { required: true, content: { 'application/json': { schema: body } } } } : {}),
    responses,
  };
}

const METHOD_ORDER = ['GET', 'PUT', 'POST', 'DELETE', 'PATCH'];

/** The whole document for `routes` (sorted by path, then method, so it is the same every time). */
export function openApiDocument(routes: readonly RecordedRoute[]): Json {
  const paths: Record<string, Record<string, Json>> = {};
  const listed = routes
    .filter(documented)
    .slice()
    .sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : METHOD_ORDER.indexOf(a.method) - METHOD_ORDER.indexOf(b.method)));
  for (const route of listed) {
    const path = openApiPath(route.url);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operationOf(route);
  }
  return {
    openapi: '3.0.3',
    info: {
      title: 'Pulse gateway API',
      version: '1',
      description:
        'Generated from the gateway\'s route schemas (`npm run docs:api`; served at `GET /v1/openapi.json`). Answers, examples and the Socket.IO events: docs/api.md. Every error is `{"error": {"code", "message", "details"?}}`.',
    },
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                details: { type: 'object', additionalProperties: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  };
}
