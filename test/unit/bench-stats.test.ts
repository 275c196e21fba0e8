import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../models/content-encoder.js';
import { countBy, percentile, SecondSeries, summarize } from '../../scripts/bench/stats.js';

describe('percentile (nearest rank)', () => {
  const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1); // 1..100

  it('picks the smallest value with at least p% of samples at or below it', () => {
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(95);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile(sorted, 0)).toBe(1);
    expect(percentile([3, 7, 9], 50)).toBe(7);
    expect(percentile([3, 7, 9], 34)).toBe(7);
    expect(percentile([3, 7, 9], 33)).toBe(3);
  });

  it('is null for no samples and refuses a p outside [0, 100]', () => {
    expect(percentile([], 50)).toBeNull();
    expect(() => percentile(sorted, 101)).toThrow(RangeError);
    expect(() => percentile(sorted, Number.NaN)).toThrow(RangeError);
  });
});

describe('summarize', () => {
  it('matches a sort-based reference on seeded random samples and leaves the input alone', () => {
    const random = mulberry32(7);
    const samples = Array.from({ length: 10_001 }, () => -Math.log(1 - random()) * 10);
    const copy = [...samples];
    const summary = summarize(samples);
    const sorted = [...samples].sort((a, b) => a - b);
    expect(samples).toEqual(copy);
    expect(summary.count).toBe(10_001);
    expect(summary.p50).toBe(sorted[5000]);
    expect(summary.p99).toBe(sorted[Math.ceil(0.99 * 10_001) - 1]);
    expect(summary.max).toBe(sorted[10_000]);
    expect(summary.mean).toBeCloseTo(samples.reduce((a, b) => a + b, 0) / samples.length, 9);
    // Exponential with mean 10: median ~ 10 ln 2.
    expect(summary.p50!).toBeGreaterThan(6.5);
    expect(summary.p50!).toBeLessThan(7.4);
  });

  it('gives nulls (JSON-safe) for no samples', () => {
    const summary = summarize([]);
    expect(summary).toEqual({ count: 0, p50: null, p95: null, p99: null, max: null, mean: null });
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });
});

describe('SecondSeries', () => {
  it('buckets counts by their own time and latency by send time; ignores times outside the window', () => {
    const series = new SecondSeries(3);
    series.addEvent(0.1);
    series.addEvent(0.9);
    series.addEvent(2.5);
    series.addEvent(-0.5); // warmup
    series.addEvent(3.0); // after the window
    series.addAck(1.2);
    series.addPush(0.9, 1.1, 200);
    series.addPush(0.1, 0.2, 100);
    const points = series.points();
    expect(points.map((p) => p.events)).toEqual([2, 0, 1]);
    expect(points.map((p) => p.acks)).toEqual([0, 1, 0]);
    expect(points.map((p) => p.pushes)).toEqual([1, 1, 0]);
    expect(points[0]).toMatchObject({ second: 0, pushP50: 100, pushP99: 200 });
    expect(points[1]!.pushP50).toBeNull();
  });

  it('refuses a bad window', () => {
    expect(() => new SecondSeries(-1)).toThrow(RangeError);
    expect(() => new SecondSeries(1.5)).toThrow(RangeError);
  });
});

describe('countBy', () => {
  it('counts keys', () => {
    expect(countBy(['a', 'b', 'a'])).toEqual({ a: 2, b: 1 });
    expect(countBy([])).toEqual({});
  });
});
