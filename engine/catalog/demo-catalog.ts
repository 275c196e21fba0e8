import type { Item, Tier } from '../contracts/schemas.js';
import { mulberry32 } from '../../models/content-encoder.js';
import { DEMO_VOCAB, type DemoCategoryVocab, type DemoProduct } from './demo-vocab.js';

/**
 * The project's own demo shop: a deterministic catalog with realistic titles, brands, prices and
 * tags per category, a few VIP/enterprise-only and out-of-stock items. Same seed, same catalog.
 * Titles ("<brand> <model> <modifier> <noun> - <variant>") are unique within a catalog; each price
 * lies in its product type's band (demo-vocab.ts), VIP and enterprise items toward its top.
 */

export interface DemoCatalogOptions {
  /** Number of items; default 3000. */
  count?: number;
  /** PRNG seed; default 42. */
  seed?: number;
}

/** A product type of the demo shop and its price band [low, high], both inclusive. */
export interface DemoProductType {
  category: string;
  noun: string;
  price: readonly [number, number];
}

/** Fresh draws of a title before a clash is settled by numbering the model ("Aria 2"). */
const TITLE_ATTEMPTS = 8;
/** Where in its band (0 = low, 1 = high, log scale) a price may fall, by the item's tier. */
const BAND_FROM: Record<'regular' | 'vip' | 'enterprise', number> = { regular: 0, vip: 0.5, enterprise: 0.75 };

/** The demo shop's items (ids `sku-00001`, ...), deterministic from the seed; every one passes ItemSchema. */
export function generateDemoCatalog(options: DemoCatalogOptions = {}): Item[] {
  const count = options.count ?? 3000;
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const random = mulberry32(options.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const totalShare = DEMO_VOCAB.reduce((sum, vocab) => sum + vocab.share, 0);
  const pickCategory = (): DemoCategoryVocab => {
    let roll = random() * totalShare;
    for (const vocab of DEMO_VOCAB) {
      roll -= vocab.share;
      if (roll < 0) return vocab;
    }
    return DEMO_VOCAB[DEMO_VOCAB.length - 1]!;
  };
  const titles = new Set<string>();
  /** Per clashing title, the next model number to try. */
  const nextNumber = new Map<string, number>();

  const items: Item[] = [];
  for (let n = 1; n <= count; n++) {
    const vocab = pickCategory();
    const tierRoll = random();
    const minTier: Tier | undefined = tierRoll < 0.02 ? 'enterprise' : tierRoll < 0.1 ? 'vip' : undefined;

    let brand = '';
    let product: DemoProduct = vocab.products[0]!;
    let title = '';
    let parts: [string, string, string] = ['', '', ''];
    for (let attempt = 0; attempt < TITLE_ATTEMPTS && (attempt === 0 || titles.has(title)); attempt++) {
      brand = pick(vocab.brands);
      product = pick(vocab.products);
      parts = [pick(vocab.models), pick(product[3]), pick(product[4])];
      title = composeTitle(brand, parts[0], parts[1], product[0], parts[2]);
    }
    if (titles.has(title)) {
      const clash = title;
      let number = nextNumber.get(clash) ?? 2;
      do title = composeTitle(brand, `${parts[0]} ${number++}`, parts[1], product[0], parts[2]);
      while (titles.has(title));
      nextNumber.set(clash, number);
    }
    titles.add(title);

    const from = BAND_FROM[minTier ?? 'regular'];
    const price = bandPrice(product[1], product[2], from + random() * (1 - from), random());
    const tags = [...new Set([pick(vocab.tags), pick(vocab.tags), pick(vocab.tags)].slice(0, 1 + Math.floor(random() * 3)))];
    const item: Item = { itemId: `sku-${String(n).padStart(5, '0')}`, title, category: vocab.category, brand, price, tags };
    if (minTier) item.minTier = minTier;
    if (random() < 0.03) item.inStock = false;
    items.push(item);
  }
  return items;
}

function composeTitle(brand: string, model: string, modifier: string, noun: string, variant: string): string {
  return `${brand} ${model} ${modifier} ${noun} - ${variant}`;
}

/**
 * A shop-like price at `position` (0..1, log scale) of the band [low, high]: under 100 it ends in
 * .99 or .49 (`ending` < 0.7 picks .99), up to 1,000 in 9.99, above in 49.99 or 99.99; never outside the band.
 */
function bandPrice(low: number, high: number, position: number, ending: number): number {
  const raw = Math.min(high, Math.max(low, Math.exp(Math.log(low) + position * (Math.log(high) - Math.log(low)))));
  const step = raw < 100 ? 1 : raw < 1000 ? 10 : 50;
  let price = step === 1 ? Math.floor(raw) + (ending < 0.7 ? 0.99 : 0.49) : (Math.floor(raw / step) + 1) * step - 0.01;
  if (price > high) price -= step;
  return Math.round(price * 100) / 100;
}

/** The demo shop's categories, in catalog order. */
export function demoCategories(): string[] {
  return DEMO_VOCAB.map((vocab) => vocab.category);
}

/** The demo shop's product types with their price bands, in catalog order. */
export function demoProductTypes(): DemoProductType[] {
  return DEMO_VOCAB.flatMap((vocab) =>
    vocab.products.map(([noun, low, high]) => ({ category: vocab.category, noun, price: [low, high] as const })),
  );
}
