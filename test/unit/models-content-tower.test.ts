import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Item } from '../../engine/contracts/schemas.js';
import { ModelError, readModel, writeModel, type LoadedModel } from '../../models/artifact.js';
import { initTensorFlow } from '../../models/backend.js';
import { ContentEncoder, mulberry32 } from '../../models/content-encoder.js';
import { encodeItemWithTower, hashFeatures, textFeatures } from '../../models/content-tower.js';
import { LearnedVectorSource } from '../../models/learned-vector-source.js';
import type { InteractionEvent } from '../../models/sequences.js';
import { TrainingDataError, trainModel } from '../../models/train.js';

const D = 32;

/** Two groups with nothing in common in their attributes; sessions stay inside a group. */
const GROUPS = {
  a: { category: 'kitchen/mugs', brand: 'Kova', words: ['glazed', 'stoneware', 'mug', 'teapot', 'saucer'], price: 9 },
  b: { category: 'garden/tools', brand: 'Tergo', words: ['forged', 'rustproof', 'spade', 'rake', 'trowel'], price: 65 },
} as const;

function item(group: keyof typeof GROUPS, itemId: string, random: () => number): Item {
  const spec = GROUPS[group];
  const word = () => spec.words[Math.floor(random() * spec.words.length)]!;
  return {
    itemId,
    title: `${spec.brand} ${word()} ${word()}`,
    category: spec.category,
    brand: spec.brand,
    price: spec.price,
    tags: [word()],
  };
}

function shop(): { items: Item[]; events: InteractionEvent[] } {
  const random = mulberry32(21);
  const items: Item[] = [];
  for (const group of ['a', 'b'] as const) for (let n = 0; n < 15; n++) items.push(item(group, `${group}-${n}`, random));
  const events: InteractionEvent[] = [];
  let ts = Date.UTC(2025, 0, 1);
  for (let s = 0; s < 800; s++) {
    const group = s % 2 === 0 ? 'a' : 'b';
    for (let i = 0; i < 5; i++)
      events.push({ userId: `u${s}`, type: 'view', itemId: `${group}-${Math.floor(random() * 15)}`, ts: (ts += 60_000) });
  }
  return { items, events };
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** Mean cosine of `vector` with the learned vectors of a group's items. */
function meanCosineWithGroup(source: LearnedVectorSource, items: Item[], group: string, vector: Float32Array): number {
  const members = items.filter((i) => i.itemId.startsWith(`${group}-`));
  return members.reduce((sum, member) => sum + dot(vector, source.vectorFor(member)), 0) / members.length;
}

let dir: string;
let model: LoadedModel;
let data: ReturnType<typeof shop>;
const fallback = new ContentEncoder({ dimension: D });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pulse-tower-'));
  data = shop();
  const { tf, backend } = await initTensorFlow();
  const trained = await trainModel({
    events: data.events,
    items: data.items,
    options: { dimension: D, epochs: 8, seed: 2, tied: true, learningRate: 0.3, towerEpochs: 40 },
    tf,
    backend,
  });
  expect(trained.summary.towerItems).toBe(30);
  expect(trained.manifest.metrics.towerTrainCosine).toBeGreaterThan(0.5);
  const written = await writeModel(dir, trained);
  model = await readModel(written.dir);
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('content tower', () => {
  it('maps an unseen item with group A attributes near group A and away from group B', () => {
    const source = new LearnedVectorSource(model, fallback);
    const fresh = item('a', 'new-a', mulberry32(5));
    expect(source.knows('new-a')).toBe(false);
    const vector = source.vectorFor(fresh);
    expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    const nearA = meanCosineWithGroup(source, data.items, 'a', vector);
    const nearB = meanCosineWithGroup(source, data.items, 'b', vector);
    expect(nearA).toBeGreaterThan(0.5);
    expect(nearA - nearB).toBeGreaterThan(0.5);
    // The same for group B, so the check is not one-sided.
    const freshB = source.vectorFor(item('b', 'new-b', mulberry32(6)));
    expect(meanCosineWithGroup(source, data.items, 'b', freshB) - meanCosineWithGroup(source, data.items, 'a', freshB)).toBeGreaterThan(
      0.5,
    );
  });

  it('encodes a text query with the word features of the titles', () => {
    const source = new LearnedVectorSource(model, fallback);
    const query = source.encodeText('stoneware teapot');
    expect(meanCosineWithGroup(source, data.items, 'a', query) - meanCosineWithGroup(source, data.items, 'b', query)).toBeGreaterThan(0.3);
    // No usable word: zero from the tower, then the fallback's zero too.
    expect(Array.from(source.encodeText('the and of')).every((x) => x === 0)).toBe(true);
  });

  it('zeroes rows no training feature touched, so an unknown attribute adds nothing', () => {
    const tower = {
      table: model.contentTable!,
      buckets: model.manifest.contentTower!.buckets,
      seed: model.manifest.contentTower!.seed,
      dimension: D,
    };
    const unknown = hashFeatures(textFeatures('zeppelin'), tower.buckets, tower.seed);
    for (const { row } of unknown) expect(tower.table.subarray(row * D, row * D + D).every((x) => x === 0)).toBe(true);
    const alien: Item = { itemId: 'alien', title: 'Zeppelin', category: 'airships', price: 1e6 };
    // Every feature unknown (title, category, price band): the tower gives the zero vector...
    expect(encodeItemWithTower(tower, alien).every((x) => x === 0)).toBe(true);
    // ... and the source falls back to the attribute encoder.
    expect(Array.from(new LearnedVectorSource(model, fallback).vectorFor(alien))).toEqual(Array.from(fallback.encodeItem(alien)));
  });
});

describe('LearnedVectorSource', () => {
  it('serves learned rows for known items, as copies', () => {
    const source = new LearnedVectorSource(model, fallback);
    expect(source.version).toBe(model.manifest.version);
    expect(source.dimension).toBe(D);
    expect(source.hasContentTower).toBe(true);
    const known = data.items[3]!;
    const row = model.rowOf.get(known.itemId)!;
    const vector = source.vectorFor(known);
    expect(Array.from(vector)).toEqual(Array.from(model.vectors.subarray(row * D, row * D + D)));
    vector.fill(0);
    expect(source.vectorFor(known).some((x) => x !== 0)).toBe(true);
  });

  it('without a tower falls back to the attribute encoder of the same dimension', () => {
    const { contentTable: _table, ...rest } = model;
    const { contentTower: _tower, ...manifest } = model.manifest;
    const noTower: LoadedModel = { ...rest, manifest };
    const source = new LearnedVectorSource(noTower, fallback);
    const fresh = item('a', 'new-a', mulberry32(5));
    expect(Array.from(source.vectorFor(fresh))).toEqual(Array.from(fallback.encodeItem(fresh)));
    expect(Array.from(source.encodeText('mug'))).toEqual(Array.from(fallback.encodeText('mug')));
    // A fallback of another dimension cannot help: refused with a clear reason.
    expect(() => new LearnedVectorSource(noTower, new ContentEncoder({ dimension: D * 2 }))).toThrow(ModelError);
    // With a tower, the fallback's dimension does not matter.
    expect(new LearnedVectorSource(model, new ContentEncoder({ dimension: D * 2 })).vectorFor(fresh)).toHaveLength(D);
  });
});

describe('trainModel', () => {
  it('refuses data that cannot make a model', async () => {
    const { tf, backend } = await initTensorFlow();
    await expect(trainModel({ events: [{ userId: 'u', type: 'view', itemId: 'a', ts: 1 }], tf, backend })).rejects.toThrow(
      TrainingDataError,
    );
  });

  it('records the training range, parameters and metrics for the manifest', async () => {
    const { tf, backend } = await initTensorFlow();
    const trained = await trainModel({ events: data.events, tf, backend, options: { dimension: 8, epochs: 1 } });
    expect(trained.content).toBeUndefined();
    expect(trained.manifest.training).toMatchObject({
      events: data.events.length,
      from: data.events[0]!.ts,
      to: data.events[data.events.length - 1]!.ts,
      epochs: 1,
      backend: 'wasm',
    });
    expect(trained.manifest.training.parameters).toMatchObject({ dimension: 8, window: 3, negatives: 5, engine: 'tfjs' });
    expect(trained.manifest.metrics.finalLoss).toBeGreaterThan(0);
    expect(trained.manifest.itemIds).toHaveLength(30);
  });
});
