import { pino } from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { MemoryCatalogLog } from '../../engine/catalog/adapters/memory-catalog-log.js';
import { MemoryInteractionStats } from '../../engine/recommend/adapters/memory-interaction-stats.js';
import { MemoryMemberStore } from '../../engine/members/adapters/memory-member-store.js';
import { MemoryRpcBus } from '../../engine/platform/adapters/memory-rpc.js';
import { MemoryUserStateStore } from '../../engine/shoppers/adapters/memory-user-state-store.js';
import type { Item, Principal, Role, Tier } from '../../engine/contracts/schemas.js';
import { answerTier, highestTier } from '../../engine/members/logic/tiers.js';
import { EngineMetrics } from '../../engine/metrics.js';
import { CatalogService } from '../../engine/catalog/catalog-service.js';
import { AttributeVectorSource } from '../../engine/recommend/model-registry.js';
import { registerQueryHandlers } from '../../engine/recommend/query-handlers.js';
import { Recommender } from '../../engine/recommend/recommender.js';
import { ContentEncoder } from '../../models/content-encoder.js';

const who = (userId: string, tier: Tier = 'regular', role: Role = 'member'): Principal => ({ userId, role, tier });

describe('answerTier', () => {
  it('takes the highest stored tier, so a token minted before an upgrade does not hold the member back', () => {
    const staleToken = who('m_ada', 'regular');
    expect(answerTier(staleToken, 'm_ada', ['regular', 'vip'], 'list')).toBe('vip');
    expect(answerTier(staleToken, 'm_ada', ['vip', undefined], 'catalog')).toBe('vip');
    expect(answerTier(staleToken, 'm_ada', ['regular', undefined], 'list')).toBe('regular');
    expect(answerTier(staleToken, 'm_ada', [], 'list')).toBe('regular');
  });

  it("lets the caller's own token raise the tier of the caller's own answers only", () => {
    expect(answerTier(who('m_ada', 'enterprise'), 'm_ada', ['regular', 'regular'], 'list')).toBe('enterprise');
    // Someone else's token, whatever tier it carries, never raises the user's answer.
    expect(answerTier(who('m_eve', 'enterprise'), 'm_ada', ['regular', undefined], 'list')).toBe('regular');
    expect(answerTier(who('ops', 'enterprise', 'admin'), 'm_ada', ['vip', 'regular'], 'list')).toBe('vip');
    // Nor does it lower it.
    expect(answerTier(who('m_eve', 'regular'), 'm_ada', ['vip', 'enterprise'], 'list')).toBe('enterprise');
  });

  it('shows an admin every item on catalog routes, and filters an admin list like anyone else', () => {
    expect(answerTier(who('ops', 'regular', 'admin'), 'ops', [], 'catalog')).toBe('enterprise');
    expect(answerTier(who('ops', 'regular', 'admin'), 'ops', [], 'list')).toBe('regular');
    expect(answerTier(who('mkt', 'regular', 'marketing'), 'mkt', [], 'catalog')).toBe('regular');
  });

  it('highestTier ignores absent tiers and defaults to regular', () => {
    expect(highestTier()).toBe('regular');
    expect(highestTier(undefined, 'vip', 'regular')).toBe('vip');
    expect(highestTier('enterprise', 'vip')).toBe('enterprise');
  });
});

/** One category, every tier: `r*` regular, `v*` VIP-only, `e*` enterprise-only, all alike. */
const items: Item[] = (['regular', 'vip', 'enterprise'] as const).flatMap((minTier) =>
  Array.from({ length: 6 }, (_, i) => ({
    itemId: `${minTier[0]}${i}`,
    title: `Aurora brass lamp ${minTier} ${i}`,
    category: 'home/lamps',
    brand: 'Lumo',
    price: 40 + i,
    tags: ['brass'],
    ...(minTier === 'regular' ? {} : { minTier }),
  })),
);
const tierOf = (itemId: string): Tier => items.find((item) => item.itemId === itemId)?.minTier ?? 'regular';
const thresholds = { vip: 100, enterprise: 10_000 };

describe('query handlers: the tier an answer is filtered for', () => {
  let rpc: MemoryRpcBus;
  let users: MemoryUserStateStore;
  let members: MemoryMemberStore;

  beforeEach(async () => {
    const logger = pino({ level: 'silent' });
    const encoder = new ContentEncoder({ dimension: 32 });
    const index = new ExactVectorIndex({ dimension: 32 });
    const catalog = new CatalogService({ index, encoder });
    for (const item of items) catalog.apply({ type: 'upsert', item });
    const stats = new MemoryInteractionStats({ popularityHalfLifeSeconds: 3600 });
    const recommender = new Recommender({ catalog, index, stats, encoder, options: { defaultK: 10, sessionGapSeconds: 1800 } });
    rpc = new MemoryRpcBus(logger);
    users = new MemoryUserStateStore({ recentLimit: 20, dedupeTtlSeconds: 3600 });
    members = new MemoryMemberStore();
    await members.create({
      memberId: 'm_ada',
      email: 'ada@example.com',
      name: 'Ada',
      tier: 'regular',
      points: 0,
      lifetimePoints: 0,
      createdAt: 1,
      passwordHash: 'x',
    });
    registerQueryHandlers(rpc, {
      users,
      catalog,
      catalogLog: new MemoryCatalogLog(logger),
      recommender,
      models: { current: () => ({ source: new AttributeVectorSource(encoder), index }) },
      tasteHalfLifeSeconds: 3600,
      metrics: new EngineMetrics(),
      members,
    });
  });

  /** Highest item tier in each answer the principal gets about its own items (and `v0`, `e0` lookups). */
  async function seen(principal: Principal, userId = principal.userId) {
    const code = (promise: Promise<unknown>) =>
      promise.then(
        () => 'ok',
        (err: { code?: string }) => err.code,
      );
    const highest = (ids: string[]) => highestTier(...ids.map(tierOf));
    const recommend = await rpc.call('recommend', { principal, userId, options: { k: 50 } });
    const similar = await rpc.call('similar', { principal, itemId: 'r0', k: 50 });
    const list = await rpc.call('catalog.list', { principal, limit: 100, offset: 0 });
    return {
      recommend: highest(recommend.items.map((item) => item.itemId)),
      similar: highest(similar.items.map((item) => item.itemId)),
      list: [highest(list.items.map((item) => item.itemId)), list.total],
      getVip: await code(rpc.call('catalog.get', { principal, itemId: 'v0' })),
      similarToVip: await code(rpc.call('similar', { principal, itemId: 'v0', k: 5 })),
      getEnterprise: await code(rpc.call('catalog.get', { principal, itemId: 'e0' })),
    };
  }

  const asRegular = {
    recommend: 'regular',
    similar: 'regular',
    list: ['regular', 6],
    getVip: 'not_found',
    similarToVip: 'not_found',
    getEnterprise: 'not_found',
  };
  const asVip = { recommend: 'vip', similar: 'vip', list: ['vip', 12], getVip: 'ok', similarToVip: 'ok', getEnterprise: 'not_found' };

  it("after an upgrade, the member record's tier wins over the stale token in every answer", async () => {
    const staleToken = who('m_ada', 'regular');
    expect(await seen(staleToken)).toEqual(asRegular);
    const outcome = await members.applyPoints('m_ada', { eventId: 'p1', ts: 1, delta: 150, cause: 'order' }, thresholds);
    expect(outcome.tierChanged).toEqual({ from: 'regular', to: 'vip' });
    expect(await seen(staleToken)).toEqual(asVip);
  });

  it('follows the tier stored in the user state (a tier-carrying token seen with an earlier event)', async () => {
    await users.apply('v_guest', {
      eventId: 'e1',
      expectedVersion: 0,
      type: 'view',
      strength: 1,
      updatedAt: 1,
      recent: [],
      bought: [],
      tier: 'vip',
    });
    expect(await seen(who('v_guest', 'regular', 'visitor'))).toEqual(asVip);
  });

  it("never lets another user's token raise a user's list", async () => {
    const list = await rpc.call('recommend', { principal: who('m_eve', 'enterprise'), userId: 'm_ada', options: { k: 50 } });
    expect(list.items.length).toBe(6);
    expect(highestTier(...list.items.map((item) => tierOf(item.itemId)))).toBe('regular');
    // The caller's own token (a storefront backend minting tiers) raises the caller's own answers.
    expect(await seen(who('m_ada', 'vip'))).toEqual(asVip);
  });

  it('shows an admin every item on catalog routes; an admin list is filtered for the admin', async () => {
    const admin = who('ops', 'regular', 'admin');
    expect(await seen(admin)).toEqual({ ...asRegular, list: ['enterprise', 18], getVip: 'ok', getEnterprise: 'ok' });
  });
});
