import { describe, expect, it } from 'vitest';
import { MemoryMemberStore } from '../../engine/members/adapters/memory-member-store.js';
import { MemoryUserStateStore } from '../../engine/shoppers/adapters/memory-user-state-store.js';
import type { Item } from '../../engine/contracts/schemas.js';
import { AudienceScanner } from '../../engine/campaigns/audience-scanner.js';
import { priceLines } from '../../gateway/demo-checkout.js';
import { readConcurrently } from '../../scripts/lib/remote-reader.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

/** Wraps `work` to count how many calls run at once. */
function gauge<A extends unknown[], R>(work: (...args: A) => Promise<R>) {
  const seen = { now: 0, peak: 0, calls: 0 };
  const wrapped = async (...args: A): Promise<R> => {
    seen.calls++;
    seen.peak = Math.max(seen.peak, ++seen.now);
    try {
      await tick();
      return await work(...args);
    } finally {
      seen.now--;
    }
  };
  return { seen, wrapped };
}

async function membersStore(count: number) {
  const members = new MemoryMemberStore();
  for (let i = 0; i < count; i++) {
    await members.create({
      memberId: `m${i}`,
      email: `m${i}@example.com`,
      name: `m${i}`,
      tier: i % 2 === 0 ? 'vip' : 'regular',
      points: 0,
      lifetimePoints: 0,
      createdAt: 1,
    });
  }
  return members;
}

describe('work run at most N at once (p-limit)', () => {
  it('readConcurrently reads every id, at most `concurrency` at once', async () => {
    const { seen, wrapped } = gauge(async (id: string) => id.toUpperCase());
    const ids = Array.from({ length: 40 }, (_, i) => `u${i}`);
    const out = await readConcurrently(ids, wrapped, {
      concurrency: 5,
      label: 'test',
      unit: 'ids',
      progressStream: { write: () => true } as unknown as NodeJS.WritableStream,
    });
    expect(seen.peak).toBe(5);
    expect([...out.keys()].sort()).toEqual([...ids].sort());
    expect(out.get('u7')).toBe('U7');
  });

  it('priceLines looks items up 8 at a time and keeps the lines in order', async () => {
    const { seen, wrapped } = gauge(
      async (itemId: string): Promise<Item> => ({ itemId, title: itemId, category: 'c', price: Number(itemId.slice(1)) }),
    );
    const lines = Array.from({ length: 20 }, (_, i) => ({ itemId: `i${i + 1}`, quantity: 1 }));
    const priced = await priceLines(wrapped, lines);
    expect(seen.peak).toBe(8);
    expect(priced.map((line) => line.price)).toEqual(lines.map((_, i) => i + 1));
  });

  it('the audience scanner reads at most `concurrency` members at once and matches every one', async () => {
    const members = await membersStore(60);
    const users = new MemoryUserStateStore({ recentLimit: 10, dedupeTtlSeconds: 60 });
    const { seen, wrapped } = gauge((memberId: string) => users.load(memberId));
    const matched: string[] = [];
    const scanner = new AudienceScanner({ members, users: { load: wrapped } as unknown as MemoryUserStateStore, concurrency: 7 });
    const result = await scanner.scan({ tiers: ['vip'] }, 2, { onMatch: async (id) => void matched.push(id) });
    expect(seen.peak).toBe(7);
    expect(seen.calls).toBe(60);
    expect(result).toEqual({ scanned: 60, matched: 30 });
    expect(matched.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `m${i * 2}`).sort());
  });

  it('the audience scanner starts no read once aborted, nor after a failure', async () => {
    const members = await membersStore(60);
    const users = new MemoryUserStateStore({ recentLimit: 10, dedupeTtlSeconds: 60 });
    const stop = new AbortController();
    const { seen, wrapped } = gauge(async (memberId: string) => {
      if (seen.calls === 10) stop.abort();
      return users.load(memberId);
    });
    const scanner = new AudienceScanner({ members, users: { load: wrapped } as unknown as MemoryUserStateStore, concurrency: 4 });
    await scanner.scan({ tiers: ['vip'] }, 2, { signal: stop.signal });
    expect(seen.calls).toBeLessThanOrEqual(10 + 4);

    let calls = 0;
    const failing = new AudienceScanner({
      members,
      users: {
        load: async () => (++calls === 5 ? Promise.reject(new Error('redis down')) : (await tick(), users.load('x'))),
      } as unknown as MemoryUserStateStore,
      concurrency: 4,
    });
    await expect(failing.scan({ tiers: ['vip'] }, 2)).rejects.toThrow('redis down');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toBeLessThanOrEqual(5 + 4);
  });
});
