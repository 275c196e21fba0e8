import type { Item } from '../engine/contracts/schemas.js';

/**
 * Content tower until a learned model exists: an item's vector from its attributes alone, so a
 * brand-new item is recommendable at once (cold start). Pure, deterministic, no I/O.
 *
 * Feature hashing + random projection: every feature (a title word, a category level, the brand,
 * a tag, a price band) maps to a pseudo-random unit vector seeded from hash(seed, feature). An
 * item's vector is the weighted sum of its features' vectors, normalised. Random unit vectors in
 * d dimensions are nearly orthogonal (cosine ~ N(0, 1/d)), so two items' cosine is roughly the
 * weighted share of features they have in common.
 *
 * The category leaf's own words (e.g. "lamp" of `home/lamps`) are also word features, so the
 * query "lamp" (see {@link ContentEncoder.encodeText}) lands near every lamp, whatever its title.
 */

/** Feature weights; the category is strongest so that items of one category cluster. */
export const FEATURE_WEIGHTS = Object.freeze({
  /** The full category path (`cat:home/lamps`). */
  category: 2.5,
  /** Each ancestor level of the path (`cat:home`). */
  categoryAncestor: 1,
  /** Each word of the leaf category name (`w:lamp`). */
  categoryWord: 1,
  brand: 2,
  /** Each word of the brand as a title word, so a query naming the brand finds it. */
  brandWord: 0.5,
  titleWord: 1.5,
  tag: 0.7,
  /** Each word of a tag as a title word. */
  tagWord: 0.4,
  priceBand: 0.5,
});

/** Title words kept per item (longer titles are truncated; the head of a title says the most). */
const MAX_TITLE_WORDS = 32;
/** Feature vectors cached per encoder; past this the oldest entries are evicted. */
const FEATURE_CACHE_LIMIT = 50_000;

const STOP_WORDS = new Set(
  'a an and are as at be by for from in into is it of on or the to with without your our my new set pack pcs x'.split(' '),
);

export interface ContentEncoderOptions {
  /** Vector length; must match the index. */
  dimension: number;
  /** Seeds the feature vectors: two encoders with one seed produce identical vectors. Default 1. */
  seed?: number;
}

export class ContentEncoder {
  readonly dimension: number;
  readonly seed: number;
  private readonly cache = new Map<string, Float32Array>();
  /**
   * The cache's keys, oldest first, read by one iterator kept across evictions: entries are only
   * added, and deleted by eviction, so it always stands at the oldest. (`cache.keys().next()` walks
   * every hole the evictions left at the front until V8 rebuilds the table: ~14 us per eviction
   * at 50,000 entries.)
   */
  private evictionOrder: Iterator<string> = this.cache.keys();

  constructor(options: ContentEncoderOptions) {
    if (!Number.isInteger(options.dimension) || options.dimension < 1) {
      throw new RangeError(`dimension must be a positive integer, got ${options.dimension}`);
    }
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
    this.dimension = options.dimension;
    this.seed = seed >>> 0;
  }

  /** Unit vector of an item from its title, category, brand, tags and price. */
  encodeItem(item: Item): Float32Array {
    return this.combine(itemFeatures(item));
  }

  /**
   * Unit vector of free text (a search query) from the same word features as titles, so it lands
   * near items sharing its words. All zeros when the text has no usable word (e.g. only stop words).
   */
  encodeText(text: string): Float32Array {
    const features = new Map<string, number>();
    for (const word of tokenize(text).slice(0, MAX_TITLE_WORDS)) addFeature(features, `w:${word}`, 1);
    return this.combine(features);
  }

  private combine(features: Map<string, number>): Float32Array {
    const out = new Float32Array(this.dimension);
    const sum = new Float64Array(this.dimension);
    for (const [feature, weight] of features) {
      const vector = this.featureVector(feature);
      for (let i = 0; i < sum.length; i++) sum[i]! += weight * vector[i]!;
    }
    let squared = 0;
    for (let i = 0; i < sum.length; i++) squared += sum[i]! * sum[i]!;
    if (squared === 0) return out;
    const inverse = 1 / Math.sqrt(squared);
    for (let i = 0; i < sum.length; i++) out[i] = sum[i]! * inverse;
    return out;
  }

  /** The feature's pseudo-random unit vector: Gaussian components from a PRNG seeded by hash(seed, feature). */
  private featureVector(feature: string): Float32Array {
    const cached = this.cache.get(feature);
    if (cached) return cached;
    const random = mulberry32(hashString(feature, this.seed));
    const vector = new Float32Array(this.dimension);
    let squared = 0;
    for (let i = 0; i < vector.length; i += 2) {
      // Box-Muller: two independent standard normals per pair of uniforms (u1 in (0, 1]).
      const radius = Math.sqrt(-2 * Math.log(1 - random()));
      const angle = 2 * Math.PI * random();
      const a = radius * Math.cos(angle);
      vector[i] = a;
      squared += a * a;
      if (i + 1 < vector.length) {
        const b = radius * Math.sin(angle);
        vector[i + 1] = b;
        squared += b * b;
      }
    }
    const inverse = squared > 0 ? 1 / Math.sqrt(squared) : 0;
    for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! * inverse;
    if (this.cache.size >= FEATURE_CACHE_LIMIT) {
      // Maps iterate in insertion order: drop the oldest entry.
      let oldest = this.evictionOrder.next();
      if (oldest.done) oldest = (this.evictionOrder = this.cache.keys()).next();
      if (!oldest.done) this.cache.delete(oldest.value);
    }
    this.cache.set(feature, vector);
    return vector;
  }
}

/** The weighted features of an item (feature name -> weight); exported for tests and diagnostics. */
export function itemFeatures(item: Item): Map<string, number> {
  const features = new Map<string, number>();
  const levels = categoryLevels(item.category);
  levels.forEach((level, index) => {
    const last = index === levels.length - 1;
    addFeature(features, `cat:${level}`, last ? FEATURE_WEIGHTS.category : FEATURE_WEIGHTS.categoryAncestor);
  });
  const leaf = levels[levels.length - 1];
  if (leaf !== undefined) {
    const leafName = leaf.slice(leaf.lastIndexOf('/') + 1);
    for (const word of tokenize(leafName)) addFeature(features, `w:${word}`, FEATURE_WEIGHTS.categoryWord);
  }
  if (item.brand) {
    const brand = item.brand.trim().toLowerCase();
    if (brand) addFeature(features, `brand:${brand}`, FEATURE_WEIGHTS.brand);
    for (const word of tokenize(item.brand)) addFeature(features, `w:${word}`, FEATURE_WEIGHTS.brandWord);
  }
  for (const word of tokenize(item.title).slice(0, MAX_TITLE_WORDS)) addFeature(features, `w:${word}`, FEATURE_WEIGHTS.titleWord);
  for (const tag of item.tags ?? []) {
    const name = tag.trim().toLowerCase();
    if (name) addFeature(features, `tag:${name}`, FEATURE_WEIGHTS.tag);
    for (const word of tokenize(tag)) addFeature(features, `w:${word}`, FEATURE_WEIGHTS.tagWord);
  }
  addFeature(features, `price:${priceBand(item.price)}`, FEATURE_WEIGHTS.priceBand);
  return features;
}

function addFeature(features: Map<string, number>, name: string, weight: number): void {
  features.set(name, (features.get(name) ?? 0) + weight);
}

/**
 * The cumulative levels of a category path, lower-cased, separators '/' or '>' unified to '/':
 * "Home > Lamps" -> ["home", "home/lamps"]. Empty levels are dropped.
 */
export function categoryLevels(category: string): string[] {
  const parts = category
    .split(/[/>]/)
    .map((part) => part.trim().toLowerCase())
    .filter((part) => part.length > 0);
  return parts.map((_, index) => parts.slice(0, index + 1).join('/'));
}

/** Price band on a log scale: one band per factor of ~1.6 (half an octave); 0 for free items. */
export function priceBand(price: number): number {
  if (!(price > 0)) return 0;
  return Math.max(0, Math.floor(2 * Math.log2(price + 1)));
}

/**
 * Lower-cased word tokens with stop words removed and a light plural stemmer
 * ("lamps" -> "lamp", "batteries" -> "battery", "boxes" -> "box"). Letters and digits of any script.
 */
export function tokenize(text: string): string[] {
  const words: string[] = [];
  for (const raw of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
    if (raw.length < 2 || STOP_WORDS.has(raw)) continue;
    words.push(stem(raw));
  }
  return words;
}

/** Strips English plural endings only; anything cleverer belongs in a learned model. */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (/(?:x|ch|sh|ss|zz)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !/(?:ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

/** FNV-1a 32-bit of `text` mixed with `seed` and a final avalanche (murmur3 fmix32). */
export function hashString(text: string, seed = 0): number {
  let hash = (0x811c9dc5 ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** mulberry32: a small, fast 32-bit seeded PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
