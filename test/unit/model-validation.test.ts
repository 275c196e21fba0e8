import { describe, expect, it } from 'vitest';
import { describeServingModel } from '../../engine/contracts/model-info.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import { ContentEncoder } from '../../models/content-encoder.js';
import { LearnedVectorSource } from '../../models/learned-vector-source.js';
import type { InteractionEvent } from '../../models/sequences.js';
import {
  DEFAULT_DATA_THRESHOLDS,
  attributeSpace,
  candidateSpace,
  dataFailures,
  dataFigures,
  evaluateNextItem,
  gateDecision,
  learnedSpace,
  splitHoldout,
  type HeldOutCase,
} from '../../models/validation.js';

const HOUR = 3_600_000;

/** A split with `n` held-out cases, its cut-off set by the held-out share. */
function heldOut(n: number) {
  return { cases: Array.from({ length: n }, (): HeldOutCase => ({ prefix: ['a'], target: 'b' })), boundBy: 'share' as const, from: 0 };
}

/** `users` sessions of `length` views, one per hour, item ids from `pick`. */
function sessions(users: number, length: number, pick: (user: number, i: number) => string): InteractionEvent[] {
  const events: InteractionEvent[] = [];
  for (let u = 0; u < users; u++)
    for (let i = 0; i < length; i++) events.push({ userId: `u${u}`, type: 'view', itemId: pick(u, i), ts: u * HOUR + i * 60_000 });
  return events;
}

/** A unit vector along axis `axis` of `dimension` dimensions, plus `tilt` along axis (axis + 1). */
function axis(dimension: number, index: number, tilt = 0): Float32Array {
  const v = new Float32Array(dimension);
  v[index % dimension] = 1;
  v[(index + 1) % dimension] = tilt;
  return v;
}

describe('data thresholds', () => {
  it("refuse the demo's 163 events over 38 of 3,003 items, naming each threshold and its figures", () => {
    const catalog = new Set(Array.from({ length: 3003 }, (_, i) => `sku-${i}`));
    const events: InteractionEvent[] = Array.from({ length: 163 }, (_, i) => ({
      userId: `u${i % 20}`,
      type: 'view',
      itemId: `sku-${i % 38}`,
      ts: i * 60_000,
    }));
    const figures = dataFigures(events, catalog);
    expect(figures).toEqual({ usableEvents: 163, items: 38, catalogItems: 3003, coveredCatalogItems: 38 });
    const failures = dataFailures(figures, heldOut(12), DEFAULT_DATA_THRESHOLDS);
    expect(failures).toEqual([
      '163 usable events, fewer than --min-events 1,000',
      'the events cover 38 of 3,003 catalog items (1.3%), less than --min-coverage 20%',
      '12 held-out cases, fewer than --min-heldout 100',
    ]);
  });

  it('accept a real-sized log, skip the coverage check without a catalog, and ignore events without items', () => {
    const events = sessions(500, 5, (u, i) => `i${(u * 7 + i) % 300}`);
    events.push({ userId: 'x', type: 'search', ts: 0 }, { userId: 'x', type: 'dislike', itemId: 'i1', ts: 0 });
    const catalog = new Set(Array.from({ length: 400 }, (_, i) => `i${i}`));
    expect(dataFailures(dataFigures(events, catalog), heldOut(500), DEFAULT_DATA_THRESHOLDS)).toEqual([]);
    const noCatalog = dataFigures(events);
    expect(noCatalog).toEqual({ usableEvents: 2500, items: 300 });
    expect(dataFailures(noCatalog, heldOut(500), DEFAULT_DATA_THRESHOLDS)).toEqual([]);
  });
});

describe('held-out split', () => {
  it('holds out the newest share of sessions by start time; the training part has nothing from then on', () => {
    const events = sessions(100, 4, (u, i) => `i${u % 10}-${i}`);
    const split = splitHoldout(events, { share: 0.1 });
    expect(split.from).toBe(90 * HOUR);
    expect(split.heldOutSessions).toBe(10);
    expect(split.heldOutEvents).toBe(40);
    expect(split.training).toHaveLength(360);
    expect(split.training.every((e) => e.ts! < split.from)).toBe(true);
    // Three cases per four-item session, the prefix's last three items at most, oldest first.
    expect(split.allCases).toBe(30);
    expect(split.cases[0]).toEqual({ prefix: ['i0-0'], target: 'i0-1' });
    expect(split.cases[2]).toEqual({ prefix: ['i0-0', 'i0-1', 'i0-2'], target: 'i0-3' });
  });

  it('never holds out events the serving model trained on, and says so when too few newer ones are left', () => {
    const events = sessions(100, 4, (u, i) => `i${u % 10}-${i}`);
    const split = splitHoldout(events, { share: 0.1, notBefore: 95 * HOUR });
    expect(split).toMatchObject({ from: 95 * HOUR, boundBy: 'serving', heldOutSessions: 5, allCases: 15 });
    expect(split.training).toHaveLength(380);
    // An older bound changes nothing.
    expect(splitHoldout(events, { share: 0.1, notBefore: 50 * HOUR })).toMatchObject({ from: 90 * HOUR, boundBy: 'share' });
    expect(dataFailures({ usableEvents: 5000, items: 300 }, split, DEFAULT_DATA_THRESHOLDS)).toEqual([
      "15 held-out cases, fewer than --min-heldout 100 after the serving model's last training event (1970-01-04T23:00:00.000Z): new events are needed to judge a new model",
    ]);
  });

  it('keeps at most maxCases, spread evenly over all the cases', () => {
    const split = splitHoldout(
      sessions(100, 5, (u, i) => `i${u}-${i}`),
      { share: 0.5, maxCases: 20, queryItems: 1 },
    );
    expect(split.allCases).toBe(200);
    expect(split.cases).toHaveLength(20);
    expect(new Set(split.cases.map((c) => c.prefix[0]!.split('-')[0])).size).toBe(20);
  });

  it('refuses a share outside (0, 1)', () => {
    expect(() => splitHoldout([], { share: 0 })).toThrow(/holdout share/);
    expect(() => splitHoldout([], { share: 1 })).toThrow(/holdout share/);
  });
});

describe('next-item evaluation', () => {
  it('ranks by cosine, leaves the last prefix item out, and counts unknown targets and prefixes as misses', async () => {
    const D = 8;
    // a is closest to b, then c; d..h point elsewhere.
    const space = candidateSpace('m', D, [
      ['a', axis(D, 0)],
      ['b', axis(D, 0, 0.5)],
      ['c', axis(D, 0, 1.5)],
      ['d', axis(D, 2)],
      ['e', axis(D, 3)],
      ['f', axis(D, 4)],
      ['zero', new Float32Array(D)],
    ]);
    expect(space.ids).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    const cases: HeldOutCase[] = [
      { prefix: ['a'], target: 'b' }, // rank 0
      { prefix: ['a'], target: 'c' }, // rank 1 (b above it; a itself is left out)
      { prefix: ['a'], target: 'unknown' }, // unknown target
      { prefix: ['nothing'], target: 'b' }, // no prefix item known
    ];
    const at20 = await evaluateNextItem(space, cases);
    expect(at20).toEqual({ hitRate: 0.5, mrr: (1 + 1 / 2) / 4, unknownTargets: 1 });
    const at1 = await evaluateNextItem(space, cases, { k: 1, batchSize: 1 });
    expect(at1).toEqual({ hitRate: 0.25, mrr: 0.25, unknownTargets: 1 });
  });

  it('scores a learned model over the catalog as the engine would index it, and the attribute model over the catalog', () => {
    const D = 16;
    const catalog = generateDemoCatalog({ count: 30, seed: 3 });
    const learnedIds = ['sku-00001', 'sku-00002', 'gone-item'];
    const vectors = new Float32Array(learnedIds.length * D);
    learnedIds.forEach((_, row) => vectors.set(axis(D, row), row * D));
    const source = new LearnedVectorSource(
      { manifest: { version: 'v1', dimension: D, itemIds: learnedIds }, vectors, rowOf: new Map(learnedIds.map((id, row) => [id, row])) },
      new ContentEncoder({ dimension: D }),
    );
    const learned = learnedSpace(source, catalog);
    // Every catalog item (attribute fallback: no tower) and the learned item no longer in the catalog.
    expect(learned.ids).toHaveLength(31);
    expect(Array.from(learned.vectors.subarray(learned.rowOf.get('sku-00002')! * D, learned.rowOf.get('sku-00002')! * D + D))).toEqual(
      Array.from(axis(D, 1)),
    );
    const attributes = attributeSpace('attributes-v1', new ContentEncoder({ dimension: D }), catalog);
    expect(attributes.ids).toHaveLength(30);
    expect(attributes.rowOf.has('gone-item')).toBe(false);
  });
});

describe('gate decision', () => {
  const serving = { hitRate: 0.4, mrr: 0.2, unknownTargets: 0 };
  it('publishes a model not worse than the serving one (within the tolerance) and refuses a worse one unless forced', () => {
    expect(gateDecision({ hitRate: 0.395, mrr: 0.1, unknownTargets: 0 }, serving, { tolerance: 0.01, force: false }).publish).toBe(true);
    const worse = gateDecision({ hitRate: 0.3, mrr: 0.1, unknownTargets: 0 }, serving, { tolerance: 0.01, force: false });
    expect(worse).toEqual({
      publish: false,
      reason:
        'new HR@20 0.3000 < serving 0.4000 - tolerance 0.01: the new model is worse than the serving one (use --force to publish it anyway)',
    });
    const forced = gateDecision({ hitRate: 0.3, mrr: 0.1, unknownTargets: 0 }, serving, { tolerance: 0.01, force: true });
    expect(forced.publish).toBe(true);
    expect(forced.reason).toMatch(/published because of --force/);
  });
});

describe('the serving model line', () => {
  it('names version, training date and held-out figures; says so for the attribute model', () => {
    expect(describeServingModel({ version: 'attributes-v1' })).toBe('Model attributes-v1 (item attributes; no trained model yet)');
    const line = describeServingModel({
      version: '20250301T101500Z-1a2b3c',
      createdAt: Date.UTC(2025, 2, 1, 10, 15),
      learnedItems: 300,
      validation: {
        k: 20,
        hitRate: 0.41234,
        mrr: 0.1534,
        cases: 1500,
        serving: { version: 'attributes-v1', hitRate: 0.19, mrr: 0.08 },
        forced: false,
      },
    });
    expect(line).toBe('Model 20250301T101500Z-1a2b3c, trained 2025-03-01, HR@20 0.412, MRR@20 0.153 on 1,500 held-out');
  });
});
