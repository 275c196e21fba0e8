import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLines } from '../../scripts/lib/jsonl.js';
import { convertCsvLines } from '../../scripts/online-retail/converter.js';
import { customersFromCsv, dayAfterLastInvoice, expectedAt, readDate, splitRecord } from '../../scripts/online-retail/independent-rfm.js';
import { ordersOf } from '../../scripts/online-retail/orders.js';

const DAY = 86_400_000;
const thresholds = { newDays: 30, activeDays: 7, lapsingMinDays: 60, lapsingMaxDays: 365, bigSpender: 1000 };
const header = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';
const rows = [
  '1001,A1,"LAMP, ""OAK""",2,1/5/2011 10:00,300,17850.0,UK',
  '1001,A1,LAMP,1,1/5/2011 09:30,400,17850,UK',
  '1001,POST,POSTAGE,1,1/5/2011 10:00,18,17850,UK', // not a catalog item
  'C1002,A1,LAMP,-1,2/1/2011 10:00,300,17850,UK',
  '1003,A1,LAMP,3,2/2/2011 10:00,0,17850,UK', // price 0
  '1004,A1,LAMP,2,2/3/2011 10:00,5,,UK', // no customer
  '1005,A1,LAMP,1,12/9/2011 12:50,5,12345,UK',
  '1005,A1,LAMP,1,12/9/2011 12:50,5,99999,UK', // the invoice is 12345's
  'C1006,A1,LAMP,2,3/3/2011 10:00,5,12345,UK', // a cancellation with a positive quantity
];
/**
 * Returns matched to orders (c20000): 2001 (2 A1 at 10) and 2002 (1 A1 at 12, 1 B1 at 5) paid, 37.
 * C2003 takes 2 A1 back, newest order first: 1 of 2002 (12) and 1 of 2001 (10): 15. C2004's 5 A1
 * could only come from 2001 (1 left), as 1 A1 again: a repeat of 2001's return, so skipped: 15.
 * C2005 returns 2002's B1 (5): 10. C2006's C1 is held by no order: 10. c30000: a cancellation at
 * the same time as its only invoice comes first (`can-` before `inv-`), so it matches nothing.
 * c40000: one invoice of 501 products is two orders (500 lines and 1).
 */
const matchingRows = [
  '2001,A1,LAMP,2,1/1/2011 10:00,10,20000,UK',
  '2002,A1,LAMP,1,1/2/2011 10:00,12,20000,UK',
  '2002,B1,VASE,1,1/2/2011 10:00,5,20000,UK',
  'C2003,A1,LAMP,-2,1/3/2011 10:00,10,20000,UK',
  'C2004,A1,LAMP,-5,1/4/2011 10:00,10,20000,UK',
  'C2005,B1,VASE,-1,1/5/2011 10:00,5,20000,UK',
  'C2006,C1,CUP,-1,1/6/2011 10:00,3,20000,UK',
  '2007,C1,CUP,1,1/7/2011 10:00,3,20001,UK',
  'C3001,A1,LAMP,-1,2/1/2011 10:00,7,30000,UK',
  '3002,A1,LAMP,1,2/1/2011 10:00,7,30000,UK',
  ...Array.from({ length: 501 }, (_, i) => `4001,P${String(i).padStart(3, '0')},ITEM,1,3/1/2011 10:00,1.5,40000,UK`),
];

describe('the independent RFM of check:profiles', () => {
  let dir: string;
  let csv: string;
  let matchingCsv: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pulse-rfm-'));
    csv = join(dir, 'retail.csv');
    await writeFile(csv, `${header}\n${rows.join('\n')}\n`);
    matchingCsv = join(dir, 'matching.csv');
    await writeFile(matchingCsv, `${header}\n${matchingRows.join('\n')}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('splits quoted fields and reads both date forms as UTC, refusing impossible dates', () => {
    expect(splitRecord('1,"a, ""b""",,x')).toEqual(['1', 'a, "b"', '', 'x']);
    expect(readDate('12/9/2011 12:50')).toBe(Date.UTC(2011, 11, 9, 12, 50));
    expect(readDate('2011-12-09 12:50:30')).toBe(Date.UTC(2011, 11, 9, 12, 50, 30));
    expect(readDate('2/30/2011 10:00')).toBeUndefined();
    expect(readDate('yesterday')).toBeUndefined();
  });

  it("aggregates the rows that count per customer, at the orders' prices", async () => {
    const customers = await customersFromCsv(csv, new Set(['A1']));
    // 1001: 3 lamps for 1,000, at 333.3333 each (4 decimals) = 999.9999; C1002 returns one of them at that price.
    expect(Object.fromEntries(customers)).toEqual({
      c17850: {
        userId: 'c17850',
        firstAt: Date.UTC(2011, 0, 5, 9, 30),
        lastEventAt: Date.UTC(2011, 1, 1, 10),
        lastPurchaseAt: Date.UTC(2011, 0, 5, 9, 30),
        orders: 1,
        spend: expect.closeTo(666.6666, 9),
      },
      c12345: {
        userId: 'c12345',
        firstAt: Date.UTC(2011, 11, 9, 12, 50),
        lastEventAt: Date.UTC(2011, 11, 9, 12, 50),
        lastPurchaseAt: Date.UTC(2011, 11, 9, 12, 50),
        orders: 1,
        spend: 5,
      },
    });
    expect(dayAfterLastInvoice(customers.values())).toBe(Date.UTC(2011, 11, 10));
  });

  it('takes cancellations back from the newest orders holding the items, at their paid prices, skipping repeated returns', async () => {
    const catalog = new Set(['A1', 'B1', 'C1', ...Array.from({ length: 501 }, (_, i) => `P${String(i).padStart(3, '0')}`)]);
    const customers = await customersFromCsv(matchingCsv, catalog);
    expect(customers.get('c20000')).toEqual({
      userId: 'c20000',
      firstAt: Date.UTC(2011, 0, 1, 10),
      lastEventAt: Date.UTC(2011, 0, 6, 10),
      lastPurchaseAt: Date.UTC(2011, 0, 2, 10),
      orders: 2,
      spend: 10,
    });
    expect(customers.get('c30000')).toEqual({
      userId: 'c30000',
      firstAt: Date.UTC(2011, 1, 1, 10),
      lastEventAt: Date.UTC(2011, 1, 1, 10),
      lastPurchaseAt: Date.UTC(2011, 1, 1, 10),
      orders: 1,
      spend: 7,
    });
    expect(customers.get('c40000')).toMatchObject({ orders: 2, spend: 751.5 });
  });

  it("agrees with the converter's orders.jsonl summed as the engine books it (paid totals minus returned lines)", async () => {
    for (const file of [csv, matchingCsv]) {
      const source = await openLines(file);
      const converted = await convertCsvLines(source.lines, (message) => new Error(message)).finally(() => source.close());
      const { orders } = ordersOf(converted.events, converted.cancellations);
      const fromOrders = new Map<string, { orders: number; spend: number }>();
      for (const order of orders) {
        const total = order.lines.reduce((sum, line) => sum + line.quantity * line.price, 0);
        const c = fromOrders.get(order.userId) ?? { orders: 0, spend: 0 };
        c.orders += order.status === 'paid' && total > 0 ? 1 : 0;
        c.spend += order.status === 'paid' ? total : -total;
        fromOrders.set(order.userId, c);
      }
      const customers = await customersFromCsv(file, new Set(converted.items.map((item) => item.itemId)));
      for (const [userId, c] of customers) {
        const want = fromOrders.get(userId) ?? { orders: 0, spend: 0 };
        expect(c.orders, `${file} ${userId}`).toBe(want.orders);
        expect(c.spend, `${file} ${userId}`).toBeCloseTo(want.spend, 9);
      }
      expect([...fromOrders.keys()].every((userId) => customers.has(userId))).toBe(true);
    }
  });

  it('scores and segments on the README bands', () => {
    const c = { userId: 'c1', firstAt: 0, lastEventAt: 0, lastPurchaseAt: 0, orders: 0, spend: -5 };
    const at = 400 * DAY;
    expect(expectedAt(c, at, thresholds)).toEqual({
      recencyDays: null,
      frequency: 0,
      monetary: -5,
      scores: { recency: 1, frequency: 1, monetary: 1 },
      segments: [],
    });
    const buyer = { ...c, firstAt: at - 10 * DAY, lastEventAt: at - 7 * DAY, lastPurchaseAt: at - 90 * DAY - 1, orders: 10, spend: 1000 };
    expect(expectedAt(buyer, at, thresholds)).toEqual({
      recencyDays: 90,
      frequency: 10,
      monetary: 1000,
      scores: { recency: 3, frequency: 4, monetary: 4 },
      segments: ['new', 'active', 'lapsing', 'big_spender'],
    });
    expect(expectedAt({ ...buyer, lastPurchaseAt: at - 30 * DAY }, at, thresholds).scores.recency).toBe(5);
    expect(expectedAt({ ...buyer, lastPurchaseAt: at - 366 * DAY }, at, thresholds)).toMatchObject({
      scores: { recency: 1 },
      segments: ['new', 'active', 'big_spender'],
    });
  });
});
