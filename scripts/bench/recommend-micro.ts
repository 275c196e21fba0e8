/**
 * `npx tsx scripts/bench/recommend-micro.ts [--items 3000,50000] [--users 300] [--lists 3000]
 *     [--warmup 300] [--index hnsw|exact] [--fresh] [--dump FILE] [--seed 1]`
 *
 * CPU cost of ranking one list after an event, in process, without NATS or Redis: an engine-like
 * Recommender (the engine's options and HNSW settings, MemoryInteractionStats, a ShopperIndex for
 * "shoppers like you", a SessionIndex for "sessions like yours", the re-visit evidence) over the demo catalog of each size. Users get random histories first
 * (co-visitation, co-purchase, bought-after, popularity and affinity learned from them); then each
 * timed step is one event of a round-robin user (a view, sometimes a purchase: its aggregates and
 * the shopper index are updated outside the timing) followed by the timed `recommend` of that
 * user's list, as the event processor does.
 *
 * Prints, per catalog size: CPU ms per list (process.cpuUsage over the timed calls, GC included),
 * wall p50/p99 per list, and interaction-stats reads per list. `--fresh` turns every cache off
 * (popularity, co-visitation/complement lists, neighbours) so two builds can be compared list by
 * list with `--dump` (one JSON line per list).
 */
import { writeFile } from 'node:fs/promises';
import { HnswVectorIndex } from '../../engine/recommend/mod.js';
import { ExactVectorIndex } from '../../engine/recommend/mod.js';
import { MemoryInteractionStats } from '../../engine/recommend/mod.js';
import { emptyUserState } from '../../engine/shoppers/mod.js';
import { loadEngineConfig } from '../../engine/config.js';
import type { InteractionType, Item, StoredEvent } from '../../engine/contracts/schemas.js';
import { generateDemoCatalog } from '../../engine/catalog/mod.js';
import { affinityAfter, affinityGain } from '../../engine/shoppers/mod.js';
import { tasteWeight } from '../../engine/shoppers/mod.js';
import { foldIn } from '../../engine/shoppers/mod.js';
import type { UserState } from '../../engine/shoppers/mod.js';
import type { VectorIndex } from '../../engine/recommend/mod.js';
import { CatalogService } from '../../engine/catalog/mod.js';
import { AttributeVectorSource } from '../../engine/recommend/mod.js';
import {
  Recommender,
  listEvidenceFrom,
  recommenderOptionsFrom,
  sessionIndexFrom,
  type RecommenderOptions,
} from '../../engine/recommend/mod.js';
import type { ListEvidence } from '../../engine/recommend/mod.js';
import type { SessionIndex } from '../../engine/recommend/mod.js';
import { ShopperIndex } from '../../engine/recommend/mod.js';
import { ContentEncoder, mulberry32 } from '../../models/content-encoder.js';
import { isMain, runMain } from '../lib/args.js';
import { USAGE, parseMicroArgs, type Options } from './recommend-micro-options.js';

const HALF_LIFE_SECONDS = 6 * 3600;
const AFFINITY_HALF_LIFE_SECONDS = 14 * 24 * 3600;
/** Shop-wide history before the users: sessions of this many views each. */
const SHOP_SESSIONS = 4000;
const SESSION_VIEWS = 6;
/** Each user's history before the timed events. */
const HISTORY_MIN = 3;
const HISTORY_MAX = 25;
const START = Date.UTC(2025, 5, 1);

/** Counts the aggregate reads (each one a Redis round trip in the engine) by wrapping the read methods. */
function countReads(stats: MemoryInteractionStats): { reads: number } {
  const counter = { reads: 0 };
  for (const name of ['popular', 'coVisited', 'coPurchased', 'boughtAfter'] as const) {
    const read = stats[name].bind(stats) as (...args: unknown[]) => unknown;
    Object.defineProperty(stats, name, {
      value: (...args: unknown[]) => {
        counter.reads++;
        return read(...args);
      },
    });
  }
  return counter;
}

interface Shop {
  items: Item[];
  catalog: CatalogService;
  index: VectorIndex;
  stats: MemoryInteractionStats;
  /** Aggregate reads so far. */
  reads: { reads: number };
  shoppers: ShopperIndex;
  sessions: SessionIndex | undefined;
  evidence: ListEvidence | undefined;
  recommender: Recommender;
  random: () => number;
  /** Items by category, for sessions that stay mostly in one. */
  byCategory: Map<string, string[]>;
  /** Category of the last item picked. */
  lastCategory: string | undefined;
}

async function buildShop(size: number, options: Options): Promise<Shop> {
  const config = loadEngineConfig({});
  const random = mulberry32(options.seed * 7919 + size);
  const items = generateDemoCatalog({ count: size, seed: options.seed });
  const encoder = new ContentEncoder({ dimension: config.vectorDim });
  const index: VectorIndex =
    options.index === 'exact'
      ? new ExactVectorIndex({ dimension: config.vectorDim, initialCapacity: size })
      : new HnswVectorIndex({
          dimension: config.vectorDim,
          m: config.hnswM,
          efConstruction: config.hnswEfConstruction,
          ef: config.hnswEf,
          initialCapacity: Math.max(1024, size),
        });
  const catalog = new CatalogService({ index, encoder });
  for (const item of items) catalog.apply({ type: 'upsert', item });
  const source = new AttributeVectorSource(encoder);
  const models = { current: () => ({ source, index }) };
  const stats = new MemoryInteractionStats({ popularityHalfLifeSeconds: config.popularityHalfLifeSeconds });
  const reads = countReads(stats);
  // As engine.ts wires the shopper index (m 12, efConstruction 48).
  const shoppers = new ShopperIndex({
    models,
    limit: config.shopperIndexLimit,
    createIndex: (dimension) => new HnswVectorIndex({ dimension, m: 12, efConstruction: 48, ef: config.hnswEf }),
  });
  const fresh: Partial<RecommenderOptions> = options.fresh ? { popularCacheMs: 0, statsCacheMs: 0, neighbourCacheMs: 0 } : {};
  // As engine.ts: "sessions like yours" and the re-visit evidence, fed outside the timing like the shopper index.
  const sessions = sessionIndexFrom(config);
  const evidence = listEvidenceFrom(config);
  const recommender = new Recommender({
    catalog,
    index,
    encoder,
    stats,
    shoppers,
    ...(sessions ? { sessions } : {}),
    ...(evidence ? { evidence } : {}),
    options: { ...recommenderOptionsFrom(config), ...fresh },
  });
  const byCategory = new Map<string, string[]>();
  for (const item of items) {
    let ids = byCategory.get(item.category);
    if (!ids) byCategory.set(item.category, (ids = []));
    ids.push(item.itemId);
  }
  const shop: Shop = {
    items,
    catalog,
    index,
    stats,
    reads,
    shoppers,
    sessions,
    evidence,
    recommender,
    random,
    byCategory,
    lastCategory: undefined,
  };
  // Shop-wide sessions: views mostly inside one category, pairs of neighbours co-visited, a purchase now and then.
  for (let s = 0; s < SHOP_SESSIONS; s++) {
    const ts = START - (SHOP_SESSIONS - s) * 60_000;
    const viewed = Array.from({ length: SESSION_VIEWS }, () => sessionItem(shop));
    const pairs: Array<[string, string, number]> = [];
    for (let i = 1; i < viewed.length; i++) pairs.push([viewed[i - 1]!, viewed[i]!, 1]);
    const bought = random() < 0.3 ? viewed.slice(0, 2) : [];
    sessions?.add(`shop-${s}`, viewed, ts);
    await stats.record(`shop-${s}`, {
      items: viewed.map((id) => [id, 1] as [string, number]),
      pairs,
      coPurchases: bought.length === 2 ? [[bought[0]!, bought[1]!, 1]] : [],
      boughtAfter: bought.length === 2 ? [[viewed[2]!, bought[0]!, 1]] : [],
      ts,
    });
  }
  return shop;
}

/** A random item, 70% of the time from the category of the previous pick. */
function sessionItem(shop: Shop): string {
  const { random, items, byCategory, lastCategory } = shop;
  const ids = lastCategory !== undefined && random() < 0.7 ? byCategory.get(lastCategory)! : undefined;
  const id = ids ? ids[Math.floor(random() * ids.length)]! : items[Math.floor(random() * items.length)]!.itemId;
  shop.lastCategory = shop.catalog.get(id)!.category;
  return id;
}

/** The user after one more event: vector, recent, bought and affinity as the engine folds them. */
function after(shop: Shop, user: UserState, itemId: string, type: InteractionType, ts: number): UserState {
  const vector = shop.index.get(itemId);
  const next = vector ? foldIn(user, vector, tasteWeight[type], ts, HALF_LIFE_SECONDS) : user;
  const affinity =
    affinityAfter(user.affinity, affinityGain([[shop.catalog.get(itemId), tasteWeight[type]]]), ts, AFFINITY_HALF_LIFE_SECONDS) ??
    user.affinity;
  return {
    ...user,
    vector: next.vector,
    strength: next.strength,
    updatedAt: ts,
    version: user.version + 1,
    recent: [{ itemId, type, ts }, ...user.recent].slice(0, 50),
    bought: type === 'purchase' ? new Set([...user.bought, itemId]) : user.bought,
    affinity,
  };
}

/** Applies one event of `userId` to the shop (aggregates, shopper index) and returns the new state. */
async function applyEvent(shop: Shop, userId: string, user: UserState, ts: number, eventKey: string): Promise<UserState> {
  const type: InteractionType = shop.random() < 0.08 ? 'purchase' : shop.random() < 0.1 ? 'add_to_cart' : 'view';
  const itemId = sessionItem(shop);
  const previous = user.recent[0]?.itemId;
  const next = after(shop, user, itemId, type, ts);
  await shop.stats.record(eventKey, {
    items: [[itemId, tasteWeight[type]]],
    pairs: previous && previous !== itemId ? [[previous, itemId, 1]] : [],
    ...(type === 'purchase' && previous && previous !== itemId
      ? { coPurchases: [[previous, itemId, 1]] as Array<[string, string, number]> }
      : {}),
    ts,
  });
  shop.shoppers.update(userId, next);
  shop.sessions?.add(userId, [itemId], ts);
  const event: StoredEvent =
    type === 'purchase'
      ? { id: eventKey, type, items: [{ itemId, quantity: 1, price: 1 }], userId, ts, receivedAt: ts }
      : { id: eventKey, type, itemId, userId, ts, receivedAt: ts };
  shop.evidence?.observe(userId, event, user.recent);
  return next;
}

interface Result {
  size: number;
  buildSeconds: number;
  cpuMsPerList: number;
  wallP50Ms: number;
  wallP99Ms: number;
  readsPerList: number;
  /** Mean over the lists of the mean cosine between two items of a list (the serving index's vectors). */
  meanPairCosine: number;
}

async function runSize(size: number, options: Options): Promise<Result> {
  const built = performance.now();
  const shop = await buildShop(size, options);
  const users: UserState[] = [];
  const clock = { ts: START };
  for (let u = 0; u < options.users; u++) {
    let user: UserState = { ...emptyUserState(), tier: shop.random() < 0.8 ? 'regular' : 'vip' };
    const events = HISTORY_MIN + Math.floor(shop.random() * (HISTORY_MAX - HISTORY_MIN + 1));
    for (let e = 0; e < events; e++) user = await applyEvent(shop, `u${u}`, user, (clock.ts += 2000), `h-${u}-${e}`);
    users.push(user);
  }
  const buildSeconds = (performance.now() - built) / 1000;
  const dumped: string[] = [];
  const wall: number[] = [];
  let cpuMicros = 0;
  let reads = 0;
  let pairCosines = 0;
  for (let step = 0; step < options.warmup + options.lists; step++) {
    const u = step % users.length;
    const userId = `u${u}`;
    const ts = (clock.ts += 1000);
    const user = (users[u] = await applyEvent(shop, userId, users[u]!, ts, `e-${step}`));
    const timed = step >= options.warmup;
    const readsBefore = shop.reads.reads;
    const cpu = process.cpuUsage();
    const started = performance.now();
    const request = options.diversity === undefined ? { k: 10 } : { k: 10, diversity: options.diversity };
    const list = await shop.recommender.recommend(user, request, ts + 5, undefined, userId);
    const elapsed = performance.now() - started;
    const used = process.cpuUsage(cpu);
    if (!timed) continue;
    cpuMicros += used.user + used.system;
    wall.push(elapsed);
    reads += shop.reads.reads - readsBefore;
    pairCosines += meanPairCosine(
      shop.index,
      list.items.map((item) => item.itemId),
    );
    if (options.dump) dumped.push(JSON.stringify({ step, userId, items: list.items }));
  }
  if (options.dump) await writeFile(`${options.dump}.${size}`, `${dumped.join('\n')}\n`);
  wall.sort((a, b) => a - b);
  const at = (q: number) => wall[Math.min(wall.length - 1, Math.floor(q * wall.length))] ?? 0;
  return {
    size,
    buildSeconds,
    cpuMsPerList: cpuMicros / 1000 / options.lists,
    wallP50Ms: at(0.5),
    wallP99Ms: at(0.99),
    readsPerList: reads / options.lists,
    meanPairCosine: pairCosines / options.lists,
  };
}

/** The mean cosine between two items of a list (pairs the index knows both of). */
function meanPairCosine(index: VectorIndex, ids: string[]): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < ids.length; i++)
    for (let j = i + 1; j < ids.length; j++) {
      const cosine = index.pairSimilarity(ids[i]!, ids[j]!);
      if (cosine === undefined) continue;
      sum += cosine;
      pairs++;
    }
  return pairs === 0 ? 0 : sum / pairs;
}

async function main(): Promise<number> {
  const options = parseMicroArgs(process.argv.slice(2));
  process.stdout.write(
    `recommend micro-benchmark: ${options.lists} lists (after ${options.warmup} warm-up) of k 10, ${options.users} users, index ${options.index}${options.fresh ? ', caches off' : ''}, node ${process.version}\n`,
  );
  process.stdout.write(
    `items    build s  CPU ms/list  wall p50 ms  wall p99 ms  stats reads/list  mean pair cos (diversity ${options.diversity ?? 'default'})\n`,
  );
  for (const size of options.sizes) {
    const r = await runSize(size, options);
    process.stdout.write(
      `${String(r.size).padEnd(8)} ${r.buildSeconds.toFixed(1).padStart(7)}  ${r.cpuMsPerList.toFixed(3).padStart(11)}  ${r.wallP50Ms.toFixed(3).padStart(11)}  ${r.wallP99Ms.toFixed(3).padStart(11)}  ${r.readsPerList.toFixed(2).padStart(16)}  ${r.meanPairCosine.toFixed(3).padStart(13)}\n`,
    );
  }
  return 0;
}

if (isMain(import.meta.url)) runMain(main, USAGE);
