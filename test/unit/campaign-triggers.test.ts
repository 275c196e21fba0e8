import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryCampaignStore } from '../../engine/campaigns/adapters/memory-campaign-store.js';
import { MemoryCouponStore } from '../../engine/members/adapters/memory-coupon-store.js';
import { MemoryInteractionStats } from '../../engine/recommend/adapters/memory-interaction-stats.js';
import { MemoryMemberStore } from '../../engine/members/adapters/memory-member-store.js';
import { MemoryUserStateStore } from '../../engine/shoppers/adapters/memory-user-state-store.js';
import { checkCampaign } from '../../engine/contracts/campaigns.js';
import type { PushMessage } from '../../engine/contracts/messages.js';
import type { Item, LoggedEvent } from '../../engine/contracts/schemas.js';
import { partitionOf } from '../../engine/contracts/subjects.js';
import { EngineMetrics } from '../../engine/metrics.js';
import type { StoredMember } from '../../engine/members/member-store.js';
import type { Notifier } from '../../engine/platform/notifier.js';
import { CampaignRegistry } from '../../engine/campaigns/campaign-registry.js';
import { CampaignTriggers } from '../../engine/campaigns/campaign-triggers.js';
import { CartTimerPoller } from '../../engine/campaigns/cart-timer-poller.js';
import { EventProcessor } from '../../engine/stream/event-processor.js';
import { PromotionDelivery } from '../../engine/campaigns/promotion-delivery.js';
import { regularMember } from '../helpers/member-records.js';
import { processorOptions } from '../helpers/processor-fixtures.js';

const PARTITIONS = 4;
const T0 = 1_700_000_000_000;
const items: Record<string, Item> = {
  lamp1: { itemId: 'lamp1', title: 'Lamp 1', category: 'home/lamps', brand: 'Lumo', price: 10 },
  lamp2: { itemId: 'lamp2', title: 'Lamp 2', category: 'Home > Lamps > Desk', price: 10 },
  sofa: { itemId: 'sofa', title: 'Sofa', category: 'home/sofas', price: 300 },
  shoe: { itemId: 'shoe', title: 'Shoe', category: 'sport/shoes', price: 50 },
};

/** Counts member record reads: the hot path must not read one while no campaign concerns the event. */
class CountingMemberStore extends MemoryMemberStore {
  reads = 0;
  override async get(memberId: string): Promise<StoredMember | undefined> {
    this.reads++;
    return super.get(memberId);
  }
}

async function setup() {
  let now = T0;
  const clock = { now: () => now, set: (ms: number) => void (now = ms) };
  const logger = pino({ level: 'silent' });
  const metrics = new EngineMetrics();
  const users = new MemoryUserStateStore({ recentLimit: 50, dedupeTtlSeconds: 3600 });
  const members = new CountingMemberStore();
  const store = new MemoryCampaignStore();
  const pushes: Array<{ userId: string; message: PushMessage }> = [];
  const notifier: Notifier = { pushToUser: (userId, message) => void pushes.push({ userId, message }), pushToAll: () => undefined };
  const registry = new CampaignRegistry({ store, logger, reloadMs: 60_000 });
  await registry.start();
  const delivery = new PromotionDelivery({ store, coupons: new MemoryCouponStore(members), notifier, logger, metrics });
  const catalog = { get: (itemId: string) => items[itemId] };
  const triggers = new CampaignTriggers({ registry, delivery, timers: store, catalog, partitions: PARTITIONS, metrics, logger });
  const processor = new EventProcessor({
    users,
    stats: new MemoryInteractionStats({ popularityHalfLifeSeconds: 3600 }),
    vectors: { item: () => new Float32Array(8).fill(0.5), text: () => new Float32Array(8).fill(0.5) },
    notifier,
    metrics,
    logger,
    members: { store: members, thresholds: { vip: 1000, enterprise: 10_000 }, rates: { regular: 1, vip: 1.5, enterprise: 2 } },
    triggers,
    now: clock.now,
    options: processorOptions({ recentLimit: 50, retryDelayMs: 10 }),
  });
  const pollerDeps: ConstructorParameters<typeof CartTimerPoller>[0] = {
    registry,
    delivery,
    timers: store,
    users,
    members,
    owned: () => Array.from({ length: PARTITIONS }, (_, p) => p),
    metrics,
    logger,
    options: { pollMs: 250 },
    now: clock.now,
  };
  const poller = new CartTimerPoller(pollerDeps);

  let seq = 0;
  const campaign = async (input: Record<string, unknown>) => {
    const check = checkCampaign(
      { name: `c${++seq}`, offer: { title: 'Offer', message: 'Hello' }, audience: { tiers: ['regular', 'vip', 'enterprise'] }, ...input },
      now,
    );
    if (!check.ok) throw new Error(check.message);
    const stored = { ...check.definition, campaignId: `cmp${seq}`, createdAt: now, createdBy: 'test' };
    await store.create(stored);
    await registry.reload();
    return stored.campaignId;
  };
  const member = async (memberId: string) => {
    await members.create(regularMember(memberId, T0 - 1000));
  };
  /** A live event at `ts` (received then, processed at the clock's now). */
  const track = (userId: string, id: string, ts: number, fields: Record<string, unknown>) =>
    processor.process({ id, userId, ts, receivedAt: ts, ...fields } as LoggedEvent);
  const targeted = async (campaignId: string) => (await store.counts(campaignId)).targeted;
  const inbox = async (memberId: string) => (await store.claim(memberId, now, 1000, 100)).map((p) => p.promotionId);
  return {
    clock,
    store,
    registry,
    members,
    users,
    processor,
    poller,
    pollerDeps,
    metrics,
    pushes,
    campaign,
    member,
    track,
    targeted,
    inbox,
    delivery,
  };
}

describe('CampaignTriggers: event trigger', () => {
  it('offers after the third view in a category within ten minutes, not before, and not again on the fourth', async () => {
    const s = await setup();
    const id = await s.campaign({ trigger: { type: 'event', eventType: 'view', category: 'home', count: 3, withinSeconds: 600 } });
    await s.member('m1');
    const views = ['lamp1', 'shoe', 'sofa', 'lamp2', 'lamp1'];
    const after: number[] = [];
    for (const [i, itemId] of views.entries()) {
      const ts = T0 + i * 60_000;
      s.clock.set(ts + 5);
      await s.track('m1', `v${i}`, ts, { type: 'view', itemId });
      after.push(await s.targeted(id));
    }
    // The shoe is no home item: the third home view is the fourth event.
    expect(after).toEqual([0, 0, 0, 1, 1]);
    expect(await s.inbox('m1')).toEqual([`${id}:m1:v3`]);
    expect(s.pushes.filter((p) => p.message.event === 'inbox').map((p) => p.userId)).toEqual(['m1']);
  });

  it('fires for members only, in the audience only, on live events only, once per event however often it is delivered', async () => {
    const s = await setup();
    const id = await s.campaign({ trigger: { type: 'event', eventType: 'like' } });
    const vipOnly = await s.campaign({ trigger: { type: 'event', eventType: 'like' }, audience: { tiers: ['vip'] } });
    await s.member('m1');
    s.clock.set(T0 + 10);
    await s.track('visitor', 'l1', T0, { type: 'like', itemId: 'lamp1' });
    expect(await s.targeted(id)).toBe(0);
    await s.track('m1', 'l1', T0, { type: 'like', itemId: 'lamp1' });
    expect(await s.targeted(id)).toBe(1);
    expect(await s.targeted(vipOnly)).toBe(0);
    expect(await s.track('m1', 'l1', T0, { type: 'like', itemId: 'lamp1' })).toBe('duplicate');
    // Backlog: received more than pushMaxAgeMs ago.
    s.clock.set(T0 + 120_000);
    await s.track('m1', 'l2', T0 + 1000, { type: 'like', itemId: 'sofa' });
    expect(await s.inbox('m1')).toEqual([`${id}:m1:l1`]);
  });

  it('a live redelivery (a crash after the effect was stored, before the offers) makes the offer, once', async () => {
    const s = await setup();
    const id = await s.campaign({ trigger: { type: 'event', eventType: 'view', category: 'home' } });
    const cart = await s.campaign({ trigger: { type: 'cart_abandoned', afterSeconds: 60 } });
    await s.member('m1');
    const offer = s.delivery.offer.bind(s.delivery);
    // The first delivery's effect is stored, then its offers never happen (the engine dies there).
    s.delivery.offer = async () => {
      throw new Error('engine killed');
    };
    s.clock.set(T0 + 10);
    expect(await s.track('m1', 'v1', T0, { type: 'view', itemId: 'lamp1' })).toBe('applied');
    expect(await s.targeted(id)).toBe(0);
    s.delivery.offer = offer;
    expect(await s.track('m1', 'v1', T0, { type: 'view', itemId: 'lamp1' })).toBe('duplicate');
    expect(await s.track('m1', 'v1', T0, { type: 'view', itemId: 'lamp1' })).toBe('duplicate');
    expect(await s.targeted(id)).toBe(1);
    expect(await s.inbox('m1')).toEqual([`${id}:m1:v1`]);
    // A cart timer lost the same way is armed by the redelivery.
    s.store.armTimer = async () => {
      throw new Error('engine killed');
    };
    const arm = MemoryCampaignStore.prototype.armTimer.bind(s.store);
    await s.track('m1', 'a1', T0 + 1, { type: 'add_to_cart', itemId: 'sofa' });
    s.store.armTimer = arm;
    const p = partitionOf('m1', PARTITIONS);
    expect(await s.store.dueTimers(p, T0 + 61_001, 10)).toEqual([]);
    expect(await s.track('m1', 'a1', T0 + 1, { type: 'add_to_cart', itemId: 'sofa' })).toBe('duplicate');
    expect(await s.store.dueTimers(p, T0 + 61_001, 10)).toEqual([{ campaignId: cart, memberId: 'm1', dueAt: T0 + 60_001, eventId: 'a1' }]);
  });

  it('reads no member record while no running campaign concerns the event', async () => {
    const s = await setup();
    await s.campaign({ trigger: { type: 'event', eventType: 'purchase' } });
    await s.campaign({ trigger: { type: 'cart_abandoned', afterSeconds: 60 } });
    await s.member('m1');
    s.members.reads = 0;
    s.clock.set(T0 + 10);
    await s.track('m1', 'v1', T0, { type: 'view', itemId: 'lamp1' });
    await s.track('m1', 's1', T0 + 1, { type: 'search', query: 'lamp' });
    expect(s.members.reads).toBe(0);
    await s.track('m1', 'a1', T0 + 2, { type: 'add_to_cart', itemId: 'lamp1' });
    expect(s.members.reads).toBe(1);
  });

  it('a failing offer is logged and counted; the event is still applied', async () => {
    const s = await setup();
    await s.campaign({ trigger: { type: 'event', eventType: 'view' } });
    await s.member('m1');
    s.delivery.offer = async () => {
      throw new Error('redis down');
    };
    s.clock.set(T0 + 10);
    expect(await s.track('m1', 'v1', T0, { type: 'view', itemId: 'lamp1' })).toBe('applied');
    const failed = (await s.metrics.triggers.get()).values.find((v) => v.labels.outcome === 'failed');
    expect(failed?.value).toBe(1);
  });
});

describe('CampaignTriggers: cart_abandoned', () => {
  it('arms on add (re-armed by each add), fires once when due with the cart still full, names the last add', async () => {
    const s = await setup();
    const id = await s.campaign({ trigger: { type: 'cart_abandoned', afterSeconds: 2 } });
    await s.member('m1');
    const p = partitionOf('m1', PARTITIONS);
    s.clock.set(T0 + 5);
    await s.track('m1', 'a1', T0, { type: 'add_to_cart', itemId: 'lamp1' });
    expect(await s.store.dueTimers(p, T0 + 2000, 10)).toEqual([{ campaignId: id, memberId: 'm1', dueAt: T0 + 2000, eventId: 'a1' }]);
    s.clock.set(T0 + 1505);
    await s.track('m1', 'a2', T0 + 1500, { type: 'add_to_cart', itemId: 'sofa' });
    s.clock.set(T0 + 2100);
    expect(await s.poller.pollOnce()).toBe(0);
    expect(await s.targeted(id)).toBe(0);
    s.clock.set(T0 + 3500);
    expect(await s.poller.pollOnce()).toBe(1);
    expect(await s.poller.pollOnce()).toBe(0);
    expect(await s.inbox('m1')).toEqual([`${id}:m1:a2`]);
  });

  it('a purchase disarms; a cart emptied by removes disarms; a timer whose cart emptied anyway does not fire', async () => {
    const s = await setup();
    const id = await s.campaign({ trigger: { type: 'cart_abandoned', afterSeconds: 2 } });
    for (const m of ['buyer', 'remover', 'late']) await s.member(m);
    s.clock.set(T0 + 5);
    await s.track('buyer', 'a1', T0, { type: 'add_to_cart', itemId: 'lamp1' });
    await s.track('buyer', 'p1', T0 + 1, { type: 'purchase', items: [{ itemId: 'lamp1', quantity: 1, price: 10 }] });
    await s.track('remover', 'a1', T0, { type: 'add_to_cart', itemId: 'lamp1' });
    await s.track('remover', 'r1', T0 + 1, { type: 'remove_from_cart', itemId: 'lamp1' });
    for (const m of ['buyer', 'remover']) expect(await s.store.dueTimers(partitionOf(m, PARTITIONS), T0 + 10_000, 10)).toEqual([]);
    // A purchase the disarm missed (the timer armed again by hand) is still caught when due,
    // though the cart still holds the sofa.
    await s.track('late', 'a1', T0, { type: 'add_to_cart', itemId: 'lamp1' });
    await s.track('late', 'a2', T0 + 1, { type: 'add_to_cart', itemId: 'sofa' });
    await s.track('late', 'p1', T0 + 2, { type: 'purchase', items: [{ itemId: 'lamp1', quantity: 1, price: 10 }] });
    expect(await s.store.dueTimers(partitionOf('late', PARTITIONS), T0 + 10_000, 10)).toEqual([]);
    expect([...(await s.users.load('late')).cart.keys()]).toEqual(['sofa']);
    await s.store.armTimer(partitionOf('late', PARTITIONS), { campaignId: id, memberId: 'late', dueAt: T0 + 2000, eventId: 'a1' });
    s.clock.set(T0 + 3000);
    expect(await s.poller.pollOnce()).toBe(1);
    expect(await s.targeted(id)).toBe(0);
    expect(await s.store.dueTimers(partitionOf('late', PARTITIONS), T0 + 10_000, 10)).toEqual([]);
  });

  it('drops a due timer of a stopped campaign without an offer, and polls nothing while no cart campaign runs', async () => {
    const s = await setup();
    const id = await s.campaign({ trigger: { type: 'cart_abandoned', afterSeconds: 2 } });
    await s.member('m1');
    s.clock.set(T0 + 5);
    await s.track('m1', 'a1', T0, { type: 'add_to_cart', itemId: 'lamp1' });
    await s.store.stop(id, T0 + 10);
    await s.registry.reload();
    s.clock.set(T0 + 3000);
    // No cart campaign runs: the poll reads nothing, the timer stays.
    expect(await s.poller.pollOnce()).toBe(0);
    await s.campaign({ trigger: { type: 'cart_abandoned', afterSeconds: 60 } });
    expect(await s.poller.pollOnce()).toBe(1);
    expect(await s.targeted(id)).toBe(0);
  });

  it('start() polls on its own until close()', async () => {
    const s = await setup();
    const id = await s.campaign({ trigger: { type: 'cart_abandoned', afterSeconds: 2 } });
    await s.member('m1');
    s.clock.set(T0 + 5);
    await s.track('m1', 'a1', T0, { type: 'add_to_cart', itemId: 'lamp1' });
    s.clock.set(T0 + 2500);
    const poller = new CartTimerPoller({ ...s.pollerDeps, options: { pollMs: 10 } });
    poller.start();
    for (let i = 0; i < 100 && (await s.targeted(id)) === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await poller.close();
    await poller.close();
    expect(await s.targeted(id)).toBe(1);
  });
});

describe('CampaignTriggers: points_reached', () => {
  it('offers when a shop order lifts spendable points to the threshold, once; a browser purchase never does', async () => {
    const s = await setup();
    const id = await s.campaign({ trigger: { type: 'points_reached', points: 100 } });
    await s.member('m1');
    s.clock.set(T0 + 10);
    const paid = (orderId: string, lines: Array<{ itemId: string; quantity: number; price: number }>) => ({
      type: 'order',
      orderId,
      status: 'paid',
      lines,
    });
    await s.track('m1', 'order:paid:o1', T0, paid('o1', [{ itemId: 'sofa', quantity: 1, price: 60 }]));
    expect(await s.targeted(id)).toBe(0);
    await s.track('m1', 'p-browser', T0 + 1, { type: 'purchase', items: [{ itemId: 'lamp1', quantity: 100, price: 10 }] });
    expect(await s.targeted(id)).toBe(0);
    await s.track('m1', 'order:paid:o2', T0 + 1, paid('o2', [{ itemId: 'lamp1', quantity: 4, price: 10 }]));
    expect(await s.targeted(id)).toBe(1);
    await s.track('m1', 'order:paid:o3', T0 + 2, paid('o3', [{ itemId: 'lamp2', quantity: 5, price: 10 }]));
    expect(await s.inbox('m1')).toEqual([`${id}:m1`]);
  });
});
