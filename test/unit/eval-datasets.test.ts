import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError, predictionCount } from '../../scripts/eval/dataset.js';
import { buildOnlineRetail, convertOnlineRetailFile, readOnlineRetail } from '../../scripts/eval/online-retail.js';
import { buildYoochoose, parseClicks, readYoochoose, YOOCHOOSE_CATEGORY } from '../../scripts/eval/yoochoose.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pulse-eval-data-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const T0 = 1_396_000_000; // epoch seconds, as in the YooChoose files

function tsv(rows: Array<[number, string, number]>): string {
  return `${['SessionId\tItemId\tTime', ...rows.map(([s, i, t]) => `${s}\t${i}\t${t}`)].join('\n')}\n`;
}

describe('YooChoose', () => {
  it('parses clicks: seconds to ms, ids checked, empty lines skipped', () => {
    const rows = parseClicks(['SessionId\tItemId\tTime', '7\t214536502\t1396860669.277', '', '7\t214536506\t1396860886.998'], 'f.tsv');
    expect(rows).toEqual([
      { sessionId: '7', itemId: '214536502', ts: 1_396_860_669_277 },
      { sessionId: '7', itemId: '214536506', ts: 1_396_860_886_998 },
    ]);
  });

  it('names the file and line of a bad header, field count, id or time', () => {
    expect(() => parseClicks(['a\tb\tc'], 'f.tsv')).toThrow(/f\.tsv:1: expected the header/);
    expect(() => parseClicks(['SessionId\tItemId\tTime', '1\t2'], 'f.tsv')).toThrow(/f\.tsv:2: expected 3 tab-separated fields/);
    expect(() => parseClicks(['SessionId\tItemId\tTime', '1\tbad item\t5'], 'f.tsv')).toThrow(DatasetError);
    expect(() => parseClicks(['SessionId\tItemId\tTime', '1\t2\tsoon'], 'f.tsv')).toThrow(/f\.tsv:2: bad Time/);
    expect(() => parseClicks([], 'f.tsv')).toThrow(/empty/);
  });

  it('applies the protocol: unknown items removed, each next click predicted, re-clicks counted', () => {
    const train = parseClicks(
      tsv([
        [1, 'a', T0],
        [1, 'b', T0 + 10],
        [2, 'c', T0 + 20],
        [2, 'a', T0 + 30],
      ]).split('\n'),
      'train',
    );
    // Session 10: a, x (unknown), b, b -> a, b, b: 2 predictions (b new, b a re-click of the last).
    // Session 11: c alone -> applied, not scored. Session 12: x, y -> nothing known: dropped.
    const test = parseClicks(
      tsv([
        [10, 'a', T0 + 100],
        [11, 'c', T0 + 101],
        [10, 'x', T0 + 102],
        [10, 'b', T0 + 103],
        [12, 'x', T0 + 104],
        [12, 'y', T0 + 105],
        [10, 'b', T0 + 106],
      ]).split('\n'),
      'test',
    );
    const ds = buildYoochoose(train, test);
    expect(ds.items.map((i) => i.itemId)).toEqual(['a', 'b', 'c']);
    expect(ds.items[0]).toEqual({ itemId: 'a', title: 'a', category: YOOCHOOSE_CATEGORY, price: 0 });
    expect(ds.train.map((e) => [e.userId, e.type, 'itemId' in e ? e.itemId : '', e.ts])).toEqual([
      ['s1', 'view', 'a', T0 * 1000],
      ['s1', 'view', 'b', (T0 + 10) * 1000],
      ['s2', 'view', 'c', (T0 + 20) * 1000],
      ['s2', 'view', 'a', (T0 + 30) * 1000],
    ]);
    expect(ds.test.map((s) => [s.event.userId, 'itemId' in s.event ? s.event.itemId : '', s.relevant ?? null, s.repeats ?? null])).toEqual([
      ['s10', 'a', null, null],
      ['s11', 'c', null, null],
      ['s10', 'b', ['b'], 0],
      ['s10', 'b', ['b'], 1],
    ]);
    expect(predictionCount(ds)).toBe(2);
    expect(ds.facts).toMatchObject({ predictions: 2, repeatTargets: 1, sameAsLastClick: 1, testClicksOnUnknownItems: 3, testSessions: 2 });
    // Event ids are unique per user (the engine dedupes by user + id).
    const ids = [...ds.train, ...ds.test.map((s) => s.event)].map((e) => `${e.userId}/${e.id}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('reads the gzipped pair of files from a directory', async () => {
    const sub = join(dir, 'yoochoose');
    await mkdir(sub);
    await writeFile(
      join(sub, 'train_full.tsv.gz'),
      gzipSync(
        tsv([
          [1, 'a', T0],
          [1, 'b', T0 + 1],
        ]),
      ),
    );
    await writeFile(
      join(sub, 'test.tsv.gz'),
      gzipSync(
        tsv([
          [5, 'a', T0 + 50],
          [5, 'b', T0 + 51],
        ]),
      ),
    );
    const ds = await readYoochoose(sub);
    expect(predictionCount(ds)).toBe(1);
    await expect(readYoochoose(join(dir, 'missing'))).rejects.toThrow(/cannot read/);
  });
});

const CSV_HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';

describe('Online Retail', () => {
  const lines = [
    CSV_HEADER,
    // Customer 1: two invoices before the cut-off (Oct 9), one after.
    '500001,10001,WHITE HEART LANTERN,6,9/1/2011 10:00,2.55,1,United Kingdom',
    '500001,10002,RED RETROSPOT MUG,4,9/1/2011 10:00,1.25,1,United Kingdom',
    '500002,10003,BLUE PAPER BUNTING,12,9/20/2011 9:00,0.85,1,United Kingdom',
    '500010,10001,WHITE HEART LANTERN,6,10/20/2011 11:00,2.55,1,United Kingdom',
    '500010,10004,PINK GARDEN CANDLE,2,10/20/2011 11:00,3.10,1,United Kingdom',
    // Customer 2: first invoice after the cut-off (applied, not scored), then a second one (scored).
    '500011,10002,RED RETROSPOT MUG,1,10/21/2011 8:00,1.25,2,France',
    '500012,10003,BLUE PAPER BUNTING,3,11/2/2011 8:00,0.85,2,France',
    '500012,10003,BLUE PAPER BUNTING,1,11/2/2011 8:00,0.85,2,France',
    // Skipped by the converter: a cancellation, a postage line, a line without customer.
    'C500013,10001,WHITE HEART LANTERN,-1,11/3/2011 8:00,2.55,1,United Kingdom',
    '500014,POST,POSTAGE,1,11/3/2011 8:00,18.00,1,United Kingdom',
    '500015,10004,PINK GARDEN CANDLE,1,11/4/2011 8:00,3.10,,United Kingdom',
  ];

  it('splits by time and scores each later invoice of a returning customer against its distinct items', async () => {
    const path = join(dir, 'retail.csv');
    await writeFile(path, `${lines.join('\n')}\n`);
    const ds = await readOnlineRetail(path);
    expect(ds.items.map((i) => i.itemId)).toEqual(['10001', '10002', '10003', '10004']);
    expect(ds.train.map((e) => e.id)).toEqual(['inv-500001', 'inv-500002']);
    expect(ds.test.map((s) => [s.event.id, s.event.userId, s.relevant ? [...s.relevant].sort() : null, s.repeats ?? null])).toEqual([
      ['inv-500010', 'c1', ['10001', '10004'], 1],
      ['inv-500011', 'c2', null, null],
      ['inv-500012', 'c2', ['10003'], 0],
    ]);
    expect(ds.facts).toMatchObject({
      trainInvoices: 2,
      testInvoices: 3,
      firstInvoicesNotScored: 1,
      predictions: 2,
      customersScored: 2,
      repeatItemShare: 0.333,
    });
    // Same result from a gzipped file, through the converter pieces.
    const gz = join(dir, 'retail.csv.gz');
    await writeFile(gz, gzipSync(`${lines.join('\n')}\n`));
    const converted = await convertOnlineRetailFile(gz);
    expect(buildOnlineRetail(converted, Date.UTC(2011, 9, 9)).test.length).toBe(3);
  });

  it('moves the cut-off and refuses a bad one or a file that is not the data set', async () => {
    const path = join(dir, 'retail2.csv');
    await writeFile(path, `${lines.join('\n')}\n`);
    const converted = await convertOnlineRetailFile(path);
    const early = buildOnlineRetail(converted, Date.UTC(2011, 8, 10));
    expect(early.train.map((e) => e.id)).toEqual(['inv-500001']);
    expect(predictionCount(early)).toBe(3); // 500002, 500010 of c1; 500012 of c2
    expect(() => buildOnlineRetail(converted, Number.NaN)).toThrow(RangeError);
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, 'a,b,c\n1,2,3\n');
    await expect(convertOnlineRetailFile(bad)).rejects.toThrow(/lacks column/);
    await expect(convertOnlineRetailFile(join(dir, 'none.csv'))).rejects.toThrow(/cannot read/);
  });
});
