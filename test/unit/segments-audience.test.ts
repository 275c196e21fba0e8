import { describe, expect, it } from 'vitest';
import { emptyUserState } from '../../engine/shoppers/state-semantics.js';
import { loadEngineConfig, segmentThresholds } from '../../engine/config.js';
import { AudienceSchema, type Audience } from '../../engine/contracts/campaigns.js';
import { ConfigError } from '../../engine/contracts/env.js';
import type { Tier } from '../../engine/contracts/schemas.js';
import { matchesAudience, type AudienceMember } from '../../engine/campaigns/logic/audience.js';
import { DEFAULT_SEGMENT_THRESHOLDS, inSegment, rfmSummary, segmentsOf } from '../../engine/shoppers/logic/segments.js';
import type { UserState } from '../../engine/shoppers/user-state-store.js';

const DAY = 24 * 3600 * 1000;
const NOW = Date.UTC(2025, 5, 1);

function shopper(
  fields: {
    brands?: Record<string, number>;
    brandEvents?: Record<string, number>;
    categories?: Record<string, number>;
  } & Partial<UserState> = {},
): UserState {
  const { brands = {}, brandEvents = {}, categories = {}, ...rest } = fields;
  const state = { ...emptyUserState(), ...rest };
  state.affinity = {
    landmark: NOW - DAY,
    brands: new Map(Object.entries(brands)),
    brandEvents: new Map(Object.entries(brandEvents)),
    categories: new Map(Object.entries(categories)),
  };
  return state;
}
const purchases = (orders: number, spend: number, lastPurchaseAt: number) => ({
  orders,
  spend,
  firstPurchaseAt: orders > 0 ? lastPurchaseAt : 0,
  lastPurchaseAt,
});
const member = (fields: Partial<AudienceMember> = {}): AudienceMember => ({
  tier: 'regular',
  points: 0,
  createdAt: NOW - 400 * DAY,
  ...fields,
});

describe('segments', () => {
  it('new: member created, or first seen, less than 30 days ago (the earlier counts)', () => {
    expect(segmentsOf(shopper(), member({ createdAt: NOW - 29 * DAY }), NOW)).toContain('new');
    expect(segmentsOf(shopper(), member({ createdAt: NOW - 30 * DAY }), NOW)).not.toContain('new');
    expect(segmentsOf(shopper({ firstSeenAt: NOW - 2 * DAY }), undefined, NOW)).toContain('new');
    expect(segmentsOf(shopper({ firstSeenAt: NOW - 90 * DAY }), member({ createdAt: NOW - 2 * DAY }), NOW)).not.toContain('new');
    expect(segmentsOf(shopper(), undefined, NOW)).toEqual([]);
  });

  it('active: an event within 7 days', () => {
    expect(segmentsOf(shopper({ updatedAt: NOW - 7 * DAY }), member(), NOW)).toEqual(['active']);
    expect(segmentsOf(shopper({ updatedAt: NOW - 7 * DAY - 1 }), member(), NOW)).toEqual([]);
  });

  it('lapsing: bought before, last purchase 60 to 365 days ago', () => {
    const lapsing = (daysAgo: number) => inSegment('lapsing', shopper({ purchases: purchases(2, 50, NOW - daysAgo * DAY) }), member(), NOW);
    expect([59, 60, 200, 365, 366].map(lapsing)).toEqual([false, true, true, true, false]);
    expect(inSegment('lapsing', shopper({ purchases: purchases(0, -20, 0) }), member(), NOW)).toBe(false);
  });

  it('big_spender: net spend at least SEGMENT_BIG_SPENDER (default 1000)', () => {
    expect(inSegment('big_spender', shopper({ purchases: purchases(3, 1000, NOW) }), member(), NOW)).toBe(true);
    expect(inSegment('big_spender', shopper({ purchases: purchases(3, 999.99, NOW) }), member(), NOW)).toBe(false);
    expect(
      inSegment('big_spender', shopper({ purchases: purchases(3, 999.99, NOW) }), member(), NOW, {
        ...DEFAULT_SEGMENT_THRESHOLDS,
        bigSpender: 500,
      }),
    ).toBe(true);
  });

  it('brand_loyal:<brand>: one brand holds half the positive brand affinity, with 3 events or more', () => {
    const loyal = shopper({ brands: { lumo: 6, cosy: 4, stride: -5 }, brandEvents: { lumo: 3, cosy: 9 } });
    expect(segmentsOf(loyal, member(), NOW)).toEqual(['brand_loyal:lumo']);
    expect(inSegment('brand_loyal:LUMO ', loyal, member(), NOW)).toBe(true);
    expect(inSegment('brand_loyal:cosy', loyal, member(), NOW)).toBe(false);
    expect(segmentsOf(shopper({ brands: { lumo: 6, cosy: 4 }, brandEvents: { lumo: 2 } }), member(), NOW)).toEqual([]);
    expect(segmentsOf(shopper({ brands: { lumo: 4, cosy: 6 }, brandEvents: { lumo: 3 } }), member(), NOW)).toEqual([]);
  });

  it('knows no other names', () => {
    const everything = shopper({ updatedAt: NOW, purchases: purchases(9, 9999, NOW - 100 * DAY) });
    expect(segmentsOf(everything, member({ createdAt: NOW }), NOW)).toEqual(['new', 'active', 'lapsing', 'big_spender']);
    for (const name of ['vip', '__proto__', 'toString', 'brand_loyal:']) expect(inSegment(name, everything, member(), NOW)).toBe(false);
  });

  it('reads its thresholds from SEGMENT_* and refuses a lapsing window that ends before it starts', () => {
    expect(segmentThresholds(loadEngineConfig({}))).toEqual(DEFAULT_SEGMENT_THRESHOLDS);
    expect(segmentThresholds(loadEngineConfig({ SEGMENT_NEW_DAYS: '7', SEGMENT_BIG_SPENDER: '250.5' }))).toMatchObject({
      newDays: 7,
      bigSpender: 250.5,
    });
    expect(() => loadEngineConfig({ SEGMENT_LAPSING_MIN_DAYS: '90', SEGMENT_LAPSING_MAX_DAYS: '90' })).toThrow(ConfigError);
    expect(() => loadEngineConfig({ SEGMENT_BRAND_LOYAL_SHARE: '1.5' })).toThrow(ConfigError);
  });
});

describe('rfmSummary', () => {
  it('scores recency, frequency and monetary value by the fixed bands', () => {
    expect(rfmSummary(shopper(), NOW)).toEqual({
      recencyDays: null,
      frequency: 0,
      monetary: 0,
      scores: { recency: 1, frequency: 1, monetary: 1 },
    });
    expect(rfmSummary(shopper({ purchases: purchases(20, 5000, NOW - 30 * DAY) }), NOW)).toEqual({
      recencyDays: 30,
      frequency: 20,
      monetary: 5000,
      scores: { recency: 5, frequency: 5, monetary: 5 },
    });
    const score = (orders: number, spend: number, daysAgo: number) =>
      rfmSummary(shopper({ purchases: purchases(orders, spend, NOW - daysAgo * DAY) }), NOW).scores;
    expect(score(10, 1000, 31)).toEqual({ recency: 4, frequency: 4, monetary: 4 });
    expect(score(5, 500, 90.5)).toEqual({ recency: 3, frequency: 3, monetary: 3 });
    expect(score(2, 100, 365)).toEqual({ recency: 2, frequency: 2, monetary: 2 });
    expect(score(1, 99.99, 366)).toEqual({ recency: 1, frequency: 1, monetary: 1 });
    expect(rfmSummary(shopper({ purchases: purchases(1, 10, NOW - 1.9 * DAY) }), NOW).recencyDays).toBe(1);
  });
});

describe('matchesAudience', () => {
  const audience = (input: unknown): Audience => AudienceSchema.parse(input);
  const fan = shopper({
    tier: 'regular',
    brands: { lumo: 5, cosy: 4, stride: 3, acme: 2.9, gone: -1 },
    brandEvents: { lumo: 5 },
    categories: { home: 9, 'home/lamps': 6, sport: 3, 'sport/shoes': 2, garden: 1 },
    updatedAt: NOW - DAY,
  });

  it('tiers: the higher of the record’s and the state’s tier', () => {
    const vip: Tier[] = ['vip'];
    expect(matchesAudience(audience({ tiers: vip }), member({ tier: 'vip' }), fan, NOW)).toBe(true);
    expect(matchesAudience(audience({ tiers: vip }), member(), fan, NOW)).toBe(false);
    expect(matchesAudience(audience({ tiers: vip }), member(), { ...fan, tier: 'vip' }, NOW)).toBe(true);
    expect(matchesAudience(audience({ tiers: ['regular', 'enterprise'] }), member({ tier: 'vip' }), fan, NOW)).toBe(false);
  });

  it('brands: any listed brand among the top 3 with a positive weight, case-insensitive', () => {
    expect(matchesAudience(audience({ brands: ['STRIDE'] }), member(), fan, NOW)).toBe(true);
    expect(matchesAudience(audience({ brands: ['acme', ' Lumo '] }), member(), fan, NOW)).toBe(true);
    expect(matchesAudience(audience({ brands: ['acme'] }), member(), fan, NOW)).toBe(false);
    expect(matchesAudience(audience({ brands: ['acme'] }), member(), fan, NOW, { top: 4 })).toBe(true);
    expect(matchesAudience(audience({ brands: ['gone'] }), member(), shopper({ brands: { gone: -1 } }), NOW)).toBe(false);
    expect(matchesAudience(audience({ brands: ['lumo'] }), member(), shopper(), NOW)).toBe(false);
  });

  it('categories: a listed category, or one below it, among the top 3 categories', () => {
    expect(matchesAudience(audience({ categories: ['Home'] }), member(), fan, NOW)).toBe(true);
    expect(matchesAudience(audience({ categories: ['home > lamps'] }), member(), fan, NOW)).toBe(true);
    expect(matchesAudience(audience({ categories: ['sport'] }), member(), fan, NOW)).toBe(true);
    expect(matchesAudience(audience({ categories: ['sport/shoes', 'garden'] }), member(), fan, NOW)).toBe(false);
    // a category below a listed one counts; one above it does not
    const deep = shopper({ categories: { 'home/lamps/desk': 5 } });
    expect(matchesAudience(audience({ categories: ['home/lamps'] }), member(), deep, NOW)).toBe(true);
    expect(matchesAudience(audience({ categories: ['home/lamps/desk/oak'] }), member(), deep, NOW)).toBe(false);
  });

  it('minPoints: spendable points at least minPoints', () => {
    expect(matchesAudience(audience({ minPoints: 500 }), member({ points: 500 }), fan, NOW)).toBe(true);
    expect(matchesAudience(audience({ minPoints: 500 }), member({ points: 499 }), fan, NOW)).toBe(false);
  });

  it('segment: the member is in it, with the thresholds given', () => {
    expect(matchesAudience(audience({ segment: 'active' }), member(), fan, NOW)).toBe(true);
    expect(matchesAudience(audience({ segment: 'brand_loyal:Lumo' }), member(), fan, NOW)).toBe(false);
    expect(
      matchesAudience(audience({ segment: 'brand_loyal:Lumo' }), member(), fan, NOW, {
        segments: { ...DEFAULT_SEGMENT_THRESHOLDS, brandLoyalShare: 0.3 },
      }),
    ).toBe(true);
    expect(matchesAudience(audience({ segment: 'new' }), member(), fan, NOW)).toBe(false);
  });

  it('needs every given criterion (AND)', () => {
    const all = { tiers: ['vip'], brands: ['lumo'], categories: ['home'], minPoints: 100, segment: 'active' };
    const vip = member({ tier: 'vip', points: 100 });
    expect(matchesAudience(audience(all), vip, fan, NOW)).toBe(true);
    const failing: Array<[string, unknown]> = [
      ['tiers', ['enterprise']],
      ['brands', ['acme']],
      ['categories', ['garden']],
      ['minPoints', 101],
      ['segment', 'lapsing'],
    ];
    for (const [criterion, value] of failing)
      expect(matchesAudience(audience({ ...all, [criterion]: value }), vip, fan, NOW), criterion).toBe(false);
  });
});
