/**
 * Seeded generators of hostile inputs for test/e2e/fuzz.test.ts: every HTTP route of the gateway
 * with valid templates to mutate, hostile values, path parameters, query strings, raw bodies and
 * headers. Deterministic for a seed: a failure names its seed and input index to replay it.
 */

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rand = () => number;
export const pick = <T>(rand: Rand, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
export const chance = (rand: Rand, p: number): boolean => rand() < p;

/** `[[[...]]]` nested `depth` levels as a value (JSON.stringify recurses: keep it below ~5,000). */
export function deepValue(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
}

/** Values that break one rule or another: types, bounds, text rules, prototype keys, nesting. */
export function hostileValue(rand: Rand): unknown {
  return pick(rand, [
    () => null,
    () => true,
    () => 0,
    () => -0,
    () => -1,
    () => 1.5,
    () => 1e308,
    () => -1e308,
    () => 2 ** 53 + 1,
    () => 1e21,
    () => '',
    () => ' ',
    () => '\t',
    () => '/',
    () => 'a//b',
    () => 'home/',
    () => ' > ',
    () => '\u0000',
    () => 'bell\u0007',
    () => 'c1\u009f',
    () => '\ud800',
    () => 'a\udfffb',
    () => '😀',
    () => 'ä'.repeat(120),
    () => 'x'.repeat(101),
    () => 'x'.repeat(20_000),
    () => '../../etc/passwd',
    () => '<script>alert(1)</script>',
    () => 'NaN',
    () => '1e400',
    () => '__proto__',
    () => ({}),
    () => [],
    () => [null],
    () => JSON.parse('{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}'),
    () => deepValue(40),
    () => deepValue(pick(rand, [100, 1000])),
  ])();
}

/** A copy of `value` with one random mutation somewhere in it: a field replaced, removed, added, or the node wrapped. */
export function mutate(rand: Rand, value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 6 || chance(rand, 0.15)) {
    return pick(rand, [() => hostileValue(rand), () => [value], () => ({ value }), () => hostileValue(rand)])();
  }
  if (Array.isArray(value)) {
    const copy = [...value];
    if (copy.length === 0 || chance(rand, 0.2)) copy.push(hostileValue(rand));
    else {
      const i = Math.floor(rand() * copy.length);
      copy[i] = mutate(rand, copy[i], depth + 1);
    }
    return copy;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  const roll = rand();
  if (keys.length === 0 || roll < 0.15)
    copy[pick(rand, ['extra', 'admin', 'role', 'userId', 'points', 'tier', '__proto__x', ''])] = hostileValue(rand);
  else if (roll < 0.3) delete copy[pick(rand, keys)];
  else {
    const key = pick(rand, keys);
    copy[key] = mutate(rand, copy[key], depth + 1);
  }
  return copy;
}

/** Path parameter values: valid, unknown, at and beyond the routable length, bad encodings, unicode. */
export function hostileParam(rand: Rand, valid: string): string {
  return pick(rand, [
    () => valid,
    () => valid,
    () => `fz-${Math.floor(rand() * 1e9)}`,
    () => 'x'.repeat(100),
    () => 'x'.repeat(101),
    () => 'x'.repeat(128),
    () => 'x'.repeat(3000),
    () => '%ZZ',
    () => '%',
    () => '%E0%A4%A',
    () => '%ED%A0%80',
    () => '%00',
    () => '%7F',
    () => '..',
    () => encodeURIComponent('a b'),
    () => encodeURIComponent('😀'),
    () => encodeURIComponent('ä'.repeat(60)),
    () => encodeURIComponent('@'.repeat(100)),
    () => 'me',
    () => 'a%2Fb',
    () => '__proto__',
    () => 'constructor',
  ])();
}

const QUERY_VALUES = [
  '',
  '0',
  '-1',
  '1',
  '5',
  '10',
  '100',
  '101',
  '1000001',
  '1e3',
  '1e400',
  'NaN',
  'Infinity',
  'true',
  'false',
  'maybe',
  ' ',
  '%00',
  '%ZZ',
  '%E2%80',
  '%0A',
  'x'.repeat(600),
  '%F0%9F%98%80',
  'home',
  'home//lamps',
  '%20',
  'web',
  '0x10',
  '1.5',
  '-0',
];
const QUERY_KEYS = [
  'k',
  'limit',
  'offset',
  'category',
  'query',
  'includeBought',
  'diversity',
  'channel',
  'at',
  'before',
  'seconds',
  'unknown',
  '__proto__',
  'constructor',
  'k[]',
  'k[a]',
];

/** A query string (with its `?`) of 0..4 pairs from the keys the routes read and some they do not, repeated keys included. */
export function hostileQuery(rand: Rand): string {
  const n = Math.floor(rand() * 5);
  if (n === 0) return chance(rand, 0.1) ? '?' : '';
  const pairs: string[] = [];
  for (let i = 0; i < n; i++)
    pairs.push(chance(rand, 0.1) ? pick(rand, QUERY_KEYS) : `${pick(rand, QUERY_KEYS)}=${pick(rand, QUERY_VALUES)}`);
  return `?${pairs.join('&')}`;
}

/** Bodies no schema sees as JSON: malformed, deep (as text), BOM, duplicate keys, prototype keys, invalid UTF-8. */
export function hostileRawBody(rand: Rand): string | Buffer {
  return pick(rand, [
    () => '{',
    () => '{"a":',
    () => 'null',
    () => '[]',
    () => '"just a string"',
    () => '1e400',
    () => '\uFEFF{}',
    () => '{"a":1,"a":2}',
    () => '{"__proto__":{"x":1}}',
    () => '{"constructor":{"prototype":{"x":1}}}',
    () => `${'['.repeat(5000)}${']'.repeat(5000)}`,
    () => `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`,
    () => `{"events":${'['.repeat(40)}${']'.repeat(40)}}`,
    () => Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
    () => 'x'.repeat(600 * 1024),
  ])();
}

export const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-16',
  'application/json, text/plain',
  'garbage/;;',
  'application/vnd.api+json',
] as const;

/** One HTTP route: method, path (`:name` parameters with a valid value each) and a valid body or query to start from. */
export interface RouteSpec {
  method: string;
  path: string;
  params?: Record<string, string>;
  body?: (n: number) => unknown;
  query?: string;
}

const item = (n: number) => ({
  itemId: `fz-item-${n}`,
  title: 'Fuzz lamp',
  category: 'home/lamps',
  brand: 'Lumo',
  price: 19.9,
  tags: ['oak'],
  minTier: 'regular',
  inStock: true,
  channels: ['web'],
});
const line = () => ({ itemId: 'sku-00042', quantity: 1, price: 475.99 });

/** Every HTTP route of the gateway (gateway/*-routes.ts, demo-checkout.ts, http-app.ts), each with a valid starting point. */
export function routeSpecs(webPaths: readonly string[]): RouteSpec[] {
  return [
    { method: 'POST', path: '/v1/visitors' },
    {
      method: 'POST',
      path: '/v1/members',
      body: (n) => ({ email: `fz-${n}@example.com`, password: 'correct horse battery', name: 'Fuzz' }),
    },
    { method: 'POST', path: '/v1/sessions', body: (n) => ({ email: `fz-${n}@example.com`, password: 'wrong password!' }) },
    { method: 'GET', path: '/v1/members/me' },
    {
      method: 'POST',
      path: '/v1/members/batch',
      body: (n) => ({ members: [{ memberId: `fz-m-${n}`, name: 'Imported', email: `fz-import-${n}@example.com` }] }),
    },
    { method: 'GET', path: '/v1/members/:memberId', params: { memberId: 'fz-member' } },
    { method: 'GET', path: '/v1/members/:memberId/points', params: { memberId: 'fz-member' }, query: '?limit=5' },
    { method: 'GET', path: '/v1/members/me/points', query: '?limit=5' },
    { method: 'GET', path: '/v1/members/me/coupons' },
    { method: 'POST', path: '/v1/members/me/coupons/:code/redeem', params: { code: 'K7QX2M9PRT4W' }, body: (n) => ({ orderId: `o-${n}` }) },
    { method: 'POST', path: '/v1/members/me/rewards', body: (n) => ({ rewardId: 'r5', requestId: `fz-req-${n}` }) },
    { method: 'GET', path: '/v1/members/me/history', query: '?limit=5' },
    { method: 'GET', path: '/v1/recommendations', query: '?k=5' },
    { method: 'GET', path: '/v1/users/:userId/recommendations', params: { userId: 'fz-member' } },
    { method: 'GET', path: '/v1/items', query: '?limit=5&category=home' },
    { method: 'GET', path: '/v1/items/:itemId', params: { itemId: 'sku-00042' } },
    { method: 'GET', path: '/v1/items/:itemId/similar', params: { itemId: 'sku-00042' }, query: '?k=5' },
    { method: 'PUT', path: '/v1/items/:itemId', params: { itemId: 'fz-item-put' }, body: (n) => ({ ...item(n), itemId: undefined }) },
    { method: 'POST', path: '/v1/items/batch', body: (n) => ({ items: [item(n), item(n + 1)] }) },
    { method: 'DELETE', path: '/v1/items/:itemId', params: { itemId: 'fz-item-gone' } },
    {
      method: 'POST',
      path: '/v1/events',
      body: (n) => ({
        events: [
          { id: `fz-ev-${n}`, type: 'view', itemId: 'sku-00042' },
          { id: `fz-ev-${n}-p`, type: 'purchase', items: [line()] },
        ],
      }),
    },
    {
      method: 'POST',
      path: '/v1/orders',
      body: (n) => ({ orderId: `fz-order-${n}`, userId: 'fz-member', status: 'paid', lines: [line()] }),
    },
    {
      method: 'POST',
      path: '/demo/checkout',
      body: (n) => ({ checkoutId: `fzcheckout${n}`, lines: [{ itemId: 'sku-00042', quantity: 1 }] }),
    },
    {
      method: 'POST',
      path: '/v1/campaigns',
      body: (n) => ({
        name: `Fuzz ${n}`,
        audience: { tiers: ['vip'] },
        trigger: { type: 'now' },
        offer: { title: 'Fuzz', message: 'Fuzz offer', discountPercent: 10 },
        budget: 5,
      }),
    },
    { method: 'GET', path: '/v1/campaigns' },
    { method: 'POST', path: '/v1/campaigns/preview', body: () => ({ audience: { tiers: ['vip'] } }) },
    { method: 'GET', path: '/v1/campaigns/:id', params: { id: 'c-unknown' } },
    { method: 'GET', path: '/v1/campaigns/:id/stats', params: { id: 'c-unknown' } },
    { method: 'DELETE', path: '/v1/campaigns/:id', params: { id: 'c-unknown' } },
    { method: 'GET', path: '/v1/users/:userId/profile', params: { userId: 'fz-member' } },
    { method: 'GET', path: '/v1/analytics/overview' },
    { method: 'GET', path: '/v1/analytics/segments', query: '?limit=5' },
    { method: 'GET', path: '/v1/analytics/live', query: '?seconds=5' },
    { method: 'GET', path: '/v1/admin/dead-letters', query: '?limit=5' },
    { method: 'POST', path: '/v1/admin/dead-letters/:id/replay', params: { id: '1' } },
    { method: 'DELETE', path: '/v1/admin/dead-letters/:id', params: { id: '1' } },
    { method: 'GET', path: '/healthz' },
    { method: 'GET', path: '/readyz' },
    { method: 'GET', path: '/metrics' },
    { method: 'OPTIONS', path: '/v1/items' },
    ...webPaths.map((path) => ({ method: 'GET', path })),
  ];
}
