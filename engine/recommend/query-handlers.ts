import { PulseError } from '../contracts/errors.js';
import type { RpcMethod, RpcMethods } from '../contracts/messages.js';
import type { Principal, Tier } from '../contracts/schemas.js';
import { answerTier, seesEveryTier, type AnswerScope } from '../members/logic/tiers.js';
import { inSpaceOf } from '../shoppers/logic/event-effect.js';
import type { EngineMetrics } from '../metrics.js';
import type { CatalogLog } from '../catalog/catalog-log.js';
import type { RpcAdmissionOptions, RpcHandler, RpcServer } from '../platform/rpc.js';
import type { MemberStore } from '../members/member-store.js';
import type { UserStateStore } from '../shoppers/user-state-store.js';
import { checkItems, type CatalogService } from '../catalog/catalog-service.js';
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
  /** Member records: a member's answers are filtered for at least the record's tier (raised by points). */
  members?: MemberStore;
  /** Request admission limits (config RPC_*); defaults when left out. Drops are counted in `metrics`. */
  admission?: RpcAdmissionOptions;
  now?: () => number;
}

/**
 * Registers the engine's request/reply methods (what the gateway forwards), and sets the server's
 * admission limits (they cover every method, these and the ones registered later).
 */
export function registerQueryHandlers(server: RpcServer, deps: QueryHandlerDeps): void {
  const now = deps.now ?? Date.now;
  server.configure({
    ...deps.admission,
    onExpired: (method) => deps.metrics.rpcExpired.inc({ method }),
    onRejected: (method) => deps.metrics.rpcRejected.inc({ method }),
  });
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

  /**
   * The tier the caller's own answer (similar, catalog routes) is filtered for, by `answerTier`
   * over the stored tiers: one small read each of the user state and the member record, none for
   * an admin on catalog routes. `recommend` loads the whole state anyway and passes its tier.
   */
  const ownAnswerTier = async (principal: Principal, scope: AnswerScope): Promise<Tier> => {
    const stored = seesEveryTier(principal, scope)
      ? []
      : await Promise.all([deps.users.tier(principal.userId), deps.members?.get(principal.userId).then((member) => member?.tier)]);
    return answerTier(principal, principal.userId, stored, scope);
  };

  timed('recommend', async ({ principal, userId, options }) => {
    const [state, member] = await Promise.all([deps.users.load(userId), deps.members?.get(userId)]);
    // No await from here to recommend(): the space re-derived into is the one the list is ranked in.
    const current = inSpaceOf(state, vectorLookup(deps.models.current()), deps.tasteHalfLifeSeconds);
    const user = { ...current, tier: answerTier(principal, userId, [state.tier, member?.tier], 'list') };
    // The record read for the tier also decides which campaigns' items the list may carry.
    return deps.recommender.recommend(user, options, now(), member, userId);
  });

  timed('similar', async ({ principal, itemId, k }) => deps.recommender.similar(itemId, k, await ownAnswerTier(principal, 'list')));

  timed('catalog.get', async ({ principal, itemId }) => {
    const item = deps.catalog.get(itemId);
    // An item the caller's tier may not see does not exist for them (no existence leak).
    if (!item || !deps.catalog.isVisible(item, await ownAnswerTier(principal, 'catalog'))) {
      throw new PulseError('not_found', `item ${itemId} not found`);
    }
    return item;
  });

  timed('catalog.list', async ({ principal, category, query, limit, offset }) => {
    const tier = await ownAnswerTier(principal, 'catalog');
    return deps.catalog.list({ tier, limit, offset, ...(category ? { category } : {}), ...(query ? { query } : {}) });
  });

  timed('catalog.upsert', async ({ items }) => {
    // Checked whole before the log sees any (catalog-service.ts): a bad item is never stored to be refused at every start.
    await deps.catalogLog.put(checkItems(items));
    return { upserted: items.length };
  });

  timed('catalog.delete', async ({ itemId }) => {
    if (!deps.catalog.get(itemId)) return { deleted: false };
    await deps.catalogLog.remove(itemId);
    return { deleted: true };
  });
}
