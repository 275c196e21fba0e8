import { PulseError } from '../contracts/errors.js';
import type { RpcMethod, RpcMethods } from '../contracts/messages.js';
import { tierRank, type Principal, type Tier } from '../contracts/schemas.js';
import { inSpaceOf } from '../logic/event-effect.js';
import type { EngineMetrics } from '../metrics.js';
import type { CatalogLog } from '../ports/catalog-log.js';
import type { RpcHandler, RpcServer } from '../ports/rpc.js';
import type { MemberStore } from '../ports/member-store.js';
import type { UserStateStore } from '../ports/user-state-store.js';
import type { CatalogService } from './catalog-service.js';
import { vectorLookup, type ServingModels } from './model-registry.js';
import type { Recommender } from './recommender.js';

export interface QueryHandlerDeps {
  users: UserStateStore;
  catalog: CatalogService;
  catalogLog: CatalogLog;
  recommender: Recommender;
  /** The serving model: a user vector from an older one is re-derived for the answer (not stored). */
  models: ServingModels;
  /** Half-life of the user's past taste (s), for re-derivation. */
  tasteHalfLifeSeconds: number;
  metrics: EngineMetrics;
  /** Member records: a member's list is filtered for at least the record's tier (raised by points). */
  members?: MemberStore;
  now?: () => number;
}

/**
 * The tier a list is filtered for. The engine's record of the user wins; a caller's token may
 * only raise it for the caller's own lists (a storefront backend minting member tokens with a
 * tier), never for someone else's.
 */
function effectiveTier(principal: Principal, userId: string, stored: Tier): Tier {
  if (principal.userId !== userId) return stored;
  return tierRank(principal.tier) > tierRank(stored) ? principal.tier : stored;
}

/** Registers the engine's request/reply methods (what the gateway forwards). */
export function registerQueryHandlers(server: RpcServer, deps: QueryHandlerDeps): void {
  const now = deps.now ?? Date.now;
  const timed = <M extends RpcMethod>(method: M, handler: RpcHandler<M>): void => {
    server.serve(method, async (request: RpcMethods[M]['request']) => {
      const end = deps.metrics.rpcSeconds.startTimer({ method });
      try {
        return await handler(request);
      } catch (err) {
        deps.metrics.errors.inc({ code: err instanceof PulseError ? err.code : 'internal' });
        throw err;
      } finally {
        end();
      }
    });
  };

  timed('recommend', async ({ principal, userId, options }) => {
    const [state, member] = await Promise.all([deps.users.load(userId), deps.members?.get(userId)]);
    // No await from here to recommend(): the space re-derived into is the one the list is ranked in.
    const current = inSpaceOf(state, vectorLookup(deps.models.current()), deps.tasteHalfLifeSeconds);
    const stored = member && tierRank(member.tier) > tierRank(state.tier) ? member.tier : state.tier;
    const user = { ...current, tier: effectiveTier(principal, userId, stored) };
    return deps.recommender.recommend(user, options, now());
  });

  timed('similar', async ({ principal, itemId, k }) => deps.recommender.similar(itemId, k, principal.tier));

  timed('catalog.get', async ({ principal, itemId }) => {
    const item = deps.catalog.get(itemId);
    // An item the caller's tier may not see does not exist for them (no existence leak).
    if (!item || (principal.role !== 'admin' && !deps.catalog.isVisible(item, principal.tier))) {
      throw new PulseError('not_found', `item ${itemId} not found`);
    }
    return item;
  });

  timed('catalog.list', async ({ principal, category, query, limit, offset }) => {
    const tier: Tier = principal.role === 'admin' ? 'enterprise' : principal.tier;
    return deps.catalog.list({ tier, limit, offset, ...(category ? { category } : {}), ...(query ? { query } : {}) });
  });

  timed('catalog.upsert', async ({ items }) => {
    await deps.catalogLog.put(items);
    return { upserted: items.length };
  });

  timed('catalog.delete', async ({ itemId }) => {
    if (!deps.catalog.get(itemId)) return { deleted: false };
    await deps.catalogLog.remove(itemId);
    return { deleted: true };
  });
}
