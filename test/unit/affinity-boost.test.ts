import { describe, expect, it } from 'vitest';
import { affinityAfter, affinityGain, emptyAffinity } from '../../engine/shoppers/logic/affinity.js';
import {
  affinityBoost,
  checkAffinityBoost,
  FULL_LIKE_WEIGHT,
  likedCategory,
  shopperLikes,
  type BoostedItem,
} from '../../engine/recommend/logic/affinity-boost.js';
import { rankCandidates, type Candidate, type RankingContext } from '../../engine/recommend/logic/ranking.js';
import type { Affinity } from '../../engine/shoppers/user-state-store.js';

const HALF_LIFE = 14 * 24 * 3600;
const NOW = 1_750_000_000_000;
const DAY = 24 * 3600 * 1000;

/** Affinity after `lines` (item, weight) at `ts`, one event each, oldest first. */
function affinityOf(lines: Array<[BoostedItem, number, number?]>): Affinity {
  let affinity = emptyAffinity();
  for (const [item, weight, ts = NOW] of lines)
    affinity = affinityAfter(affinity, affinityGain([[item, weight]]), ts, HALF_LIFE) ?? affinity;
  return affinity;
}

const lamp: BoostedItem = { category: 'Home/Lamps', brand: 'Lumo' };
const rug: BoostedItem = { category: 'Home/Rugs', brand: 'Weave' };
const knife: BoostedItem = { category: 'Kitchen/Knives', brand: 'Lumo' };
const shoe: BoostedItem = { category: 'Sport/Shoes', brand: 'Velo' };

describe('affinity boost', () => {
  it('gives the whole boost to the liked category and brand, half of the category to a sibling, none to the unknown', () => {
    const likes = shopperLikes(affinityOf([[lamp, 3]]), NOW, HALF_LIFE);
    expect(affinityBoost(lamp, likes, 0.15)).toBeCloseTo(0.15, 10);
    // Same ancestor ('home'), other leaf and brand: half of the category share.
    expect(affinityBoost(rug, likes, 0.15)).toBeCloseTo(0.15 * 0.5 * 0.5, 10);
    // The liked brand in a category the shopper never touched: the brand share.
    expect(affinityBoost(knife, likes, 0.15)).toBeCloseTo(0.15 * 0.5, 10);
    expect(affinityBoost(shoe, likes, 0.15)).toBe(0);
    expect(affinityBoost(undefined, likes, 0.15)).toBe(0);
    expect(affinityBoost({ category: 'home/lamps' }, likes, 0.15)).toBeCloseTo(0.15 * 0.5, 10);
  });

  it('stays in [0, max] for any affinity, and likes nothing disliked', () => {
    const affinity = affinityOf([
      [lamp, 40],
      [rug, 2],
      [knife, -3],
      [shoe, -10],
    ]);
    const likes = shopperLikes(affinity, NOW, HALF_LIFE);
    for (const item of [lamp, rug, knife, shoe, { category: '' }, { category: 'home', brand: '  LUMO ' }]) {
      for (const max of [0, 0.15, 1]) {
        const boost = affinityBoost(item, likes, max);
        expect(boost).toBeGreaterThanOrEqual(0);
        expect(boost).toBeLessThanOrEqual(max + 1e-12);
      }
    }
    expect(likes.categories.has('sport/shoes')).toBe(false);
    expect(affinityBoost(shoe, likes, 1)).toBe(0);
    expect(() => checkAffinityBoost(1.5)).toThrow(RangeError);
    expect(() => checkAffinityBoost(Number.NaN)).toThrow(RangeError);
  });

  it('grows with evidence up to FULL_LIKE_WEIGHT and fades with the half-life', () => {
    const one = shopperLikes(affinityOf([[lamp, 1]]), NOW, HALF_LIFE);
    expect(affinityBoost(lamp, one, 0.15)).toBeCloseTo(0.15 / FULL_LIKE_WEIGHT, 10);
    // Three times the full weight a half-life ago: still full now; four half-lives later, half of that.
    const old = affinityOf([[lamp, 2 * FULL_LIKE_WEIGHT, NOW - 14 * DAY]]);
    expect(affinityBoost(lamp, shopperLikes(old, NOW, HALF_LIFE), 0.15)).toBeCloseTo(0.15, 10);
    expect(affinityBoost(lamp, shopperLikes(old, NOW + 14 * DAY, HALF_LIFE), 0.15)).toBeCloseTo(
      (0.15 * (FULL_LIKE_WEIGHT / 2)) / FULL_LIKE_WEIGHT,
      10,
    );
  });

  it('names the deepest liked level of the item, spelled as the catalog spells it', () => {
    const likes = shopperLikes(affinityOf([[lamp, 3]]), NOW, HALF_LIFE);
    expect(likedCategory(lamp, likes)).toBe('Home/Lamps');
    expect(likedCategory({ category: ' Home > Rugs ' }, likes)).toBe('Home');
    expect(likedCategory(shoe, likes)).toBeUndefined();
  });

  it('is applied by the ranking: it reorders close items, bounded by (1 + max)', () => {
    const candidates: Candidate[] = [
      { itemId: 'plain', similarity: 0.8 },
      { itemId: 'liked', similarity: 0.75 },
      { itemId: 'far', similarity: 0.5 },
    ];
    const base: RankingContext = { strength: 20, titleOf: () => undefined, nearestRecent: () => undefined };
    const without = rankCandidates(candidates, 3, base);
    expect(without.map((item) => item.itemId)).toEqual(['plain', 'liked', 'far']);
    const boosts: Record<string, number> = { liked: 0.15, far: 0.15 };
    const withBoost = rankCandidates(candidates, 3, { ...base, boostOf: (id) => boosts[id] ?? 0 });
    expect(withBoost.map((item) => item.itemId)).toEqual(['liked', 'plain', 'far']);
    const score = (list: typeof without, id: string) => list.find((item) => item.itemId === id)!.score;
    expect(score(withBoost, 'liked')).toBeCloseTo(score(without, 'liked') * 1.15, 5);
    expect(score(withBoost, 'plain')).toBe(score(without, 'plain'));
    // 0.15 cannot lift 0.5 over 0.8; and a boost of the wrong size is clamped to [0, 1].
    expect(withBoost[2]!.itemId).toBe('far');
    const wild = rankCandidates(candidates, 3, { ...base, boostOf: (id) => (id === 'far' ? 50 : -3) });
    expect(score(wild, 'far')).toBeCloseTo(score(without, 'far') * 2, 5);
    expect(score(wild, 'plain')).toBe(score(without, 'plain'));
  });
});
