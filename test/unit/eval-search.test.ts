import { describe, expect, it } from 'vitest';
import { loadEngineConfig } from '../../engine/config.js';
import type { Item, StoredEvent } from '../../engine/contracts/schemas.js';
import { tokenize } from '../../models/content-encoder.js';
import type { EvalDataset } from '../../scripts/eval/dataset.js';
import { attributeVectors } from '../../scripts/eval/pulse-method.js';
import { bestShare, evaluateSearch, formatSearchReport, searchQueries } from '../../scripts/eval/search.js';

const T0 = 1_300_000_000_000;
const items: Item[] = [
  { itemId: 'a', title: 'Red heart candle holder', category: 'candles', price: 2 },
  { itemId: 'b', title: 'White heart candle', category: 'candles', price: 2 },
  { itemId: 'c', title: 'Red retrospot bag', category: 'bags', price: 3 },
  { itemId: 'd', title: 'Jumbo bag pink', category: 'bags', price: 3 },
  { itemId: 'u', title: 'Unique zanzibar', category: 'other', price: 1 },
];
const purchase = (id: string, userId: string, ts: number, itemIds: string[]): StoredEvent =>
  ({
    id,
    type: 'purchase',
    userId,
    ts,
    receivedAt: ts,
    items: itemIds.map((itemId) => ({ itemId, quantity: 1, price: 1 })),
  }) as StoredEvent;
const dataset: EvalDataset = {
  name: 'tiny',
  protocol: 'tiny',
  items,
  train: [purchase('t1', 'c1', T0, ['a', 'c']), purchase('t2', 'c2', T0 + 1, ['b', 'd'])],
  test: [
    { event: purchase('p1', 'c1', T0 + 10, ['b', 'd']), relevant: ['b', 'd'] },
    { event: purchase('p2', 'c3', T0 + 11, ['a']) },
    { event: purchase('p3', 'c2', T0 + 12, ['u']), relevant: ['u'] },
    { event: purchase('p4', 'c2', T0 + 13, ['a', 'c']), relevant: ['a', 'c'] },
  ],
  facts: {},
};

describe('search eval queries', () => {
  it('makes 1-2 title words of one invoice item, shared with another item, reproducibly', () => {
    const { queries, skipped } = searchQueries(dataset, 3);
    // p3's only item has no word another item holds: skipped, not a unique key.
    expect(skipped).toBe(1);
    expect(queries.map((q) => q.step)).toEqual([0, 3]);
    for (const query of queries) {
      const title = items.find((item) => item.itemId === query.source)!.title.toLowerCase();
      expect(dataset.test[query.step]!.relevant).toContain(query.source);
      const words = query.query.split(' ');
      expect(words.length).toBeGreaterThanOrEqual(1);
      expect(words.length).toBeLessThanOrEqual(2);
      for (const word of words) {
        expect(title.split(' ')).toContain(word);
        const others = items.filter(
          (item) => item.itemId !== query.source && tokenize(`${item.title} ${item.category}`).includes(tokenize(word)[0]!),
        );
        expect(others.length).toBeGreaterThan(0);
      }
    }
    expect(searchQueries(dataset, 3)).toEqual({ queries, skipped });
  });

  it('scores every share for a new and a returning shopper and names the best mean', async () => {
    const report = await evaluateSearch({
      dataset,
      vectors: attributeVectors(16),
      towerName: 'attribute encoder',
      config: loadEngineConfig({}),
      recommender: {},
      index: 'exact',
      shares: [0, 1],
      quiet: true,
    });
    expect(report.queries).toBe(2);
    expect(report.rows.map((row) => `${row.shopper} ${row.method}`)).toEqual([
      'new attribute encoder only',
      'new BM25 only',
      'returning attribute encoder only',
      'returning BM25 only',
    ]);
    for (const row of report.rows) {
      expect(row.invoice.predictions).toBe(2);
      // Four of five items fit in a list of 10: every relevant item is found.
      expect(row.invoice.hitRate).toBe(1);
    }
    expect([0, 1]).toContain(bestShare(report));
    expect(formatSearchReport(report)).toContain('BM25 only');
  });
});
