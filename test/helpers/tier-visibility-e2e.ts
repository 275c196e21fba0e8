import type { Socket } from 'socket.io-client';
import { expect } from 'vitest';
import type { Item, RecommendationList, Tier } from '../../engine/contracts/schemas.js';
import { tierRank } from '../../engine/contracts/schemas.js';
import { connectSocket, emitWithAck, http } from './clients.js';

/**
 * The catalog and the shoppers of the tier visibility end-to-end test (test/e2e/tier-visibility.test.ts):
 * look-alike items hidden by tier, and random walks that check every answer against the tier the
 * shopper holds.
 */

// 12 groups (category x brand) of 16 look-alike items: 8 regular, 5 VIP-only, 3 enterprise-only.
const CATEGORIES = [
  { category: 'home/lamps', noun: 'lamp', brands: ['Lumo', 'Halden', 'Brio'] },
  { category: 'kitchen/knives', noun: 'knife', brands: ['Kato', 'Sabre', 'Ferro'] },
  { category: 'garden/tools', noun: 'spade', brands: ['Verde', 'Rook', 'Moss'] },
  { category: 'fashion/watches', noun: 'watch', brands: ['Tempo', 'Orbit', 'Quill'] },
];
const WORDS = ['aurora', 'nimbus', 'solace', 'ember', 'tundra', 'zephyr', 'marlin', 'cobalt', 'juniper', 'saffron', 'onyx', 'willow'];
const PER_GROUP: Record<Tier, number> = { regular: 8, vip: 5, enterprise: 3 };

export interface Group {
  word: string;
  category: string;
  ids: Record<Tier, string[]>;
}

export const groups: Group[] = CATEGORIES.flatMap(({ category, brands }, c) =>
  brands.map((_, b) => ({ word: WORDS[c * 3 + b]!, category, ids: { regular: [], vip: [], enterprise: [] } })),
);
export const items: Item[] = groups.flatMap((group, g) => {
  const { noun, brands } = CATEGORIES[Math.floor(g / 3)]!;
  const brand = brands[g % 3]!;
  return (['regular', 'vip', 'enterprise'] as const).flatMap((tier) =>
    Array.from({ length: PER_GROUP[tier] }, (_, i) => {
      const itemId = `g${g}-${tier[0]}${i}`;
      group.ids[tier].push(itemId);
      const price = { regular: 20, vip: 90, enterprise: 300 }[tier] + i * 5;
      return {
        itemId,
        title: `${group.word} ${brand} ${noun} no ${i}`,
        category: group.category,
        brand,
        price,
        tags: [group.word],
        ...(tier === 'regular' ? {} : { minTier: tier }),
      };
    }),
  );
});
export const minTierOf = new Map(items.map((item) => [item.itemId, item.minTier ?? 'regular']));
export const count = (tiers: Tier[], category?: string) =>
  items.filter((item) => tiers.includes(item.minTier ?? 'regular') && (!category || item.category === category)).length;

export interface Shopper {
  userId: string;
  token: string;
  socket: Socket;
  /** The tier the shopper holds now: every answer must stay within it. */
  tier: Tier;
  events: number;
  pushes: number;
  /** VIP-only items seen in answers (the controls prove the walks make them rank). */
  vipSeen: number;
  favourites: Group[];
}

export const listIds = (list: RecommendationList) => list.items.map((item) => item.itemId);

/**
 * Shoppers on the gateway at `url()` whose every answer is checked: an item above the shopper's
 * tier is recorded in `violations`; `checked` counts the items checked.
 */
export function tierWatch(url: () => string) {
  const violations: string[] = [];
  let checked = 0;

  /** Records every item of an answer above the shopper's tier; returns the ids. */
  const check = (shopper: Shopper, where: string, ids: string[]): string[] => {
    for (const id of ids) {
      checked++;
      const minTier = minTierOf.get(id) ?? 'enterprise';
      if (minTier === 'vip') shopper.vipSeen++;
      if (tierRank(minTier) > tierRank(shopper.tier))
        violations.push(`${shopper.userId} (${shopper.tier}) got ${id} (${minTier}) in ${where}`);
    }
    return ids;
  };
  const get = async <T>(shopper: Shopper, path: string, status = 200) => {
    const res = await http<T>(url(), 'GET', path, { token: shopper.token });
    expect(res.status, `${path}: ${JSON.stringify(res.body).slice(0, 300)}`).toBe(status);
    return res.body;
  };

  async function join(userId: string, token: string, tier: Tier, random: () => number): Promise<Shopper> {
    const socket = await connectSocket(url(), token);
    const favourites = [groups[Math.floor(random() * groups.length)]!, groups[Math.floor(random() * groups.length)]!];
    const shopper: Shopper = { userId, token, socket, tier, events: 0, pushes: 0, vipSeen: 0, favourites };
    socket.on('recommendations', (list: RecommendationList) => {
      shopper.pushes++;
      check(shopper, `push caused by ${list.cause}`, listIds(list));
    });
    return shopper;
  }

  // Every answer a shopper can ask for, each returning the item ids it held (already checked).
  const probes: Array<(s: Shopper, g: Group, random: () => number) => Promise<string[]>> = [
    async (s) => check(s, 'recommend ack', listIds(await emitWithAck<RecommendationList>(s.socket, 'recommend', { k: 30 }))),
    async (s, g) =>
      check(s, 'recommend ack with query', listIds(await emitWithAck<RecommendationList>(s.socket, 'recommend', { k: 30, query: g.word }))),
    async (s, g) =>
      check(
        s,
        'recommend ack with category',
        listIds(await emitWithAck<RecommendationList>(s.socket, 'recommend', { k: 30, category: g.category })),
      ),
    async (s, g) =>
      check(
        s,
        'recommend ack with both',
        listIds(await emitWithAck<RecommendationList>(s.socket, 'recommend', { k: 30, category: g.category, query: g.word })),
      ),
    async (s) => check(s, 'GET /v1/recommendations', listIds(await get<RecommendationList>(s, '/v1/recommendations?k=30'))),
    async (s, g) =>
      check(
        s,
        'GET /v1/recommendations?category',
        listIds(await get<RecommendationList>(s, `/v1/recommendations?k=30&category=${encodeURIComponent(g.category)}&query=${g.word}`)),
      ),
    async (s, g, random) =>
      check(s, 'similar', listIds(await get<RecommendationList>(s, `/v1/items/${g.ids.regular[Math.floor(random() * 8)]}/similar?k=20`))),
    async (s, g) =>
      check(
        s,
        'GET /v1/items?query',
        (await get<{ items: Item[] }>(s, `/v1/items?query=${g.word}&limit=100`)).items.map((item) => item.itemId),
      ),
    async (s, g) =>
      check(
        s,
        'GET /v1/items?category',
        (await get<{ items: Item[] }>(s, `/v1/items?category=${encodeURIComponent(g.category)}&limit=100`)).items.map(
          (item) => item.itemId,
        ),
      ),
  ];

  /** A random walk leaning toward the favourite groups' hidden items, with answers asked in between. */
  async function walk(shopper: Shopper, random: () => number, steps: number): Promise<void> {
    const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)]!;
    for (let step = 0; step < steps; step++) {
      const g = random() < 0.75 ? shopper.favourites[0]! : shopper.favourites[1]!;
      const r = random();
      if (r < 0.25) {
        await pick(probes)(shopper, g, random);
        continue;
      }
      const event =
        r < 0.45
          ? { type: 'view', itemId: pick(g.ids.regular) }
          : r < 0.55
            ? { type: 'click', itemId: pick(g.ids.regular) }
            : r < 0.65
              ? { type: 'add_to_cart', itemId: pick(g.ids.regular) }
              : r < 0.8
                ? { type: 'search', query: `${g.word} ${random() < 0.5 ? 'no' : ''}`.trim() }
                : // A link to a hidden item (shared by a friend): the taste moves toward the hidden ones.
                  { type: 'view', itemId: pick([...g.ids.vip, ...g.ids.enterprise]) };
      const ack = await emitWithAck<{ ok: boolean }>(shopper.socket, 'track', event);
      expect(ack, JSON.stringify(ack)).toMatchObject({ ok: true });
      shopper.events++;
    }
    for (const probe of probes) await probe(shopper, shopper.favourites[0]!, random);
  }

  return {
    violations,
    get checked() {
      return checked;
    },
    check,
    get,
    join,
    probes,
    walk,
  };
}
