import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customersFromCsv, dayAfterLastInvoice, expectedAt, readDate, splitRecord } from '../../scripts/online-retail/independent-rfm.js';

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

describe('the independent RFM of check:profiles', () => {
  let dir: string;
  let csv: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pulse-rfm-'));
    csv = join(dir, 'retail.csv');
    await writeFile(csv, `${header}\n${rows.join('\n')}\n`);
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

  it('aggregates the rows that count per customer', async () => {
    const customers = await customersFromCsv(csv, new Set(['A1']));
    expect(Object.fromEntries(customers)).toEqual({
      c17850: { userId: 'c17850', firstAt: Date.UTC(2011, 0, 5, 9, 30), lastEventAt: Date.UTC(2011, 1, 1, 10), lastPurchaseAt: Date.UTC(2011, 0, 5, 9, 30), orders: 1, spend: 700 },
      c12345: { userId: 'c12345', firstAt: Date.UTC(2011, 11, 9, 12, 50), lastEventAt: Date.UTC(2011, 11, 9, 12, 50), lastPurchaseAt: Date.UTC(2011, 11, 9, 12, 50), orders: 1, spend: 5 },
    });
    expect(dayAfterLastInvoice(customers.values())).toBe(Date.UTC(2011, 11, 10));
  });

  it('scores and segments on the README bands', () => {
    const c = { userId: 'c1', firstAt: 0, lastEventAt: 0, lastPurchaseAt: 0, orders: 0, spend: -5 };
    const at = 400 * DAY;
    expect(expectedAt(c, at, thresholds)).toEqual({ recencyDays: null, frequency: 0, monetary: -5, scores: { recency: 1, frequency: 1, monetary: 1 }, segments: [] });
    const buyer = { ...c, firstAt: at - 10 * DAY, lastEventAt: at - 7 * DAY, lastPurchaseAt: at - 90 * DAY - 1, orders: 10, spend: 1000 };
    expect(expectedAt(buyer, at, thresholds)).toEqual({ recencyDays: 90, frequency: 10, monetary: 1000, scores: { recency: 3, frequency: 4, monetary: 4 }, segments: ['new', 'active', 'lapsing', 'big_spender'] });
    expect(expectedAt({ ...buyer, lastPurchaseAt: at - 30 * DAY }, at, thresholds).scores.recency).toBe(5);
    expect(expectedAt({ ...buyer, lastPurchaseAt: at - 366 * DAY }, at, thresholds)).toMatchObject({ scores: { recency: 1 }, segments: ['new', 'active', 'big_spender'] });
  });
});
