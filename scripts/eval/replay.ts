import { touchedItems } from '../../engine/shoppers/mod.js';
import { Progress } from '../lib/progress.js';
import type { EvalDataset } from './dataset.js';
import type { EvalMethod, ListFilter } from './method.js';
import { RankingMetrics } from './metrics.js';

/**
 * Test-then-learn replay. Every method first learns the training events in time order; then, for
 * each held-out step in time order: when the step is scored, each method's list for that user is
 * taken (at the event's time, under each list filter) and scored against the relevant items;
 * then every method learns the event. So a method is always judged on what it knew just before
 * the event, and it keeps learning from the stream as it would in the shop.
 *
 * Besides all predictions, each method is scored on "new-item targets": the relevant items the
 * user had not interacted with before (re-clicks and re-purchases removed; predictions left with
 * none are skipped there). That is what a shop's list, which hides seen and bought items, can reach.
 */

export interface ReplayOptions {
  /** Largest cut-off measured; lists of this length are asked for. Default 20. */
  maxK?: number;
  /** Cut-offs with catalog coverage. Default [10, 20]. */
  coverageKs?: readonly number[];
  /** List filters, each measured for every method. */
  filters: readonly ListFilter[];
  /** Progress lines (stderr). Default: a Progress per phase. */
  progressStream?: NodeJS.WritableStream;
  /** Suppresses progress lines. */
  quiet?: boolean;
  signal?: AbortSignal;
}

export interface MethodFilterResult {
  method: string;
  filter: ListFilter;
  /** Every prediction. */
  all: RankingMetrics;
  /** Predictions against the relevant items the user had not touched before. */
  newItems: RankingMetrics;
  /** Time spent making this method's lists under this filter (s), learning excluded. */
  listSeconds: number;
  /** Lists made under this filter. */
  lists: number;
}

export interface MethodTiming {
  method: string;
  /** Time spent learning the training events (s). */
  trainSeconds: number;
  /** Time spent in the held-out stream (s): listSeconds + learnSeconds. */
  testSeconds: number;
  /** Of testSeconds, making lists (every filter). */
  listSeconds: number;
  /** Of testSeconds, learning the held-out events. */
  learnSeconds: number;
  /** Lists made (every filter). */
  lists: number;
  /** Events learned: training and held-out. */
  events: number;
}

/** Cost of one list (ms): list time / lists, learning excluded; NaN with no list. */
export function msPerList(listSeconds: number, lists: number): number {
  return lists > 0 ? (listSeconds * 1000) / lists : Number.NaN;
}

/** Cost of learning one event (ms), over training and held-out events alike; NaN with none. */
export function msPerLearnedEvent(timing: MethodTiming): number {
  return timing.events > 0 ? ((timing.trainSeconds + timing.learnSeconds) * 1000) / timing.events : Number.NaN;
}

export interface ReplayResult {
  dataset: string;
  results: MethodFilterResult[];
  timings: MethodTiming[];
  seconds: number;
}

export async function replay(dataset: EvalDataset, methods: readonly EvalMethod[], options: ReplayOptions): Promise<ReplayResult> {
  const maxK = options.maxK ?? 20;
  const coverageKs = options.coverageKs ?? [10, 20].filter((k) => k <= maxK);
  if (options.filters.length === 0) throw new RangeError('at least one list filter is needed');
  const started = performance.now();
  const catalogSize = Math.max(1, dataset.items.length);
  const results: MethodFilterResult[] = [];
  for (const method of methods) {
    for (const filter of filtersOf(method, options.filters)) {
      results.push({
        method: method.name,
        filter,
        all: new RankingMetrics({ maxK, catalogSize, coverageKs }),
        newItems: new RankingMetrics({ maxK, catalogSize, coverageKs }),
        listSeconds: 0,
        lists: 0,
      });
    }
  }
  const timings: MethodTiming[] = methods.map((method) => ({
    method: method.name,
    trainSeconds: 0,
    testSeconds: 0,
    listSeconds: 0,
    learnSeconds: 0,
    lists: 0,
    events: 0,
  }));
  const progress = (label: string, total: number): Progress | undefined =>
    options.quiet
      ? undefined
      : new Progress({ label, total, unit: 'events', ...(options.progressStream ? { stream: options.progressStream } : {}) });

  const trainProgress = progress(`${dataset.name}: train`, dataset.train.length);
  for (const event of dataset.train) {
    options.signal?.throwIfAborted();
    for (const [m, method] of methods.entries()) {
      const t0 = performance.now();
      await method.learn(event);
      timings[m]!.trainSeconds += (performance.now() - t0) / 1000;
      timings[m]!.events++;
    }
    trainProgress?.tick();
  }
  trainProgress?.done();
  for (const method of methods) method.endTraining?.();

  // What each user touched so far, for the new-item targets.
  const touched = new Map<string, Set<string>>();
  for (const event of dataset.train) remember(touched, event.userId, touchedItems(event));

  const testProgress = progress(`${dataset.name}: test-then-learn`, dataset.test.length);
  for (const step of dataset.test) {
    options.signal?.throwIfAborted();
    const { event } = step;
    if (step.relevant && step.relevant.length > 0) {
      const relevant = new Set(step.relevant);
      const before = touched.get(event.userId);
      const fresh = new Set([...relevant].filter((id) => !before?.has(id)));
      let r = 0;
      for (const [m, method] of methods.entries()) {
        for (const filter of filtersOf(method, options.filters)) {
          const t0 = performance.now();
          const list = await method.recommend(event.userId, maxK, event.ts, filter);
          const seconds = (performance.now() - t0) / 1000;
          timings[m]!.listSeconds += seconds;
          timings[m]!.lists++;
          const result = results[r++]!;
          result.listSeconds += seconds;
          result.lists++;
          result.all.add(list, relevant);
          if (fresh.size > 0) result.newItems.add(list, fresh);
        }
      }
    }
    for (const [m, method] of methods.entries()) {
      const t0 = performance.now();
      await method.learn(event);
      timings[m]!.learnSeconds += (performance.now() - t0) / 1000;
      timings[m]!.events++;
    }
    remember(touched, event.userId, touchedItems(event));
    testProgress?.tick();
  }
  testProgress?.done();
  for (const timing of timings) timing.testSeconds = timing.listSeconds + timing.learnSeconds;
  return { dataset: dataset.name, results, timings, seconds: (performance.now() - started) / 1000 };
}

function remember(touched: Map<string, Set<string>>, userId: string, items: readonly string[]): void {
  let set = touched.get(userId);
  if (!set) touched.set(userId, (set = new Set()));
  for (const id of items) set.add(id);
}

/** The filters `method` is measured under (EvalMethod.filters), in the run's order. */
function filtersOf(method: EvalMethod, filters: readonly ListFilter[]): readonly ListFilter[] {
  return method.filters ? filters.filter((filter) => method.filters!.includes(filter.name)) : filters;
}
