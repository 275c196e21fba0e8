import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOnlineRetailPoints, independentPoints } from '../../scripts/check-online-retail-points.js';
import { ordersOf } from '../../scripts/online-retail/orders.js';

const rules = { rates: { regular: 1, vip: 1.5, enterprise: 2 }, vip: 100, enterprise: 1000 };
const header = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';
/**
 * c17850, by hand (rates 1 / 1.5, VIP at 100):
 * - A 536365: 22041 4 x 2.5 + 85123A 2 x 30.25 = 70.5 -> 71, shared 10 (22041) and 61 (85123A: 60.93, the largest remainder).
 * - D 536366: 85123A 1 x 30.25 -> 30: 101, VIP.  B 536367: 71053 1 x 50 at VIP -> 75: 176.
 * - C536368 takes back 1 x 85123A: newest order holding it is D -> -30: 146.  C 536369: 71053 1 x 10 at VIP -> 15: 161.
 * - C536370: 85123A x1 from A (D has none left) -> round-half-up(61 / 2) = 31; 71053 x2 from C (1) and B (1) -> 15 + 75: 40.
 * - C536371: 85123A x1 would be A again with the same lines as its earlier return: A is skipped, nothing else holds it: left out.
 * - C536372: 22041 x10: A holds 4 -> -10 (6 units left out): 30. Nine order statuses: 4 paid, 5 returns.
 * c13047: 7.5 -> 8 and its return -> 0.  c12345: only a cancellation, nothing to take back.  c15000: 25.
 * The POST (postage) row and the row without customer count for nobody.
 */
const rows = [
  '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,2,12/1/2010 8:26,30.25,17850,United Kingdom',
  '536365,22041,RECORD FRAME SINGLE SIZE,4,12/1/2010 8:26,2.5,17850,United Kingdom',
  '536366,85123A,WHITE HANGING HEART T-LIGHT HOLDER,1,12/1/2010 9:00,30.25,17850,United Kingdom',
  '536367,71053,WHITE METAL LANTERN,1,12/2/2010 9:00,50,17850,United Kingdom',
  '536367,POST,POSTAGE,1,12/2/2010 9:00,18,17850,United Kingdom',
  'C536368,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-1,12/3/2010 9:00,30.25,17850,United Kingdom',
  '536369,71053,WHITE METAL LANTERN,1,12/4/2010 9:00,10,17850,United Kingdom',
  'C536370,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-1,12/5/2010 9:00,30.25,17850,United Kingdom',
  'C536370,71053,WHITE METAL LANTERN,-2,12/5/2010 9:00,10,17850,United Kingdom',
  'C536371,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-1,12/6/2010 9:00,30.25,17850,United Kingdom',
  'C536372,22041,RECORD FRAME SINGLE SIZE,-10,12/7/2010 9:00,2.5,17850,United Kingdom',
  '536380,71053,WHITE METAL LANTERN,1,12/1/2010 10:00,7.5,13047,United Kingdom',
  'C536381,71053,WHITE METAL LANTERN,-1,12/1/2010 11:00,7.5,13047,United Kingdom',
  'C536382,22041,RECORD FRAME SINGLE SIZE,-2,12/1/2010 12:00,2.5,12345,France',
  '536373,22041,RECORD FRAME SINGLE SIZE,10,12/5/2010 10:00,2.5,15000,France',
  '536374,71053,WHITE METAL LANTERN,3,12/1/2010 11:00,7.5,,United Kingdom',
];
const EXPECTED = {
  c17850: { points: 30, lifetimePoints: 30, tier: 'vip', orders: 9 },
  c13047: { points: 0, lifetimePoints: 0, tier: 'regular', orders: 2 },
  c12345: { points: 0, lifetimePoints: 0, tier: 'regular', orders: 0 },
  c15000: { points: 25, lifetimePoints: 25, tier: 'regular', orders: 1 },
};

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
    const expected = await independentPoints(csv, new Set(['85123A', '71053', '22041']), rules);
    expect(Object.fromEntries(expected)).toEqual(EXPECTED);
  });

  it('finds the engine in agreement through orders, and a second replay changes nothing', async () => {
    // A wholesale history: line prices far from the median catalog price (71053: 50 vs 8.75).
    const report = await checkOnlineRetailPoints(csv, rules, 10);
    expect(report.lines.join('\n')).not.toContain('refused');
    expect(report).toMatchObject({ customers: 4, mismatches: 0, appliedBySecondReplay: 0, changedBySecondReplay: 0 });
  });

  it('reports what the engine refused at the default price tolerance, and the mismatches that follow', async () => {
    const report = await checkOnlineRetailPoints(csv, rules, 0.05);
    expect(report.lines.join('\n')).toMatch(/refused by the engine's order checks \(ORDER_PRICE_TOLERANCE=0\.05\): \d+ price_mismatch/);
    expect(report.mismatches).toBeGreaterThan(0);
  });
});

describe('orders of the online-retail conversion (online-retail/orders.ts)', () => {
  const paid = (orderId: string, userId: string, ts: number, items: Array<[string, number, number]>) => ({
    id: `inv-${orderId}`,
    userId,
    orderId,
    ts,
    items: items.map(([itemId, quantity, price]) => ({ itemId, quantity, price })),
  });
  const cancel = (no: string, userId: string, ts: number, items: Array<[string, number, number]>) => ({
    id: `can-${no}`,
    userId,
    ts,
    items: items.map(([itemId, quantity, price]) => ({ itemId, quantity: -quantity, price })),
  });

  it('takes back from the newest orders first, one return per cancellation and order, at the paid price', () => {
    const { orders, stats } = ordersOf(
      [
        paid('1', 'u', 1, [
          ['b', 5, 2],
          ['a', 3, 1],
        ]),
        paid('2', 'u', 2, [['a', 2, 1.5]]),
        paid('3', 'v', 2, [['a', 9, 1]]),
      ],
      [cancel('C1', 'u', 3, [['a', 4, 9.99]])],
    );
    expect(orders).toEqual([
      {
        orderId: '1',
        userId: 'u',
        status: 'paid',
        lines: [
          { itemId: 'a', quantity: 3, price: 1 },
          { itemId: 'b', quantity: 5, price: 2 },
        ],
        ts: 1,
      },
      { orderId: '2', userId: 'u', status: 'paid', lines: [{ itemId: 'a', quantity: 2, price: 1.5 }], ts: 2 },
      { orderId: '3', userId: 'v', status: 'paid', lines: [{ itemId: 'a', quantity: 9, price: 1 }], ts: 2 },
      { orderId: '1', userId: 'u', status: 'returned', lines: [{ itemId: 'a', quantity: 2, price: 1 }], ts: 3 },
      { orderId: '2', userId: 'u', status: 'returned', lines: [{ itemId: 'a', quantity: 2, price: 1.5 }], ts: 3 },
    ]);
    expect(stats).toEqual({ paid: 3, returns: 2, returnedUnits: 4, unmatchedUnits: 0, repeatedUnits: 0, unmatchedCancellations: 0 });
  });

  it('never repeats a return of one order (it would read as a retry), and leaves out what nothing holds', () => {
    const { orders, stats } = ordersOf(
      [paid('1', 'u', 1, [['a', 4, 1]]), paid('2', 'u', 2, [['a', 1, 1]])],
      [
        cancel('C1', 'u', 3, [['a', 1, 1]]),
        cancel('C2', 'u', 4, [['a', 1, 1]]),
        cancel('C3', 'u', 5, [['a', 1, 1]]),
        cancel('C4', 'u', 6, [['z', 1, 1]]),
        cancel('C0', 'u', 0, [['a', 1, 1]]),
      ],
    );
    // C0 comes before any order; C1 takes order 2's unit; C2 takes one of order 1; C3 would repeat C2's return of order 1.
    expect(orders.filter((o) => o.status === 'returned').map((o) => [o.orderId, o.ts, o.lines])).toEqual([
      ['2', 3, [{ itemId: 'a', quantity: 1, price: 1 }]],
      ['1', 4, [{ itemId: 'a', quantity: 1, price: 1 }]],
    ]);
    expect(stats).toEqual({ paid: 2, returns: 2, returnedUnits: 2, unmatchedUnits: 3, repeatedUnits: 1, unmatchedCancellations: 3 });
  });
});
