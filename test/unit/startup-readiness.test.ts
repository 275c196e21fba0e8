import { describe, expect, it } from 'vitest';
import type { Engine } from '../../engine/engine.js';
import { partitionRanges } from '../../engine/stream/partition-manager.js';
import type { Infrastructure } from '../../scripts/lib/infrastructure.js';
import { readiness } from '../../scripts/lib/roles.js';

/** The parts of an engine and its infrastructure that readiness() reads. */
function probe(status: { ready: boolean; catalogItems: number }) {
  const infra = { checks: () => ({ nats: { ok: true, detail: 'connected' } }) } as unknown as Infrastructure;
  const engine = {
    status: () => ({ ...status, partitions: [0, 1], modelVersion: 'attributes-v1', model: undefined }),
  } as unknown as Engine;
  return readiness(infra, engine);
}

describe('readiness: "can serve"', () => {
  it('is ready with an empty catalog once the engine has started, the count in the detail', async () => {
    const report = await probe({ ready: true, catalogItems: 0 })();
    expect(report.ready).toBe(true);
    expect(report.checks.index).toEqual({ ok: true, detail: '0 items, model attributes-v1' });
  });

  it('is not ready while the engine starts', async () => {
    const report = await probe({ ready: false, catalogItems: 12 })();
    expect(report.ready).toBe(false);
    expect(report.checks.engine).toEqual({ ok: false, detail: 'starting' });
  });
});

describe('start-up log', () => {
  it('folds the partitions taken into ranges', () => {
    expect(partitionRanges([3, 0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])).toBe('0-15');
    expect(partitionRanges([9, 0, 1, 7, 10])).toBe('0-1,7,9-10');
    expect(partitionRanges([])).toBe('');
  });
});
