import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOnlineRetailPoints, independentPoints } from '../../scripts/check-online-retail-points.js';

const rules = { rates: { regular: 1, vip: 1.5, enterprise: 2 }, vip: 100, enterprise: 1000 };
const header = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';
// c1: 2×30.25 = 60.5 -> 61; then 50 -> 111 (VIP); then 10 at VIP = 15 -> 126; cancel 1×30.25 at VIP: -45.375 -> -45.
// c2: an order of 7.5 -> 8 and its cancellation -> 0. A POST (postage) row and a row without customer count for nobody.
const rows = [
  '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,2,12/1/2010 8:26,30.25,17850,United Kingdom',
  '536366,71053,WHITE METAL LANTERN,1,12/1/2010 9:00,50,17850,United Kingdom',
  '536366,POST,POSTAGE,1,12/1/2010 9:00,18,17850,United Kingdom',
  '536367,71053,WHITE METAL LANTERN,1,12/2/2010 9:00,10,17850,United Kingdom',
  'C536368,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-1,12/3/2010 9:00,30.25,17850,United Kingdom',
  '536369,71053,WHITE METAL LANTERN,1,12/1/2010 10:00,7.5,13047,United Kingdom',
  'C536370,71053,WHITE METAL LANTERN,-1,12/1/2010 11:00,7.5,13047,United Kingdom',
  '536371,71053,WHITE METAL LANTERN,3,12/1/2010 11:00,7.5,,United Kingdom',
];

describe('check:points on a small online-retail file', () => {
  let dir: string;
  let csv: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pulse-points-'));
    csv = join(dir, 'retail.csv');
    await writeFile(csv, `${header}\n${rows.join('\n')}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('computes the expected balances from the CSV alone', async () => {
    const expected = await independentPoints(csv, new Set(['85123A', '71053']), rules);
    expect(Object.fromEntries(expected)).toEqual({
      c17850: { points: 81, lifetimePoints: 81, tier: 'vip' },
      c13047: { points: 0, lifetimePoints: 0, tier: 'regular' },
    });
  });

  it('finds the engine in agreement, and a second replay changes nothing', async () => {
    const report = await checkOnlineRetailPoints(csv, rules);
    expect(report).toMatchObject({ customers: 2, mismatches: 0, appliedBySecondReplay: 0, changedBySecondReplay: 0 });
  });
});
