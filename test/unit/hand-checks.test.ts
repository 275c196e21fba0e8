import { describe, expect, it } from 'vitest';
import { checkAnalyticsRecord, checkAnalyticsRecords } from '../../engine/analytics/shop-analytics-checks.js';
import type { AnalyticsRecord } from '../../engine/analytics/shop-analytics.js';
import { IdSchema } from '../../engine/contracts/schemas.js';
import { checkUserId } from '../../engine/shoppers/state-validation.js';

/** The hand-written fast paths accept and refuse exactly what their schemas do. */
describe('hand checks agree with their schemas', () => {
  const throws = (f: () => unknown): boolean => {
    try {
      f();
      return false;
    } catch {
      return true;
    }
  };

  it('checkUserId: IdSchema', () => {
    const ids: unknown[] = ['u1', 'a'.repeat(100), 'a'.repeat(101), '', 'a b', 'x{y}', 'é', 'u_1.2:3@4-5', 'u\n', 5, null, undefined];
    for (const id of ids) expect([id, throws(() => checkUserId(id as string))]).toEqual([id, !IdSchema.safeParse(id).success]);
  });

  it('checkAnalyticsRecords: the record schema, on valid records and one change away from them', () => {
    const base: AnalyticsRecord = {
      userId: 'u1',
      eventKey: 'u1/e1',
      counters: { type: 'view', ts: 1000, total: 0 },
      shopper: {
        version: 3,
        lastEventAt: 1000,
        firstSeenAt: 10,
        orders: 1,
        spend: 9.5,
        lastPurchaseAt: 900,
        loyalBrands: ['b'],
        tier: 'vip',
      },
      memberCreatedAt: 5,
    };
    const values: unknown[] = [
      0,
      -1,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      '1',
      null,
      undefined,
      'order',
      'view',
      'bogus',
      [],
      ['x'],
      [''],
    ];
    const variants: AnalyticsRecord[] = [base, { ...base, counters: undefined } as unknown as AnalyticsRecord];
    const { memberCreatedAt: _m, counters: _c, ...bare } = base;
    variants.push(bare as AnalyticsRecord);
    for (const value of values) {
      for (const field of ['userId', 'eventKey', 'memberCreatedAt', 'counters'])
        variants.push({ ...base, [field]: value } as AnalyticsRecord);
      for (const field of ['type', 'ts', 'total'])
        variants.push({ ...base, counters: { ...base.counters, [field]: value } } as unknown as AnalyticsRecord);
      for (const field of Object.keys(base.shopper))
        variants.push({ ...base, shopper: { ...base.shopper, [field]: value } } as unknown as AnalyticsRecord);
    }
    variants.push({ ...base, shopper: { ...base.shopper, loyalBrands: Array.from({ length: 101 }, () => 'b') } });
    variants.push({ ...base, shopper: { ...base.shopper, loyalBrands: ['b'.repeat(201)] } });
    variants.push({ ...base, shopper: null } as unknown as AnalyticsRecord);
    for (const record of variants)
      expect([record, throws(() => checkAnalyticsRecords([record]))]).toEqual([record, throws(() => checkAnalyticsRecord(record))]);
  });
});
