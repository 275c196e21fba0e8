/**
 * Random items and affinities for the affinity-key tests (affinity-keys, item-key-rows): category
 * paths in mixed spellings and separators, brands in any spelling or none, likes and dislikes
 * spread over days. Seeded by the caller's `random`.
 */
import type { Item } from '../../engine/contracts/schemas.js';
import { affinityAfter, affinityGain, emptyAffinity } from '../../engine/shoppers/logic/affinity.js';
import type { Affinity } from '../../engine/shoppers/user-state-store.js';

export const HALF_LIFE = 14 * 24 * 3600;
export const NOW = 1_750_000_000_000;
export const DAY = 24 * 3600 * 1000;

const CATEGORY_PARTS = ['Home', 'home', ' Lamps ', 'Rugs', 'Kitchen', 'Knives', 'Sport', 'shoes'];
const BRANDS = ['Lumo', ' lumo', 'LUMO ', 'Weave', 'Velo', 'Nord', '   '];

/** A random item: 1 to `maxDepth` levels joined by '/' or ' > ', a brand in any spelling or none. */
export function randomItem(random: () => number, index: number, maxDepth = 3): Item {
  const depth = 1 + Math.floor(random() * maxDepth);
  const parts = Array.from({ length: depth }, () => CATEGORY_PARTS[Math.floor(random() * CATEGORY_PARTS.length)]!);
  const brand = random() < 0.2 ? undefined : BRANDS[Math.floor(random() * BRANDS.length)]!;
  return {
    itemId: `i${index}`,
    title: `item ${index}`,
    category: parts.join(random() < 0.5 ? '/' : ' > '),
    ...(brand === undefined ? {} : { brand }),
    price: 10,
  } as Item;
}

/** A random affinity: up to 30 events of random items and weights (dislikes included), spread over 60 days before NOW. */
export function randomAffinity(random: () => number, items: readonly Item[]): Affinity {
  let affinity = emptyAffinity();
  const events = Math.floor(random() * 30);
  for (let e = 0; e < events; e++) {
    const item = items[Math.floor(random() * items.length)]!;
    const weight = random() < 0.2 ? -2 : 1 + Math.floor(random() * 3);
    affinity = affinityAfter(affinity, affinityGain([[item, weight]]), NOW - Math.floor(random() * 60) * DAY, HALF_LIFE) ?? affinity;
  }
  return affinity;
}
