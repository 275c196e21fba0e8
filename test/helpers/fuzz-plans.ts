import {
  chance,
  CONTENT_TYPES,
  deepValue,
  hostileParam,
  hostileQuery,
  hostileRawBody,
  hostileValue,
  mutate,
  pick,
  rng,
  type Rand,
  type RouteSpec,
} from './fuzz-inputs.js';

/**
 * The random inputs of test/e2e/fuzz.test.ts (parts 4 and 5): one HTTP request on a route with a
 * token of some kind, or one socket call, each planned from the seeded generators of fuzz-inputs.ts.
 */

/** The fuzz's tokens by kind (valid, hostile or none). */
export type Tokens = Record<string, string | undefined>;

export interface RequestPlan {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  describe: string;
}

export const TOKEN_KINDS = [
  'none',
  'visitor',
  'member',
  'admin',
  'admin',
  'marketing',
  'shop',
  'garbage',
  'forged',
  'expired',
  'noExp',
  'tenYears',
  'futureIat',
  'unknownRole',
  'longSub',
  'algNone',
];
export const OTHER_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

/** One random HTTP request on `route`: its method or another, hostile parameters, query, token, body and headers. */
export function planRequest(rand: Rand, route: RouteSpec, n: number, tokens: Tokens): RequestPlan {
  const method = chance(rand, 0.9) ? route.method : pick(rand, OTHER_METHODS);
  let path = route.path;
  for (const [name, valid] of Object.entries(route.params ?? {}))
    path = path.replace(`:${name}`, chance(rand, 0.5) ? hostileParam(rand, valid) : valid);
  path += chance(rand, 0.5) ? hostileQuery(rand) : (route.query ?? '');
  const headers: Record<string, string> = {};
  const kind = pick(rand, TOKEN_KINDS);
  const token = tokens[kind];
  if (token) {
    headers.authorization = pick(rand, [
      `Bearer ${token}`,
      `Bearer ${token}`,
      `bearer  ${token}`,
      token,
      `Basic ${token}`,
      `Bearer ${token} extra`,
    ]);
  } else if (chance(rand, 0.1)) headers.authorization = pick(rand, ['Bearer', 'Bearer ', `Bearer ${'x'.repeat(8000)}`]);
  if (chance(rand, 0.05)) headers['idempotency-key'] = pick(rand, ['', 'x'.repeat(300), 'k-1', '\u00e4']);
  if (chance(rand, 0.05)) headers.origin = pick(rand, ['https://evil.example', 'null']);
  if (chance(rand, 0.05)) headers['x-forwarded-for'] = pick(rand, ['1.2.3.4', 'garbage', '::1, 10.0.0.1']);
  let body: string | Buffer | undefined;
  let shape = 'no body';
  if (method !== 'GET' && method !== 'HEAD') {
    const template = route.body?.(n);
    const roll = rand();
    if (roll < 0.1) {
      body = hostileRawBody(rand);
      shape = `raw ${String(body).slice(0, 40)}`;
    } else if (roll < 0.25) {
      body = JSON.stringify(hostileValue(rand));
      shape = `value ${body.slice(0, 60)}`;
    } else if (template !== undefined) {
      // Valid bodies of the password routes cost a scrypt hash each: mutate them nearly always.
      const keepValid = route.path === '/v1/members' || route.path === '/v1/sessions' ? 0.05 : 0.2;
      const value = chance(rand, keepValid) ? template : mutate(rand, template);
      body = JSON.stringify(value);
      shape = `json ${body.slice(0, 80)}`;
    }
    if (body !== undefined) headers['content-type'] = chance(rand, 0.85) ? 'application/json' : pick(rand, CONTENT_TYPES);
  }
  return { method, path, headers, ...(body !== undefined ? { body } : {}), describe: `[${kind}] ${shape}` };
}

export interface SocketPlan {
  event: string;
  args: unknown[];
  ack: boolean;
  describe: string;
}

export const SOCKET_TEMPLATES: Record<string, (n: number) => unknown> = {
  track: (n) =>
    pick(rng(n), [
      { id: `fz-sock-${n}`, type: 'view', itemId: 'sku-00042' },
      { type: 'search', query: 'lamp' },
      { type: 'purchase', items: [{ itemId: 'sku-00042', quantity: 1, price: 475.99 }] },
    ]),
  recommend: () => ({ k: 5, category: 'home' }),
  redeem: (n) => ({ code: 'K7QX2M9PRT4W', orderId: `o-${n}` }),
};

/** One random socket call: `track`, `recommend`, `redeem` (mutated, hostile, deep, extra arguments) or an event the server does not know. */
export function planSocketCall(rand: Rand, n: number): SocketPlan {
  const event = pick(rand, ['track', 'track', 'recommend', 'recommend', 'redeem', 'unknown', 'track']);
  if (event === 'unknown')
    return {
      event: pick(rand, ['hack', 'admin', 'emit', '__proto__', 'x'.repeat(300)]),
      args: [hostileValue(rand)],
      ack: false,
      describe: 'unknown event',
    };
  const template = SOCKET_TEMPLATES[event]!(n);
  const roll = rand();
  const payload =
    roll < 0.15 ? template : roll < 0.7 ? mutate(rand, template) : roll < 0.9 ? hostileValue(rand) : deepValue(pick(rand, [40, 2000]));
  const args = chance(rand, 0.1) ? [payload, hostileValue(rand)] : chance(rand, 0.05) ? [] : [payload];
  return { event, args, ack: chance(rand, 0.95), describe: String(JSON.stringify(args)).slice(0, 100) };
}
