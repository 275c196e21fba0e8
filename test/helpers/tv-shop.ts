import type { EventInput, Item } from '../../engine/contracts/schemas.js';
import { mulberry32 } from '../../models/content-encoder.js';

/**
 * A small electronics shop where substitutes and complements are known: TVs are substitutes of
 * each other (one leaf category, alike, viewed side by side, never bought together), wall
 * brackets and soundbars are complements of TVs (bought with a TV, or a few days after one, by
 * the same shopper). Other shoppers browse and buy in unrelated departments. Seeded: the same
 * arguments give the same shop and stream.
 */

const TV_BRANDS = ['Lumina', 'Brava', 'Oxen', 'Vexa'];
const DEPARTMENTS = [
  { key: 'mug', category: 'kitchen/mugs', brand: 'Kova', words: ['glazed', 'speckled', 'stoneware'], noun: 'mug', price: 9 },
  { key: 'spade', category: 'garden/tools', brand: 'Tergo', words: ['forged', 'ash-handled', 'rustproof'], noun: 'spade', price: 40 },
  { key: 'puzzle', category: 'toys/puzzles', brand: 'Pazl', words: ['wooden', 'tricky', 'colourful'], noun: 'puzzle', price: 15 },
];

export interface TvShop {
  items: Item[];
  tvs: string[];
  brackets: string[];
  soundbars: string[];
  /** Items of the unrelated departments. */
  others: string[];
}

/** 12 TVs, 6 wall brackets, 6 soundbars and 10 items in each of three unrelated departments. */
export function tvShopCatalog(): TvShop {
  const random = mulberry32(17);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i + 1).padStart(2, '0')}`);
  const tvs = ids('tv', 12);
  const brackets = ids('bracket', 6);
  const soundbars = ids('soundbar', 6);
  const items: Item[] = [
    ...tvs.map((itemId, i) => ({
      itemId,
      title: `${TV_BRANDS[i % TV_BRANDS.length]} ${pick([43, 50, 55, 65])}-inch 4K smart TV`,
      category: 'electronics/tvs',
      brand: TV_BRANDS[i % TV_BRANDS.length]!,
      price: 400 + Math.round(random() * 800),
      tags: ['television'],
    })),
    ...brackets.map((itemId) => ({
      itemId,
      title: `Mountly ${pick(['tilting', 'fixed', 'swivel'])} wall bracket`,
      category: 'accessories/mounts',
      brand: 'Mountly',
      price: 30 + Math.round(random() * 30),
      tags: ['mount'],
    })),
    ...soundbars.map((itemId) => ({
      itemId,
      title: `Sonora ${pick(['compact', 'dolby', 'slim'])} soundbar`,
      category: 'audio/soundbars',
      brand: 'Sonora',
      price: 150 + Math.round(random() * 150),
      tags: ['speaker'],
    })),
  ];
  const others: string[] = [];
  for (const d of DEPARTMENTS) {
    for (const itemId of ids(d.key, 10)) {
      others.push(itemId);
      items.push({
        itemId,
        title: `${d.brand} ${pick(d.words)} ${d.noun}`,
        category: d.category,
        brand: d.brand,
        price: d.price,
        tags: [d.key],
      });
    }
  }
  return { items, tvs, brackets, soundbars, others };
}

/** A training event: the fields an admin import sends (userId, ts, id). */
export type ShopEvent = EventInput & { id: string; userId: string; ts: number };

/**
 * `tvShoppers` shoppers who view four TVs, buy one (a third of them with a bracket in the same
 * order), and two days later buy a bracket or a soundbar (half of them both); and `otherShoppers`
 * who view and buy in one unrelated department. One shopper after another, a minute between
 * events, starting at `start` (epoch ms); event ids `train-<n>`.
 */
export function tvShopStream(
  shop: TvShop,
  options: { tvShoppers?: number; otherShoppers?: number; start: number; seed?: number },
): ShopEvent[] {
  const { tvShoppers = 96, otherShoppers = 48, start, seed = 5 } = options;
  const random = mulberry32(seed);
  const pick = (list: readonly string[]) => list[Math.floor(random() * list.length)]!;
  const price = new Map(shop.items.map((item) => [item.itemId, item.price]));
  const line = (itemId: string) => ({ itemId, quantity: 1, price: price.get(itemId)! });
  const events: ShopEvent[] = [];
  let ts = start;
  const add = (event: EventInput & { userId: string }, at = (ts += 60_000)) =>
    events.push({ ...event, id: `train-${events.length}`, ts: at } as ShopEvent);
  for (let n = 0; n < tvShoppers; n++) {
    const userId = `tv-shopper-${n}`;
    const tv = shop.tvs[n % shop.tvs.length]!;
    for (const other of [pick(shop.tvs), pick(shop.tvs), pick(shop.tvs), tv]) add({ userId, type: 'view', itemId: other });
    add({ userId, type: 'purchase', items: n % 3 === 0 ? [line(tv), line(pick(shop.brackets))] : [line(tv)] });
    const later = ts + 2 * 86_400_000;
    const second =
      n % 2 === 0 ? [line(pick(shop.brackets)), line(pick(shop.soundbars))] : [line(pick(random() < 0.5 ? shop.brackets : shop.soundbars))];
    add({ userId, type: 'purchase', items: second }, later);
  }
  for (let n = 0; n < otherShoppers; n++) {
    const userId = `other-shopper-${n}`;
    const department = shop.others.filter((id) => id.startsWith(`${shop.others[(n % 3) * 10]!.split('-')[0]}-`));
    const first = pick(department);
    add({ userId, type: 'view', itemId: pick(department) });
    add({ userId, type: 'view', itemId: first });
    add({ userId, type: 'purchase', items: [line(first), line(pick(department))] });
  }
  return events.sort((a, b) => a.ts - b.ts);
}
