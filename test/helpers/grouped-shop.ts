import type { Item } from '../../engine/contracts/schemas.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import { writeModel } from '../../models/artifact.js';
import { initTensorFlow } from '../../models/backend.js';
import { mulberry32 } from '../../models/content-encoder.js';
import type { InteractionEvent } from '../../models/sequences.js';
import { trainModel } from '../../models/train.js';

/**
 * A small shop for model tests: groups of items whose attributes share nothing across groups
 * (category, brand, title words, tags and price band all differ), so attribute vectors do not link
 * them, and a stream in which pairs of groups are bought together (a with b, c with d, ...), which
 * only a learned model can see. Seeded: the same arguments give the same shop.
 */

interface GroupSpec {
  key: string;
  category: string;
  brand: string;
  adjectives: string[];
  nouns: string[];
  tag: string;
  /** Price range; ranges of different groups lie in different price bands. */
  price: [number, number];
}

const GROUPS: GroupSpec[] = [
  {
    key: 'a',
    category: 'kitchen/mugs',
    brand: 'Kova',
    adjectives: ['glazed', 'speckled', 'stoneware'],
    nouns: ['mug', 'cup', 'teapot', 'saucer'],
    tag: 'ceramic',
    price: [8, 9],
  },
  {
    key: 'b',
    category: 'garden/tools',
    brand: 'Tergo',
    adjectives: ['forged', 'ash-handled', 'rustproof'],
    nouns: ['spade', 'rake', 'trowel', 'hoe'],
    tag: 'steel',
    price: [60, 70],
  },
  {
    key: 'c',
    category: 'toys/puzzles',
    brand: 'Pazl',
    adjectives: ['wooden', 'tricky', 'colourful'],
    nouns: ['puzzle', 'jigsaw', 'cube', 'maze'],
    tag: 'brainteaser',
    price: [15, 17],
  },
  {
    key: 'd',
    category: 'office/paper',
    brand: 'Notra',
    adjectives: ['ruled', 'recycled', 'pocket'],
    nouns: ['notebook', 'envelope', 'folder', 'binder'],
    tag: 'stationery',
    price: [3, 3.5],
  },
  {
    key: 'e',
    category: 'sport/running',
    brand: 'Velo',
    adjectives: ['breathable', 'reflective', 'trail'],
    nouns: ['shoe', 'sock', 'vest', 'cap'],
    tag: 'athletic',
    price: [120, 140],
  },
  {
    key: 'f',
    category: 'audio/headphones',
    brand: 'Sonik',
    adjectives: ['wireless', 'studio', 'noise-cancelling'],
    nouns: ['headphone', 'earbud', 'speaker', 'amplifier'],
    tag: 'bluetooth',
    price: [250, 300],
  },
  {
    key: 'g',
    category: 'beauty/skincare',
    brand: 'Lume',
    adjectives: ['hydrating', 'fragrance-free', 'overnight'],
    nouns: ['cream', 'serum', 'lotion', 'balm'],
    tag: 'vegan',
    price: [30, 34],
  },
  {
    key: 'h',
    category: 'pets/dogs',
    brand: 'Bark',
    adjectives: ['padded', 'chew-proof', 'adjustable'],
    nouns: ['leash', 'collar', 'bowl', 'kennel'],
    tag: 'canine',
    price: [500, 600],
  },
];

/** Groups bought together in the stream. */
export const PARTNERS: ReadonlyArray<[string, string]> = [
  ['a', 'b'],
  ['c', 'd'],
  ['e', 'f'],
  ['g', 'h'],
];

/** `perGroup` items per group, ids `<group>-<nn>`. */
export function groupedCatalog(perGroup = 12): Item[] {
  const random = mulberry32(11);
  const items: Item[] = [];
  for (const group of GROUPS) {
    for (let n = 1; n <= perGroup; n++) items.push(groupItem(group, `${group.key}-${String(n).padStart(2, '0')}`, random));
  }
  return items;
}

/** A new item with the attributes of `groupKey`'s items (cold start). */
export function newItemLike(groupKey: string, itemId: string): Item {
  const group = GROUPS.find((g) => g.key === groupKey);
  if (!group) throw new Error(`no group ${groupKey}`);
  return groupItem(group, itemId, mulberry32(99));
}

/** Items of one group, by id. */
export function groupIds(items: readonly Item[], groupKey: string): string[] {
  return items.filter((item) => item.itemId.startsWith(`${groupKey}-`)).map((item) => item.itemId);
}

/**
 * `count` out-of-stock demo items: they are indexed (so a model build has work to do) but never
 * recommended, so they cannot crowd the lists a test looks at.
 */
export function fillerCatalog(count: number): Item[] {
  return generateDemoCatalog({ count, seed: 5 }).map((item) => ({ ...item, inStock: false }));
}

/**
 * Sessions of `length` views alternating between the two groups of a partner pair, and a
 * purchase of one item of each at the end; `sessionsPerPair` sessions per pair, one user each,
 * a minute between events, starting at `start` (epoch ms).
 */
export function coPurchaseStream(
  items: readonly Item[],
  options: { sessionsPerPair?: number; length?: number; start?: number; seed?: number } = {},
): InteractionEvent[] {
  const { sessionsPerPair = 150, length = 6, start = Date.UTC(2025, 0, 1), seed = 3 } = options;
  const random = mulberry32(seed);
  const pick = (ids: string[]) => ids[Math.floor(random() * ids.length)]!;
  const events: InteractionEvent[] = [];
  let user = 0;
  let ts = start;
  for (let s = 0; s < sessionsPerPair; s++) {
    for (const [x, y] of PARTNERS) {
      const userId = `trainer-${user++}`;
      const xs = groupIds(items, x);
      const ys = groupIds(items, y);
      for (let i = 0; i < length; i++) events.push({ userId, type: 'view', itemId: pick(i % 2 === 0 ? xs : ys), ts: (ts += 60_000) });
      events.push({ userId, type: 'purchase', items: [{ itemId: pick(xs) }, { itemId: pick(ys) }], ts: (ts += 60_000) });
    }
  }
  return events;
}

/**
 * Trains on `events` with the models/ API (item2vec + content tower) and writes the model under
 * `modelsDir`. The optimiser and output are pinned to ones that separate the pairs clearly on this
 * data (mean cosine within a pair ~0.99, across pairs below 0): these tests are about serving a
 * model, not about tuning one, so they must not move with the trainer's defaults.
 */
export async function trainInto(
  modelsDir: string,
  items: readonly Item[],
  events: readonly InteractionEvent[],
  dimension: number,
): Promise<{ version: string; dir: string }> {
  const { tf, backend } = await initTensorFlow();
  const trained = await trainModel({
    events,
    items,
    options: { dimension, epochs: 15, seed: 1, optimizer: 'sgd', output: 'sum' },
    tf,
    backend,
  });
  return writeModel(modelsDir, trained);
}

/**
 * The ranking tests' shop (test/unit/recommender-ranking.test.ts, recommender-reasons.test.ts): six
 * groups of 15 look-alike items whose attributes share nothing across groups, ids `<group>-<nn>`
 * from 00; only shoppers can link two groups.
 */
export const LOOK_ALIKE_GROUPS = [
  { key: 'a', category: 'Home/Lamps', brand: 'Lumo', words: ['aurora', 'nimbus', 'solace'], noun: 'lamp', tag: 'lighting', price: 40 },
  { key: 'b', category: 'Garden/Tools', brand: 'Tergo', words: ['forged', 'ash', 'rustproof'], noun: 'spade', tag: 'steel', price: 65 },
  {
    key: 'c',
    category: 'Toys/Puzzles',
    brand: 'Pazl',
    words: ['wooden', 'tricky', 'colourful'],
    noun: 'puzzle',
    tag: 'brainteaser',
    price: 16,
  },
  {
    key: 'd',
    category: 'Office/Paper',
    brand: 'Notra',
    words: ['ruled', 'recycled', 'pocket'],
    noun: 'notebook',
    tag: 'stationery',
    price: 3,
  },
  {
    key: 'e',
    category: 'Sport/Running',
    brand: 'Velo',
    words: ['breathable', 'reflective', 'trail'],
    noun: 'shoe',
    tag: 'athletic',
    price: 130,
  },
  {
    key: 'f',
    category: 'Audio/Headphones',
    brand: 'Sonik',
    words: ['wireless', 'studio', 'quiet'],
    noun: 'headphone',
    tag: 'bluetooth',
    price: 280,
  },
];

/** The items of LOOK_ALIKE_GROUPS, group by group. */
export function lookAlikeCatalog(): Item[] {
  return LOOK_ALIKE_GROUPS.flatMap((group) =>
    Array.from({ length: 15 }, (_, i) => ({
      itemId: `${group.key}-${String(i).padStart(2, '0')}`,
      // No shared words across groups (not even a number): only the shoppers link them.
      title: `${group.brand} ${group.words[i % 3]} ${group.noun}`,
      category: group.category,
      brand: group.brand,
      price: group.price + i,
      tags: [group.tag],
    })),
  );
}

/** The group of an item id `<group>-<nn>`. */
export const groupOf = (itemId: string) => itemId.split('-')[0]!;

function groupItem(group: GroupSpec, itemId: string, random: () => number): Item {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const [low, high] = group.price;
  return {
    itemId,
    title: `${group.brand} ${pick(group.adjectives)} ${pick(group.nouns)}`,
    category: group.category,
    brand: group.brand,
    price: Math.round((low + random() * (high - low)) * 100) / 100,
    tags: [group.tag],
  };
}
