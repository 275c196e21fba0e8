import { describe, expect, it } from 'vitest';
import { MemoryAnnouncements } from '../../engine/platform/adapters/memory-announcements.js';
import { MemoryRpcBus } from '../../engine/platform/adapters/memory-rpc.js';
import { MemoryUserStateStore } from '../../engine/shoppers/adapters/memory-user-state-store.js';
import type { CampaignStats } from '../../engine/contracts/campaigns.js';
import { isPulseError } from '../../engine/contracts/errors.js';
import { partitionOf } from '../../engine/contracts/subjects.js';
import { campaignChangeChannel } from '../../engine/campaigns/campaign-changes.js';
import { AudienceScanner } from '../../engine/campaigns/audience-scanner.js';
import { CampaignFanOut } from '../../engine/campaigns/campaign-fan-out.js';
import { registerCampaignHandlers } from '../../engine/campaigns/campaign-handlers.js';
import { CampaignRegistry } from '../../engine/campaigns/campaign-registry.js';
import { deliverySetup, T0 } from '../helpers/campaigns.js';

const PARTITIONS = 4;
const MEMBERS = 40;

/** Counts scans, so a fan-out done twice at once would show; with a gate, each scan waits for it. */
class CountingScanner extends AudienceScanner {
  scans = 0;
  gate: Promise<void> | undefined;
  override async scan(...args: Parameters<AudienceScanner['scan']>) {
    this.scans++;
    await this.gate;
    return super.scan(...args);
  }
}

/** Every third member is VIP. */
async function setup() {
  const base = await deliverySetup(MEMBERS, (i) => (i % 3 === 0 ? 'vip' : 'regular'));
  const users = new MemoryUserStateStore({ recentLimit: 50, dedupeTtlSeconds: 3600 });
  let now = T0;
  const clock = { now: () => now, set: (ms: number) => void (now = ms) };
  const offered: string[] = [];
  const offer = base.store.offer.bind(base.store);
  base.store.offer = async (promotion) => {
    offered.push(promotion.promotionId);
    return offer(promotion);
  };
  /** One engine: its registry, scanner and fan-out over the shared stores, owning `owned`. */
  const engine = async (owned: number[]) => {
    const registry = new CampaignRegistry({ store: base.store, logger: base.logger, reloadMs: 60_000 });
    const audiences = new CountingScanner({ members: base.members, users });
    const fanOut = new CampaignFanOut({
      registry,
      delivery: base.make(),
      store: base.store,
      audiences,
      owned: () => owned,
      partitions: PARTITIONS,
      logger: base.logger,
      intervalMs: 60_000,
      now: clock.now,
    });
    await registry.start();
    fanOut.start();
    return { registry, audiences, fanOut, owned, close: async () => void (registry.close(), await fanOut.close()) };
  };
  const inPartitions = (partitions: number[]) => base.ids.filter((id) => partitions.includes(partitionOf(id, PARTITIONS)));
  return { ...base, users, clock, offered, engine, inPartitions };
}

describe('the now fan-out', () => {
  it('offers to the audience of the partitions each engine owns, once, and a partition taken over is not done again', async () => {
    const { create, engine, offered, inPartitions, store, ids } = await setup();
    const a = await engine([0, 1]);
    const b = await engine([2, 3]);
    await create('vipnow', { audience: { tiers: ['vip'] } });
    await Promise.all([a.registry.reload(), b.registry.reload()]);
    await Promise.all([a.fanOut.idle(), b.fanOut.idle()]);

    const vips = ids.filter((_, i) => i % 3 === 0);
    expect(new Set(inPartitions([0, 1])).size).toBeGreaterThan(0);
    expect(new Set(inPartitions([2, 3])).size).toBeGreaterThan(0);
    expect([...offered].sort()).toEqual(vips.map((id) => `vipnow:${id}`).sort());
    for (let p = 0; p < PARTITIONS; p++) expect(await store.fanOutDone('vipnow', p)).toBe(true);
    // One scan per engine for all of its partitions.
    expect([a.audiences.scans, b.audiences.scans]).toEqual([1, 1]);

    // A takes partition 2 over: its marker says done, nothing is scanned or offered again.
    a.owned.push(2);
    a.fanOut.check();
    await a.fanOut.idle();
    expect(a.audiences.scans).toBe(1);
    expect(offered).toHaveLength(vips.length);
    await Promise.all([a.close(), b.close()]);
  });

  it('starts scheduled campaigns when they start, runs one fan-out at a time, and a later owner does only the partitions not done', async () => {
    const { create, engine, offered, clock, ids, inPartitions } = await setup();
    await create('later', { audience: { tiers: ['regular', 'vip'] }, startsAt: T0 + 60_000 });
    const a = await engine([0, 1, 2, 3]);
    await a.fanOut.idle();
    expect(offered).toEqual([]);
    clock.set(T0 + 60_000);
    // Many checks at once (reloads, timer ticks): the one fan-out they start runs once.
    for (let i = 0; i < 5; i++) a.fanOut.check();
    await a.registry.reload();
    a.fanOut.check();
    await a.fanOut.idle();
    expect(a.audiences.scans).toBe(1);
    expect(offered).toHaveLength(ids.length);
    await a.close();

    // Another campaign: engine B owns 0 only and stops; C, owning all, does 1..3.
    await create('now2', { audience: { tiers: ['vip'] } });
    const b = await engine([0]);
    await b.fanOut.idle();
    await b.close();
    const c = await engine([0, 1, 2, 3]);
    await c.fanOut.idle();
    const now2 = offered.filter((id) => id.startsWith('now2:'));
    expect(now2.sort()).toEqual(
      ids
        .filter((_, i) => i % 3 === 0)
        .map((id) => `now2:${id}`)
        .sort(),
    );
    // C scanned for 1..3 only (0 was done): its members of partition 0 were not offered twice.
    expect(now2.filter((id) => inPartitions([0]).includes(id.slice(5)))).toHaveLength(
      inPartitions([0]).filter((id) => Number(id.slice(1)) % 3 === 0).length,
    );
    await c.close();
  });

  it('stops scanning on close and leaves the partitions not done', async () => {
    const { create, engine, store, offered } = await setup();
    const a = await engine([0, 1, 2, 3]);
    let release: () => void = () => undefined;
    a.audiences.gate = new Promise<void>((resolve) => (release = resolve));
    await create('closing', { audience: { tiers: ['vip'] } });
    await a.registry.reload();
    while (a.audiences.scans === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    const closing = a.close();
    release();
    await closing;
    expect(offered).toEqual([]);
    for (let p = 0; p < PARTITIONS; p++) expect(await store.fanOutDone('closing', p)).toBe(false);
  });
});

describe('campaign handlers', () => {
  it('create, list, get, stats, stop and preview over RPC, with the codes of a bad campaign', async () => {
    const { store, members, users, make, logger, ids, promotionsTo } = await setup();
    const bus = new MemoryRpcBus(logger);
    const changes = new MemoryAnnouncements(campaignChangeChannel, logger);
    const announced: string[] = [];
    changes.subscribe((change) => announced.push(change.campaignId));
    const registry = new CampaignRegistry({ store, changes, logger, reloadMs: 60_000 });
    await registry.start();
    const delivery = make();
    registerCampaignHandlers(bus, { store, registry, delivery, audiences: new AudienceScanner({ members, users }), changes, logger });

    const refused = async (input: unknown) => {
      const error = await bus.call('campaigns.create', { input, createdBy: 'ana' }).catch((err: unknown) => err);
      return isPulseError(error) ? error.code : error;
    };
    const offer = { title: 'VIP week', message: '20% off', discountPercent: 20 };
    expect(await refused({ name: 'x', audience: { tiers: ['vip'] }, trigger: { type: 'sometimes' }, offer })).toBe('unknown_trigger');
    expect(
      await refused({
        name: 'x',
        audience: { tiers: ['vip'] },
        trigger: { type: 'now' },
        offer,
        startsAt: Date.now() + 10_000,
        endsAt: Date.now() + 5_000,
      }),
    ).toBe('invalid_schedule');
    expect(await refused({ name: 'x', audience: { tiers: ['vip'] }, trigger: { type: 'now' }, offer, budget: -1 })).toBe('invalid_budget');
    expect(await refused({ name: 'x', audience: {}, trigger: { type: 'now' }, offer })).toBe('empty_audience');
    expect(await store.list(10)).toEqual([]);

    const created = await bus.call('campaigns.create', {
      input: { name: 'VIP week', audience: { tiers: ['vip'] }, trigger: { type: 'now' }, offer, budget: 5 },
      createdBy: 'ana',
    });
    expect(created).toMatchObject({ name: 'VIP week', createdBy: 'ana', status: 'running', budget: 5 });
    expect(created.campaignId).toMatch(/^cmp_[0-9a-f]{20}$/);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(announced).toEqual([created.campaignId]);
    expect(registry.get(created.campaignId)?.status).toBe('running');
    expect(await bus.call('campaigns.get', { campaignId: created.campaignId })).toEqual(created);
    expect((await bus.call('campaigns.list', {})).campaigns).toEqual([created]);
    const missing = await bus.call('campaigns.get', { campaignId: 'cmp_nope' }).catch((err: unknown) => err);
    expect(isPulseError(missing) && missing.code).toBe('not_found');

    // Preview: every third of 40 members is VIP.
    expect(await bus.call('campaigns.preview', { audience: { tiers: ['vip'] } })).toEqual({ size: 14, members: MEMBERS });
    const badPreview = await bus.call('campaigns.preview', { audience: {} }).catch((err: unknown) => err);
    expect(isPulseError(badPreview) && badPreview.code).toBe('empty_audience');

    // Offers to 8 VIPs, two claimed live, one on connect: budget 5 leaves 5 queued.
    const vips = ids.filter((_, i) => i % 3 === 0).slice(0, 8);
    const campaign = registry.get(created.campaignId)!;
    for (const id of vips) await delivery.offer(campaign, id, {}, Date.now());
    await bus.call('promotions.claim', { memberId: vips[0]!, live: true });
    await bus.call('promotions.claim', { memberId: vips[1]!, live: true });
    const onConnect = await bus.call('promotions.claim', { memberId: vips[2]!, live: false });
    expect(onConnect.delivered.map((p) => p.promotionId)).toEqual([`${created.campaignId}:${vips[2]}`]);
    expect(promotionsTo(vips[2]!)).toEqual(onConnect.delivered);
    const stats: CampaignStats = await bus.call('campaigns.stats', { campaignId: created.campaignId });
    expect(stats).toEqual({ targeted: 8, delivered: 3, queued: 5, redeemed: 0, live: 2, status: 'running' });
    const badClaim = await bus.call('promotions.claim', { memberId: 'a b', live: true }).catch((err: unknown) => err);
    expect(isPulseError(badClaim) && badClaim.code).toBe('invalid_request');

    const stopped = await bus.call('campaigns.stop', { campaignId: created.campaignId });
    expect(stopped.status).toBe('stopped');
    expect((await bus.call('campaigns.stats', { campaignId: created.campaignId })).status).toBe('stopped');
    // What was queued is dropped when claimed.
    expect((await bus.call('promotions.claim', { memberId: vips[3]!, live: false })).delivered).toEqual([]);
    expect(await bus.call('campaigns.stats', { campaignId: created.campaignId })).toMatchObject({ delivered: 3, queued: 4 });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(announced).toEqual([created.campaignId, created.campaignId]);
    registry.close();
    await bus.close();
  });
});
