import type { Item, StoredEvent } from '../../engine/contracts/schemas.js';

/**
 * An evaluation data set, ready to replay: a catalog, training events (applied before anything is
 * measured) and a held-out stream of steps in time order. A step with `relevant` is a prediction:
 * each method's list for that user is taken first, scored, then the event is applied
 * (test-then-learn); a step without it is only applied.
 */
export interface EvalDataset {
  /** `yoochoose`, `online-retail`, or a test's name. */
  name: string;
  /** One line on the protocol, printed above the table. */
  protocol: string;
  items: Item[];
  /** Sorted by ts (stable). */
  train: StoredEvent[];
  /** Sorted by ts (stable). */
  test: EvalStep[];
  /** Figures about the split (sessions, predictions, repeat share ...), printed and in the JSON. */
  facts: Record<string, number | string>;
}

export interface EvalStep {
  event: StoredEvent;
  /** Items that count as right for the list shown just before this event; absent: not scored. */
  relevant?: readonly string[];
  /** Relevant items the user had already interacted with (re-clicks, re-purchases). */
  repeats?: number;
}

/** A data file that cannot be read as the data set it claims to be (bad header, bad line). */
export class DatasetError extends Error {
  override name = 'DatasetError';
}

/** Stable sort by ts; equal times keep their input order (the files' order). */
export function byTime<T extends { ts: number }>(rows: T[]): T[] {
  return rows
    .map((row, i) => ({ row, i }))
    .sort((a, b) => a.row.ts - b.row.ts || a.i - b.i)
    .map(({ row }) => row);
}

/** Number of scored steps. */
export function predictionCount(dataset: EvalDataset): number {
  let n = 0;
  for (const step of dataset.test) if (step.relevant) n++;
  return n;
}
