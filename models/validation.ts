import type { ValidationFigures } from './artifact-types.js';
import type { HoldoutSplit } from './holdout-split.js';
import { SEQUENCE_EVENT_TYPES, type InteractionEvent } from './sequences.js';
import { TrainingDataError } from './train.js';

export { splitHoldout, type HeldOutCase, type HoldoutOptions, type HoldoutSplit } from './holdout-split.js';
export {
  attributeSpace,
  candidateSpace,
  evaluateNextItem,
  learnedSpace,
  type CandidateSpace,
  type EvaluateOptions,
} from './next-item-evaluation.js';

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
