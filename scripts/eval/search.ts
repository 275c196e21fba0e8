/**
 * `npm run eval -- --search`: BM25, the content tower, or a blend of both as the relevance of
 * `recommend {query}`, measured on Online Retail with queries made from held-out purchases.
 *
 * Protocol (the time split of online-retail.ts): for every held-out invoice of a returning
 * customer, one of its items is drawn (seeded), and one or two words of that item's title
 * (drawn too; each a word at least one other item's text also holds, so a query is never a
 * unique key) are the query, in title order: "the customer searched this, then bought". The
 * list is `recommend {query, k: 10}` as the engine makes it, just before the invoice is applied:
 *   - next invoice: hit when any item of the invoice is in the list (P@10), MRR@10 of the first;
 *   - source item: the same for the one item the words came from (known-item search; lexically
 *     biased: BM25 always matches it, the vector may not).
 * Each text share (SEARCH_TEXT_SHARE: 0 = the query vector's cosine alone, 1 = BM25 alone) is
 * measured twice: for a new shopper (empty state and shop, so relevance alone orders the list)
 * and for the returning customer (the replayed state: taste, co-visitation and popularity, as
 * `npm run eval` ranks them, gated by relevance). Nothing is left out of the lists (repeats
 * allowed), for every row alike. The default share is chosen on the next-invoice figures.
 */
import type { EngineConfig } from '../../engine/config.js';
import { TextIndex, itemTextFields } from '../../engine/catalog/mod.js';
import type { ItemVectorSource } from '../../engine/recommend/mod.js';
import type { RecommenderOptions } from '../../engine/recommend/mod.js';
import { mulberry32, tokenize } from '../../models/content-encoder.js';
import { renderTable } from '../bench/report.js';
import { Progress } from '../lib/progress.js';
import type { EvalDataset } from './dataset.js';
import { RankingMetrics, type MetricsAtK } from './metrics.js';
import { PulseMethod } from './pulse-method.js';

export interface SearchQuery {
  /** Index of the held-out step the query comes before. */
  step: number;
  query: string;
  /** The item whose title gave the words. */
  source: string;
  /** The invoice's distinct items. */
  relevant: ReadonlySet<string>;
}

/** Text shares measured by default (0 = content tower only, 1 = BM25 only). */
export const SEARCH_SHARES: readonly number[] = Object.freeze([0, 0.25, 0.5, 0.75, 1]);
const K = 10;

/** One query per scored held-out step whose drawn item has a usable title word (see the module comment). */
export function searchQueries(dataset: EvalDataset, seed = 1): { queries: SearchQuery[]; skipped: number } {
  const text = new TextIndex();
  for (const item of dataset.items) text.upsert(item.itemId, itemTextFields(item));
  const titles = new Map(dataset.items.map((item) => [item.itemId, item.title]));
  const random = mulberry32(seed);
  const queries: SearchQuery[] = [];
  let skipped = 0;
  dataset.test.forEach((step, index) => {
    if (!step.relevant || step.relevant.length === 0) return;
    const source = step.relevant[Math.floor(random() * step.relevant.length)]!;
    const words = [...new Set((titles.get(source) ?? '').split(/[^\p{L}\p{N}]+/u))].filter((word) => {
      const tokens = tokenize(word);
      return tokens.length === 1 && text.documentFrequency(tokens[0]!) >= 2;
    });
    const wanted = Math.min(words.length, random() < 0.5 ? 1 : 2);
    if (wanted === 0) {
      skipped++;
      return;
    }
    const chosen = new Set<number>();
    while (chosen.size < wanted) chosen.add(Math.floor(random() * words.length));
    const query = [...chosen]
      .sort((a, b) => a - b)
      .map((i) => words[i]!.toLowerCase())
      .join(' ');
    queries.push({ step: index, query, source, relevant: new Set(step.relevant) });
  });
  return { queries, skipped };
}

export interface SearchEvalOptions {
  dataset: EvalDataset;
  /** The serving vectors: a learned model (its content tower encodes queries) or the attribute encoder. */
  vectors: ItemVectorSource;
  /** Row name of share 0: what encodes the query. */
  towerName: string;
  config: EngineConfig;
  /** The data set's tuned ranking (profiles.ts), for the returning-shopper rows. */
  recommender: Partial<RecommenderOptions>;
  index: 'hnsw' | 'exact';
  shares?: readonly number[];
  seed?: number;
  quiet?: boolean;
  signal?: AbortSignal;
}

export interface SearchRow {
  shopper: 'new' | 'returning';
  share: number;
  method: string;
  invoice: MetricsAtK;
  source: MetricsAtK;
}

export interface SearchReport {
  dataset: string;
  protocol: string;
  queries: number;
  skipped: number;
  examples: string[];
  rows: SearchRow[];
  seconds: number;
}

/** Replays the data set once and scores every share's lists for both shoppers (see the module comment). */
export async function evaluateSearch(options: SearchEvalOptions): Promise<SearchReport> {
  const started = performance.now();
  const { dataset } = options;
  const shares = options.shares ?? SEARCH_SHARES;
  const { queries, skipped } = searchQueries(dataset, options.seed ?? 1);
  const make = () =>
    new PulseMethod({
      name: 'search',
      items: dataset.items,
      vectors: options.vectors,
      config: options.config,
      index: options.index,
      recommender: options.recommender,
    });
  // A new shopper's lists come from a shop that never learns: relevance alone orders them.
  const fresh = make();
  const returning = make();
  const metrics = (shopper: 'new' | 'returning', share: number) => ({
    shopper,
    share,
    invoice: new RankingMetrics({ maxK: K, catalogSize: dataset.items.length, coverageKs: [K] }),
    source: new RankingMetrics({ maxK: K, catalogSize: dataset.items.length, coverageKs: [] }),
  });
  const rows = [...shares.map((share) => metrics('new', share)), ...shares.map((share) => metrics('returning', share))];
  const bar = options.quiet
    ? undefined
    : new Progress({ label: `${dataset.name}: search replay`, unit: 'events', total: dataset.train.length + dataset.test.length });
  for (const event of dataset.train) {
    options.signal?.throwIfAborted();
    await returning.learn(event);
    bar?.tick();
  }
  const byStep = new Map(queries.map((query) => [query.step, query]));
  for (const [index, step] of dataset.test.entries()) {
    options.signal?.throwIfAborted();
    const query = byStep.get(index);
    if (query) {
      const { userId, ts } = step.event;
      const request = { k: K, query: query.query, includeBought: true };
      for (const row of rows) {
        const extra = { searchTextShare: row.share, excludeRecent: 0 };
        const list =
          row.shopper === 'new'
            ? await fresh.listFor(`new-shopper-${index}`, request, ts, extra)
            : await returning.listFor(userId, request, ts, extra);
        row.invoice.add(list, query.relevant);
        row.source.add(list, new Set([query.source]));
      }
    }
    await returning.learn(step.event);
    bar?.tick();
  }
  bar?.done();
  return {
    dataset: dataset.name,
    protocol: `${dataset.protocol}; query: 1-2 title words of one item of the invoice (seed ${options.seed ?? 1}); k = ${K}, nothing left out`,
    queries: queries.length,
    skipped,
    examples: queries.slice(0, 8).map((q) => q.query),
    rows: rows.map((row) => ({
      shopper: row.shopper,
      share: row.share,
      method: methodName(row.share, options.towerName),
      invoice: row.invoice.at(K),
      source: row.source.at(K),
    })),
    seconds: (performance.now() - started) / 1000,
  };
}

function methodName(share: number, towerName: string): string {
  if (share === 0) return `${towerName} only`;
  if (share === 1) return 'BM25 only';
  return `blend, BM25 share ${share}`;
}

/** The share with the best mean next-invoice P@10 of the new and the returning shopper (mean MRR breaks ties). */
export function bestShare(report: SearchReport): number | undefined {
  const mean = (share: number, metric: 'hitRate' | 'mrr') => {
    const rows = report.rows.filter((row) => row.share === share);
    return rows.reduce((sum, row) => sum + row.invoice[metric], 0) / rows.length;
  };
  const shares = [...new Set(report.rows.map((row) => row.share))];
  shares.sort((a, b) => mean(b, 'hitRate') - mean(a, 'hitRate') || mean(b, 'mrr') - mean(a, 'mrr'));
  return shares[0];
}

const percent = (x: number) => (100 * x).toFixed(2);

export function formatSearchReport(report: SearchReport): string {
  const header = ['shopper / relevance', 'next invoice P@10', 'MRR@10', 'source item P@10', 'MRR@10'];
  const body = report.rows.map((row) => [
    `${row.shopper}: ${row.method}`,
    percent(row.invoice.hitRate),
    percent(row.invoice.mrr),
    percent(row.source.hitRate),
    percent(row.source.mrr),
  ]);
  return [
    `${report.dataset} search: ${report.queries} queries (${report.skipped} invoices without a usable title word), e.g. ${report.examples.map((q) => `"${q}"`).join(', ')}`,
    report.protocol,
    renderTable([header, ...body]),
    `best mean next-invoice P@10 (new and returning shopper): text share ${bestShare(report)}; ${report.seconds.toFixed(1)} s`,
  ].join('\n');
}
