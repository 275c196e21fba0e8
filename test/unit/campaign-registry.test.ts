import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryAnnouncements } from '../../engine/platform/adapters/memory-announcements.js';
import { MemoryCampaignStore } from '../../engine/campaigns/adapters/memory-campaign-store.js';
import { isPulseError } from '../../engine/contracts/errors.js';
import { campaignChangeChannel, type CampaignChange } from '../../engine/campaigns/campaign-changes.js';
import { CampaignRegistry } from '../../engine/campaigns/campaign-registry.js';
import { storedCampaign, T0 } from '../helpers/campaigns.js';

const logger = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => {
  vi.useRealTimers();
});

describe('CampaignRegistry', () => {
  it('reloads when a change is announced, and answers running campaigns by trigger type and status', async () => {
    const store = new MemoryCampaignStore();
    const changes = new MemoryAnnouncements<CampaignChange>(campaignChangeChannel, logger);
    const registry = new CampaignRegistry({ store, changes, logger, reloadMs: 600_000 });
    await store.create(storedCampaign('before', {}));
    await registry.start();
    expect(registry.get('before')?.status).toBe('running');

    const now = Date.now();
    await store.create(storedCampaign('event', { trigger: { type: 'event', eventType: 'view' } }, now));
    await store.create(storedCampaign('budget1', { budget: 1 }, now));
    await store.create(storedCampaign('future', { startsAt: now + 60_000 }, now));
    expect(registry.get('event')).toBeUndefined();
    await changes.announce({ campaignId: 'event' });
    await expect
      .poll(() => registry.get('future') !== undefined, { timeout: 2000, interval: 5, message: 'the announced reload' })
      .toBe(true);
    expect(registry.running(now, 'event').map((c) => c.campaignId)).toEqual(['event']);
    expect(
      registry
        .running(now, 'now')
        .map((c) => c.campaignId)
        .sort(),
    ).toEqual(['before', 'budget1']);
    expect(
      registry
        .running(now + 60_000, 'now')
        .map((c) => c.campaignId)
        .sort(),
    ).toEqual(['before', 'budget1', 'future']);
    expect(registry.get('future', now)?.status).toBe('scheduled');

    // A delivery spends budget1; a stop ends `before`: the next reload sees both.
    expect(await store.reserve('budget1', 'm1', 'budget1:m1', { startsAt: T0, budget: 1 }, now, false)).toBe('ok');
    await store.stop('before', now);
    await registry.reload();
    expect(registry.get('budget1')?.status).toBe('exhausted');
    expect(registry.get('before')?.status).toBe('stopped');
    expect(registry.running(now, 'now')).toEqual([]);

    // Malformed announcements are refused at the sender.
    const error = await changes.announce({ campaignId: '' }).catch((err: unknown) => err);
    expect(isPulseError(error) && error.code).toBe('invalid_request');
    registry.close();
  });

  it('heals a missed announcement with its periodic reload, and stops reloading on close', async () => {
    // The periodic reload is a setInterval: the fake clock drives it.
    vi.useFakeTimers();
    const store = new MemoryCampaignStore();
    const registry = new CampaignRegistry({ store, logger, reloadMs: 100 });
    await registry.start();
    let reloads = 0;
    registry.onReload(() => reloads++);
    await store.create(storedCampaign('quiet', {}));
    await vi.advanceTimersByTimeAsync(100);
    await expect.poll(() => registry.get('quiet') !== undefined, { timeout: 2000, interval: 5, message: 'the periodic reload' }).toBe(true);
    registry.close();
    const after = reloads;
    await vi.advanceTimersByTimeAsync(300);
    expect(reloads).toBe(after);
  });

  it('keeps its last copy when the store fails, and coalesces reloads asked for during one', async () => {
    // The slow store below waits on a fake timer: the test moves the clock past both reads.
    vi.useFakeTimers();
    const store = new MemoryCampaignStore();
    await store.create(storedCampaign('kept', {}));
    const registry = new CampaignRegistry({ store, logger, reloadMs: 600_000 });
    await registry.start();
    const list = store.list.bind(store);
    let lists = 0;
    store.list = async (limit) => {
      lists++;
      throw new Error(`redis down (${limit})`);
    };
    await registry.reload();
    expect(registry.get('kept')?.status).toBe('running');
    store.list = async (limit) => {
      lists++;
      await sleep(20);
      return list(limit);
    };
    lists = 0;
    const reloads = Promise.all([registry.reload(), registry.reload(), registry.reload(), registry.reload()]);
    await vi.advanceTimersByTimeAsync(40);
    await reloads;
    // One running, one more for the three asked during it.
    expect(lists).toBe(2);
    registry.close();
  });
});
