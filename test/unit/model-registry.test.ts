import { mkdtemp, mkdir, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { MemoryInteractionStats } from '../../engine/recommend/adapters/memory-interaction-stats.js';
import { MemoryPartitionLeases } from '../../engine/stream/adapters/memory-partition-leases.js';
import { MemoryTransport } from '../../engine/platform/adapters/memory-transport.js';
import { loadEngineConfig } from '../../engine/config.js';
import { Engine } from '../../engine/engine.js';
import { MemoryUserStateStore } from '../../engine/shoppers/adapters/memory-user-state-store.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import type { Item, StoredEvent } from '../../engine/contracts/schemas.js';
import { isPulseError } from '../../engine/contracts/errors.js';
import { eventEffect, inSpaceOf, rederiveTaste, type EffectOptions, type VectorLookup } from '../../engine/shoppers/logic/event-effect.js';
import { cosine } from '../../engine/recommend/logic/vector-math.js';
import type { ItemVectorSource } from '../../engine/recommend/item-vector-source.js';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import type { RecentInteraction, UserState } from '../../engine/shoppers/user-state-store.js';
import { CatalogService } from '../../engine/catalog/catalog-service.js';
import { AttributeVectorSource, loadLearnedSource, ModelRegistry, type ServingModel } from '../../engine/recommend/model-registry.js';
import { ContentEncoder, mulberry32 } from '../../models/content-encoder.js';
import { ModelError, writeModel } from '../../models/artifact.js';

const DIM = 32;
const NEW_DIM = 16;

/** A learned model stand-in: a seeded random unit vector per item id; `broken` items throw. */
class TableSource implements ItemVectorSource {
  readonly calls: string[] = [];
  constructor(
    readonly version: string,
    readonly dimension: number,
    private readonly options: { wrongDimensionFor?: string; throwFor?: string } = {},
  ) {}

  vectorFor(item: Item): Float32Array {
    this.calls.push(item.itemId);
    if (item.itemId === this.options.throwFor) throw new Error(`cannot embed ${item.itemId}`);
    const dimension = item.itemId === this.options.wrongDimensionFor ? this.dimension + 1 : this.dimension;
    return seededUnit(`${this.version}:${item.itemId}:${item.title}`, dimension);
  }

  encodeText(): Float32Array {
    return new Float32Array(this.dimension);
  }
}

function seededUnit(key: string, dimension: number): Float32Array {
  let seed = 7;
  for (let i = 0; i < key.length; i++) seed = Math.imul(seed ^ key.charCodeAt(i), 16777619);
  const random = mulberry32(seed >>> 0);
  const out = Float32Array.from({ length: dimension }, () => random() - 0.5);
  const norm = Math.hypot(...out);
  return out.map((x) => x / norm);
}

/** An info-level logger keeping every line (the shared capture helper keeps warn and above only). */
function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

let modelsDir: string;
beforeEach(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'pulse-models-'));
});
afterEach(async () => {
  await rm(modelsDir, { recursive: true, force: true });
});

/** Catalog and registry wired as the engine wires them. */
function shop(options: { items?: Item[]; sources?: Record<string, ItemVectorSource | Error>; sliceMs?: number } = {}) {
  const { logger, lines } = captureLogger();
  const metrics = new Registry();
  const encoder = new ContentEncoder({ dimension: DIM });
  const loads: string[] = [];
  let registry: ModelRegistry;
  const catalog = new CatalogService({ indexer: { upsert: (item) => registry.upsert(item), remove: (id) => registry.remove(id) } });
  registry = new ModelRegistry({
    initial: { source: new AttributeVectorSource(encoder), index: new ExactVectorIndex({ dimension: DIM }) },
    catalog,
    createIndex: (dimension, capacity) => new ExactVectorIndex({ dimension, initialCapacity: capacity }),
    loadSource: async (dir) => {
      loads.push(dir);
      const name = dir.slice(dir.lastIndexOf('/') + 1);
      const source = options.sources?.[name];
      if (!source) throw new ModelError('missing_manifest', `${dir} has no manifest.json`);
      if (source instanceof Error) throw source;
      return source;
    },
    modelsDir,
    logger,
    metrics,
    sliceMs: options.sliceMs ?? 0.2,
  });
  for (const item of options.items ?? generateDemoCatalog({ count: 3000, seed: 7 })) catalog.apply({ type: 'upsert', item });
  return { registry, catalog, lines, metrics, loads };
}

async function modelDir(name: string): Promise<string> {
  const dir = join(modelsDir, name);
  await mkdir(dir, { recursive: true });
  return dir;
}

describe('ModelRegistry swap', () => {
  it('builds the new index in the background and switches source and index in one step', async () => {
    const learned = new TableSource('v2', NEW_DIM);
    const { registry, catalog, lines } = shop({ sources: { v2: learned } });
    const before = registry.current();
    await modelDir('v2');

    // Probe between every turn of the event loop, and change the catalog while the build runs.
    const seen: Array<{ model: ServingModel; size: number; catalogSize: number }> = [];
    let probing = true;
    let turns = 0;
    const probe = () => {
      const model = registry.current();
      seen.push({ model, size: model.index.size, catalogSize: catalog.size });
      turns++;
      if (turns === 3) {
        catalog.apply({ type: 'upsert', item: { itemId: 'new-1', title: 'Brand new lamp', category: 'home/lamps', price: 20 } });
        catalog.apply({ type: 'delete', itemId: 'sku-00001' }); // already in the new index
        catalog.apply({ type: 'delete', itemId: 'sku-03000' }); // not yet reached by the build
        catalog.apply({ type: 'upsert', item: { ...catalog.get('sku-00002')!, title: 'Renamed mug' } });
      }
      if (probing) setImmediate(probe);
    };
    probe();
    const result = await registry.load('v2');
    probing = false;

    expect(result).toMatchObject({ status: 'serving', version: 'v2', items: 2999 });
    const after = registry.current();
    expect(after.source).toBe(learned);
    expect(after.index.dimension).toBe(NEW_DIM);
    // Served meanwhile: only ever the old model or the finished new one, each holding the whole catalog.
    const during = seen.filter((s) => s.model === before);
    expect(during.length).toBeGreaterThan(5);
    for (const s of seen) {
      expect([before, after]).toContain(s.model);
      expect(s.size).toBe(s.catalogSize);
    }
    // Changes during the build reached the new index, with the new model's vectors.
    expect(after.index.size).toBe(catalog.size);
    expect(after.index.has('sku-00001')).toBe(false);
    expect(after.index.has('sku-03000')).toBe(false);
    expect(cosine(after.index.get('new-1')!, learned.vectorFor(catalog.get('new-1')!))).toBeCloseTo(1, 5);
    expect(cosine(after.index.get('sku-00002')!, learned.vectorFor(catalog.get('sku-00002')!))).toBeCloseTo(1, 5);
    for (const id of catalog.ids().slice(0, 200))
      expect(cosine(after.index.get(id)!, learned.vectorFor(catalog.get(id)!))).toBeCloseTo(1, 5);
    expect(lines.some((l) => l.includes('"msg":"model v2 serving (2999 items, built in'))).toBe(true);
    // After the switch, catalog changes go to the new model only.
    catalog.apply({ type: 'upsert', item: { itemId: 'new-2', title: 'Later lamp', category: 'home/lamps', price: 30 } });
    expect(after.index.has('new-2')).toBe(true);
    expect(before.index.has('new-2')).toBe(false);
  });

  it('runs queued loads one at a time, only the newest, and leaves an already serving version alone', async () => {
    const items = generateDemoCatalog({ count: 200, seed: 3 });
    const { registry } = shop({ items, sources: { a: new TableSource('a', 8), b: new TableSource('b', 8), c: new TableSource('c', 8) } });
    for (const name of ['a', 'b', 'c']) await modelDir(name);
    const results = await Promise.all([registry.load('a'), registry.load('b'), registry.load('c')]);
    expect(results.map((r) => r.status)).toEqual(['skipped', 'skipped', 'serving']);
    expect(registry.current().source.version).toBe('c');
    expect(await registry.load('c')).toEqual({ status: 'unchanged', version: 'c' });
  });
});

describe('ModelRegistry refusals', () => {
  const refusedCount = async (metrics: Registry, reason: string) => {
    const metric = await metrics.getSingleMetric('pulse_engine_model_refused_total')!.get();
    return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
  };

  it('refuses a corrupt model with a clear warning and keeps serving the old one', async () => {
    const items = generateDemoCatalog({ count: 300, seed: 5 });
    const { registry, lines, metrics } = shop({
      items,
      sources: { bad: new ModelError('checksum_mismatch', 'items.f32: sha256 0a1b... differs from the manifest') },
    });
    const before = registry.current();
    const dir = await modelDir('bad');
    const result = await registry.load(dir);
    expect(result).toMatchObject({ status: 'refused', reason: 'items.f32: sha256 0a1b... differs from the manifest' });
    expect(registry.current()).toBe(before);
    expect(lines.join('')).toContain(
      `model ${dir} refused: items.f32: sha256 0a1b... differs from the manifest; still serving attributes-v1`,
    );
    expect(await refusedCount(metrics, 'checksum_mismatch')).toBe(1);
  });

  it('refuses a real truncated model directory (read by the artifact reader)', async () => {
    const items = generateDemoCatalog({ count: 100, seed: 5 });
    const { logger, lines } = captureLogger();
    const encoder = new ContentEncoder({ dimension: DIM });
    const catalog = new CatalogService({ index: new ExactVectorIndex({ dimension: DIM }), encoder });
    for (const item of items) catalog.apply({ type: 'upsert', item });
    const registry = new ModelRegistry({
      initial: { source: new AttributeVectorSource(encoder), index: new ExactVectorIndex({ dimension: DIM }) },
      catalog,
      createIndex: (dimension) => new ExactVectorIndex({ dimension }),
      loadSource: (dir) => loadLearnedSource(dir, encoder),
      modelsDir,
      logger,
    });
    const vectors = new Float32Array(items.length * DIM).map((_, i) => Math.sin(i + 1));
    const training = { events: 1, sequences: 1, from: 1, to: 2, epochs: 1, seconds: 0, backend: 'cpu', parameters: {} };
    const good = await writeModel(modelsDir, {
      manifest: { dimension: DIM, metric: 'cosine', itemIds: items.map((i) => i.itemId), training, metrics: {} },
      vectors,
    });
    const bad = await writeModel(modelsDir, {
      manifest: { dimension: DIM, metric: 'cosine', itemIds: items.map((i) => i.itemId), training, metrics: {} },
      vectors,
    });
    await truncate(join(bad.dir, 'items.f32'), 100);

    expect(await registry.load(good.dir)).toMatchObject({ status: 'serving', version: good.version, items: 100 });
    expect(await registry.load(bad.version)).toMatchObject({ status: 'refused' });
    expect(registry.current().source.version).toBe(good.version);
    expect(lines.join('')).toMatch(new RegExp(`model ${bad.dir} refused: .*items\\.f32: 100 bytes.*; still serving ${good.version}`));
  });

  it('refuses directories outside the models directory without reading them', async () => {
    const { registry, loads, metrics } = shop({ items: generateDemoCatalog({ count: 10, seed: 1 }) });
    for (const dir of ['../elsewhere', '/etc', join(modelsDir, '..', 'x'), '', 'missing-version']) {
      expect((await registry.load(dir)).status).toBe('refused');
    }
    expect(loads).toEqual([]);
    expect(await refusedCount(metrics, 'bad_path')).toBe(5);
    expect(registry.current().source.version).toBe('attributes-v1');
  });

  it('refuses a model whose vectors do not fit, or that fails on a catalog change during its build', async () => {
    const items = generateDemoCatalog({ count: 3000, seed: 9 });
    const { registry, catalog, lines } = shop({
      items,
      sources: {
        wrong: new TableSource('wrong', NEW_DIM, { wrongDimensionFor: 'sku-00500' }),
        late: new TableSource('late', NEW_DIM, { throwFor: 'late-item' }),
      },
    });
    await modelDir('wrong');
    await modelDir('late');
    expect(await registry.load('wrong')).toMatchObject({ status: 'refused', reason: expect.stringContaining('sku-00500') });
    const loading = registry.load('late');
    // Once the build runs, an item arrives that the new model cannot embed.
    const changeDuringBuild = () => {
      if (registry.building === 'late')
        catalog.apply({ type: 'upsert', item: { itemId: 'late-item', title: 'Late', category: 'misc', price: 1 } });
      else setImmediate(changeDuringBuild);
    };
    changeDuringBuild();
    expect(await loading).toMatchObject({ status: 'refused', reason: expect.stringContaining('late-item') });
    // The serving model took the change; nothing of either refused model is left behind.
    expect(registry.current().source.version).toBe('attributes-v1');
    expect(registry.current().index.has('late-item')).toBe(true);
    expect(registry.building).toBeUndefined();
    expect(lines.filter((l) => l.includes('still serving attributes-v1'))).toHaveLength(2);
  });
});

describe('lazy re-derivation of user vectors', () => {
  const T0 = 1_750_000_000_000;
  const HALF_LIFE = 3600;
  const options: EffectOptions = { tasteHalfLifeSeconds: HALF_LIFE, sessionGapSeconds: 1800, coVisitWindow: 5, recentLimit: 50 };
  const axis = (i: number, dimension = 4) => Float32Array.from({ length: dimension }, (_, j) => (j === i ? 1 : 0));
  const learned: VectorLookup = {
    item: (id) => ({ a: axis(0), b: axis(1), c: axis(2) })[id],
    text: () => new Float32Array(4),
    version: 'v2',
    dimension: 4,
  };
  const user = (recent: RecentInteraction[], extra: Partial<UserState> = {}): UserState => ({
    ...emptyUserState(),
    vector: seededUnit('old-space', DIM),
    strength: 12,
    updatedAt: recent[0]?.ts ?? T0,
    version: 7,
    recent,
    bought: new Set(),
    counts: {},
    tier: 'regular',
    ...extra,
  });

  it('folds the recent history in the new space, newest weighing most, purchases shared per basket', () => {
    // Newest first, as stored: a purchase of b and c (one basket), then an older view of a.
    const recent: RecentInteraction[] = [
      { itemId: 'b', type: 'purchase', ts: T0 + 3_600_000 },
      { itemId: 'c', type: 'purchase', ts: T0 + 3_600_000 },
      { itemId: 'a', type: 'view', ts: T0 },
      { itemId: 'gone', type: 'view', ts: T0 - 1000 },
    ];
    const state = inSpaceOf(user(recent), learned, HALF_LIFE);
    expect(state.vectorVersion).toBe('v2');
    expect(state.vector).toHaveLength(4);
    const [a, b, c] = [...state.vector!];
    // a was viewed (weight 1) an hour (one half-life) before the basket: 0.5; b and c share 5 as 5/sqrt(2).
    expect(b! / a!).toBeCloseTo(5 / Math.SQRT2 / 0.5, 4);
    expect(b).toBeCloseTo(c!, 6);
    expect(state.strength).toBeCloseTo(0.5 + 2 * (5 / Math.SQRT2), 4);
    expect(state.version).toBe(7);
    // Order matters: the same items the other way round lean towards a.
    const reversed = rederiveTaste(
      [recent[2]!, recent[0]!, recent[1]!].map((r, i) => ({ ...r, ts: T0 + (2 - i) * 3_600_000 })),
      learned,
      HALF_LIFE,
      T0 + 7_200_000,
    );
    expect(reversed.vector![0]).toBeGreaterThan(state.vector![0]!);
  });

  it('leaves a vector of the serving version alone and re-derives one of another version or dimension', () => {
    const recent: RecentInteraction[] = [{ itemId: 'a', type: 'view', ts: T0 }];
    const current = user(recent, { vector: axis(3), vectorVersion: 'v2' });
    expect(inSpaceOf(current, learned, HALF_LIFE)).toBe(current);
    // No recorded version means attribute vectors: stale under v2.
    expect(inSpaceOf(user(recent, { vector: axis(3) }), learned, HALF_LIFE).vector).toEqual(axis(0));
    // Same version name but another dimension (VECTOR_DIM changed): re-derived too.
    expect(inSpaceOf(user(recent, { vectorVersion: 'v2' }), learned, HALF_LIFE).vector).toEqual(axis(0));
    // Nothing known in the new space: no vector rather than one from the wrong space.
    const unknown = inSpaceOf(user([{ itemId: 'gone', type: 'view', ts: T0 }]), learned, HALF_LIFE);
    expect(unknown.vector).toBeNull();
    expect(unknown.strength).toBe(0);
  });

  it('stores the re-derived vector with the next event, with its version, even when the event moves nothing', async () => {
    const store = new MemoryUserStateStore({ recentLimit: 50, dedupeTtlSeconds: 60 });
    const view = (id: string, itemId: string, ts: number): StoredEvent => ({ id, userId: 'u1', type: 'view', itemId, ts, receivedAt: ts });
    const attributes: VectorLookup = {
      item: (id) => ({ a: axis(3), b: axis(2) })[id],
      text: () => new Float32Array(4),
      version: 'attributes-v1',
      dimension: 4,
    };
    for (const [i, itemId] of ['a', 'b'].entries()) {
      const effect = eventEffect(await store.load('u1'), view(`e${i}`, itemId, T0 + i * 1000), attributes, options);
      expect(effect.change.vectorVersion).toBe('attributes-v1');
      expect(await store.apply('u1', effect.change)).toBe('applied');
    }
    const stale = await store.load('u1');
    expect(stale.vectorVersion).toBe('attributes-v1');

    const effect = eventEffect(stale, view('e2', 'not-in-model', T0 + 5000), learned, options);
    expect(effect.change.vectorVersion).toBe('v2');
    expect(cosine(effect.change.vector!, rederiveTaste(stale.recent, learned, HALF_LIFE, stale.updatedAt).vector!)).toBeCloseTo(1, 6);
    expect(await store.apply('u1', effect.change)).toBe('applied');
    const stored = await store.load('u1');
    expect(stored.vectorVersion).toBe('v2');
    expect(cosine(stored.vector!, effect.next.vector!)).toBeCloseTo(1, 6);
    expect(inSpaceOf(stored, learned, HALF_LIFE)).toBe(stored);
  });

  it('refuses a vector version without a vector', async () => {
    const store = new MemoryUserStateStore({ recentLimit: 50, dedupeTtlSeconds: 60 });
    const change = {
      eventId: 'e1',
      expectedVersion: 0,
      type: 'view' as const,
      strength: 1,
      updatedAt: T0,
      recent: [],
      bought: [],
      vectorVersion: 'v2',
    };
    const error = await store.apply('u1', change).catch((err: unknown) => err);
    expect(isPulseError(error) && error.code).toBe('invalid_request');
    expect((await store.load('u1')).version).toBe(0);
  });
});

describe('Engine model loading on in-process fakes', () => {
  const items = generateDemoCatalog({ count: 400, seed: 4 });
  const training = { events: 1, sequences: 1, from: 1, to: 2, epochs: 1, seconds: 0, backend: 'cpu', parameters: {} };
  /** A model whose rows are seeded random vectors (no content tower: new items use the attribute encoder). */
  const writeRandomModel = (dimension = DIM) =>
    writeModel(modelsDir, {
      manifest: { dimension, metric: 'cosine', itemIds: items.map((i) => i.itemId), training, metrics: {} },
      vectors: Float32Array.from({ length: items.length * dimension }, (_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 1),
    });

  async function startEngine() {
    const { logger, lines } = captureLogger();
    const config = loadEngineConfig({ PULSE_PARTITIONS: '2', VECTOR_DIM: String(DIM), DEMO_CATALOG: 'false', DATA_DIR: '/nonexistent' });
    const transport = new MemoryTransport({ partitions: 2, ackWaitMs: 1000, logger });
    const engine = new Engine({
      config,
      logger,
      eventSource: transport.eventLog,
      catalogLog: transport.catalogLog,
      notifier: transport.notifier,
      rpcServer: transport.rpcServer,
      users: new MemoryUserStateStore({ recentLimit: 50, dedupeTtlSeconds: 3600 }),
      stats: new MemoryInteractionStats({ popularityHalfLifeSeconds: 3600 }),
      leases: new MemoryPartitionLeases(),
      index: new ExactVectorIndex({ dimension: DIM }),
      createIndex: (dimension, capacity) => new ExactVectorIndex({ dimension, initialCapacity: capacity }),
      modelAnnouncements: transport.modelAnnouncements,
      modelsDir,
    });
    await transport.catalogLog.put(items);
    await engine.start();
    return { engine, transport, lines, close: async () => void (await Promise.all([engine.close(), transport.close()])) };
  }

  it('starts on the newest model in the models directory, and swaps to an announced one', async () => {
    const older = await writeRandomModel();
    const { engine, transport, lines, close } = await startEngine();
    try {
      expect(engine.status()).toMatchObject({ modelVersion: older.version, catalogItems: 400 });
      // Another dimension and no content tower: new items could not be embedded, so it is refused.
      const unusable = await writeRandomModel(24);
      await transport.modelAnnouncements.announce({ version: unusable.version, dir: unusable.dir });
      await expect
        .poll(
          () => lines.join('').includes(`model ${unusable.dir} refused: model ${unusable.version} has dimension 24 and no content tower`),
          { timeout: 5000, interval: 10 },
        )
        .toBe(true);
      expect(engine.status().modelVersion).toBe(older.version);
      const newer = await writeRandomModel();
      await transport.modelAnnouncements.announce({ version: newer.version, dir: newer.version });
      await expect.poll(() => engine.status().modelVersion, { timeout: 5000, interval: 10 }).toBe(newer.version);
      const list = await transport.rpcClient.call('recommend', {
        principal: { userId: 'u1', role: 'visitor', tier: 'regular' },
        userId: 'u1',
        options: { k: 5 },
      });
      expect(list.modelVersion).toBe(newer.version);
      // A malformed announcement is refused at the sender.
      const error = await transport.modelAnnouncements.announce({ version: '', dir: 'x' }).catch((err: unknown) => err);
      expect(isPulseError(error) && error.code).toBe('invalid_request');
    } finally {
      await close();
    }
  });

  it('starts on attribute vectors when the newest model is corrupt, and says so', async () => {
    const bad = await writeRandomModel();
    await truncate(join(bad.dir, 'items.f32'), 64);
    const { engine, lines, close } = await startEngine();
    try {
      expect(engine.status().modelVersion).toBe('attributes-v1');
      expect(lines.join('')).toContain(`model ${bad.dir} refused:`);
      expect(lines.join('')).toContain('still serving attributes-v1');
    } finally {
      await close();
    }
  });
});
