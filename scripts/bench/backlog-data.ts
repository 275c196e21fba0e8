/**
 * Deterministic data for the backlog benchmark, from a seed: a catalog, and shopping sessions of
 * users spread evenly (session s belongs to user s mod U). Item popularity is Zipf-like (rank r
 * drawn with weight 1 / (r + 1)); a session stays in the category of its first item and is a few
 * views, clicks and add-to-carts, sometimes ending in a purchase of the cart. Timestamps rise
 * evenly over a past span, so every event is history (backlog), never "live". Pure and lazy: a
 * million events are generated as they are posted, never held at once.
 */
import type { EventInput, Item } from '../../engine/contracts/schemas.js';
import { mulberry32 } from '../../models/content-encoder.js';

export const CATEGORIES = 40;
export const BRANDS = 200;

/** An event as an admin posts it: the user, id and time are set by the poster. */
export type BacklogEvent = EventInput & { id: string; userId: string; ts: number };

/** Item `i` of a catalog whose ids start with `prefix`; category `i mod CATEGORIES`. */
export function backlogItem(prefix: string, i: number): Item {
  return {
    itemId: `${prefix}${i}`,
    title: `Bench item ${prefix}${i}`,
    category: `cat${i % CATEGORIES}`,
    brand: `brand${(i * 13) % BRANDS}`,
    price: 5 + ((i * 37) % 200),
    tags: [`t${i % 17}`, `t${17 + (i % 23)}`],
  };
}

/** Items `from` .. `to - 1` of a catalog (one batch of an upsert). */
export function backlogItems(prefix: string, from: number, to: number): Item[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, k) => backlogItem(prefix, from + k));
}

/** Draws ranks 0..n-1 with probability proportional to 1 / (rank + 1)^exponent. */
export class ZipfSampler {
  private readonly cumulative: Float64Array;

  constructor(n: number, exponent = 1) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
    this.cumulative = new Float64Array(n);
    let sum = 0;
    for (let r = 0; r < n; r++) {
      sum += 1 / (r + 1) ** exponent;
      this.cumulative[r] = sum;
    }
  }

  get size(): number {
    return this.cumulative.length;
  }

  /** The rank for a uniform draw `u` in [0, 1). */
  rank(u: number): number {
    const target = u * this.cumulative[this.cumulative.length - 1]!;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}

export interface BacklogEventsOptions {
  events: number;
  items: number;
  users: number;
  seed: number;
  /** Timestamp of the first event (epoch ms); the last is `startTs + spanMs`. */
  startTs: number;
  spanMs: number;
  /** Item id prefix of the catalog the events refer to. */
  itemPrefix?: string;
}

/** Shares of a session's steps after its first view (the rest are views). */
const CLICK_SHARE = 0.2;
const CART_SHARE = 0.15;
/** Chance a session with a non-empty cart ends in a purchase. */
const PURCHASE_SHARE = 0.4;

/** The events, in time order; the same seed gives the same events. */
export function* backlogEvents(options: BacklogEventsOptions): Generator<BacklogEvent> {
  const { events, items, users, seed, startTs, spanMs } = options;
  const prefix = options.itemPrefix ?? 'bi';
  const random = mulberry32(seed);
  const categories = Math.min(CATEGORIES, items);
  const popular = new ZipfSampler(items);
  // Items of category c are c, c + C, c + 2C, ...: a Zipf rank inside it maps back to an item.
  const inCategory = new ZipfSampler(Math.max(1, Math.floor(items / categories)));
  const itemInCategory = (category: number) => Math.min(items - 1, inCategory.rank(random()) * categories + category);
  let n = 0;
  const stamp = () => startTs + Math.floor((n * spanMs) / Math.max(1, events - 1));
  for (let session = 0; n < events; session++) {
    const userId = `bu${session % users}`;
    const length = 2 + Math.floor(random() * 5);
    let current = popular.rank(random());
    const category = current % categories;
    const cart: number[] = [];
    for (let step = 0; step < length && n < events; step++) {
      const base = { id: `b${n.toString(36)}`, userId, ts: stamp() };
      const last = step === length - 1;
      const u = random();
      let event: BacklogEvent;
      if (last && cart.length > 0 && u < PURCHASE_SHARE) {
        const lines = cart.map((i) => ({ itemId: `${prefix}${i}`, quantity: 1, price: backlogItem(prefix, i).price }));
        event = { ...base, type: 'purchase', items: lines, orderId: `o${n.toString(36)}` };
      } else if (step > 0 && u < CLICK_SHARE) {
        event = { ...base, type: 'click', itemId: `${prefix}${current}` };
      } else if (step > 0 && u < CLICK_SHARE + CART_SHARE) {
        cart.push(current);
        event = { ...base, type: 'add_to_cart', itemId: `${prefix}${current}` };
      } else {
        if (step > 0) current = itemInCategory(category);
        event = { ...base, type: 'view', itemId: `${prefix}${current}` };
      }
      yield event;
      n++;
    }
  }
}

/** Up to `size` next values of an iterator (fewer at its end). */
export function takeBatch<T>(iterator: Iterator<T>, size: number): T[] {
  const batch: T[] = [];
  while (batch.length < size) {
    const next = iterator.next();
    if (next.done) break;
    batch.push(next.value);
  }
  return batch;
}
