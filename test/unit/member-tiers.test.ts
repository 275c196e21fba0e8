import { describe, expect, it } from 'vitest';
import { loadEngineConfig } from '../../engine/config.js';
import { ConfigError } from '../../engine/contracts/env.js';
import { checkTierThresholds, pointsFor, tierFor } from '../../engine/members/logic/tiers.js';

const thresholds = { vip: 1000, enterprise: 10_000 };

describe('tierFor', () => {
  it('maps lifetime points to tiers, a reached threshold being held', () => {
    expect(tierFor(0, thresholds)).toBe('regular');
    expect(tierFor(999.99, thresholds)).toBe('regular');
    expect(tierFor(1000, thresholds)).toBe('vip');
    expect(tierFor(9999, thresholds)).toBe('vip');
    expect(tierFor(10_000, thresholds)).toBe('enterprise');
    expect(tierFor(1e12, thresholds)).toBe('enterprise');
  });

  it('is monotonic over many generated point totals', () => {
    const rank = { regular: 0, vip: 1, enterprise: 2 } as const;
    let previous = 0;
    for (let points = 0; points <= 20_000; points += 37) {
      const r = rank[tierFor(points, { vip: 500, enterprise: 5000 })];
      expect(r).toBeGreaterThanOrEqual(previous);
      previous = r;
    }
    expect(previous).toBe(2);
  });

  it('refuses negative or non-finite points and inverted thresholds', () => {
    expect(() => tierFor(-1, thresholds)).toThrow(RangeError);
    expect(() => tierFor(Number.NaN, thresholds)).toThrow(RangeError);
    expect(() => checkTierThresholds({ vip: 10, enterprise: 10 })).toThrow(RangeError);
    expect(() => checkTierThresholds({ vip: 0, enterprise: 10 })).toThrow(RangeError);
    expect(checkTierThresholds(thresholds)).toEqual(thresholds);
  });
});

describe('pointsFor', () => {
  const rates = { regular: 1, vip: 1.5, enterprise: 2 };
  it('multiplies the amount by the tier rate and rounds down', () => {
    expect(pointsFor(99.99, 'regular', rates)).toBe(99);
    expect(pointsFor(10, 'vip', rates)).toBe(15);
    expect(pointsFor(10.4, 'enterprise', rates)).toBe(20);
    expect(pointsFor(-5, 'regular', rates)).toBe(0);
    expect(() => pointsFor(Number.POSITIVE_INFINITY, 'regular', rates)).toThrow(RangeError);
  });
});

describe('tier configuration', () => {
  it('has documented defaults', () => {
    const config = loadEngineConfig({});
    expect(config.tierVipPoints).toBe(1000);
    expect(config.tierEnterprisePoints).toBe(10_000);
    expect([config.pointsPerCurrencyRegular, config.pointsPerCurrencyVip, config.pointsPerCurrencyEnterprise]).toEqual([1, 1.5, 2]);
  });

  it('reads the environment and refuses an enterprise threshold not above the VIP one', () => {
    const config = loadEngineConfig({ TIER_VIP_POINTS: '50', TIER_ENTERPRISE_POINTS: '60', POINTS_PER_CURRENCY_VIP: '3' });
    expect([config.tierVipPoints, config.tierEnterprisePoints, config.pointsPerCurrencyVip]).toEqual([50, 60, 3]);
    expect(() => loadEngineConfig({ TIER_VIP_POINTS: '500', TIER_ENTERPRISE_POINTS: '500' })).toThrow(ConfigError);
    expect(() => loadEngineConfig({ POINTS_PER_CURRENCY_REGULAR: '-1' })).toThrow(ConfigError);
  });
});
