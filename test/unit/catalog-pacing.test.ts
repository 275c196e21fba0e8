import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { MemoryCatalogLog } from '../../engine/catalog/adapters/memory-catalog-log.js';
import { DEFAULT_MAX_PER_SLICE, SlicedQueue } from '../../engine/platform/sliced-queue.js';
import type { Item } from '../../engine/contracts/schemas.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import { CatalogService } from '../../engine/catalog/catalog-service.js';
import { AttributeVectorSource, ModelRegistry } from '../../engine/recommend/model-registry.js';
import { ContentEncoder } from '../../models/content-encoder.js';

const logger = pino({ level: 'silent' });
const DIM = 16;

/** Catalog and registry wired as the engine wires them, fed from an in-memory CATALOG. */
function engineCatalog() {
  const encoder = new ContentEncoder({ dimension: DIM });
  let registry: ModelRegistry;
  const catalog = new CatalogService({ indexer: { upsert: (item) => registry.upsert(item), remove: (id) => registry.remove(id) } });
  registry = new ModelRegistry({
    initial: { source: new AttributeVectorSource(encoder), index: new ExactVectorIndex({ dimension: DIM }) },
    catalog,
    createIndex: (dimension, capacity) => new ExactVectorIndex({ dimension, initialCapacity: capacity }),
    loadSource: () => Promise.reject(new Error('no models here')),
    modelsDir: '/nonexistent',
    logger,
  });
  return { catalog, registry };
}

/**
 * Counts the event loop's turns (a setImmediate that re-arms itself runs once per turn) and the
 * changes applied between two turns, and the longest wall-clock gap between turns.
 */
function loopProbe(applied: () => number) {
  let running = true;
  let turns = 0;
  let maxPerTurn = 0;
  let maxGapMs = 0;
  let lastApplied = applied();
  let lastAt = performance.now();
  const tick = () => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - lastAt);
    maxPerTurn = Math.max(maxPerTurn, applied() - lastApplied);
    lastApplied = applied();
    lastAt = now;
    turns++;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop: () => {
      running = false;
      return { turns, maxPerTurn, maxGapMs };
    },
  };
}

describe('catalog pacing', () => {
  it('applies a 20,000-item upsert through the catalog path in slices, yielding to the loop between them', async () => {
    const log = new MemoryCatalogLog(logger, { maxPerSlice: 100 });
    const { catalog } = engineCatalog();
    const items = generateDemoCatalog({ count: 20_000, seed: 11 });
    const stop = new AbortController();
    let applied = 0;
    await log.follow((change) => {
      catalog.apply(change);
      applied++;
    }, stop.signal);

    const probe = loopProbe(() => applied);
    // As catalog.upsert stores the gateway's batches (at most 1000 items each); the follower applies them afterwards.
    for (let start = 0; start < items.length; start += 1000) await log.put(items.slice(start, start + 1000));
    while (applied < items.length) await new Promise((resolve) => setTimeout(resolve, 10));
    const { turns, maxPerTurn, maxGapMs } = probe.stop();
    stop.abort();

    expect(catalog.size).toBe(20_000);
    // Never more than one slice's worth between two turns of the loop, so at least 200 turns.
    expect(maxPerTurn).toBeLessThanOrEqual(100);
    expect(turns).toBeGreaterThanOrEqual(200);
    // No wall-clock bound on maxGapMs (a loaded 2-core machine stalls any process now and then):
    // the bounds that matter are the per-turn counts above; the gap is logged below.
    console.info(`catalog pacing: 20,000 upserts in ${turns} turns, at most ${maxPerTurn} per turn, longest gap ${maxGapMs.toFixed(1)} ms`);
  });

  it('replays a catalog to a new follower in slices too, and resolves once it is applied', async () => {
    const log = new MemoryCatalogLog(logger);
    await log.put(generateDemoCatalog({ count: 5000, seed: 12 }));
    const { catalog } = engineCatalog();
    const stop = new AbortController();
    const probe = loopProbe(() => catalog.size);
    await log.follow((change) => catalog.apply(change), stop.signal);
    const { turns, maxPerTurn } = probe.stop();
    stop.abort();
    expect(catalog.size).toBe(5000);
    expect(maxPerTurn).toBeLessThanOrEqual(DEFAULT_MAX_PER_SLICE);
    expect(turns).toBeGreaterThanOrEqual(Math.ceil(5000 / DEFAULT_MAX_PER_SLICE));
  });
});

describe('SlicedQueue', () => {
  it('runs items in push order, never inside push, and stops for good', async () => {
    const ran: number[] = [];
    const queue = new SlicedQueue<number>((n) => ran.push(n), { maxPerSlice: 2 });
    for (let n = 0; n < 5; n++) queue.push(n);
    expect(ran).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(ran).toEqual([0, 1]);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(ran).toEqual([0, 1, 2, 3, 4]);
    queue.push(5);
    queue.stop();
    queue.push(6);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(ran).toEqual([0, 1, 2, 3, 4]);
    expect(queue.length).toBe(0);
  });

  it('ends a slice once it ran sliceMs of work', async () => {
    const perTurn: number[] = [0];
    let running = true;
    const tick = () => {
      perTurn.push(0);
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    // Each item busy-waits 3 ms, so a 5 ms slice ends after its second item at most.
    const queue = new SlicedQueue<number>(
      () => {
        const until = performance.now() + 3;
        while (performance.now() < until);
        perTurn[perTurn.length - 1]!++;
      },
      { sliceMs: 5, maxPerSlice: 100 },
    );
    for (let n = 0; n < 20; n++) queue.push(n);
    while (queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    running = false;
    expect(perTurn.reduce((a, b) => a + b, 0)).toBe(20);
    expect(Math.max(...perTurn)).toBeLessThanOrEqual(2);
  });
});

describe('CatalogService ids', () => {
  const item = (itemId: string): Item => ({ itemId, title: `Item ${itemId}`, category: 'home/lamps', price: 10 });

  it('keeps the sorted ids in step with changes, without changing an array already handed out', () => {
    const { catalog } = engineCatalog();
    for (const id of ['m', 'c', 'x']) catalog.apply({ type: 'upsert', item: item(id) });
    const first = catalog.ids();
    expect(first).toEqual(['c', 'm', 'x']);
    catalog.apply({ type: 'upsert', item: item('a') });
    catalog.apply({ type: 'upsert', item: item('n') });
    catalog.apply({ type: 'upsert', item: item('m') }); // a known id: no second entry
    catalog.apply({ type: 'delete', itemId: 'x' });
    catalog.apply({ type: 'delete', itemId: 'unknown' });
    expect(first).toEqual(['c', 'm', 'x']);
    expect(catalog.ids()).toEqual(['a', 'c', 'm', 'n']);
    expect(catalog.list({ tier: 'regular', limit: 10, offset: 0 }).items.map((i) => i.itemId)).toEqual(['a', 'c', 'm', 'n']);
  });
});
