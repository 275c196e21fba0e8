import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll } from 'vitest';
import { MemoryCampaignStore } from '../../engine/campaigns/adapters/memory-campaign-store.js';
import { RedisCampaignStore } from '../../engine/campaigns/adapters/redis-campaign-store.js';
import type { CampaignStore, PendingPromotion, ReserveRules, StoredCampaign } from '../../engine/campaigns/campaign-store.js';
import { PulseError } from '../../engine/contracts/errors.js';
import { randomPrefix, useRedisServer } from './redis-suite.js';

/**
 * The CampaignStore conformance suites (test/integration/campaign-store-conformance.test.ts,
 * campaign-store-settle.test.ts, campaign-store-redis.test.ts): campaigns, promotions and reserve
 * rules to store, and both implementations on one shared state.
 */

export const T0 = 1_700_000_000_000;
export const id = (prefix: string) => `${prefix}_${randomUUID().slice(0, 12)}`;

export const campaign = (overrides: Partial<StoredCampaign> = {}): StoredCampaign => ({
  campaignId: id('c'),
  name: 'Spring lamps',
  audience: { tiers: ['vip'], brands: ['Lumen'] },
  trigger: { type: 'now' },
  offer: { title: '10% off lamps', message: 'Today only', discountPercent: 10, couponTtlSeconds: 3600, itemIds: ['lamp-1'] },
  startsAt: T0,
  createdAt: T0,
  createdBy: 'mkt-1',
  ...overrides,
});
export const rulesOf = (c: StoredCampaign): ReserveRules => ({
  startsAt: c.startsAt,
  ...(c.endsAt !== undefined ? { endsAt: c.endsAt } : {}),
  ...(c.stoppedAt !== undefined ? { stoppedAt: c.stoppedAt } : {}),
  ...(c.budget !== undefined ? { budget: c.budget } : {}),
  ...(c.frequencyCapSeconds !== undefined ? { frequencyCapSeconds: c.frequencyCapSeconds } : {}),
});
export const promotion = (campaignId: string, memberId: string, overrides: Partial<PendingPromotion> = {}): PendingPromotion => ({
  promotionId: `${campaignId}:${memberId}`,
  campaignId,
  memberId,
  offeredAt: T0,
  title: '10% off lamps',
  message: 'Today only',
  items: ['lamp-1'],
  coupon: { code: `CODE${randomUUID().slice(0, 8).toUpperCase()}`, discountPercent: 10, ttlSeconds: 3600 },
  ...overrides,
});
export const codeOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (err: unknown) => (err instanceof PulseError ? err.code : err instanceof RangeError ? 'range' : String(err)),
  );

/** Stores standing in for `engines` engines on one shared state (Redis: one connection each). */
export type Make = (engines?: number) => CampaignStore[];

/**
 * Starts the file's redis-server (call at the top level of a test file) and returns both
 * implementations; Redis stores after the first get a connection of their own, closed after all tests.
 */
export function useCampaignStores(): Array<[string, Make]> {
  let redis: Redis;
  let redisUrl: string;
  useRedisServer((client, url) => {
    redis = client;
    redisUrl = url;
  });
  const extraClients: Redis[] = [];
  afterAll(() => extraClients.forEach((client) => client.disconnect()));

  return [
    ['memory', (engines = 1) => Array(engines).fill(new MemoryCampaignStore())],
    [
      'redis',
      (engines = 1) => {
        const keyPrefix = randomPrefix();
        return Array.from({ length: engines }, (_, i) => {
          if (i === 0) return new RedisCampaignStore(redis, { keyPrefix });
          const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
          extraClients.push(client);
          return new RedisCampaignStore(client, { keyPrefix });
        });
      },
    ],
  ];
}
