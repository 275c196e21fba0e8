import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { PartitionManager } from '../../engine/stream/partition-manager.js';
import { MemoryPartitionLeases } from '../../engine/stream/adapters/memory-partition-leases.js';
import { EngineMetrics } from '../../engine/metrics.js';
import type { ConsumeOptions, EventSource } from '../../engine/stream/event-log.js';

/** An event source that only records who consumes which partition, to check exclusivity. */
class RecordingSource {
  readonly partitions = 8;
  readonly consumers = new Map<number, string[]>();
  violations = 0;

  consumerFor(owner: string): EventSource {
    return {
      partitions: this.partitions,
      consume: (partition: number, _handler: unknown, options: ConsumeOptions) => {
        const current = this.consumers.get(partition) ?? [];
        if (current.length > 0) this.violations++;
        this.consumers.set(partition, [...current, owner]);
        return new Promise<void>((resolve) => {
          options.signal.addEventListener('abort', () => {
            this.consumers.set(
              partition,
              (this.consumers.get(partition) ?? []).filter((o) => o !== owner),
            );
            resolve();
          });
        });
      },
    } as EventSource;
  }
}

/** Lease rounds run on setInterval and leases expire on Date.now(): both follow the fake clock. */
const sleep = (ms: number) => vi.advanceTimersByTimeAsync(ms);
const managers: PartitionManager[] = [];
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close()));
  vi.useRealTimers();
});

function manager(source: RecordingSource, leases: MemoryPartitionLeases, ownerId: string): PartitionManager {
  const m = new PartitionManager({
    source: source.consumerFor(ownerId),
    leases,
    handler: async () => undefined,
    drain: async () => undefined,
    metrics: new EngineMetrics(),
    logger: pino({ level: 'silent' }),
    options: { ownerId, leaseMs: 300, batchSize: 10 },
  });
  managers.push(m);
  return m;
}

describe('PartitionManager', () => {
  it('takes every partition alone, shares them fairly with a second engine, and never doubles up', async () => {
    const source = new RecordingSource();
    const leases = new MemoryPartitionLeases();
    const first = manager(source, leases, 'engine-a');
    await first.start();
    expect(first.owned).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);

    const second = manager(source, leases, 'engine-b');
    await second.start();
    await sleep(1000);
    expect(first.owned.length).toBe(4);
    expect(second.owned.length).toBe(4);
    expect(new Set([...first.owned, ...second.owned]).size).toBe(8);
    expect(source.violations).toBe(0);
  });

  it('hands a closed engine’s partitions to the survivor', async () => {
    const source = new RecordingSource();
    const leases = new MemoryPartitionLeases();
    const a = manager(source, leases, 'engine-a');
    const b = manager(source, leases, 'engine-b');
    await a.start();
    await b.start();
    await sleep(800);
    await a.close();
    expect(a.owned).toEqual([]);
    await sleep(800);
    expect(b.owned).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(source.violations).toBe(0);
  });
});
