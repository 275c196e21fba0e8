import type { Item } from '../../engine/contracts/schemas.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import { mulberry32 } from '../../models/content-encoder.js';
import type { InteractionEvent } from '../../models/sequences.js';

/**
 * A shop whose behaviour has a structure its attributes do not show, for the model gate: `items`
 * demo items (real titles, categories, brands) dealt into `clusters` clusters at random, so a
 * cluster mixes lamps, boots and monitors; every session stays inside one cluster. A model that
 * learns from sessions finds the clusters (the next item is one of the cluster's few items); the
 * attribute encoder cannot (its neighbours are same-category items of other clusters).
 * Seeded: the same arguments give the same shop.
 */
export interface ClusteredShop {
  items: Item[];
  /** Item id -> cluster. */
  clusterOf: Map<string, number>;
  /** Sessions of `sessionLength` views, one user each, a minute apart, an hour between sessions. */
  events: InteractionEvent[];
}

/**
 * `seed` decides the catalog and the clusters, `sessionSeed` (default `seed`) the sessions: two
 * shops with one seed and different session seeds are one shop's log at two times (give the later
 * one a later `start`).
 */
export function clusteredShop(
  options: {
    items?: number;
    clusters?: number;
    sessions?: number;
    sessionLength?: number;
    seed?: number;
    sessionSeed?: number;
    start?: number;
    userPrefix?: string;
  } = {},
): ClusteredShop {
  const {
    items: count = 300,
    clusters = 30,
    sessions = 3000,
    sessionLength = 6,
    seed = 7,
    start = Date.UTC(2025, 0, 1),
    userPrefix = 'shopper',
  } = options;
  const random = mulberry32(seed);
  // In stock and open to every tier: nothing filters them out of a list.
  const items = generateDemoCatalog({ count, seed }).map(({ minTier: _minTier, ...item }): Item => ({ ...item, inStock: true }));
  const order = items.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const members: string[][] = Array.from({ length: clusters }, () => []);
  const clusterOf = new Map<string, number>();
  order.forEach((itemIndex, position) => {
    const cluster = position % clusters;
    const id = items[itemIndex]!.itemId;
    members[cluster]!.push(id);
    clusterOf.set(id, cluster);
  });
  const events: InteractionEvent[] = [];
  const sessionRandom = options.sessionSeed === undefined ? random : mulberry32(options.sessionSeed);
  let ts = start;
  for (let s = 0; s < sessions; s++) {
    const ids = members[Math.floor(sessionRandom() * clusters)]!;
    ts += 60 * 60_000;
    let previous = '';
    for (let i = 0; i < sessionLength; i++) {
      let id = ids[Math.floor(sessionRandom() * ids.length)]!;
      if (id === previous) id = ids[(ids.indexOf(id) + 1) % ids.length]!;
      previous = id;
      events.push({ userId: `${userPrefix}-${s}`, type: 'view', itemId: id, ts: (ts += 60_000) });
    }
  }
  return { items, clusterOf, events };
}
