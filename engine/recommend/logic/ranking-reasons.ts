import type { InteractionType } from '../../contracts/schemas.js';
import type { Candidate } from './candidate.js';
import type { BlendWeights, RankingContext } from './ranking-blend.js';
import { clamp01 } from './score-bounds.js';

const VERB: Record<InteractionType, string> = {
  view: 'viewed',
  click: 'viewed',
  search: 'viewed',
  like: 'liked',
  add_to_cart: 'added to your cart',
  remove_from_cart: 'viewed',
  purchase: 'bought',
  dislike: 'viewed',
};

/**
 * The reason of the largest score component; on a tie, the earlier one in this order: query,
 * complement, personal, neighbours, co-visitation, popularity. An item no signal speaks for gets the context's
 * fallback reason: every listed item says why.
 */
export function reasonFor(candidate: Candidate, weights: BlendWeights, context: RankingContext): string {
  // scoreParts' products, in the order above, without building its object (every shown item).
  const relevance = clamp01(candidate.queryRelevance ?? 0);
  const gate = weights.query > 0 ? relevance : 1;
  const query = weights.query * relevance;
  const complement = gate * weights.complement * clamp01(candidate.complement ?? 0);
  const personal = gate * weights.personal * clamp01(candidate.similarity ?? 0);
  const neighbours = gate * weights.neighbours * clamp01(candidate.neighbours ?? 0);
  const coVisitation = gate * weights.coVisitation * clamp01(candidate.coVisitation ?? 0);
  const popularity = gate * weights.popularity * clamp01(candidate.popularity ?? 0);
  const sessions = gate * weights.sessions * clamp01(candidate.sessions ?? 0);
  const follows = gate * weights.follows * clamp01(candidate.follows ?? 0);
  // The first largest positive part wins: a later one must be strictly larger.
  let best: ReasonPart | undefined = query > 0 ? 'query' : undefined;
  let bestValue = query > 0 ? query : 0;
  if (complement > bestValue) [best, bestValue] = ['complement', complement];
  if (personal > bestValue) [best, bestValue] = ['personal', personal];
  if (neighbours > bestValue) [best, bestValue] = ['neighbours', neighbours];
  if (coVisitation > bestValue) [best, bestValue] = ['coVisitation', coVisitation];
  if (sessions > bestValue) [best, bestValue] = ['sessions', sessions];
  if (follows > bestValue) [best, bestValue] = ['follows', follows];
  if (popularity > bestValue) [best, bestValue] = ['popularity', popularity];
  return best === undefined ? (context.fallbackReason ?? 'to explore the shop') : reasonText(best, candidate, context);
}

/** A score component a reason can name. */
type ReasonPart = 'query' | 'complement' | 'personal' | 'neighbours' | 'coVisitation' | 'sessions' | 'follows' | 'popularity';

/** The reason text of the component that contributed most. */
function reasonText(part: ReasonPart, candidate: Candidate, context: RankingContext): string {
  switch (part) {
    case 'query':
      return `for your search '${context.query ?? ''}'`;
    case 'personal': {
      const recent = context.nearestRecent(candidate.itemId);
      const title = recent ? context.titleOf(recent.itemId) : undefined;
      return recent && title ? `like ${title} you ${VERB[recent.type]}` : 'matches your taste';
    }
    case 'complement': {
      const title = candidate.complementOf ? context.titleOf(candidate.complementOf) : undefined;
      return title ? `often bought with ${title}` : 'often bought together';
    }
    case 'neighbours':
      return 'shoppers like you also liked it';
    case 'sessions':
      return 'in sessions like yours';
    case 'follows': {
      const title = candidate.followsAfter ? context.titleOf(candidate.followsAfter) : undefined;
      return title ? `often viewed after ${title}` : 'often viewed next';
    }
    case 'coVisitation': {
      const title = candidate.coVisitedWith ? context.titleOf(candidate.coVisitedWith) : undefined;
      return title ? `often viewed with ${title}` : 'often viewed together';
    }
    case 'popularity': {
      const category = context.popularIn?.(candidate.itemId);
      return category ? `popular in ${category}` : 'popular now';
    }
  }
}
