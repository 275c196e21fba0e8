import { describe, expect, it } from 'vitest';
import { ContentEncoder, categoryLevels, hashString, itemFeatures, priceBand, stem, tokenize } from '../../models/content-encoder.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import { cosine, dot, norm } from '../../engine/recommend/logic/vector-math.js';
import type { Item } from '../../engine/contracts/schemas.js';

const lamp: Item = { itemId: 'l1', title: 'Brass Desk Lamp', category: 'home/lamps', brand: 'Nordlys', price: 79.99, tags: ['led'] };

describe('ContentEncoder', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = new ContentEncoder({ dimension: 64, seed: 7 });
    const b = new ContentEncoder({ dimension: 64, seed: 7 });
    const c = new ContentEncoder({ dimension: 64, seed: 8 });
    expect(Array.from(a.encodeItem(lamp))).toEqual(Array.from(b.encodeItem(lamp)));
    // The cached path gives the same answer as the first computation.
    expect(Array.from(a.encodeItem(lamp))).toEqual(Array.from(b.encodeItem(lamp)));
    expect(cosine(a.encodeItem(lamp), c.encodeItem(lamp))).toBeLessThan(0.9);
  });

  it('returns unit vectors of the configured dimension', () => {
    const encoder = new ContentEncoder({ dimension: 33 });
    const vector = encoder.encodeItem(lamp);
    expect(vector).toBeInstanceOf(Float32Array);
    expect(vector.length).toBe(33);
    expect(norm(vector)).toBeCloseTo(1, 5);
    expect(norm(encoder.encodeText('desk lamp'))).toBeCloseTo(1, 5);
  });

  it('encodes text without usable words as the zero vector', () => {
    const encoder = new ContentEncoder({ dimension: 16 });
    expect(norm(encoder.encodeText('the and of'))).toBe(0);
    expect(norm(encoder.encodeText('  !!  '))).toBe(0);
  });

  it('rejects a bad dimension or seed', () => {
    expect(() => new ContentEncoder({ dimension: 0 })).toThrow(RangeError);
    expect(() => new ContentEncoder({ dimension: 2.5 })).toThrow(RangeError);
    expect(() => new ContentEncoder({ dimension: 8, seed: 0.5 })).toThrow(RangeError);
  });

  it('places items of one category and brand clearly closer than items of different categories', () => {
    const encoder = new ContentEncoder({ dimension: 64, seed: 3 });
    const catalog = generateDemoCatalog({ count: 1500, seed: 11 });
    const vectors = new Map(catalog.map((item) => [item.itemId, encoder.encodeItem(item)]));
    let same = 0;
    let sameCount = 0;
    let cross = 0;
    let crossCount = 0;
    let worstSame = 1;
    for (let i = 0; i < 400; i++) {
      const a = catalog[i]!;
      for (let j = i + 1; j < 400; j++) {
        const b = catalog[j]!;
        const similarity = dot(vectors.get(a.itemId)!, vectors.get(b.itemId)!);
        if (a.category === b.category && a.brand === b.brand) {
          same += similarity;
          sameCount++;
          worstSame = Math.min(worstSame, similarity);
        } else if (a.category.split('/')[0] !== b.category.split('/')[0]) {
          cross += similarity;
          crossCount++;
        }
      }
    }
    expect(sameCount).toBeGreaterThan(50);
    expect(same / sameCount).toBeGreaterThan(0.5);
    expect(Math.abs(cross / crossCount)).toBeLessThan(0.05);
    expect(same / sameCount - cross / crossCount).toBeGreaterThan(0.45);
    expect(worstSame).toBeGreaterThan(0.2);
  });

  it('puts lamps nearest to the query "lamp" on the demo catalog', () => {
    const encoder = new ContentEncoder({ dimension: 64 });
    const catalog = generateDemoCatalog({ count: 3000, seed: 42 });
    const query = encoder.encodeText('lamp');
    const top = catalog
      .map((item) => ({ item, similarity: dot(query, encoder.encodeItem(item)) }))
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, 20);
    for (const { item } of top) expect(item.category).toBe('home/lamps');
  });

  it('brings a query near items whose titles share its words', () => {
    const encoder = new ContentEncoder({ dimension: 64 });
    const catalog = generateDemoCatalog({ count: 3000, seed: 42 });
    for (const text of ['wireless headphones', 'running shoes', 'board game']) {
      const query = encoder.encodeText(text);
      const words = tokenize(text);
      let matching = 0;
      let matchingCount = 0;
      let other = 0;
      let otherCount = 0;
      for (const item of catalog) {
        const similarity = dot(query, encoder.encodeItem(item));
        if (words.every((word) => tokenize(item.title).includes(word))) {
          matching += similarity;
          matchingCount++;
        } else if (!words.some((word) => tokenize(`${item.title} ${item.category}`).includes(word))) {
          other += similarity;
          otherCount++;
        }
      }
      expect(matchingCount).toBeGreaterThan(5);
      // Random projection at d = 64 has noise ~ 1/8 per feature pair: compare means, not single items.
      expect(matching / matchingCount).toBeGreaterThan(other / otherCount + 0.3);
    }
  });
});

describe('ContentEncoder feature cache', () => {
  it('gives the same vectors once its cache has evicted past its limit (50,000 features) as a fresh encoder', () => {
    const reference = new ContentEncoder({ dimension: 16 });
    const first = reference.encodeText('amber lamp');
    const busy = new ContentEncoder({ dimension: 16 });
    expect(busy.encodeText('amber lamp')).toEqual(first);
    // 60,000 distinct words: the oldest features (the two above among them) are evicted and made again.
    for (let i = 0; i < 60_000; i += 6) busy.encodeText(`w${i} w${i + 1} w${i + 2} w${i + 3} w${i + 4} w${i + 5}`);
    expect(busy.encodeText('amber lamp')).toEqual(first);
    expect(busy.encodeText('w59999')).toEqual(reference.encodeText('w59999'));
  });
});

describe('feature helpers', () => {
  it('tokenizes with stop words and plural stemming', () => {
    expect(tokenize('The Lamps of Glasses & Boxes, Batteries')).toEqual(['lamp', 'glass', 'box', 'battery']);
    expect(tokenize('Ökologische Tücher 55-inch')).toEqual(['ökologische', 'tücher', '55', 'inch']);
    expect(stem('dress')).toBe('dress');
    expect(stem('bus')).toBe('bus');
  });

  it('splits category paths on / or > into cumulative lower-case levels', () => {
    expect(categoryLevels('Home > Lamps')).toEqual(['home', 'home/lamps']);
    expect(categoryLevels('a/b/c')).toEqual(['a', 'a/b', 'a/b/c']);
    expect(categoryLevels(' / ')).toEqual([]);
  });

  it('weights the category strongest and makes the leaf word a title word', () => {
    const features = itemFeatures(lamp);
    expect(features.get('cat:home/lamps')).toBeGreaterThan(features.get('brand:nordlys')!);
    expect(features.get('brand:nordlys')).toBeGreaterThan(features.get('w:brass')!);
    expect(features.get('w:brass')).toBeGreaterThan(features.get(`price:${priceBand(79.99)}`)!);
    // "lamp" comes from both the title and the category leaf.
    expect(features.get('w:lamp')).toBeGreaterThan(features.get('w:brass')!);
  });

  it('bands prices on a log scale', () => {
    expect(priceBand(0)).toBe(0);
    expect(priceBand(10)).toBeLessThan(priceBand(100));
    expect(priceBand(100)).toBe(priceBand(105));
    expect(priceBand(100)).toBeLessThan(priceBand(1000));
  });

  it('hashes deterministically and spreads seeds', () => {
    expect(hashString('abc', 1)).toBe(hashString('abc', 1));
    expect(hashString('abc', 1)).not.toBe(hashString('abc', 2));
    expect(hashString('abc', 1)).not.toBe(hashString('abd', 1));
  });
});
