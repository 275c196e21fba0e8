import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../models/content-encoder.js';
import { EVENT_MIX, OpenLoopSchedule, pickEventType } from '../../scripts/bench/schedule.js';

function drain(schedule: OpenLoopSchedule, untilMs: number, stepMs: number) {
  const sends: Array<{ socket: number; dueMs: number }> = [];
  for (let now = 0; now <= untilMs; now += stepMs) sends.push(...schedule.takeDue(now));
  return sends;
}

describe('OpenLoopSchedule', () => {
  it('delivers the target rate overall and per socket, in due order', () => {
    const schedule = new OpenLoopSchedule({ sockets: 100, ratePerSecond: 1000, startMs: 0, random: mulberry32(1) });
    expect(schedule.meanGapMs).toBe(100);
    const sends = drain(schedule, 10_000, 1);
    // 10 s at 1000/s, give or take the first/last partial gaps.
    expect(sends.length).toBeGreaterThan(9_800);
    expect(sends.length).toBeLessThan(10_200);
    for (let i = 1; i < sends.length; i++) expect(sends[i]!.dueMs).toBeGreaterThanOrEqual(sends[i - 1]!.dueMs - 1);
    const perSocket = new Map<number, number>();
    for (const s of sends) perSocket.set(s.socket, (perSocket.get(s.socket) ?? 0) + 1);
    expect(perSocket.size).toBe(100);
    for (const n of perSocket.values()) {
      expect(n).toBeGreaterThanOrEqual(90);
      expect(n).toBeLessThanOrEqual(110);
    }
  });

  it('jitters each gap within [1 - jitter, 1 + jitter] of the mean, and not in lockstep', () => {
    const schedule = new OpenLoopSchedule({ sockets: 1, ratePerSecond: 10, jitter: 0.5, startMs: 0, random: mulberry32(3) });
    const sends = drain(schedule, 20_000, 5);
    const gaps = sends.slice(1).map((s, i) => s.dueMs - sends[i]!.dueMs);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(150);
    expect(new Set(gaps.map((g) => Math.round(g))).size).toBeGreaterThan(20);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(mean).toBeGreaterThan(95);
    expect(mean).toBeLessThan(105);
  });

  it('is periodic with jitter 0, and spreads first sends over one gap', () => {
    const schedule = new OpenLoopSchedule({ sockets: 4, ratePerSecond: 40, jitter: 0, startMs: 1000, random: mulberry32(5) });
    const first = schedule.takeDue(1100);
    expect(first.map((s) => s.socket).sort()).toEqual([0, 1, 2, 3]);
    for (const s of first) expect(s.dueMs).toBeGreaterThanOrEqual(1000);
    const second = schedule.takeDue(1200);
    expect(second.map((s, i) => s.dueMs - first[i]!.dueMs)).toEqual([100, 100, 100, 100]);
  });

  it('hands a late caller the whole backlog (open loop), bounded per call by limit', () => {
    const schedule = new OpenLoopSchedule({ sockets: 10, ratePerSecond: 100, startMs: 0, random: mulberry32(9) });
    const firstBatch = schedule.takeDue(5000, 100);
    expect(firstBatch).toHaveLength(100);
    const rest = schedule.takeDue(5000);
    expect(firstBatch.length + rest.length).toBeGreaterThan(480);
    expect(schedule.nextDueMs).toBeGreaterThan(5000);
  });

  it('is deterministic for a seed', () => {
    const a = drain(new OpenLoopSchedule({ sockets: 7, ratePerSecond: 70, startMs: 0, random: mulberry32(11) }), 1000, 3);
    const b = drain(new OpenLoopSchedule({ sockets: 7, ratePerSecond: 70, startMs: 0, random: mulberry32(11) }), 1000, 3);
    expect(a).toEqual(b);
  });

  it('refuses bad options', () => {
    const random = mulberry32(1);
    expect(() => new OpenLoopSchedule({ sockets: 0, ratePerSecond: 1, startMs: 0, random })).toThrow(RangeError);
    expect(() => new OpenLoopSchedule({ sockets: 1, ratePerSecond: 0, startMs: 0, random })).toThrow(RangeError);
    expect(() => new OpenLoopSchedule({ sockets: 1, ratePerSecond: 1, jitter: 1, startMs: 0, random })).toThrow(RangeError);
  });
});

describe('pickEventType', () => {
  it('follows the mix', () => {
    const random = mulberry32(2);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 20_000; i++) {
      const type = pickEventType(random());
      counts[type] = (counts[type] ?? 0) + 1;
    }
    for (const [type, share] of EVENT_MIX) expect(Math.abs(counts[type]! / 20_000 - share)).toBeLessThan(0.015);
    expect(pickEventType(0)).toBe('view');
    expect(pickEventType(0.999999)).toBe('add_to_cart');
  });
});
