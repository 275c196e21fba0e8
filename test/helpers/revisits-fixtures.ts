import type { RecommendedItem } from '../../engine/contracts/schemas.js';
import { RevisitEvidence, type RevisitCandidate } from '../../engine/recommend/logic/revisits.js';
import type { RecentInteraction } from '../../engine/shoppers/user-state-store.js';

/**
 * Shared by the re-visit tests (revisits, revisit-evidence and merge-revisits): a fixed clock,
 * recent interactions, fresh rankings, candidates and evidence learned from chosen observations.
 */

export const NOW = 1_750_000_000_000;
export const GAP_S = 1800;
export const SEC = 1000;

export const entry = (itemId: string, type: RecentInteraction['type'], agoMs: number): RecentInteraction => ({
  itemId,
  type,
  ts: NOW - agoMs,
});

/** A fresh ranking f0, f1, ... with scores 0.9, 0.8, ... (falling, as a ranking's). */
export function freshList(n: number): RecommendedItem[] {
  return Array.from({ length: n }, (_, i) => ({ itemId: `f${i}`, score: Math.round((0.9 - 0.1 * i) * 10) / 10, reason: `fresh ${i}` }));
}

/** A candidate touched once among the recent items (times 1), as in every `learned` observation below unless said. */
export const candidate = (
  itemId: string,
  place: number,
  bucket: 0 | 1 = 0,
  type: RevisitCandidate['type'] = 'view',
  times: RevisitCandidate['times'] = 1,
): RevisitCandidate => ({ itemId, place, bucket, type, times });

/**
 * Evidence from `touched.length` observations, each judged against the same recent items
 * (`recentBefore`, bucket by `ts`) and fresh ranking (`fresh`): observation i touches touched[i].
 * So a place's rate is (how often its item is in `touched`) / touched.length.
 */
export function learned(
  options: { minEvidence: number; maxShare?: number },
  recentBefore: RecentInteraction[],
  fresh: string[] | undefined,
  touched: string[],
): RevisitEvidence {
  const evidence = new RevisitEvidence({ sessionGapSeconds: GAP_S, ...options });
  for (const itemId of touched) evidence.observe('view', [itemId], NOW, recentBefore, fresh);
  return evidence;
}

/** `count` copies of `itemId`. */
export const times = (itemId: string, count: number): string[] => Array.from({ length: count }, () => itemId);
