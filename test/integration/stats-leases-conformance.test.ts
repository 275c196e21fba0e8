import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { PulseError } from '../../engine/contracts/errors.js';
import { expectInvalid, useStateSuite } from '../helpers/state-suite.js';

/** The InteractionStats and PartitionLeases conformance suites, against the Redis adapters and the in-memory fakes. */
const { implementations } = useStateSuite();

describe.each(implementations)('InteractionStats conformance (%s)', (_name, make) => {
  const week = 7 * 24 * 3600;
  const T = Date.now() - 3600_000;

  it('records each event key once', async () => {
    const stats = make.stats({ popularityHalfLifeSeconds: week, dedupeTtlSeconds: 3600 });
    expect(await stats.record('e1', { items: [['a', 1]], pairs: [['a', 'b', 1]], ts: T })).toBe(true);
    expect(
      await stats.record('e1', {
        items: [
          ['a', 5],
          ['b', 9],
        ],
        pairs: [['a', 'b', 1]],
        ts: T,
      }),
    ).toBe(false);
    expect(await stats.popular(10)).toEqual([['a', 1]]);
    expect(await stats.coVisited('a', 10)).toEqual([['b', 1]]);
  });

  it('ranks popularity best first, normalised to the best', async () => {
    const stats = make.stats({ popularityHalfLifeSeconds: week, dedupeTtlSeconds: 3600 });
    await stats.record('e1', {
      items: [
        ['a', 3],
        ['b', 1],
        ['c', 2],
      ],
      pairs: [],
      ts: T,
    });
    await stats.record('e2', { items: [['d', -1]], pairs: [], ts: T });
    const ranked = await stats.popular(10);
    expect(ranked.map(([id]) => id)).toEqual(['a', 'c', 'b']);
    expect(ranked[0]?.[1]).toBe(1);
    expect(ranked[1]?.[1]).toBeCloseTo(2 / 3, 12);
    expect(ranked[2]?.[1]).toBeCloseTo(1 / 3, 12);
    expect(await stats.popular(2)).toHaveLength(2);
    expect(await stats.popular(0)).toEqual([]);
  });

  it('decays forward: a later event outweighs an earlier equal one', async () => {
    const hours = 3600;
    const stats = make.stats({ popularityHalfLifeSeconds: hours, dedupeTtlSeconds: 3600 });
    await stats.record('e1', { items: [['old', 1]], pairs: [], ts: T });
    await stats.record('e2', { items: [['new', 1]], pairs: [], ts: T + hours * 1000 });
    await stats.record('e3', { items: [['older', 1.5]], pairs: [], ts: T - hours * 1000 });
    const ranked = await stats.popular(10);
    expect(ranked.map(([id]) => id)).toEqual(['new', 'old', 'older']);
    expect(ranked[1]?.[1]).toBeCloseTo(0.5, 12);
    expect(ranked[2]?.[1]).toBeCloseTo(1.5 / 4, 12);
  });

  it('keeps scores finite and exact across landmark rescaling', async () => {
    const minute = 60;
    const stats = make.stats({ popularityHalfLifeSeconds: minute, dedupeTtlSeconds: 3600 });
    const start = Date.now() - 2 * 3600_000;
    await stats.record('e1', { items: [['a', 1]], pairs: [], ts: start });
    // 100 half-lives later: beyond the rescale exponent, old scores are scaled by 2^-k
    await stats.record('e2', { items: [['b', 1]], pairs: [], ts: start + 100 * minute * 1000 });
    const ranked = new Map(await stats.popular(10));
    expect([...ranked.keys()]).toEqual(['b', 'a']);
    expect(ranked.get('b')).toBe(1);
    expect((ranked.get('a') as number) / 2 ** -100).toBeCloseTo(1, 9);
    expect([...ranked.values()].every(Number.isFinite)).toBe(true);
    // ~1380 half-lives later (inside the future-skew clamp): everything before has decayed to nothing
    await stats.record('e4', { items: [['c', 1]], pairs: [], ts: Date.now() + 23 * 3600_000 });
    expect(await stats.popular(10)).toEqual([['c', 1]]);
  });

  it('clamps event times far in the future', async () => {
    const stats = make.stats({ popularityHalfLifeSeconds: week, dedupeTtlSeconds: 3600 });
    await stats.record('e1', { items: [['now', 1]], pairs: [], ts: Date.now() });
    await stats.record('e2', { items: [['future', 1]], pairs: [], ts: Date.now() + 365 * 24 * 3600_000 });
    const ranked = new Map(await stats.popular(10));
    // clamped to one day ahead: 2^(1/7), not 2^(365/7)
    expect(ranked.get('now')).toBeCloseTo(2 ** (-1 / 7), 4);
  });

  it('counts co-visitation in both directions and accumulates', async () => {
    const stats = make.stats({ popularityHalfLifeSeconds: week, dedupeTtlSeconds: 3600 });
    await stats.record('e1', {
      items: [],
      pairs: [
        ['a', 'b', 2],
        ['a', 'c', 1],
        ['a', 'a', 5],
      ],
      ts: T,
    });
    await stats.record('e2', { items: [], pairs: [['c', 'a', 0.5]], ts: T });
    expect(await stats.coVisited('a', 10)).toEqual([
      ['b', 2],
      ['c', 1.5],
    ]);
    expect(await stats.coVisited('b', 10)).toEqual([['a', 2]]);
    expect(await stats.coVisited('c', 10)).toEqual([['a', 1.5]]);
    expect(await stats.coVisited('a', 1)).toEqual([['b', 2]]);
    expect(await stats.coVisited('unknown', 10)).toEqual([]);
  });

  it('bounds each neighbour list, keeping the best', async () => {
    const stats = make.stats({ popularityHalfLifeSeconds: week, dedupeTtlSeconds: 3600, maxNeighbours: 4 });
    for (let i = 1; i <= 10; i++) {
      await stats.record(`e${i}`, { items: [], pairs: [['a', `b${i}`, i]], ts: T });
      expect((await stats.coVisited('a', 100)).length).toBeLessThanOrEqual(6);
    }
    expect(await stats.coVisited('a', 100)).toEqual([
      ['b10', 10],
      ['b9', 9],
      ['b8', 8],
      ['b7', 7],
    ]);
    // many neighbours in one event: trimmed once, at the end
    const pairs = Array.from({ length: 10 }, (_, i) => ['x', `y${i + 1}`, i + 1] as [string, string, number]);
    await stats.record('bulk', { items: [], pairs, ts: T });
    expect(await stats.coVisited('x', 100)).toEqual([
      ['y10', 10],
      ['y9', 9],
      ['y8', 8],
      ['y7', 7],
    ]);
    expect(await stats.coVisited('y1', 100)).toEqual([['x', 1]]);
  });

  it('rejects bad input with invalid_request and records nothing', async () => {
    const stats = make.stats({ popularityHalfLifeSeconds: week, dedupeTtlSeconds: 3600 });
    await expectInvalid(stats.record('e1', { items: [['a', Number.NaN]], pairs: [], ts: T }));
    await expectInvalid(stats.record('e1', { items: [], pairs: [['a', '', 1]], ts: T }));
    await expectInvalid(stats.record('e1', { items: [['a', 1]], pairs: [], ts: Number.NaN }));
    await expectInvalid(stats.record('', { items: [], pairs: [], ts: T }));
    await expectInvalid(stats.popular(-1));
    expect(await stats.record('e1', { items: [['a', 1]], pairs: [], ts: T })).toBe(true);
    expect(() => make.stats({ popularityHalfLifeSeconds: 0, dedupeTtlSeconds: 3600 })).toThrow(PulseError);
  });
});

describe.each(implementations)('PartitionLeases conformance (%s)', (_name, make) => {
  it('grants a lease to one owner at a time', async () => {
    const leases = make.leases();
    expect(await leases.acquire(0, 'A', 10_000)).toBe(true);
    expect(await leases.acquire(0, 'B', 10_000)).toBe(false);
    expect(await leases.acquire(0, 'A', 10_000)).toBe(true);
    expect(await leases.acquire(1, 'B', 10_000)).toBe(true);
    const contenders = await Promise.all(['C', 'D', 'E', 'F'].map((owner) => leases.acquire(2, owner, 10_000)));
    expect(contenders.filter(Boolean)).toHaveLength(1);
  });

  it('lets only the owner renew or release', async () => {
    const leases = make.leases();
    await leases.acquire(0, 'A', 10_000);
    expect(await leases.renew(0, 'B', 10_000)).toBe(false);
    expect(await leases.renew(0, 'A', 10_000)).toBe(true);
    await leases.release(0, 'B');
    expect(await leases.acquire(0, 'B', 10_000)).toBe(false);
    await leases.release(0, 'A');
    expect(await leases.renew(0, 'A', 10_000)).toBe(false);
    expect(await leases.acquire(0, 'B', 10_000)).toBe(true);
  });

  it('lets another owner take an expired lease; renewing keeps it', async () => {
    const leases = make.leases();
    expect(await leases.acquire(0, 'A', 150)).toBe(true);
    await sleep(300);
    expect(await leases.acquire(0, 'B', 10_000)).toBe(true);
    expect(await leases.renew(0, 'A', 10_000)).toBe(false);

    expect(await leases.acquire(1, 'A', 400)).toBe(true);
    await sleep(250);
    expect(await leases.renew(1, 'A', 400)).toBe(true);
    await sleep(250);
    expect(await leases.acquire(1, 'B', 10_000)).toBe(false);
  });

  it('lists live owners until their heartbeat expires or they leave', async () => {
    const leases = make.leases();
    await leases.heartbeat('engine-b', 10_000);
    await leases.heartbeat('engine-a', 10_000);
    await leases.heartbeat('engine-c', 150);
    expect(await leases.liveOwners()).toEqual(['engine-a', 'engine-b', 'engine-c']);
    await sleep(300);
    expect(await leases.liveOwners()).toEqual(['engine-a', 'engine-b']);
    await leases.heartbeat('engine-c', 10_000);
    await leases.leave('engine-a');
    expect(await leases.liveOwners()).toEqual(['engine-b', 'engine-c']);
  });

  it('rejects bad input with invalid_request', async () => {
    const leases = make.leases();
    await expectInvalid(leases.acquire(-1, 'A', 1000));
    await expectInvalid(leases.acquire(0.5, 'A', 1000));
    await expectInvalid(leases.acquire(0, '', 1000));
    await expectInvalid(leases.renew(0, 'A', 0));
    await expectInvalid(leases.heartbeat('A', 1.5));
    expect(await leases.liveOwners()).toEqual([]);
  });
});
