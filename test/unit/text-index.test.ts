import { describe, expect, it } from 'vitest';
import { TextIndex, itemTextFields, type TextField } from '../../engine/catalog/logic/text-index.js';
import { CatalogService } from '../../engine/catalog/catalog-service.js';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { ContentEncoder } from '../../models/content-encoder.js';
import type { Item } from '../../engine/contracts/schemas.js';

const title = (text: string): TextField[] => [{ text, weight: 1 }];

/** BM25 of one term written out with k1 = 1.2, b = 0.75 (Lucene's idf). */
function bm25(tf: number, df: number, n: number, length: number, averageLength: number): number {
  const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
  return (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * length) / averageLength));
}

function threeDocuments(): TextIndex {
  const index = new TextIndex();
  index.upsert('d1', title('Red lamp'));
  index.upsert('d2', title('The lamps, lamp shade'));
  index.upsert('d3', title('Blue chair'));
  return index;
}

describe('TextIndex (BM25)', () => {
  it('scores as the hand computation does, stop words out and plurals stemmed', () => {
    // d1: red, lamp (2 words); d2: lamp, lamp, shade (3; "the" is a stop word); d3: blue, chair (2).
    const index = threeDocuments();
    const average = 7 / 3;
    const lamp = index.search('lamps', { limit: 10 });
    expect(lamp.map((m) => m.id)).toEqual(['d2', 'd1']);
    expect(lamp[0]!.score).toBeCloseTo(bm25(2, 2, 3, 3, average), 10);
    expect(lamp[1]!.score).toBeCloseTo(bm25(1, 2, 3, 2, average), 10);
    const redLamp = index.search('the red lamp', { limit: 10 });
    expect(redLamp[0]).toEqual({ id: 'd1', score: expect.closeTo(bm25(1, 1, 3, 2, average) + bm25(1, 2, 3, 2, average), 10) });
    expect(redLamp.map((m) => m.id)).toEqual(['d1', 'd2']);
    expect(index.search('red lamp', { limit: 10, require: 'all' }).map((m) => m.id)).toEqual(['d1']);
    expect(index.search('the of', { limit: 10 })).toEqual([]);
    expect(index.search('sofa', { limit: 10 })).toEqual([]);
    expect(index.documentFrequency('lamp')).toBe(2);
  });

  it('weighs a field by multiplying its word counts and its length', () => {
    const index = new TextIndex();
    index.upsert('a', [
      { text: 'oak', weight: 2 },
      { text: 'desk', weight: 1 },
    ]);
    index.upsert('b', title('oak table'));
    // a: tf(oak) 2, length 3; b: tf 1, length 2; average 2.5.
    const [first, second] = index.search('oak', { limit: 2 });
    expect(first).toEqual({ id: 'a', score: expect.closeTo(bm25(2, 2, 2, 3, 2.5), 10) });
    expect(second).toEqual({ id: 'b', score: expect.closeTo(bm25(1, 2, 2, 2, 2.5), 10) });
    expect(() => index.upsert('c', [{ text: 'x', weight: 0 }])).toThrow(RangeError);
  });

  it('matches the last query word as a prefix, below an exact match', () => {
    const index = new TextIndex();
    index.upsert('lamp', title('lamp'));
    index.upsert('shade', title('lampshade'));
    index.upsert('lamb', title('lamb wool'));
    const lam = index.search('lam', { limit: 10 });
    expect(lam.map((m) => m.id).sort()).toEqual(['lamb', 'lamp', 'shade']);
    const exact = index.search('lamp', { limit: 10 });
    expect(exact.map((m) => m.id)).toEqual(['lamp', 'shade']);
    // "lampshade" as an expansion keeps 0.8 of its own score.
    expect(exact[1]!.score).toBeCloseTo(0.8 * bm25(1, 1, 3, 1, 4 / 3), 10);
    // Only the last word expands: "lam wool" needs "lam" exactly, so only "wool" matches.
    expect(index.search('lam wool', { limit: 10 }).map((m) => m.id)).toEqual(['lamb']);
    expect(index.search('wool lam', { limit: 10, require: 'all' }).map((m) => m.id)).toEqual(['lamb']);
  });

  it('applies the filter while scoring, so a limit is filled by passing documents', () => {
    const index = threeDocuments();
    expect(index.search('lamp', { limit: 1, filter: (id) => id !== 'd2' })).toEqual([{ id: 'd1', score: expect.any(Number) }]);
    expect(index.search('lamp', { limit: 0 })).toEqual([]);
  });

  it('updates incrementally: replaced and removed documents score as a fresh index of the final documents', () => {
    const index = threeDocuments();
    index.upsert('d1', title('Green chair'));
    index.upsert('d4', title('lamp'));
    expect(index.remove('d3')).toBe(true);
    expect(index.remove('d3')).toBe(false);
    expect(index.search('red', { limit: 10 })).toEqual([]);
    expect(index.documentFrequency('blue')).toBe(0);
    const fresh = new TextIndex();
    fresh.upsert('d1', title('Green chair'));
    fresh.upsert('d2', title('The lamps, lamp shade'));
    fresh.upsert('d4', title('lamp'));
    for (const query of ['lamp', 'chair', 'green lamp', 'sha']) {
      const got = index.search(query, { limit: 10 });
      const want = fresh.search(query, { limit: 10 });
      expect(got.map((m) => m.id)).toEqual(want.map((m) => m.id));
      got.forEach((match, i) => expect(match.score).toBeCloseTo(want[i]!.score, 12));
    }
    expect(index.size).toBe(3);
    // A removed document's words leave the prefix vocabulary too.
    index.remove('d2');
    expect(index.search('sha', { limit: 10 })).toEqual([]);
    index.upsert('empty', title('the of'));
    expect(index.has('empty')).toBe(false);
  });

  it('indexes an item by title, every category level, brand and tags', () => {
    const item: Item = {
      itemId: 'i1',
      title: 'Aurora',
      category: 'Home > Lighting/Lamps',
      brand: 'Nordlys',
      price: 10,
      tags: ['oak base'],
    };
    const index = new TextIndex();
    index.upsert(item.itemId, itemTextFields(item));
    for (const word of ['aurora', 'home', 'lighting', 'lamp', 'nordlys', 'oak', 'base'])
      expect(index.search(word, { limit: 1 }).map((m) => m.id)).toEqual(['i1']);
  });
});

describe('CatalogService search', () => {
  const item = (itemId: string, title: string, extra: Partial<Item> = {}): Item => ({
    itemId,
    title,
    category: 'home/lighting',
    price: 10,
    ...extra,
  });
  function catalog(items: Item[]): CatalogService {
    const service = new CatalogService({ index: new ExactVectorIndex({ dimension: 16 }), encoder: new ContentEncoder({ dimension: 16 }) });
    for (const entry of items) service.apply({ type: 'upsert', item: entry });
    return service;
  }

  it('lists the items holding every query word, best BM25 match first, and keeps the index in step', () => {
    const service = catalog([
      item('a', 'Brass desk lamp with a long arm and a heavy base'),
      item('b', 'Brass lamp'),
      item('c', 'Brass candle holder'),
      item('d', 'Brass lamp', { minTier: 'vip' }),
      item('e', 'Oak lamp', { category: 'home/furniture' }),
    ]);
    const page = service.list({ tier: 'regular', query: 'brass lam', limit: 10, offset: 0 });
    expect(page.items.map((i) => i.itemId)).toEqual(['b', 'a']);
    expect(page.total).toBe(2);
    expect(service.list({ tier: 'vip', query: 'brass lamp', limit: 1, offset: 1 }).items.map((i) => i.itemId)).toEqual(['d']);
    expect(
      service.list({ tier: 'regular', query: 'lamp', category: 'home/furniture', limit: 10, offset: 0 }).items.map((i) => i.itemId),
    ).toEqual(['e']);
    // Stop words only: titles holding the text.
    expect(service.list({ tier: 'regular', query: 'with', limit: 10, offset: 0 }).items.map((i) => i.itemId)).toEqual(['a']);

    service.apply({ type: 'upsert', item: item('b', 'Steel lamp') });
    service.apply({ type: 'delete', itemId: 'a' });
    expect(service.list({ tier: 'regular', query: 'brass', limit: 10, offset: 0 }).items.map((i) => i.itemId)).toEqual(['c']);
    expect(
      service
        .textMatches('lamp', 10)
        .map((m) => m.id)
        .sort(),
    ).toEqual(['b', 'd', 'e']);
    expect(
      service
        .textMatches('lamp', 10, (id) => id !== 'd')
        .map((m) => m.id)
        .sort(),
    ).toEqual(['b', 'e']);
  });

  it('knows which channels an item is offered in (none listed: every channel)', () => {
    const service = catalog([item('web', 'A', { channels: ['Web'] }), item('both', 'B', { channels: ['web', 'app'] }), item('all', 'C')]);
    expect(['web', 'both', 'all'].map((id) => service.inChannel(id, 'WEB'))).toEqual([true, true, true]);
    expect(['web', 'both', 'all'].map((id) => service.inChannel(id, 'app'))).toEqual([false, true, true]);
    expect(service.inChannel('unknown', 'web')).toBe(false);
    expect(() => service.apply({ type: 'upsert', item: item('x', 'X', { channels: [] }) })).toThrow(
      expect.objectContaining({ code: 'invalid_item' }),
    );
    expect(service.get('x')).toBeUndefined();
  });
});
