import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExactVectorIndex } from '../../engine/recommend/adapters/exact-vector-index.js';
import { MemoryInteractionStats } from '../../engine/recommend/adapters/memory-interaction-stats.js';
import { MemoryPartitionLeases } from '../../engine/stream/adapters/memory-partition-leases.js';
import { MemoryTransport } from '../../engine/platform/adapters/memory-transport.js';
import { loadEngineConfig } from '../../engine/config.js';
import { Engine } from '../../engine/engine.js';
import { MemoryUserStateStore } from '../../engine/shoppers/adapters/memory-user-state-store.js';
import { generateDemoCatalog } from '../../engine/catalog/demo-catalog.js';
import { isPulseError } from '../../engine/contracts/errors.js';
import { writeModel } from '../../models/artifact.js';
import { captureLogger, DIM, useModelsDir } from '../helpers/model-registry-fixtures.js';

/** The engine on in-process fakes: which model it starts on, and the swap to an announced one. */

let modelsDir: string;
useModelsDir((dir) => {
  modelsDir = dir;
});

describe('Engine model loading on in-process fakes', () => {
  const items = generateDemoCatalog({ count: 400, seed: 4 });
  const training = { events: 1, sequences: 1, from: 1, to: 2, epochs: 1, seconds: 0, backend: 'cpu', parameters: {} };
  /** A model whose rows are seeded random vectors (no content tower: new items use the attribute encoder). */
  const writeRandomModel = (dimension = DIM) =>
    writeModel(modelsDir, {
      manifest: { dimension, metric: 'cosine', itemIds: items.map((i) => i.itemId), training, metrics: {} },
      vectors: Float32Array.from({ length: items.length * dimension }, (_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 1),
    });

  async function startEngine() {
    const { logger, lines } = captureLogger();
    const config = loadEngineConfig({ PULSE_PARTITIONS: '2', VECTOR_DIM: String(DIM), DEMO_CATALOG: 'false', DATA_DIR: '/nonexistent' });
    const transport = new MemoryTransport({ partitions: 2, ackWaitMs: 1000, logger });
    const engine = new Engine({
      config,
      logger,
      eventSource: transport.eventLog,
      catalogLog: transport.catalogLog,
      notifier: transport.notifier,
      rpcServer: transport.rpcServer,
      users: new MemoryUserStateStore({ recentLimit: 50, dedupeTtlSeconds: 3600 }),
      stats: new MemoryInteractionStats({ popularityHalfLifeSeconds: 3600 }),
      leases: new MemoryPartitionLeases(),
      index: new ExactVectorIndex({ dimension: DIM }),
      createIndex: (dimension, capacity) => new ExactVectorIndex({ dimension, initialCapacity: capacity }),
      modelAnnouncements: transport.modelAnnouncements,
      modelsDir,
    });
    await transport.catalogLog.put(items);
    await engine.start();
    return { engine, transport, lines, close: async () => void (await Promise.all([engine.close(), transport.close()])) };
  }

  it('starts on the newest model in the models directory, and swaps to an announced one', async () => {
    const older = await writeRandomModel();
    const { engine, transport, lines, close } = await startEngine();
    try {
      expect(engine.status()).toMatchObject({ modelVersion: older.version, catalogItems: 400 });
      // Another dimension and no content tower: new items could not be embedded, so it is refused.
      const unusable = await writeRandomModel(24);
      await transport.modelAnnouncements.announce({ version: unusable.version, dir: unusable.dir });
      await expect
        .poll(
          () => lines.join('').includes(`model ${unusable.dir} refused: model ${unusable.version} has dimension 24 and no content tower`),
          { timeout: 5000, interval: 10 },
        )
        .toBe(true);
      expect(engine.status().modelVersion).toBe(older.version);
      const newer = await writeRandomModel();
      await transport.modelAnnouncements.announce({ version: newer.version, dir: newer.version });
      await expect.poll(() => engine.status().modelVersion, { timeout: 5000, interval: 10 }).toBe(newer.version);
      const list = await transport.rpcClient.call('recommend', {
        principal: { userId: 'u1', role: 'visitor', tier: 'regular' },
        userId: 'u1',
        options: { k: 5 },
      });
      expect(list.modelVersion).toBe(newer.version);
      // A malformed announcement is refused at the sender.
      const error = await transport.modelAnnouncements.announce({ version: '', dir: 'x' }).catch((err: unknown) => err);
      expect(isPulseError(error) && error.code).toBe('invalid_request');
    } finally {
      await close();
    }
  });

  it('starts on attribute vectors when the newest model is corrupt, and says so', async () => {
    const bad = await writeRandomModel();
    await truncate(join(bad.dir, 'items.f32'), 64);
    const { engine, lines, close } = await startEngine();
    try {
      expect(engine.status().modelVersion).toBe('attributes-v1');
      expect(lines.join('')).toContain(`model ${bad.dir} refused:`);
      expect(lines.join('')).toContain('still serving attributes-v1');
    } finally {
      await close();
    }
  });
});
