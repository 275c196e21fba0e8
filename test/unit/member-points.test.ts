import { describe, expect, it } from 'vitest';
import {
  checkLedgerPage,
  checkPointsChange,
  nextBalance,
  orderCause,
  orderPoints,
  orderTotal,
  roundHalfAwayFromZero,
} from '../../engine/members/logic/points.js';
import { PulseError } from '../../engine/contracts/errors.js';

const rates = { regular: 1, vip: 1.5, enterprise: 2 } as const;
const thresholds = { vip: 1000, enterprise: 10_000 };

/** Seeded PRNG (mulberry32): the same cases every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('points arithmetic', () => {
  it('sums quantity × price, negative for cancellations', () => {
    expect(
      orderTotal([
        { quantity: 2, price: 3.25 },
        { quantity: 1, price: 10 },
      ]),
    ).toBeCloseTo(16.5, 10);
    expect(orderTotal([{ quantity: -2, price: 3.25 }])).toBeCloseTo(-6.5, 10);
    expect(orderCause(-0.01)).toBe('cancellation');
    expect(orderCause(0)).toBe('order');
  });

  it('rounds half away from zero, per order, without -0 and despite float noise', () => {
    expect(roundHalfAwayFromZero(2.5)).toBe(3);
    expect(roundHalfAwayFromZero(-2.5)).toBe(-3);
    expect(roundHalfAwayFromZero(2.4999)).toBe(2);
    expect(Object.is(roundHalfAwayFromZero(-0.2), 0)).toBe(true);
    // 0.1 × 3 × 15 is not exactly 4.5 in floats; the money says 4.5, so it rounds up.
    expect(orderPoints(orderTotal([{ quantity: 3, price: 0.1 }]) * 15, 'regular', rates)).toBe(5);
    expect(orderPoints(16.5, 'vip', rates)).toBe(25); // 24.75
    expect(orderPoints(-16.5, 'vip', rates)).toBe(-25);
  });

  it('an order and its exact cancellation at the same tier cancel out (seeded)', () => {
    const random = prng(7);
    for (let i = 0; i < 500; i++) {
      const lines = Array.from({ length: 1 + Math.floor(random() * 5) }, () => ({
        quantity: 1 + Math.floor(random() * 12),
        price: Math.round(random() * 5000) / 100,
      }));
      const tier = (['regular', 'vip', 'enterprise'] as const)[i % 3]!;
      const earned = orderPoints(orderTotal(lines), tier, rates);
      const back = orderPoints(orderTotal(lines.map((l) => ({ ...l, quantity: -l.quantity }))), tier, rates);
      expect(earned + back).toBe(0);
      expect(Number.isInteger(earned)).toBe(true);
    }
  });
});

describe('nextBalance', () => {
  const start = { points: 0, lifetimePoints: 0, tier: 'regular' as const };

  it('rises to VIP exactly at the threshold and to enterprise past it', () => {
    expect(nextBalance(start, 999, 'order', thresholds).tier).toBe('regular');
    expect(nextBalance(start, 1000, 'order', thresholds)).toEqual({ points: 1000, lifetimePoints: 1000, tier: 'vip' });
    expect(nextBalance({ points: 5, lifetimePoints: 9_999, tier: 'vip' }, 1, 'order', thresholds).tier).toBe('enterprise');
  });

  it('clamps spendable points at 0, lowers lifetime points on cancellation, never demotes', () => {
    const vip = { points: 100, lifetimePoints: 1200, tier: 'vip' as const };
    expect(nextBalance(vip, -300, 'cancellation', thresholds)).toEqual({ points: 0, lifetimePoints: 900, tier: 'vip' });
    expect(nextBalance({ points: 10, lifetimePoints: 10, tier: 'regular' }, -50, 'cancellation', thresholds)).toEqual({
      points: 0,
      lifetimePoints: 0,
      tier: 'regular',
    });
  });

  it('redemptions spend points but leave lifetime points alone', () => {
    expect(nextBalance({ points: 500, lifetimePoints: 800, tier: 'regular' }, -200, 'redemption', thresholds)).toEqual({
      points: 300,
      lifetimePoints: 800,
      tier: 'regular',
    });
  });

  it('refuses a fractional delta', () => {
    expect(() => nextBalance(start, 1.5, 'order', thresholds)).toThrow(RangeError);
  });
});

describe('validation', () => {
  const ok = { eventId: 'e1', ts: 1_700_000_000_000, delta: 5, cause: 'order' };
  it('accepts a good change and rejects each bad field with invalid_request', () => {
    expect(() => checkPointsChange(ok)).not.toThrow();
    for (const bad of [{ eventId: '' }, { delta: 0.5 }, { ts: 1.5 }, { cause: 'gift' }, { orderId: '' }]) {
      try {
        checkPointsChange({ ...ok, ...bad });
        expect.unreachable(`accepted ${JSON.stringify(bad)}`);
      } catch (err) {
        expect(err).toBeInstanceOf(PulseError);
        expect((err as PulseError).code).toBe('invalid_request');
      }
    }
    expect(() => checkLedgerPage({ limit: 0 })).toThrow(PulseError);
    expect(() => checkLedgerPage({ limit: 10, before: 0 })).toThrow(PulseError);
    expect(() => checkLedgerPage({ limit: 1000, before: 3 })).not.toThrow();
  });
});
