import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisCampaignStore } from '../../engine/campaigns/adapters/redis-campaign-store.js';
import { randomPrefix, useRedisServer } from '../helpers/redis-suite.js';
import { campaign, codeOf, id, promotion, rulesOf, T0 } from '../helpers/campaign-store-fixtures.js';

/** What only the Redis CampaignStore does: hash-tagged keys, unreadable records skipped, a lost connection (on its own server). */
let redis: Redis;
let redisUrl: string;
useRedisServer((client, url) => {
  redis = client;
  redisUrl = url;
});

describe('RedisCampaignStore specifics', () => {
  it('keeps every key on the campaign, member or partition hash tag', async () => {
    const keyPrefix = randomPrefix();
    const store = new RedisCampaignStore(redis, { keyPrefix });
    const c = campaign();
    const m = id('m');
    await store.create(c);
    await store.offer(promotion(c.campaignId, m));
    await store.claim(m, T0, 1000, 10);
    await store.reserve(c.campaignId, m, `${c.campaignId}:${m}`, rulesOf(c), T0, true);
    await store.settle(m, `${c.campaignId}:${m}`, 'delivered', T0);
    await store.recordRedemption(c.campaignId, 'CODE1');
    await store.markFanOutDone(c.campaignId, 0);
    await store.armTimer(7, { campaignId: c.campaignId, memberId: m, dueAt: T0, eventId: 'e1' });
    await store.stop(c.campaignId, T0);
    const keys = (await redis.keys(`${keyPrefix}*`)).map((key) => key.slice(keyPrefix.length));
    const tags = new Set(keys.map((key) => /\{([^}]*)\}/.exec(key)?.[1] ?? '(none)'));
    expect(tags).toEqual(new Set([c.campaignId, m, 'p7', '(none)']));
    expect(keys.filter((key) => !key.includes('{'))).toEqual(['campaigns']);
    expect(keys.filter((key) => key.startsWith(`m:{${m}}:`)).every((key) => key.startsWith(`m:{${m}}:inbox`))).toBe(true);
  });

  it('skips an unreadable stored campaign, logging and counting it', async () => {
    const keyPrefix = randomPrefix();
    const warnings: unknown[] = [];
    const store = new RedisCampaignStore(redis, { keyPrefix, logger: { warn: (obj: unknown) => void warnings.push(obj) } as never });
    const good = campaign();
    await store.create(good);
    await redis.zadd(`${keyPrefix}campaigns`, T0 + 5, 'c_broken', T0 + 6, 'c_badshape');
    await redis.set(`${keyPrefix}cp:{c_broken}:def`, '{not json');
    await redis.set(
      `${keyPrefix}cp:{c_badshape}:def`,
      JSON.stringify({ ...campaign({ campaignId: 'c_badshape' }), trigger: { type: 'later' } }),
    );
    expect(await store.list(10)).toEqual([good]);
    expect(await store.get('c_broken')).toBeUndefined();
    expect(store.unreadableCount).toBe(3);
    expect(warnings).toHaveLength(3);
  });

  it('reports a lost connection as unavailable', async () => {
    const lost = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    const store = new RedisCampaignStore(lost);
    expect(await codeOf(store.get('c_x'))).toBe('unavailable');
    expect(await codeOf(store.reserve('c_x', 'm_x', 'c_x:m_x', { startsAt: T0 }, T0, false))).toBe('unavailable');
    lost.disconnect();
  });
});
