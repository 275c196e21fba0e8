import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../../engine/engine.js';
import { loadEngineConfig } from '../../engine/config.js';
import { MemoryTransport } from '../../engine/platform/adapters/memory-transport.js';
import { MemoryUserStateStore } from '../../engine/shoppers/adapters/memory-user-state-store.js';
import { MemoryInteractionStats } from '../../engine/recommend/adapters/memory-interaction-stats.js';
import { MemoryPartitionLeases } from '../../engine/stream/adapters/memory-partition-leases.js';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import type { PushMessage } from '../../engine/contracts/messages.js';
import type { StoredEvent } from '../../engine/contracts/schemas.js';
import type { UserStateChange } from '../../engine/shoppers/user-state-store.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import { categoryLevels } from '../../models/content-encoder.js';

/** The engine on its in-process fakes: the embedded mode of `npm start`, and the unit-level contract. */
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A user store whose first `failures` applies fail as Redis would when it drops out. */
class FlakyUserStateStore extends MemoryUserStateStore {
  constructor(private failures: number) {
    super({ recentLimit: 50, dedupeTtlSeconds: 3600 });
  }
  override async apply(userId: string, change: UserStateChange) {
    if (this.failures-- > 0) throw new Error('connection lost');
    return super.apply(userId, change);
  }
}

async function startEngine(options: { duplicateWindowMs?: number; users?: MemoryUserStateStore } = {}) {
  const logger = pino({ level: 'silent' });
  // A private DATA_DIR: a model trained in ./data must not leak into the test.
  const dataDir = await mkdtemp(join(tmpdir(), 'pulse-embedded-'));
  closers.push(() => rm(dataDir, { recursive: true, force: true }));
  const config = loadEngineConfig({
    PULSE_PARTITIONS: '4',
    VECTOR_DIM: '32',
    PARTITION_LEASE_MS: '600',
    ACK_WAIT_MS: '500',
    DATA_DIR: dataDir,
  });
  const transport = new MemoryTransport({
    partitions: 4,
    ackWaitMs: 500,
    logger,
    ...(options.duplicateWindowMs !== undefined ? { duplicateWindowMs: options.duplicateWindowMs } : {}),
  });
  const users = options.users ?? new MemoryUserStateStore({ recentLimit: 50, dedupeTtlSeconds: 3600 });
  const engine = new Engine({
    config,
    logger,
    eventSource: transport.eventLog,
    catalogLog: transport.catalogLog,
    notifier: transport.notifier,
    rpcServer: transport.rpcServer,
    users,
    stats: new MemoryInteractionStats({ popularityHalfLifeSeconds: 3600 }),
    leases: new MemoryPartitionLeases(),
    index: new ExactVectorIndex({ dimension: 32 }),
    createIndex: (dimension, capacity) => new ExactVectorIndex({ dimension, initialCapacity: capacity }),
    seedCatalog: () => generateDemoCatalog(),
  });
  closers.push(
    () => transport.close(),
    () => engine.close(),
  );
  await engine.start();
  await expect.poll(() => engine.status().catalogItems, { timeout: 5000, interval: 10 }).toBe(3000);
  const pushes: PushMessage[] = [];
  closers.push(async () => unsubscribe());
  const unsubscribe = transport.pushSubscriber.subscribeUser('u1', (m) => pushes.push(m));
  return { engine, transport, users, pushes };
}

const event = (id: string, itemId: string): StoredEvent => ({
  id,
  userId: 'u1',
  type: 'view',
  itemId,
  ts: Date.now(),
  receivedAt: Date.now(),
});

describe('Engine on in-process fakes', () => {
  it('seeds the demo catalog, applies an event and pushes a list caused by it', async () => {
    const { transport, users, pushes } = await startEngine();
    await transport.eventLog.append(event('e1', 'sku-00010'));
    await expect.poll(() => pushes.length, { timeout: 5000, interval: 10 }).toBe(1);
    const push = pushes[0]!;
    expect(push.event).toBe('recommendations');
    if (push.event !== 'recommendations') return;
    expect(push.data.cause).toBe('e1');
    expect(push.data.items).toHaveLength(10);
    expect(push.data.items.every((i) => i.reason)).toBe(true);
    expect((await users.load('u1')).counts.total).toBe(1);
  });

  it("learns the shopper's category and brand affinity and cart from the engine's catalog", async () => {
    const { transport, users } = await startEngine();
    const item = generateDemoCatalog().find((candidate) => candidate.itemId === 'sku-00010' && candidate.brand !== undefined)!;
    const now = Date.now();
    await transport.eventLog.append({ id: 'e1', userId: 'u1', type: 'add_to_cart', itemId: item.itemId, ts: now, receivedAt: now });
    await expect.poll(async () => (await users.load('u1')).counts.total, { timeout: 5000, interval: 10 }).toBe(1);
    const state = await users.load('u1');
    expect([...state.affinity.categories.keys()]).toEqual(categoryLevels(item.category));
    expect(state.affinity.brands).toEqual(new Map([[item.brand!.trim().toLowerCase(), 3]]));
    expect(state.cart).toEqual(new Map([[item.itemId, 1]]));
  });

  it('applies an id the log delivers twice (outside its duplicate window) once', async () => {
    const { transport, users } = await startEngine({ duplicateWindowMs: 0 });
    const results = [
      await transport.eventLog.append(event('same', 'sku-00010')),
      await transport.eventLog.append(event('same', 'sku-00010')),
    ];
    expect(results.map((r) => r.duplicate)).toEqual([false, false]);
    await transport.eventLog.append(event('other', 'sku-00011'));
    await expect.poll(async () => (await users.load('u1')).counts.total, { timeout: 5000, interval: 10 }).toBe(2);
    await new Promise((r) => setTimeout(r, 100));
    expect((await users.load('u1')).counts).toMatchObject({ total: 2, view: 2 });
  });

  it('hands an event back when the store fails and applies it once on redelivery', async () => {
    const { transport, users } = await startEngine({ users: new FlakyUserStateStore(1) });
    await transport.eventLog.append(event('e-flaky', 'sku-00012'));
    await expect.poll(async () => (await users.load('u1')).counts.total, { timeout: 5000, interval: 10 }).toBe(1);
    expect((await users.load('u1')).recent.map((r) => r.itemId)).toEqual(['sku-00012']);
  });
});
