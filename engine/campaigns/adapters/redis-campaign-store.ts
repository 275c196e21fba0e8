import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type {
  CampaignCounts,
  CampaignStore,
  CartTimer,
  DeliveredPromotion,
  PendingPromotion,
  ReserveOutcome,
  ReserveRules,
  StoredCampaign,
} from '../campaign-store.js';
import {
  checkEpochMs,
  checkId,
  checkLease,
  checkLimit,
  checkPartition,
  checkPromotion,
  checkPromotionId,
  checkRules,
  checkStoredCampaign,
  checkTimer,
  parseStoredCampaign,
  PendingPromotionSchema,
  timerKey,
} from '../campaign-store-checks.js';
import { callRedis } from '../../platform/redis/redis-errors.js';
import { campaignKeys } from '../../platform/redis/redis-keys.js';
import { defineRedisScripts } from '../../platform/redis/redis-scripts.js';

export interface RedisCampaignStoreOptions {
  /** The same prefix as the RedisMemberStore's (the inbox keys sit next to the member's). */
  keyPrefix?: string;
  /** Where an unreadable stored campaign or inbox entry is reported (it is skipped, not thrown). */
  logger?: Pick<Logger, 'warn'>;
}

const OUTCOMES: ReadonlySet<string> = new Set(['again', 'closed', 'exhausted', 'capped', 'ok']);

/**
 * Campaigns in Redis. Keys:
 * - `campaigns`                    zset campaignId -> createdAt (listing)
 * - `cp:{<campaignId>}:def`        JSON StoredCampaign without stoppedAt (written once)
 * - `cp:{<campaignId>}:stop`       stoppedAt (epoch ms, set once)
 * - `cp:{<campaignId>}:targeted` / `:granted` / `:dropped` / `:live`   sets of promotionIds (the counts)
 * - `cp:{<campaignId>}:redeemed`   set of coupon codes
 * - `cp:{<campaignId>}:last`       hash memberId -> epoch ms of the member's last grant (frequency cap)
 * - `cp:{<campaignId>}:fanout`     set of partitions whose `now` fan-out finished
 * - `m:{<memberId>}:inbox`         hash promotionId -> JSON PendingPromotion (every one ever offered)
 * - `m:{<memberId>}:inbox:pending` zset promotionId -> offeredAt (not settled yet)
 * - `m:{<memberId>}:inbox:lease`   hash promotionId -> lease end (epoch ms)
 * - `m:{<memberId>}:inbox:done`    hash promotionId -> delivered | dropped
 * - `m:{<memberId>}:inbox:delivered` zset promotionId -> deliveredAt (history)
 * - `cpt:{p<partition>}:due` / `:ev` zset / hash `<campaignId> <memberId>` -> dueAt / eventId
 *
 * reserve is one script on the campaign's slot (budget, cap, window and stop read and written
 * together), claim and settle one each on the member's. An offer touches both slots: the
 * targeted set first, then the inbox script, so a retry completes it and counts once; likewise
 * settle `dropped` adds to the dropped set after the member's script (again on every retry).
 * The listing is written before the definition, so a crash between them leaves an id that list
 * skips, never a campaign list misses. Nothing expires: inboxes and counter sets grow with the
 * promotions made (a few dozen bytes each).
 */
export class RedisCampaignStore implements CampaignStore {
  private readonly keys: ReturnType<typeof campaignKeys>;
  private readonly logger: Pick<Logger, 'warn'> | undefined;
  private unreadable = 0;

  constructor(
    private readonly redis: Redis,
    options: RedisCampaignStoreOptions = {},
  ) {
    this.keys = campaignKeys(options.keyPrefix ?? '');
    this.logger = options.logger;
    defineRedisScripts(redis);
  }

  /** How many unreadable stored campaigns or inbox entries were skipped since start. */
  get unreadableCount(): number {
    return this.unreadable;
  }

  async create(campaign: StoredCampaign): Promise<void> {
    checkStoredCampaign(campaign);
    const { campaignId, stoppedAt, ...definition } = campaign;
    await callRedis('list campaign', () => this.redis.zadd(this.keys.list(), 'NX', campaign.createdAt, campaignId));
    const json = JSON.stringify({ campaignId, ...definition });
    const created = await callRedis('script createCampaign', () =>
      this.redis.createCampaign(
        this.campaignKey(campaignId, 'def'),
        this.campaignKey(campaignId, 'stop'),
        json,
        stoppedAt === undefined ? '' : String(stoppedAt),
      ),
    );
    if (created !== 1) throw new Error(`campaign ${campaignId} already exists`);
  }

  async get(campaignId: string): Promise<StoredCampaign | undefined> {
    checkId('campaignId', campaignId);
    const [json, stop] = await callRedis('get campaign', () =>
      this.redis.mget(this.campaignKey(campaignId, 'def'), this.campaignKey(campaignId, 'stop')),
    );
    if (json === null || json === undefined) return undefined;
    const read = parseStoredCampaign(json);
    if ('reason' in read) return this.skip('campaign', campaignId, read.reason);
    if (read.campaign.campaignId !== campaignId) return this.skip('campaign', campaignId, `names campaign ${read.campaign.campaignId}`);
    return stop === null || stop === undefined ? read.campaign : { ...read.campaign, stoppedAt: Number(stop) };
  }

  async list(limit: number): Promise<StoredCampaign[]> {
    checkLimit(limit, 10_000);
    const ids = await callRedis('list campaigns', () => this.redis.zrevrange(this.keys.list(), 0, limit - 1));
    const campaigns = await Promise.all(ids.map((id) => this.get(id)));
    return campaigns.filter((campaign): campaign is StoredCampaign => campaign !== undefined);
  }

  async stop(campaignId: string, at: number): Promise<StoredCampaign | undefined> {
    checkId('campaignId', campaignId);
    checkEpochMs('at', at);
    const found = await callRedis('script stopCampaign', () =>
      this.redis.stopCampaign(this.campaignKey(campaignId, 'def'), this.campaignKey(campaignId, 'stop'), String(at)),
    );
    return found === 1 ? this.get(campaignId) : undefined;
  }

  async offer(promotion: PendingPromotion): Promise<boolean> {
    checkPromotion(promotion);
    const { promotionId, campaignId, memberId } = promotion;
    await callRedis('count targeted', () => this.redis.sadd(this.campaignKey(campaignId, 'targeted'), promotionId));
    const added = await callRedis('script offerPromotion', () =>
      this.redis.offerPromotion(
        this.inboxKey(memberId),
        this.inboxKey(memberId, 'pending'),
        promotionId,
        JSON.stringify(promotion),
        String(promotion.offeredAt),
      ),
    );
    return added === 1;
  }

  async claim(memberId: string, now: number, leaseMs: number, limit: number): Promise<PendingPromotion[]> {
    checkId('memberId', memberId);
    checkEpochMs('now', now);
    checkLease(leaseMs);
    checkLimit(limit, 1000);
    const jsons = await callRedis('script claimPromotions', () =>
      this.redis.claimPromotions(
        this.inboxKey(memberId),
        this.inboxKey(memberId, 'pending'),
        this.inboxKey(memberId, 'lease'),
        String(now),
        String(leaseMs),
        String(limit),
      ),
    );
    const claimed: PendingPromotion[] = [];
    for (const json of jsons) {
      const promotion = this.readPromotion(memberId, json);
      if (promotion) claimed.push(promotion);
    }
    return claimed;
  }

  async reserve(
    campaignId: string,
    memberId: string,
    promotionId: string,
    rules: ReserveRules,
    now: number,
    live: boolean,
  ): Promise<ReserveOutcome> {
    checkId('campaignId', campaignId);
    checkId('memberId', memberId);
    checkPromotionId(promotionId);
    checkRules(rules);
    checkEpochMs('now', now);
    const keys = ['def', 'stop', 'granted', 'last', 'live'].map((suffix) => this.campaignKey(campaignId, suffix));
    const args = [
      promotionId,
      memberId,
      String(now),
      String(rules.startsAt),
      rules.endsAt === undefined ? '' : String(rules.endsAt),
      rules.stoppedAt === undefined ? '0' : '1',
      rules.budget === undefined ? '' : String(rules.budget),
      rules.frequencyCapSeconds === undefined ? '' : String(rules.frequencyCapSeconds * 1000),
      live ? '1' : '0',
    ];
    const outcome = await callRedis('script reserveDelivery', () => this.redis.reserveDelivery(...keys, ...args));
    if (typeof outcome !== 'string' || !OUTCOMES.has(outcome)) throw new Error(`reserve-delivery answered ${String(outcome)}`);
    return outcome as ReserveOutcome;
  }

  async settle(memberId: string, promotionId: string, outcome: 'delivered' | 'dropped', now: number): Promise<void> {
    checkId('memberId', memberId);
    checkPromotionId(promotionId);
    checkEpochMs('now', now);
    const keys = ['', 'pending', 'lease', 'done', 'delivered'].map((suffix) => this.inboxKey(memberId, suffix));
    const reply = (await callRedis('script settlePromotion', () =>
      this.redis.settlePromotion(...keys, promotionId, outcome, String(now)),
    )) as [string?, string?];
    if (reply[0] !== 'dropped') return;
    const promotion = this.readPromotion(memberId, reply[1] ?? '');
    if (promotion) await callRedis('count dropped', () => this.redis.sadd(this.campaignKey(promotion.campaignId, 'dropped'), promotionId));
  }

  async delivered(memberId: string, limit: number): Promise<DeliveredPromotion[]> {
    checkId('memberId', memberId);
    checkLimit(limit, 1000);
    const flat = await callRedis('list delivered promotions', () =>
      this.redis.zrevrange(this.inboxKey(memberId, 'delivered'), 0, limit - 1, 'WITHSCORES'),
    );
    if (flat.length === 0) return [];
    const ids = flat.filter((_, i) => i % 2 === 0);
    const jsons = await callRedis('read delivered promotions', () => this.redis.hmget(this.inboxKey(memberId), ...ids));
    const history: DeliveredPromotion[] = [];
    jsons.forEach((json, i) => {
      const promotion = json === null ? undefined : this.readPromotion(memberId, json);
      if (!promotion) return;
      history.push({
        promotionId: promotion.promotionId,
        campaignId: promotion.campaignId,
        title: promotion.title,
        deliveredAt: Number(flat[2 * i + 1]),
        ...(promotion.coupon ? { couponCode: promotion.coupon.code } : {}),
      });
    });
    return history;
  }

  async recordRedemption(campaignId: string, code: string): Promise<void> {
    checkId('campaignId', campaignId);
    await callRedis('count redemption', () => this.redis.sadd(this.campaignKey(campaignId, 'redeemed'), code));
  }

  async counts(campaignId: string): Promise<CampaignCounts> {
    checkId('campaignId', campaignId);
    const sets = ['targeted', 'granted', 'dropped', 'redeemed', 'live'] as const;
    // One MULTI on the campaign's slot: a consistent snapshot (queued is derived from three of them).
    const transaction = this.redis.multi();
    for (const set of sets) transaction.scard(this.campaignKey(campaignId, set));
    const replies = (await callRedis('read campaign counts', () => transaction.exec())) ?? [];
    const [targeted, delivered, dropped, redeemed, live] = replies.map(([err, value]) => {
      if (err) throw err;
      return Number(value);
    });
    return { targeted: targeted ?? 0, delivered: delivered ?? 0, dropped: dropped ?? 0, redeemed: redeemed ?? 0, live: live ?? 0 };
  }

  async fanOutDone(campaignId: string, partition: number): Promise<boolean> {
    checkId('campaignId', campaignId);
    checkPartition(partition);
    return (
      (await callRedis('read fan-out marker', () => this.redis.sismember(this.campaignKey(campaignId, 'fanout'), String(partition)))) === 1
    );
  }

  async markFanOutDone(campaignId: string, partition: number): Promise<void> {
    checkId('campaignId', campaignId);
    checkPartition(partition);
    await callRedis('mark fan-out', () => this.redis.sadd(this.campaignKey(campaignId, 'fanout'), String(partition)));
  }

  async armTimer(partition: number, timer: CartTimer): Promise<void> {
    checkPartition(partition);
    checkTimer(timer);
    const [due, events] = this.keys.timers(partition);
    await callRedis('script armCartTimer', () =>
      this.redis.armCartTimer(due, events, timerKey(timer.campaignId, timer.memberId), String(timer.dueAt), timer.eventId),
    );
  }

  async disarmTimers(partition: number, memberId: string, campaignIds: readonly string[]): Promise<void> {
    checkPartition(partition);
    checkId('memberId', memberId);
    for (const campaignId of campaignIds) checkId('campaignId', campaignId);
    if (campaignIds.length === 0) return;
    const members = campaignIds.map((campaignId) => timerKey(campaignId, memberId));
    const [due, events] = this.keys.timers(partition);
    const transaction = this.redis
      .multi()
      .zrem(due, ...members)
      .hdel(events, ...members);
    await callRedis('disarm timers', () => transaction.exec());
  }

  async dueTimers(partition: number, now: number, limit: number): Promise<CartTimer[]> {
    checkPartition(partition);
    checkEpochMs('now', now);
    checkLimit(limit, 1000);
    const [due, events] = this.keys.timers(partition);
    const flat = await callRedis('script dueCartTimers', () => this.redis.dueCartTimers(due, events, String(now), String(limit)));
    const timers: CartTimer[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      const member = flat[i]!;
      const space = member.indexOf(' ');
      timers.push({
        campaignId: member.slice(0, space),
        memberId: member.slice(space + 1),
        dueAt: Number(flat[i + 1]),
        eventId: flat[i + 2]!,
      });
    }
    return timers;
  }

  async removeTimer(partition: number, timer: CartTimer): Promise<void> {
    checkPartition(partition);
    checkTimer(timer);
    const [due, events] = this.keys.timers(partition);
    await callRedis('script removeCartTimer', () =>
      this.redis.removeCartTimer(due, events, timerKey(timer.campaignId, timer.memberId), String(timer.dueAt), timer.eventId),
    );
  }

  private readPromotion(memberId: string, json: string): PendingPromotion | undefined {
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      return this.skip('inbox entry', memberId, 'not JSON');
    }
    const parsed = PendingPromotionSchema.safeParse(value);
    return parsed.success ? parsed.data : this.skip('inbox entry', memberId, parsed.error.issues[0]?.message ?? 'invalid');
  }

  private skip(what: string, id: string, reason: string): undefined {
    this.unreadable++;
    this.logger?.warn({ id, reason }, `unreadable stored ${what} skipped`);
    return undefined;
  }

  private campaignKey(campaignId: string, suffix: string): string {
    return this.keys.campaign(campaignId, suffix);
  }

  /** `m:{<memberId>}:inbox` or `m:{<memberId>}:inbox:<suffix>`. */
  private inboxKey(memberId: string, suffix = ''): string {
    return this.keys.inbox(memberId, suffix);
  }
}
