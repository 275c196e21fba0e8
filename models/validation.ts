import type { Item } from '../engine/contracts/schemas.js';
import type { ValidationFigures } from './artifact-types.js';
import type { ContentEncoder } from './content-encoder.js';
import type { LearnedVectorSource } from './learned-vector-source.js';
import { SEQUENCE_EVENT_TYPES, buildSequences, type InteractionEvent, type Sequence } from './sequences.js';
import { TrainingDataError } from './train.js';

/**
 * The model gate: is there enough data to train, and does a new model predict held-out behaviour
 * at least as well as the one serving? Pure, no I/O; the CLI (scripts/train.ts) reads the data,
 * prints and publishes.
 *
 * Protocol (`next-item`):
 *   1. Sessions are built from the whole log as the trainer builds them (per user, split at
 *      `sessionGapMs`). The newest `holdoutShare` of them by start time set a cut-off: events from
 *      it on are held out, the candidate trains on the events before it (no look-ahead). The
 *      cut-off is never before the serving model's last training event (`notBefore`): held-out
 *      events it learned from would flatter it (a model retrained on the whole log scored 0.66
 *      instead of 0.54 on yoochoose-sample), so only events newer than it judge the two.
 *   2. Held-out events form sessions again; every position i >= 1 of a held-out session is a case:
 *      the prefix's last `queryItems` items (default 3) -> the item at i. At most `maxCases` cases,
 *      an even stride over all of them when there are more.
 *   3. Each model embeds the items it would put in the engine's index: every catalog item (learned
 *      row, else content tower, else attribute encoder, as LearnedVectorSource serves them) and every
 *      item it has a learned row for; the attribute model embeds the catalog. That is its candidate
 *      set ("the items it covers").
 *   4. Query = normalised mean of the prefix items' vectors (items the model covers). Candidates are
 *      ranked by cosine; the prefix's last item is left out (consecutive repeats are collapsed, so it
 *      is never the answer). rank = candidates scoring strictly above the target.
 *   5. HR@k = share of cases with rank < k; MRR@k = mean of 1/(rank+1) over those, 0 otherwise.
 *      A case whose target a model does not cover, or whose prefix it covers none of, is a miss for
 *      that model: both models are divided by the same number of cases.
 */

/** Refusal of the data before training; `failures` names each threshold missed with its figures. */
export class InsufficientDataError extends TrainingDataError {
  override name = 'InsufficientDataError';
  constructor(readonly failures: string[]) {
    super(
      `too little data to train a model worth serving: ${failures.join('; ')} (lower the thresholds with --min-events, --min-coverage, --min-heldout if you mean it)`,
    );
  }
}

export interface DataThresholds {
  /** Fewest usable interaction events (view, click, add_to_cart, purchase, like with an item). */
  minEvents: number;
  /** Smallest share (0..1) of the catalog's items that must occur in those events; skipped without a catalog. */
  minCatalogShare: number;
  /** Fewest held-out cases for a comparison worth trusting. */
  minHeldOutCases: number;
}

/** Defaults: the demo (163 events over 38 of 3,003 items) is refused; a shop's real log passes. */
export const DEFAULT_DATA_THRESHOLDS: Readonly<DataThresholds> = Object.freeze({
  minEvents: 1000,
  minCatalogShare: 0.2,
  minHeldOutCases: 100,
});

export interface DataFigures {
  usableEvents: number;
  /** Distinct items in the usable events. */
  items: number;
  /** Catalog size and how many of its items occur in the events (undefined without a catalog). */
  catalogItems?: number;
  coveredCatalogItems?: number;
}

/** Counts what the thresholds look at. */
export function dataFigures(events: readonly InteractionEvent[], catalogIds?: ReadonlySet<string>): DataFigures {
  let usableEvents = 0;
  const seen = new Set<string>();
  for (const event of events) {
    if (!SEQUENCE_EVENT_TYPES.has(event.type)) continue;
    const ids = [...(event.items ?? []).map((line) => line.itemId), event.itemId].filter(
      (id): id is string => typeof id === 'string' && id.length > 0,
    );
    if (ids.length === 0) continue;
    usableEvents++;
    for (const id of ids) seen.add(id);
  }
  if (!catalogIds || catalogIds.size === 0) return { usableEvents, items: seen.size };
  let covered = 0;
  for (const id of seen) if (catalogIds.has(id)) covered++;
  return { usableEvents, items: seen.size, catalogItems: catalogIds.size, coveredCatalogItems: covered };
}

/** The thresholds missed, each with its figures; [] when the data is enough. */
export function dataFailures(
  figures: DataFigures,
  split: Pick<HoldoutSplit, 'cases' | 'boundBy' | 'from'>,
  thresholds: DataThresholds,
): string[] {
  const heldOutCases = split.cases.length;
  const failures: string[] = [];
  const n = (x: number) => x.toLocaleString('en-US');
  if (figures.usableEvents < thresholds.minEvents)
    failures.push(`${n(figures.usableEvents)} usable events, fewer than --min-events ${n(thresholds.minEvents)}`);
  if (figures.catalogItems !== undefined && figures.coveredCatalogItems !== undefined) {
    const share = figures.coveredCatalogItems / figures.catalogItems;
    if (share < thresholds.minCatalogShare) {
      failures.push(
        `the events cover ${n(figures.coveredCatalogItems)} of ${n(figures.catalogItems)} catalog items (${percent(share)}), less than --min-coverage ${percent(thresholds.minCatalogShare)}`,
      );
    }
  }
  if (heldOutCases < thresholds.minHeldOutCases) {
    const since =
      split.boundBy === 'serving'
        ? ` after the serving model's last training event (${new Date(split.from).toISOString()}): new events are needed to judge a new model`
        : Number.isNaN(split.from)
          ? ' (no event has a time, so none can be held out as the newest)'
          : '';
    failures.push(`${n(heldOutCases)} held-out cases, fewer than --min-heldout ${n(thresholds.minHeldOutCases)}${since}`);
  }
  return failures;
}

export interface HoldoutOptions {
  /** Share (0..1) of sessions, the newest by start, whose time range is held out. */
  share: number;
  sessionGapMs?: number;
  /** Prefix items per query. Default 3. */
  queryItems?: number;
  /** Most cases kept (an even stride over all). Default 20,000. */
  maxCases?: number;
  /** Epoch ms: hold out nothing older (the serving model's last training event + 1). */
  notBefore?: number;
}

/** One held-out case: the prefix's last items (oldest first) and the item that came next. */
export interface HeldOutCase {
  prefix: string[];
  target: string;
}

export interface HoldoutSplit {
  /** Events before the cut-off, and untimed ones: the candidate trains on these. */
  training: InteractionEvent[];
  /** Epoch ms of the cut-off (NaN when nothing could be held out). */
  from: number;
  /** What set the cut-off: the newest share of sessions, or `notBefore` (the serving model's data). */
  boundBy: 'share' | 'serving';
  heldOutEvents: number;
  heldOutSessions: number;
  /** All cases before the cap. */
  allCases: number;
  cases: HeldOutCase[];
}

/** Splits the log at the start of the newest `share` of sessions and builds the held-out cases (see the file comment). */
export function splitHoldout(events: readonly InteractionEvent[], options: HoldoutOptions): HoldoutSplit {
  const { share } = options;
  if (!(share > 0 && share < 1)) throw new RangeError(`holdout share must be in (0, 1), got ${share}`);
  const queryItems = options.queryItems ?? 3;
  const maxCases = options.maxCases ?? 20_000;
  const sequenceOptions = {
    purchaseHistories: false,
    ...(options.sessionGapMs !== undefined ? { sessionGapMs: options.sessionGapMs } : {}),
  };
  const starts = buildSequences(events, { ...sequenceOptions, minLength: 1 })
    .sequences.map((s) => s.from)
    .filter(Number.isFinite)
    .sort((a, b) => b - a);
  const held = Math.ceil(starts.length * share);
  if (held === 0)
    return { training: [...events], from: Number.NaN, boundBy: 'share', heldOutEvents: 0, heldOutSessions: 0, allCases: 0, cases: [] };
  const boundBy = options.notBefore !== undefined && options.notBefore > starts[held - 1]! ? 'serving' : 'share';
  const from = boundBy === 'serving' ? options.notBefore! : starts[held - 1]!;
  const training: InteractionEvent[] = [];
  const heldOut: InteractionEvent[] = [];
  for (const event of events) (typeof event.ts === 'number' && event.ts >= from ? heldOut : training).push(event);
  const sessions = buildSequences(heldOut, sequenceOptions).sequences.filter((s) => s.kind === 'session');
  const all = sessionCases(sessions, queryItems);
  const stride = all.length > maxCases ? all.length / maxCases : 1;
  const cases: HeldOutCase[] = [];
  for (let i = 0; i < all.length && cases.length < maxCases; i++) if (Math.floor(i / stride) === cases.length) cases.push(all[i]!);
  return { training, from, boundBy, heldOutEvents: heldOut.length, heldOutSessions: sessions.length, allCases: all.length, cases };
}

function sessionCases(sessions: readonly Sequence[], queryItems: number): HeldOutCase[] {
  const cases: HeldOutCase[] = [];
  for (const { items } of sessions) {
    for (let i = 1; i < items.length; i++) cases.push({ prefix: items.slice(Math.max(0, i - queryItems), i), target: items[i]! });
  }
  return cases;
}

/** The items a model would index, with their unit vectors: what it ranks in the protocol. */
export interface CandidateSpace {
  version: string;
  dimension: number;
  ids: string[];
  /** ids.length x dimension, unit rows. */
  vectors: Float32Array;
  rowOf: Map<string, number>;
}

/** A space from (id, vector) pairs; zero vectors (items the model cannot place) are left out. */
export function candidateSpace(version: string, dimension: number, entries: Iterable<[string, Float32Array]>): CandidateSpace {
  const ids: string[] = [];
  const rows: Float32Array[] = [];
  const rowOf = new Map<string, number>();
  for (const [id, vector] of entries) {
    if (rowOf.has(id)) continue;
    if (vector.length !== dimension) throw new RangeError(`item ${id}: vector of length ${vector.length}, model dimension ${dimension}`);
    let squared = 0;
    for (const x of vector) squared += x * x;
    if (!(squared > 0) || !Number.isFinite(squared)) continue;
    const inverse = 1 / Math.sqrt(squared);
    rowOf.set(id, ids.length);
    ids.push(id);
    rows.push(vector.map((x) => x * inverse));
  }
  const vectors = new Float32Array(ids.length * dimension);
  rows.forEach((row, i) => vectors.set(row, i * dimension));
  return { version, dimension, ids, vectors, rowOf };
}

/** A learned model's space: its learned rows, and every catalog item as the engine would embed it. */
export function learnedSpace(source: LearnedVectorSource, catalog: readonly Item[]): CandidateSpace {
  const { itemIds } = source.model.manifest;
  function* entries(): Generator<[string, Float32Array]> {
    for (const item of catalog) yield [item.itemId, source.vectorFor(item)];
    for (const id of itemIds) yield [id, source.learnedVector(id)!];
  }
  return candidateSpace(source.version, source.dimension, entries());
}

/** The attribute model's space: the catalog through the attribute encoder. */
export function attributeSpace(version: string, encoder: ContentEncoder, catalog: readonly Item[]): CandidateSpace {
  return candidateSpace(
    version,
    encoder.dimension,
    catalog.map((item): [string, Float32Array] => [item.itemId, encoder.encodeItem(item)]),
  );
}

export interface EvaluateOptions {
  /** Cut-off of HR and MRR. Default 20. */
  k?: number;
  /** Cases between two reports (and yields to the event loop). Default 256. */
  batchSize?: number;
  /** Called after each batch with the cases done in it. */
  onProgress?: (cases: number) => void;
  signal?: AbortSignal;
}

/**
 * HR@k and MRR@k of one model on the cases (see the file comment). Plain loops: one dot product
 * per candidate and case, and a case stops scanning once k candidates beat its target. (TF.js on
 * the wasm backend was 4x slower than this for a 256 x 64 by 64 x 3,000 product.)
 */
export async function evaluateNextItem(
  space: CandidateSpace,
  cases: readonly HeldOutCase[],
  options: EvaluateOptions = {},
): Promise<ValidationFigures> {
  const k = options.k ?? 20;
  const batchSize = options.batchSize ?? 256;
  const D = space.dimension;
  const query = new Float32Array(D);
  let hits = 0;
  let reciprocal = 0;
  let unknownTargets = 0;
  for (let start = 0; start < cases.length; start += batchSize) {
    if (options.signal?.aborted) throw options.signal.reason ?? new Error('evaluation aborted');
    const end = Math.min(cases.length, start + batchSize);
    for (let c = start; c < end; c++) {
      const { prefix, target } = cases[c]!;
      const targetRow = space.rowOf.get(target);
      if (targetRow === undefined) {
        unknownTargets++;
        continue;
      }
      if (!meanQuery(space, prefix, query)) continue;
      const rank = rankOf(space, query, targetRow, space.rowOf.get(prefix[prefix.length - 1]!), k);
      if (rank < k) {
        hits++;
        reciprocal += 1 / (rank + 1);
      }
    }
    options.onProgress?.(end - start);
    // Let a progress line, a signal or another task in.
    await new Promise((resolve) => setImmediate(resolve));
  }
  if (cases.length === 0) return { hitRate: 0, mrr: 0, unknownTargets };
  return { hitRate: hits / cases.length, mrr: reciprocal / cases.length, unknownTargets };
}

/** Writes the normalised mean of the prefix items' vectors into `out`; false when the space covers none of them. */
function meanQuery(space: CandidateSpace, prefix: readonly string[], out: Float32Array): boolean {
  const D = space.dimension;
  out.fill(0);
  let used = 0;
  for (const id of prefix) {
    const row = space.rowOf.get(id);
    if (row === undefined) continue;
    used++;
    for (let i = 0; i < D; i++) out[i]! += space.vectors[row * D + i]!;
  }
  if (used === 0) return false;
  let squared = 0;
  for (let i = 0; i < D; i++) squared += out[i]! * out[i]!;
  if (!(squared > 0)) return false;
  const inverse = 1 / Math.sqrt(squared);
  for (let i = 0; i < D; i++) out[i]! *= inverse;
  return true;
}

/** Candidates scoring strictly above the target (the excluded row left out); stops counting at k. */
function rankOf(space: CandidateSpace, query: Float32Array, target: number, excluded: number | undefined, k: number): number {
  const { vectors, dimension: D } = space;
  const n = space.ids.length;
  const score = dot(query, vectors, target * D, D);
  let rank = 0;
  for (let j = 0; j < n; j++) {
    if (j === target || j === excluded) continue;
    if (dot(query, vectors, j * D, D) > score && ++rank >= k) return rank;
  }
  return rank;
}

function dot(query: Float32Array, vectors: Float32Array, offset: number, D: number): number {
  let sum = 0;
  for (let i = 0; i < D; i++) sum += query[i]! * vectors[offset + i]!;
  return sum;
}

export interface GateDecision {
  publish: boolean;
  /** One sentence: why it is (not) published. */
  reason: string;
}

/** Publish when the new HR@k is at least the serving one's minus `tolerance`, or when forced. */
export function gateDecision(
  candidate: ValidationFigures,
  serving: ValidationFigures,
  options: { tolerance: number; force: boolean; k?: number },
): GateDecision {
  const k = options.k ?? 20;
  const floor = serving.hitRate - options.tolerance;
  const compare = `new HR@${k} ${candidate.hitRate.toFixed(4)} ${candidate.hitRate >= floor ? '>=' : '<'} serving ${serving.hitRate.toFixed(4)} - tolerance ${options.tolerance}`;
  if (candidate.hitRate >= floor) return { publish: true, reason: compare };
  if (options.force) return { publish: true, reason: `${compare}, published because of --force` };
  return { publish: false, reason: `${compare}: the new model is worse than the serving one (use --force to publish it anyway)` };
}

function percent(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
}
