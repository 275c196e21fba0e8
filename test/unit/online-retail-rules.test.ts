import { describe, expect, it } from 'vitest';
import { CsvError, isCsvRecordComplete, parseCsvRecord } from '../../scripts/lib/csv.js';
import { categoryOf, isProductCode, isUsableDescription, sentenceCase, tagsOf } from '../../scripts/online-retail/catalog-rules.js';
import { columnsOf, median, parseInvoiceDate } from '../../scripts/online-retail/converter.js';

/** The Online Retail converter's building blocks: CSV records and the field rules (split from online-retail-converter.test.ts). */

describe('CSV records (RFC 4180)', () => {
  it('splits plain fields, keeping empty ones', () => {
    expect(parseCsvRecord('a,b,c')).toEqual(['a', 'b', 'c']);
    expect(parseCsvRecord('a,,c,')).toEqual(['a', '', 'c', '']);
    expect(parseCsvRecord('')).toEqual(['']);
    expect(parseCsvRecord(',')).toEqual(['', '']);
  });

  it('reads quoted fields with commas, doubled quotes and line breaks', () => {
    expect(parseCsvRecord('536381,82567,"AIRLINE LOUNGE,METAL SIGN",2')).toEqual(['536381', '82567', 'AIRLINE LOUNGE,METAL SIGN', '2']);
    expect(parseCsvRecord('x,"RECORD FRAME 7"" SINGLE SIZE ",y')).toEqual(['x', 'RECORD FRAME 7" SINGLE SIZE ', 'y']);
    expect(parseCsvRecord('"",""""')).toEqual(['', '"']);
    expect(parseCsvRecord('"two\nlines",z')).toEqual(['two\nlines', 'z']);
    expect(parseCsvRecord('a,"b"')).toEqual(['a', 'b']);
  });

  it('keeps a stray quote inside an unquoted field', () => {
    expect(parseCsvRecord('a,5" wide,c')).toEqual(['a', '5" wide', 'c']);
  });

  it('rejects an open quote and text after a closing quote', () => {
    expect(() => parseCsvRecord('a,"open')).toThrow(CsvError);
    expect(() => parseCsvRecord('a,"closed"junk,b')).toThrow(/after a closing quote at column 11/);
  });

  it('knows when a record continues on the next line', () => {
    expect(isCsvRecordComplete('a,b')).toBe(true);
    expect(isCsvRecordComplete('a,"b')).toBe(false);
    expect(isCsvRecordComplete('a,"b\nc",d')).toBe(true);
    expect(isCsvRecordComplete('a,"7"" frame')).toBe(false);
  });
});

describe('field rules', () => {
  it('reads both date formats as UTC and refuses impossible dates', () => {
    expect(parseInvoiceDate('12/1/2010 8:26')).toBe(Date.UTC(2010, 11, 1, 8, 26));
    expect(parseInvoiceDate('2010-12-01 08:26:00')).toBe(Date.UTC(2010, 11, 1, 8, 26));
    expect(parseInvoiceDate('2011-06-30T17:05')).toBe(Date.UTC(2011, 5, 30, 17, 5));
    expect(parseInvoiceDate(' 6/30/2011 17:05:09 ')).toBe(Date.UTC(2011, 5, 30, 17, 5, 9));
    expect(parseInvoiceDate('2/30/2011 10:00')).toBeUndefined();
    expect(parseInvoiceDate('2011-02-01 25:00')).toBeUndefined();
    expect(parseInvoiceDate('yesterday')).toBeUndefined();
    expect(parseInvoiceDate('')).toBeUndefined();
  });

  it('tells products from fees and adjustments', () => {
    for (const code of ['85123A', '22423', '84029G', '15056BL', 'DCGS0076']) expect(isProductCode(code), code).toBe(true);
    for (const code of [
      'POST',
      'DOT',
      'M',
      'm',
      'D',
      'S',
      'B',
      'C2',
      'CRUK',
      'PADS',
      'AMAZONFEE',
      'BANK CHARGES',
      'gift_0001_20',
      'DCGSSGIRL',
    ]) {
      expect(isProductCode(code), code).toBe(false);
    }
  });

  it('derives categories from the head noun, Christmas words and phrases', () => {
    expect(categoryOf('WHITE HANGING HEART T-LIGHT HOLDER')).toBe('candles-lights');
    expect(categoryOf('JUMBO BAG RED RETROSPOT')).toBe('bags');
    expect(categoryOf('LUNCH BOX I LOVE LONDON')).toBe('kitchen');
    expect(categoryOf('60 CAKE CASES VINTAGE CHRISTMAS')).toBe('christmas');
    expect(categoryOf('PACK OF 72 RETROSPOT CAKE CASES')).toBe('kitchen');
    expect(categoryOf('SET OF 3 CAKE TINS PANTRY DESIGN')).toBe('kitchen');
    expect(categoryOf('SKULLS STORAGE BOX LARGE')).toBe('storage');
    expect(categoryOf('KNITTED UNION FLAG HOT WATER BOTTLE')).toBe('home-decor');
    expect(categoryOf('GLASS STAR FROSTED T-LIGHT HOLDER')).toBe('candles-lights');
    expect(categoryOf('BOX OF VINTAGE JIGSAW BLOCKS')).toBe('toys');
    expect(categoryOf('DOORMAT WELCOME TO OUR HOME')).toBe('home-decor');
    expect(categoryOf('PINK MURANO TWIST BRACELET')).toBe('jewellery');
    expect(categoryOf('ROBOT BIRTHDAY CARD')).toBe('cards-wrap');
    expect(categoryOf('WATERING CAN PINK BUNNY')).toBe('garden');
    expect(categoryOf('ABSTRACT CIRCLES SKETCHBOOK')).toBe('stationery');
    expect(categoryOf('SOMBRERO')).toBe('other');
  });

  it('formats titles and tags', () => {
    expect(sentenceCase('  WHITE HANGING   HEART T-LIGHT HOLDER ')).toBe('White hanging heart t-light holder');
    expect(tagsOf('SET OF 3 RED RETROSPOT CAKE TINS, RED')).toEqual(['red', 'retrospot', 'cake', 'tins']);
    expect(tagsOf('A B C')).toEqual([]);
    expect(tagsOf('ONE TWO THREE FOUR FIVE SIXES SEVENS EIGHT NINE TENS')).toHaveLength(8);
  });

  it('refuses stock-keeping notes as titles', () => {
    expect(isUsableDescription('WHITE METAL LANTERN')).toBe(true);
    expect(isUsableDescription('?')).toBe(false);
    expect(isUsableDescription('damaged')).toBe(false);
    expect(isUsableDescription('12')).toBe(false);
  });

  it('takes the median', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('finds columns by name and names the missing ones', () => {
    expect(
      columnsOf(['\uFEFFInvoiceNo', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'UnitPrice', 'CustomerID', 'Country']),
    ).toEqual({
      invoice: 0,
      stockCode: 1,
      description: 2,
      quantity: 3,
      date: 4,
      price: 5,
      customer: 6,
    });
    // Online Retail II spelling.
    expect(columnsOf(['Invoice', 'StockCode', 'Description', 'Quantity', 'InvoiceDate', 'Price', 'Customer ID', 'Country']).customer).toBe(
      6,
    );
    expect(() => columnsOf(['InvoiceNo', 'StockCode'])).toThrow(/description, quantity, invoicedate, unitprice, customerid/);
  });
});
