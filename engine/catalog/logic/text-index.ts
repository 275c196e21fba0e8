import type { Item } from '../../contracts/schemas.js';
import { tokenize } from '../../../models/content-encoder.js';

/**
 * A BM25 full-text index over items (or any documents made of weighted text fields). Pure, in
 * memory, incremental: `upsert` and `remove` one document at a time; no I/O.
 *
 * Words are the content encoder's `tokenize` (lower case, stop words out, plurals stemmed), so a
 * query and a title are cut the same way for the index and for the vectors. A field's weight
 * multiplies the count of each of its words (a simple BM25F): the term frequency of t in d is
 * tf = sum over fields of weight x occurrences, and the length |d| = sum of weight x words.
 *
 *   idf(t)      = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))          (never negative)
 *   score(t, d) = idf(t) * tf * (K1 + 1) / (tf + K1 * (1 - B + B * |d| / avgdl))
 *   score(q, d) = sum over the distinct query words of score(word, d)
 *
 * The last query word also matches as a prefix ("lam" finds "lamp", "lampshade"): each document
 * counts the best of the exact word and its expansions, an expansion at PREFIX_WEIGHT of its
 * score, so a typed-out word ranks its exact matches first.
 */

/** BM25 term-frequency saturation. */
export const BM25_K1 = 1.2;
/** BM25 length normalisation. */
export const BM25_B = 0.75;
/** Share of its score an expansion of the last query word keeps ("lam" -> "lamp"). */
export const PREFIX_WEIGHT = 0.8;
/** Expansions of the last query word kept, the most frequent first. */
export const MAX_PREFIX_TERMS = 50;

/** Field weights of an item's text (see {@link itemTextFields}). */
export const ITEM_FIELD_WEIGHTS = Object.freeze({ title: 1, category: 1, brand: 1, tags: 1 });

export interface TextField {
  text: string;
  /** Multiplies the count of every word of the text; > 0. */
  weight: number;
}

export interface TextMatch {
  id: string;
  /** BM25 score, > 0. */
  score: number;
}

export interface TextSearchOptions {
  /** Most matches returned, best first (ties by id ascending). */
  limit: number;
  /** Only documents passing it are returned; applied while scoring, so the answer is never cut short by it. */
  filter?: (id: string) => boolean;
  /** `any` (default): a document with one of the query words matches; `all`: it needs every one. */
  require?: 'any' | 'all';
}

interface Document {
  /** Word -> weighted count. */
  terms: Map<string, number>;
  length: number;
}

/** The words of one query position: the word itself, and for the last one its expansions. */
interface QueryGroup {
  terms: Array<{ term: string; factor: number }>;
}

export class TextIndex {
  private readonly documents = new Map<string, Document>();
  /** Word -> document id -> weighted count. */
  private readonly postings = new Map<string, Map<string, number>>();
  private totalLength = 0;
  /** Every word, sorted, for prefix lookups; rebuilt lazily after the vocabulary changed. */
  private sortedTerms: string[] | null = null;

  get size(): number {
    return this.documents.size;
  }

  has(id: string): boolean {
    return this.documents.has(id);
  }

  /** Documents containing the word (after `tokenize`: pass a tokenized word). */
  documentFrequency(term: string): number {
    return this.postings.get(term)?.size ?? 0;
  }

  /** Adds or replaces a document. A document without any word is kept out (it can match nothing). */
  upsert(id: string, fields: readonly TextField[]): void {
    this.remove(id);
    const terms = new Map<string, number>();
    let length = 0;
    for (const { text, weight } of fields) {
      if (!(weight > 0) || !Number.isFinite(weight)) throw new RangeError(`field weight must be a positive number, got ${weight}`);
      for (const word of tokenize(text)) {
        terms.set(word, (terms.get(word) ?? 0) + weight);
        length += weight;
      }
    }
    if (terms.size === 0) return;
    for (const [term, count] of terms) {
      let posting = this.postings.get(term);
      if (!posting) {
        posting = new Map();
        this.postings.set(term, posting);
        this.sortedTerms = null;
      }
      posting.set(id, count);
    }
    this.documents.set(id, { terms, length });
    this.totalLength += length;
  }

  /** Removes a document; false when it was not there. */
  remove(id: string): boolean {
    const document = this.documents.get(id);
    if (!document) return false;
    for (const term of document.terms.keys()) {
      const posting = this.postings.get(term)!;
      posting.delete(id);
      if (posting.size === 0) {
        this.postings.delete(term);
        this.sortedTerms = null;
      }
    }
    this.documents.delete(id);
    this.totalLength -= document.length;
    return true;
  }

  /** The best matches of `query`, best first; empty when the query has no usable word. */
  search(query: string, options: TextSearchOptions): TextMatch[] {
    const groups = this.queryGroups(query);
    if (groups.length === 0 || this.documents.size === 0 || !(options.limit > 0)) return [];
    const n = this.documents.size;
    const averageLength = this.totalLength / n;
    const scores = new Map<string, number>();
    const matchedGroups = new Map<string, number>();
    for (const group of groups) {
      // A document counts the best term of a group once (the last word and its expansions).
      const best = new Map<string, number>();
      for (const { term, factor } of group.terms) {
        const posting = this.postings.get(term)!;
        const idf = Math.log(1 + (n - posting.size + 0.5) / (posting.size + 0.5));
        for (const [id, tf] of posting) {
          const length = this.documents.get(id)!.length;
          const score = (factor * idf * tf * (BM25_K1 + 1)) / (tf + BM25_K1 * (1 - BM25_B + (BM25_B * length) / averageLength));
          if (score > (best.get(id) ?? 0)) best.set(id, score);
        }
      }
      for (const [id, score] of best) {
        scores.set(id, (scores.get(id) ?? 0) + score);
        matchedGroups.set(id, (matchedGroups.get(id) ?? 0) + 1);
      }
    }
    const all = options.require === 'all';
    const out: TextMatch[] = [];
    for (const [id, score] of scores) {
      if (all && matchedGroups.get(id) !== groups.length) continue;
      if (options.filter && !options.filter(id)) continue;
      out.push({ id, score });
    }
    out.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return out.length > options.limit ? out.slice(0, options.limit) : out;
  }

  /**
   * The query's distinct words, each a group; the last one also with its prefix expansions. A
   * word neither in the index nor a prefix of an indexed word is a group that matches nothing
   * (so `require: 'all'` then finds nothing, as it should).
   */
  private queryGroups(query: string): QueryGroup[] {
    const words = [...new Set(tokenize(query))];
    return words.map((word, position) => {
      const terms = this.postings.has(word) ? [{ term: word, factor: 1 }] : [];
      if (position === words.length - 1) for (const term of this.expansions(word)) terms.push({ term, factor: PREFIX_WEIGHT });
      return { terms };
    });
  }

  /** Indexed words that start with `prefix` and are longer than it, the MAX_PREFIX_TERMS most frequent. */
  private expansions(prefix: string): string[] {
    const sorted = (this.sortedTerms ??= [...this.postings.keys()].sort());
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (sorted[middle]! <= prefix) low = middle + 1;
      else high = middle;
    }
    const found: string[] = [];
    for (let i = low; i < sorted.length && sorted[i]!.startsWith(prefix); i++) found.push(sorted[i]!);
    if (found.length <= MAX_PREFIX_TERMS) return found;
    return found.sort((a, b) => this.documentFrequency(b) - this.documentFrequency(a) || (a < b ? -1 : 1)).slice(0, MAX_PREFIX_TERMS);
  }
}

/**
 * The text fields of an item: its title, the words of every level of its category path
 * ("home/lamps": home, lamp), its brand and its tags, weighted by {@link ITEM_FIELD_WEIGHTS}.
 */
export function itemTextFields(item: Item): TextField[] {
  const fields: TextField[] = [
    { text: item.title, weight: ITEM_FIELD_WEIGHTS.title },
    { text: item.category.replaceAll(/[/>]/g, ' '), weight: ITEM_FIELD_WEIGHTS.category },
  ];
  if (item.brand) fields.push({ text: item.brand, weight: ITEM_FIELD_WEIGHTS.brand });
  if (item.tags && item.tags.length > 0) fields.push({ text: item.tags.join(' '), weight: ITEM_FIELD_WEIGHTS.tags });
  return fields;
}
