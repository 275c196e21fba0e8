import pino from 'pino';
import { MemoryCampaignStore } from '../../engine/campaigns/adapters/memory-campaign-store.js';
import { MemoryCouponStore } from '../../engine/members/adapters/memory-coupon-store.js';
import { MemoryMemberStore } from '../../engine/members/adapters/memory-member-store.js';
import { campaignStatus, checkCampaign, type Campaign, type Promotion } from '../../engine/contracts/campaigns.js';
import type { PushMessage } from '../../engine/contracts/messages.js';
import type { Tier } from '../../engine/contracts/schemas.js';
import type { StoredCampaign } from '../../engine/campaigns/campaign-store.js';
import type { Notifier } from '../../engine/platform/notifier.js';
import { PromotionDelivery } from '../../engine/campaigns/promotion-delivery.js';

/** Campaign test fixtures on the in-memory stores. */
export const T0 = 1_700_000_000_000;
export const LEASE_MS = 15_000;
const logger = pino({ level: 'silent' });

/** A campaign as `campaigns.create` stores it: checkCampaign's definition (defaults: every tier, `now`) plus id and creation. */
export function storedCampaign(campaignId: string, input: Record<string, unknown>, now = T0): StoredCampaign {
  const check = checkCampaign(
    {
      name: campaignId,
      audience: { tiers: ['regular', 'vip', 'enterprise'] },
      trigger: { type: 'now' },
      offer: { title: 'Hello', message: 'An offer' },
      ...input,
    },
    now,
  );
  if (!check.ok) throw new Error(`bad test campaign: ${check.code} ${check.message}`);
  return { campaignId, ...check.definition, createdAt: now, createdBy: 'marketer' };
}

export function asCampaign(stored: StoredCampaign, now = T0): Campaign {
  return { ...stored, status: campaignStatus(stored, 0, now) };
}

/** Members m0..m<n-1> (tier from `tierOf`), one campaign store, two PromotionDelivery over it (two engines), pushes recorded. */
export async function deliverySetup(memberCount = 5, tierOf: (i: number) => Tier = () => 'regular') {
  const store = new MemoryCampaignStore();
  const members = new MemoryMemberStore();
  const coupons = new MemoryCouponStore(members);
  const pushes: Array<{ userId: string; message: PushMessage }> = [];
  const notifier: Notifier = { pushToUser: (userId, message) => void pushes.push({ userId, message }), pushToAll: () => undefined };
  const ids: string[] = [];
  for (let i = 0; i < memberCount; i++) {
    const memberId = `m${i}`;
    ids.push(memberId);
    await members.create({
      memberId,
      email: `${memberId}@example.com`,
      name: memberId,
      tier: tierOf(i),
      points: 0,
      lifetimePoints: 0,
      createdAt: T0 - 1000,
    });
  }
  const make = (claimLimit?: number) =>
    new PromotionDelivery({ store, coupons, notifier, logger, options: { leaseMs: LEASE_MS, ...(claimLimit ? { claimLimit } : {}) } });
  const create = async (campaignId: string, input: Record<string, unknown> = {}) => {
    const stored = storedCampaign(campaignId, input);
    await store.create(stored);
    return asCampaign(stored);
  };
  const promotionsTo = (userId: string) =>
    pushes.filter((p) => p.userId === userId && p.message.event === 'promotion').map((p) => p.message.data as Promotion);
  return { store, members, coupons, notifier, pushes, ids, logger, engineA: make(), engineB: make(), make, create, promotionsTo };
}
