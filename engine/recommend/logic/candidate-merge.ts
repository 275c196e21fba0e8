import { mergeComplements } from './complements.js';
import type { Candidate, CandidateSources } from './candidate.js';
import type { RankingTuning } from './ranking-tuning.js';

/** Merging the candidate sources into one candidate per item, each signal in [0, 1] (see ranking.ts). */

/** Weight of the i-th most recent item's co-visitation list (newest first). */
export const RECENCY_WEIGHTS: readonly number[] = [1, 0.75, 0.5, 0.35, 0.25];

/** A list scaled so its best score is 1 (scores <= 0 and non-finite ones are dropped). */
export function normaliseScores(list: ReadonlyArray<readonly [string, number]>): Array<[string, number]> {
  const best = bestScore(list);
  if (best === 0) return [];
  const out: Array<[string, number]> = [];
  for (const [id, score] of list) if (Number.isFinite(score) && score > 0) out.push([id, score / best]);
  return out;
}

/** The best finite positive score of a list; 0 when none is. */
function bestScore(list: ReadonlyArray<readonly [string, number]>): number {
  let best = 0;
  for (let i = 0; i < list.length; i++) {
    const score = list[i]![1];
    if (Number.isFinite(score) && score > best) best = score;
  }
  return best;
}

/** Merges the sources into one candidate per item, each carrying every signal it was seen with. */
export function mergeCandidates(sources: CandidateSources, tuning: RankingTuning = {}): Map<string, Candidate> {
  const merged = new Map<string, Candidate>();
  // Indexed loops, no destructuring: ~300 candidates per list (recommend micro-benchmark).
  const vector = sources.vector ?? [];
  for (let i = 0; i < vector.length; i++) {
    const neighbour = vector[i]!;
    entryIn(merged, neighbour.id).similarity = neighbour.similarity;
  }
  const recencyWeights = tuning.coVisitRecency ?? RECENCY_WEIGHTS;
  const sum = tuning.coVisitCombine === 'sum';
  /** With `sum`: the best single contribution per candidate, which names it (`coVisitedWith`). */
  const bestPart = sum ? new Map<string, number>() : undefined;
  const coVisited = sources.coVisited ?? [];
  for (let index = 0; index < coVisited.length; index++) {
    const { via, items, position = index } = coVisited[index]!;
    const recency = recencyWeights[Math.min(position, recencyWeights.length - 1)]!;
    // normaliseScores inline (no array per list): each usable score divided by the list's best.
    const best = bestScore(items);
    if (best === 0) continue;
    for (let i = 0; i < items.length; i++) {
      const entry = items[i]!;
      const score = entry[1];
      if (!(Number.isFinite(score) && score > 0)) continue;
      const id = entry[0];
      const value = (score / best) * recency;
      const candidate = entryIn(merged, id);
      if (bestPart) {
        candidate.coVisitation = (candidate.coVisitation ?? 0) + value;
        if (value > (bestPart.get(id) ?? 0)) {
          bestPart.set(id, value);
          candidate.coVisitedWith = via;
        }
      } else if (value > (candidate.coVisitation ?? 0)) {
        candidate.coVisitation = value;
        candidate.coVisitedWith = via;
      }
    }
  }
  if (sum) {
    let best = 0;
    for (const candidate of merged.values()) best = Math.max(best, candidate.coVisitation ?? 0);
    if (best > 0) for (const candidate of merged.values()) if (candidate.coVisitation !== undefined) candidate.coVisitation /= best;
  }
  const popular = sources.popular ?? [];
  for (let i = 0; i < popular.length; i++) {
    const score = popular[i]![1];
    if (Number.isFinite(score) && score > 0) entryIn(merged, popular[i]![0]).popularity = Math.min(1, score);
  }
  for (const { id, similarity } of sources.query ?? []) entryIn(merged, id).queryRelevance = similarity;
  const neighbours = sources.neighbours ?? [];
  const bestNeighbour = bestScore(neighbours);
  if (bestNeighbour > 0)
    for (let i = 0; i < neighbours.length; i++) {
      const score = neighbours[i]![1];
      if (Number.isFinite(score) && score > 0) entryIn(merged, neighbours[i]![0]).neighbours = score / bestNeighbour;
    }
  const sessions = sources.sessions ?? [];
  const bestSession = bestScore(sessions);
  if (bestSession > 0)
    for (let i = 0; i < sessions.length; i++) {
      const score = sessions[i]![1];
      if (Number.isFinite(score) && score > 0) entryIn(merged, sessions[i]![0]).sessions = score / bestSession;
    }
  const follows = sources.follows;
  const bestFollow = follows ? bestScore(follows.items) : 0;
  if (follows && bestFollow > 0) {
    for (const [id, score] of follows.items) {
      if (!(Number.isFinite(score) && score > 0)) continue;
      const candidate = entryIn(merged, id);
      candidate.follows = score / bestFollow;
      candidate.followsAfter = follows.after;
    }
  }
  // (No complement lists, the usual case: no closure, and none of mergeComplements' maps.)
  const complements = sources.complements ?? [];
  if (complements.length > 0) mergeComplements(complements, (itemId) => entryIn(merged, itemId));
  return merged;
}

/** The candidate of `itemId` in `merged`, added (no signal yet) when absent. */
function entryIn(merged: Map<string, Candidate>, itemId: string): Candidate {
  let candidate = merged.get(itemId);
  if (!candidate) {
    // Every field present from the start (undefined until a source sets it), in one order: all
    // candidates share one object shape, which keeps scoring them fast.
    candidate = {
      itemId,
      similarity: undefined,
      coVisitation: undefined,
      coVisitedWith: undefined,
      popularity: undefined,
      queryRelevance: undefined,
      neighbours: undefined,
      complement: undefined,
      complementOf: undefined,
      sessions: undefined,
      follows: undefined,
      followsAfter: undefined,
    };
    merged.set(itemId, candidate);
  }
  return candidate;
}
