import { describe, expect, it } from 'vitest';
import { loadEngineConfig } from '../../engine/config.js';
import { ConfigError } from '../../engine/contracts/env.js';
import {
  COUPON_ALPHABET,
  CouponCodeSchema,
  couponCodeFrom,
  DEFAULT_REWARDS,
  parseRewardCatalogue,
} from '../../engine/members/logic/coupons.js';

/** Seeded bytes (mulberry32), so the test is the same on every run. */
function seededBytes(seed: number, size: number): Uint8Array {
  let a = seed;
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

describe('coupon codes', () => {
  it('uses 32 unambiguous characters, 12 per code, evenly', () => {
    expect(new Set(COUPON_ALPHABET).size).toBe(32);
    expect(COUPON_ALPHABET).not.toMatch(/[01IO]/);
    const counts = new Map<string, number>();
    for (let seed = 0; seed < 2000; seed++) {
      const code = couponCodeFrom(seededBytes(seed, 12));
      expect(code).toMatch(/^[A-HJ-NP-Z2-9]{12}$/);
      expect(CouponCodeSchema.parse(code)).toBe(code);
      for (const ch of code) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    // 24,000 characters over 32 symbols: 750 each on average.
    expect(counts.size).toBe(32);
    for (const n of counts.values()) expect(n).toBeGreaterThan(600);
    expect(() => couponCodeFrom(new Uint8Array(11))).toThrow(RangeError);
  });

  it('normalises typed codes and refuses look-alikes', () => {
    expect(CouponCodeSchema.parse('  abcdefghjkm2 ')).toBe('ABCDEFGHJKM2');
    for (const bad of ['ABCDEFGHJK0M', 'ABCDEFGHJKIM', 'SHORT', '', 'ABCDEFGHJK M2'])
      expect(CouponCodeSchema.safeParse(bad).success).toBe(false);
  });
});

describe('reward catalogue', () => {
  it('parses the default and rejects bad catalogues with a clear message', () => {
    expect(parseRewardCatalogue(DEFAULT_REWARDS)).toEqual([{ rewardId: 'r5', points: 500, value: 5, ttlDays: 90 }]);
    expect(() => parseRewardCatalogue('not json')).toThrow(/REWARDS is not JSON/);
    expect(() => parseRewardCatalogue('[{"rewardId":"a","points":0,"value":5,"ttlDays":1}]')).toThrow(/0\.points/);
    expect(() =>
      parseRewardCatalogue('[{"rewardId":"a","points":5,"value":5,"ttlDays":1},{"rewardId":"a","points":9,"value":9,"ttlDays":1}]'),
    ).toThrow(/duplicate rewardId a/);
    expect(() => parseRewardCatalogue('[{"rewardId":"a","points":5,"value":5,"ttlDays":1,"extra":1}]')).toThrow(/REWARDS/);
  });

  it('is validated when the engine config loads', () => {
    expect(loadEngineConfig({}).rewards).toBe(DEFAULT_REWARDS);
    expect(() => loadEngineConfig({ REWARDS: '{}' })).toThrow(ConfigError);
  });
});
