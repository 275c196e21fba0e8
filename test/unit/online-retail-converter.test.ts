import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OrderSchema } from '../../engine/contracts/orders.js';
import { EventInputSchema, ItemSchema, MemberImportSchema } from '../../engine/contracts/schemas.js';
import { convertOnlineRetail } from '../../scripts/convert-online-retail.js';
import { UsageError } from '../../scripts/lib/args.js';

const HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';
const SAMPLE = [
  HEADER,
  // Invoice 536365: 85123A twice (aggregated), a lantern, a POST fee line.
  '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850,United Kingdom',
  '536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom',
  '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,4,12/1/2010 8:27,2.05,17850,United Kingdom',
  '536365,POST,POSTAGE,1,12/1/2010 8:26,18,17850,United Kingdom',
  // Invoice 536366 (earlier): quoted description with a comma, CustomerID written as a float.
  '536366,22760,"TRAY, BREAKFAST IN BED",1,2010-11-30 10:00:00,12.75,14729.0,United Kingdom',
  // A quoted description spanning two lines and holding a doubled quote.
  '536366,22041,"RECORD FRAME 7"" SINGLE',
  'SIZE ",48,2010-11-30 10:00:00,2.1,14729,United Kingdom',
  // No customer: skipped for events, but its price counts for the item (median of 2.55, 2.05, 3.00).
  '536367,85123A,CREAM HANGING HEART T-LIGHT HOLDER,1,12/2/2010 9:00,3.00,,United Kingdom',
  // Zero price, negative quantity on a sale, bad date, a malformed record.
  '536368,71053,WHITE METAL LANTERN,1,12/2/2010 9:00,0,17850,United Kingdom',
  '536368,71053,WHITE METAL LANTERN,-2,12/2/2010 9:00,3.39,17850,United Kingdom',
  '536368,71053,WHITE METAL LANTERN,2,someday,3.39,17850,United Kingdom',
  '536368,71053,"WHITE METAL LANTERN"oops,2,12/2/2010 9:00,3.39,17850,United Kingdom',
  // A product whose only description is a note: not an item, its sale is dropped.
  '536369,99999,damaged,1,12/3/2010 9:00,1.00,17850,United Kingdom',
  // A cancellation, with a fee line and a product line.
  'C536379,D,Discount,-1,12/1/2010 9:41,27.5,17850,United Kingdom',
  'C536379,71053,WHITE METAL LANTERN,-2,12/1/2010 9:41,3.39,17850,United Kingdom',
  '',
].join('\n');

interface Outputs {
  items: Array<Record<string, unknown>>;
  members: Array<Record<string, unknown>>;
  events: Array<Record<string, unknown>>;
  orders: Array<Record<string, unknown>>;
}

async function readOutputs(dir: string): Promise<Outputs> {
  const read = async (name: string): Promise<Array<Record<string, unknown>>> =>
    (await readFile(join(dir, name), 'utf8'))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    items: await read('items.jsonl'),
    members: await read('members.jsonl'),
    events: await read('events.jsonl'),
    orders: await read('orders.jsonl'),
  };
}

describe('convertOnlineRetail', () => {
  let dir: string;
  const quiet = (): PassThrough => new PassThrough().resume();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pulse-or-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const gz of [false, true]) {
    it(`converts a small ${gz ? 'gzip ' : ''}CSV into items, members and one time-ordered file of purchases and cancellations`, async () => {
      const input = join(dir, gz ? 'retail.csv.gz' : 'retail.csv');
      await writeFile(input, gz ? gzipSync(SAMPLE) : SAMPLE);
      const out = join(dir, 'out');
      const stats = await convertOnlineRetail({ input, outDir: out, progressStream: quiet() });
      const { items, members, events, orders } = await readOutputs(out);

      expect(items).toEqual([
        { itemId: '22041', title: 'Record frame 7" single size', category: 'home-decor', price: 2.1, tags: ['record', 'frame', 'single'] },
        { itemId: '22760', title: 'Tray, breakfast in bed', category: 'kitchen', price: 12.75, tags: ['tray', 'breakfast', 'bed'] },
        { itemId: '71053', title: 'White metal lantern', category: 'candles-lights', price: 3.39, tags: ['white', 'metal', 'lantern'] },
        {
          itemId: '85123A',
          title: 'White hanging heart t-light holder',
          category: 'candles-lights',
          price: 2.55,
          tags: ['white', 'hanging', 'heart', 'tlight', 'holder'],
        },
      ]);
      for (const item of items) expect(ItemSchema.safeParse(item).success).toBe(true);

      // One member per customer, created at the first invoice; the email is a placeholder on .invalid.
      expect(members).toEqual([
        { memberId: 'c14729', email: 'c14729@online-retail.invalid', name: 'Customer 14729', createdAt: Date.UTC(2010, 10, 30, 10, 0) },
        { memberId: 'c17850', email: 'c17850@online-retail.invalid', name: 'Customer 17850', createdAt: Date.UTC(2010, 11, 1, 8, 26) },
      ]);
      for (const member of members) expect(MemberImportSchema.safeParse(member).success).toBe(true);

      // Sorted by time: 536366 (Nov 30) comes first, the cancellation of Dec 1 9:41 after the 8:26 order.
      expect(events).toEqual([
        {
          id: 'inv-536366',
          type: 'purchase',
          userId: 'c14729',
          orderId: '536366',
          ts: Date.UTC(2010, 10, 30, 10, 0),
          items: [
            { itemId: '22760', quantity: 1, price: 12.75 },
            { itemId: '22041', quantity: 48, price: 2.1 },
          ],
        },
        {
          id: 'inv-536365',
          type: 'purchase',
          userId: 'c17850',
          orderId: '536365',
          ts: Date.UTC(2010, 11, 1, 8, 26),
          // 6 x 2.55 + 4 x 2.05 = 23.5 for 10 units: the total is kept.
          items: [
            { itemId: '85123A', quantity: 10, price: 2.35 },
            { itemId: '71053', quantity: 6, price: 3.39 },
          ],
        },
        {
          id: 'can-C536379',
          type: 'purchase',
          userId: 'c17850',
          orderId: 'C536379',
          ts: Date.UTC(2010, 11, 1, 9, 41),
          items: [{ itemId: '71053', quantity: -2, price: 3.39 }],
        },
      ]);
      for (const event of events) expect(EventInputSchema.safeParse(event).success).toBe(true);

      // What earns points: each invoice a paid order (lines by itemId), the cancellation the
      // returned lanterns of the customer's only earlier order holding them, at that order's price.
      expect(orders).toEqual([
        {
          orderId: '536366',
          userId: 'c14729',
          status: 'paid',
          lines: [
            { itemId: '22041', quantity: 48, price: 2.1 },
            { itemId: '22760', quantity: 1, price: 12.75 },
          ],
          ts: Date.UTC(2010, 10, 30, 10, 0),
        },
        {
          orderId: '536365',
          userId: 'c17850',
          status: 'paid',
          lines: [
            { itemId: '71053', quantity: 6, price: 3.39 },
            { itemId: '85123A', quantity: 10, price: 2.35 },
          ],
          ts: Date.UTC(2010, 11, 1, 8, 26),
        },
        {
          orderId: '536365',
          userId: 'c17850',
          status: 'returned',
          lines: [{ itemId: '71053', quantity: 2, price: 3.39 }],
          ts: Date.UTC(2010, 11, 1, 9, 41),
        },
      ]);
      for (const order of orders) expect(OrderSchema.safeParse(order).success).toBe(true);

      expect(stats).toEqual({
        lines: 14,
        items: 4,
        customers: 2,
        members: 2,
        invoices: 2,
        cancellations: 1,
        lineItems: 4,
        raisedPrices: 0,
        orders: { paid: 2, returns: 1, returnedUnits: 2, unmatchedUnits: 0, repeatedUnits: 0, unmatchedCancellations: 0 },
        skipped: {
          non_product_code: 2,
          no_customer: 1,
          non_positive_price: 1,
          non_positive_quantity: 1,
          bad_date: 1,
          malformed_csv: 1,
          no_item: 1,
        },
      });
      // Only the four files: the temp files were renamed into place.
      expect((await readdir(out)).sort()).toEqual(['events.jsonl', 'items.jsonl', 'members.jsonl', 'orders.jsonl']);
    });
  }

  it('splits an invoice of more than 1,000 products into parts with the same orderId', async () => {
    const rows = [HEADER];
    for (let i = 0; i < 1001; i++) rows.push(`540000,${10000 + i},WOODEN TOY NUMBER ${i},1,2011-01-05 12:00,1.5,12345,France`);
    const input = join(dir, 'big.csv');
    await writeFile(input, rows.join('\r\n'));
    const stats = await convertOnlineRetail({ input, outDir: dir, progressStream: quiet() });
    const { events, orders } = await readOutputs(dir);
    expect(events.map((e) => [e.id, e.orderId, (e.items as unknown[]).length])).toEqual([
      ['inv-540000', '540000', 1000],
      ['inv-540000-2', '540000', 1],
    ]);
    // Orders hold at most 500 lines: three parts, lines by itemId.
    expect(orders.map((o) => [o.orderId, o.status, (o.lines as unknown[]).length])).toEqual([
      ['540000', 'paid', 500],
      ['540000-2', 'paid', 500],
      ['540000-3', 'paid', 1],
    ]);
    expect((orders[2]!.lines as Array<{ itemId: string }>)[0]!.itemId).toBe('11000');
    for (const order of orders) expect(OrderSchema.safeParse(order).success).toBe(true);
    expect(stats.invoices).toBe(1);
    expect(stats.lineItems).toBe(1001);
    expect(stats.orders).toMatchObject({ paid: 3, returns: 0 });
  });

  it("raises an item's price to 1/11 of its dearest invoice line, so every order passes ORDER_PRICE_TOLERANCE=10", async () => {
    const rows = [HEADER];
    for (let i = 0; i < 5; i++) rows.push(`54000${i},22041,RECORD FRAME SINGLE SIZE,1,2011-01-05 12:00,2,12345,France`);
    rows.push('540009,22041,RECORD FRAME SINGLE SIZE,1,2011-01-06 12:00,100,12345,France');
    const input = join(dir, 'dear.csv');
    await writeFile(input, rows.join('\n'));
    const stats = await convertOnlineRetail({ input, outDir: dir, progressStream: quiet() });
    const { items, orders } = await readOutputs(dir);
    // Median 2, but a line at 100: 100 / 11 = 9.0909 -> 9.10 (11 x 9.10 = 100.10 >= 100).
    expect(items.map((i) => i.price)).toEqual([9.1]);
    expect(stats.raisedPrices).toBe(1);
    expect(Math.max(...orders.flatMap((o) => (o.lines as Array<{ price: number }>).map((l) => l.price)))).toBeLessThanOrEqual(11 * 9.1);
  });

  it('fails clearly on a file without the needed columns and writes nothing', async () => {
    const input = join(dir, 'wrong.csv');
    await writeFile(input, 'a,b,c\n1,2,3\n');
    const out = join(dir, 'out');
    await expect(convertOnlineRetail({ input, outDir: out, progressStream: quiet() })).rejects.toThrow(UsageError);
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  });

  it('fails on an empty file', async () => {
    const input = join(dir, 'empty.csv');
    await writeFile(input, '');
    await expect(convertOnlineRetail({ input, outDir: dir, progressStream: quiet() })).rejects.toThrow(/is empty/);
  });
});
