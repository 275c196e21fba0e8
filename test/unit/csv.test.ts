import { describe, expect, it } from 'vitest';
import { CsvError, isCsvRecordComplete, parseCsvRecord } from '../../scripts/lib/csv.js';
import { convertCsvLines } from '../../scripts/online-retail/converter.js';

const HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country';
/** A stray quote in an unquoted field, then three ordinary rows and a quoted one. */
const STRAY = [
  HEADER,
  '536365,21730,WHITE 5" PHOTO FRAME,6,12/1/2010 8:26,2.55,17850,United Kingdom',
  '536365,71053,WHITE METAL LANTERN,6,12/1/2010 8:26,3.39,17850,United Kingdom',
  '536365,84406B,CREAM CUPID HEARTS COAT HANGER,8,12/1/2010 8:26,2.75,17850,United Kingdom',
  '536365,84029G,KNITTED UNION FLAG HOT WATER BOTTLE,6,12/1/2010 8:26,3.39,17850,United Kingdom',
  '536366,22041,"RECORD FRAME 7"" SINGLE SIZE ",48,12/1/2010 8:28,2.1,17850,United Kingdom',
];

async function* linesOf(lines: string[]): AsyncGenerator<string> {
  yield* lines;
}

/** What the line readers do (converter.ts, independent-points.ts): join lines until whole, parse. */
function records(lines: string[]): string[][] {
  const out: string[][] = [];
  let pending = '';
  for (const line of lines) {
    pending = pending === '' ? line : `${pending}\n${line}`;
    if (!isCsvRecordComplete(pending)) continue;
    out.push(parseCsvRecord(pending));
    pending = '';
  }
  expect(pending).toBe('');
  return out;
}

describe('CSV records (scripts/lib/csv.ts)', () => {
  it('keeps every row after an unquoted field holding a quote, each with its own fields', () => {
    expect(isCsvRecordComplete(STRAY[1]!)).toBe(true);
    const rows = records(STRAY);
    expect(rows).toHaveLength(STRAY.length);
    expect(rows.map((row) => row.length)).toEqual(STRAY.map(() => 8));
    expect(rows[1]).toEqual(['536365', '21730', 'WHITE 5" PHOTO FRAME', '6', '12/1/2010 8:26', '2.55', '17850', 'United Kingdom']);
    expect(rows.slice(2).map((row) => [row[1], row[2], row[5]])).toEqual([
      ['71053', 'WHITE METAL LANTERN', '3.39'],
      ['84406B', 'CREAM CUPID HEARTS COAT HANGER', '2.75'],
      ['84029G', 'KNITTED UNION FLAG HOT WATER BOTTLE', '3.39'],
      ['22041', 'RECORD FRAME 7" SINGLE SIZE ', '2.1'],
    ]);
  });

  it('converts every row of such a file: no row is skipped as malformed', async () => {
    const { items, events, stats } = await convertCsvLines(linesOf(STRAY), (message) => new Error(message));
    expect(stats.lines).toBe(STRAY.length - 1);
    expect(stats.skipped).toEqual({});
    expect(items.map((item) => [item.itemId, item.title, item.price])).toEqual([
      ['21730', 'White 5" photo frame', 2.55],
      ['22041', 'Record frame 7" single size', 2.1],
      ['71053', 'White metal lantern', 3.39],
      ['84029G', 'Knitted union flag hot water bottle', 3.39],
      ['84406B', 'Cream cupid hearts coat hanger', 2.75],
    ]);
    expect(events.flatMap((event) => event.items.map((line) => line.itemId)).sort()).toEqual([
      '21730',
      '22041',
      '71053',
      '84029G',
      '84406B',
    ]);
  });

  it('keeps stray quotes in several fields and a quoted field spanning lines after one', () => {
    expect(records(['a,5" x,b"c"d', 'e,"two', 'lines",f'])).toEqual([
      ['a', '5" x', 'b"c"d'],
      ['e', 'two\nlines', 'f'],
    ]);
    expect(parseCsvRecord('a, "b",c')).toEqual(['a', ' "b"', 'c']);
  });

  it('refuses an unterminated quoted field and text after a closing quote, naming the column', () => {
    expect(() => parseCsvRecord('a,"open')).toThrow(/unterminated quoted field at column 3/);
    expect(() => parseCsvRecord('ä,"clösed"junk,b')).toThrow(/after a closing quote at column 11/);
    expect(() => parseCsvRecord('"a""b"c')).toThrow(/after a closing quote at column 7/);
    expect(() => parseCsvRecord('"a" ,b')).toThrow(CsvError);
    expect(isCsvRecordComplete('a,"open')).toBe(false);
    expect(isCsvRecordComplete('a,5" x,"q""')).toBe(false);
  });
});
