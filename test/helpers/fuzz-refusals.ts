import { deepValue } from './fuzz-inputs.js';

/**
 * Inputs every write route must refuse (test/e2e/fuzz.test.ts, part 1): a valid body with one
 * field broken (text rules, bounds, types, unknown fields), deep nesting and malformed JSON, each
 * with the check that proves nothing of it was stored. The fuzz test also compares a snapshot of
 * the catalog, the event log, the member's points and coupons, campaigns and analytics before and
 * after all of them.
 */
export interface RefusedInput {
  method: string;
  path: string;
  /** A token kind of the fuzz test (`admin`, `member`, `shop`, ...). */
  token: string;
  /** A JSON value, or a string sent as it is. */
  body: unknown;
  /** What is wrong with the answer when the input was not refused, or undefined. */
  refusedBy(status: number, text: string): string | undefined;
  /** Requests whose answers prove nothing was stored (e.g. the item is still unknown). */
  after?: Array<{ method: string; path: string; token: string; body?: unknown; status: number }>;
}

const notAccepted = (status: number, text: string): string | undefined =>
  status >= 400 && status < 500 ? undefined : `accepted (${status}): ${text.slice(0, 160)}`;

/** A batch answer (200/202) must reject every entry; a 4xx refuses the whole batch. */
const noneOf =
  (field: 'upserted' | 'accepted' | 'created', entries: number) =>
  (status: number, text: string): string | undefined => {
    if (status >= 400 && status < 500) return undefined;
    if (status !== 200 && status !== 202) return `status ${status}`;
    const body = JSON.parse(text) as Record<string, unknown>;
    const rejected = Array.isArray(body.rejected) ? body.rejected.length : -1;
    return body[field] === 0 && rejected === entries ? undefined : `${field} ${String(body[field])}, rejected ${rejected} of ${entries}`;
  };

const ITEM = { title: 'Fuzz lamp', category: 'home/lamps', brand: 'Lumo', price: 19.9, tags: ['oak'] };
const BAD_ITEM_FIELDS: Array<Record<string, unknown>> = [
  { category: ' ' },
  { category: '/' },
  { category: '\t' },
  { category: 'home//lamps' },
  { category: 'home/' },
  { category: ' > lamps' },
  { category: '\u0000home' },
  { title: '\u0000' },
  { title: 'lamp\u0007' },
  { title: 'a\ud800' },
  { title: '   ' },
  { title: 'x'.repeat(501) },
  { brand: 'c1\u009f' },
  { tags: [' '] },
  { tags: ['\udc00'] },
  { price: 1e308 },
  { price: -1 },
  { price: '10' },
  { minTier: 'god' },
  { channels: [] },
  { channels: ['\u0001web'] },
  { inStock: 'yes' },
  { extra: 1 },
];

const LINE = { itemId: 'sku-00042', quantity: 1, price: 475.99 };
/** Deeper than MAX_JSON_DEPTH: a body holding it is refused whole at parsing. */
const DEEP_EVENT = deepValue(40);
const BAD_EVENTS: unknown[] = [
  { type: 'purchase', items: [{ ...LINE, price: 1e308 }] },
  { type: 'purchase', items: [{ ...LINE, quantity: 1000, price: 1e7 }] },
  { type: 'purchase', items: [{ ...LINE, quantity: 1.5 }] },
  { type: 'purchase', items: [] },
  { type: 'view', itemId: 'a b' },
  { type: 'view', itemId: 'x'.repeat(101) },
  { type: 'teleport', itemId: 'sku-00042' },
  { type: 'view' },
  { type: 'view', itemId: 'sku-00042', ts: 1e20 },
  { type: 'view', itemId: 'sku-00042', ts: Date.now() + 3_600_000 },
  { type: 'view', itemId: 'sku-00042', extra: 1 },
  { type: 'search', query: '' },
  { id: 'x'.repeat(101), type: 'view', itemId: 'sku-00042' },
  { type: 'merge', fromUserId: 'v_someone' },
  DEEP_EVENT,
  'not an event',
];

const CAMPAIGN = {
  name: 'Fuzz',
  audience: { tiers: ['vip'] },
  trigger: { type: 'now' },
  offer: { title: 'Fuzz', message: 'Fuzz offer', discountPercent: 10 },
  budget: 5,
};
const BAD_CAMPAIGNS: unknown[] = [
  { ...CAMPAIGN, name: 'bad\u0000' },
  { ...CAMPAIGN, name: '   ' },
  { ...CAMPAIGN, offer: { ...CAMPAIGN.offer, title: 'a\ud800' } },
  { ...CAMPAIGN, offer: { ...CAMPAIGN.offer, discountPercent: 1000 } },
  { ...CAMPAIGN, trigger: { type: 'warp' } },
  { ...CAMPAIGN, audience: {} },
  { ...CAMPAIGN, budget: -1 },
  { ...CAMPAIGN, endsAt: 1000 },
  { ...CAMPAIGN, extra: true },
];

const badOrders = (n: number, userId: string): unknown[] => {
  const order = { orderId: `fz-bad-order-${n}`, userId, status: 'paid', lines: [LINE] };
  return [
    { ...order, lines: [{ ...LINE, price: 1e308 }] },
    { ...order, lines: [{ ...LINE, quantity: 0 }] },
    { ...order, lines: [{ ...LINE, quantity: 1.5 }] },
    { ...order, lines: [{ ...LINE, quantity: 1000, price: 1e7 }] },
    { ...order, lines: [LINE, LINE] },
    { ...order, lines: [] },
    { ...order, orderId: 'x'.repeat(101) },
    { ...order, status: 'refunded' },
    { ...order, userId: 'a b' },
    { ...order, ts: 1e20 },
    { ...order, points: 100000 },
  ];
};

const BAD_NAMES = ['\u0007Ada', 'A\ud800', '   ', 'x'.repeat(201)];

/** Write routes that read a JSON body, with a token that may call them: each also gets deep nesting and malformed JSON. */
const WRITE_ROUTES: Array<[string, string, string]> = [
  ['PUT', '/v1/items/fz-bad-deep', 'admin'],
  ['POST', '/v1/items/batch', 'admin'],
  ['POST', '/v1/events', 'member'],
  ['POST', '/v1/members', 'none'],
  ['POST', '/v1/sessions', 'none'],
  ['POST', '/v1/members/batch', 'admin'],
  ['POST', '/v1/campaigns', 'marketing'],
  ['POST', '/v1/campaigns/preview', 'marketing'],
  ['POST', '/v1/orders', 'shop'],
  ['POST', '/v1/members/me/rewards', 'member'],
  ['POST', '/v1/members/me/coupons/K7QX2M9PRT4W/redeem', 'member'],
  ['POST', '/demo/checkout', 'member'],
];
const MALFORMED = ['{', '{"a":', `${'['.repeat(5000)}${']'.repeat(5000)}`, `{"x":${'{"a":'.repeat(100)}1${'}'.repeat(100)}}`, '\uFEFF{}'];

/** At least `count` inputs that must be refused, cycling through every kind; `memberId` is the fuzz member's (its points must not move). */
export function refusedInputs(count: number, seed: number, memberId = 'fz-owner'): RefusedInput[] {
  const kinds: Array<(n: number) => RefusedInput[]> = [
    (n) =>
      BAD_ITEM_FIELDS.map((bad, i): RefusedInput => {
        const id = `fz-bad-${seed}-${n}-${i}`;
        return {
          method: 'PUT',
          path: `/v1/items/${id}`,
          token: 'admin',
          body: { ...ITEM, ...bad },
          refusedBy: notAccepted,
          after: n === 0 ? [{ method: 'GET', path: `/v1/items/${id}`, token: 'admin', status: 404 }] : [],
        };
      }),
    (n) => {
      const ids = BAD_ITEM_FIELDS.map((_, i) => `fz-bad-batch-${seed}-${n}-${i}`);
      const items = BAD_ITEM_FIELDS.map((bad, i) => ({ itemId: ids[i], ...ITEM, ...bad }));
      return [
        {
          method: 'POST',
          path: '/v1/items/batch',
          token: 'admin',
          body: { items },
          refusedBy: noneOf('upserted', items.length),
          after: n === 0 ? ids.map((id) => ({ method: 'GET', path: `/v1/items/${id}`, token: 'admin', status: 404 })) : [],
        },
      ];
    },
    () =>
      BAD_EVENTS.flatMap((event) =>
        (['member', 'visitor', 'admin'] as const).map(
          (token): RefusedInput => ({
            method: 'POST',
            path: '/v1/events',
            token,
            body: { events: [event] },
            refusedBy: noneOf('accepted', 1),
          }),
        ),
      ).concat([
        {
          method: 'POST',
          path: '/v1/events',
          token: 'member',
          body: { events: BAD_EVENTS.filter((e) => e !== DEEP_EVENT) },
          refusedBy: noneOf('accepted', BAD_EVENTS.length - 1),
        },
      ]),
    (n) =>
      BAD_NAMES.map((name, i): RefusedInput => {
        const login = { email: `fz-bad-${seed}-${n}-${i}@example.com`, password: 'correct horse battery' };
        // A login proves no account was made (a scrypt check each: only for the first round).
        return {
          method: 'POST',
          path: '/v1/members',
          token: 'none',
          body: { ...login, name },
          refusedBy: notAccepted,
          after: n === 0 ? [{ method: 'POST', path: '/v1/sessions', token: 'none', body: login, status: 401 }] : [],
        };
      }).concat([
        {
          method: 'POST',
          path: '/v1/members',
          token: 'none',
          body: { email: 'nope', password: 'correct horse battery', name: 'Ada' },
          refusedBy: notAccepted,
        },
        {
          method: 'POST',
          path: '/v1/members',
          token: 'none',
          body: { email: `fz-short-${n}@example.com`, password: 'short', name: 'Ada' },
          refusedBy: notAccepted,
        },
        {
          method: 'POST',
          path: '/v1/members',
          token: 'none',
          body: { email: `fz-extra-${n}@example.com`, password: 'correct horse battery', name: 'Ada', tier: 'enterprise' },
          refusedBy: notAccepted,
        },
      ]),
    (n) =>
      BAD_NAMES.map((name, i): RefusedInput => {
        const id = `fz-bad-member-${seed}-${n}-${i}`;
        return {
          method: 'POST',
          path: '/v1/members/batch',
          token: 'admin',
          body: { members: [{ memberId: id, name }] },
          refusedBy: noneOf('created', 1),
          after: [{ method: 'GET', path: `/v1/members/${id}`, token: 'admin', status: 404 }],
        };
      }),
    () =>
      BAD_CAMPAIGNS.map(
        (body): RefusedInput => ({ method: 'POST', path: '/v1/campaigns', token: 'marketing', body, refusedBy: notAccepted }),
      ),
    (n) =>
      badOrders(n, memberId).flatMap((body) =>
        (['shop', 'admin', 'member'] as const).map(
          (token): RefusedInput => ({ method: 'POST', path: '/v1/orders', token, body, refusedBy: notAccepted }),
        ),
      ),
    (): RefusedInput[] => [
      // The fuzz member has no points and no coupons: nothing may be deducted or used.
      { method: 'POST', path: '/v1/members/me/rewards', token: 'member', body: { rewardId: 'r5' }, refusedBy: notAccepted },
      { method: 'POST', path: '/v1/members/me/rewards', token: 'member', body: { rewardId: 'nope\u0000' }, refusedBy: notAccepted },
      {
        method: 'POST',
        path: '/v1/members/me/coupons/K7QX2M9PRT4W/redeem',
        token: 'member',
        body: { orderId: '' },
        refusedBy: notAccepted,
      },
      {
        method: 'POST',
        path: '/v1/members/me/coupons/K7QX2M9PRT4W/redeem',
        token: 'member',
        body: { orderId: 'o-1' },
        refusedBy: notAccepted,
      },
      {
        method: 'POST',
        path: '/demo/checkout',
        token: 'member',
        body: { checkoutId: 'fzcheckout-bad', lines: [{ itemId: 'sku-00042', quantity: 0 }] },
        refusedBy: notAccepted,
      },
      {
        method: 'POST',
        path: '/demo/checkout',
        token: 'member',
        body: { checkoutId: 'short', lines: [{ itemId: 'sku-00042', quantity: 1 }] },
        refusedBy: notAccepted,
      },
      {
        method: 'POST',
        path: '/demo/checkout',
        token: 'member',
        body: { checkoutId: 'fzcheckout-bad2', lines: [{ itemId: 'a b', quantity: 1 }] },
        refusedBy: notAccepted,
      },
    ],
    () =>
      WRITE_ROUTES.flatMap(([method, path, token]) =>
        MALFORMED.map((body): RefusedInput => ({ method, path, token, body, refusedBy: notAccepted })),
      ),
  ];
  const out: RefusedInput[] = [];
  for (let n = 0; out.length < count; n++) for (const kind of kinds) out.push(...kind(n));
  return out;
}
