import { mkdir, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import type { Item } from '../../engine/contracts/schemas.js';
import { cosine } from '../../engine/recommend/logic/vector-math.js';
import type { ItemVectorSource } from '../../engine/recommend/item-vector-source.js';
import { CatalogService } from '../../engine/catalog/catalog-service.js';
import { AttributeVectorSource, loadLearnedSource, ModelRegistry, type ServingModel } from '../../engine/recommend/model-registry.js';
import { ContentEncoder } from '../../models/content-encoder.js';
import { ModelError, writeModel } from '../../models/artifact.js';
import { captureLogger, DIM, NEW_DIM, TableSource, useModelsDir } from '../helpers/model-registry-fixtures.js';

/**
 * The ModelRegistry: a swap to a new model (built in the background, switched in one step) and the
 * models it refuses. Re-derived user vectors: user-vector-rederivation.test.ts; the engine's model
 * loading: engine-model-loading.test.ts.
 */

let modelsDir: string;
useModelsDir((dir) => {
  modelsDir = dir;
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
