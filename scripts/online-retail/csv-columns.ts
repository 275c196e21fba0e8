/**
 * Where the Online Retail CSV's columns sit and how its dates read (see converter.ts, which uses
 * both, and scripts/convert-online-retail.ts for the rules).
 */
import { UsageError } from '../lib/args.js';

/** Where each needed column sits; the "Online Retail II" names are accepted too. */
export interface Columns {
  invoice: number;
  stockCode: number;
  description: number;
  quantity: number;
  date: number;
  price: number;
  customer: number;
}

const COLUMN_NAMES: Record<keyof Columns, string[]> = {
  invoice: ['invoiceno', 'invoice'],
  stockCode: ['stockcode'],
  description: ['description'],
  quantity: ['quantity'],
  date: ['invoicedate'],
  price: ['unitprice', 'price'],
  customer: ['customerid', 'customer id'],
};

/** Maps header names (any case, BOM and spaces trimmed) to positions; a missing one is a UsageError. */
export function columnsOf(header: string[]): Columns {
  const names = header.map((h) =>
    h
      .replace(/^\uFEFF/, '')
      .trim()
      .toLowerCase(),
  );
  const missing: string[] = [];
  const columns = {} as Columns;
  for (const [key, aliases] of Object.entries(COLUMN_NAMES) as Array<[keyof Columns, string[]]>) {
    const index = names.findIndex((n) => aliases.includes(n));
    if (index === -1) missing.push(aliases[0]!);
    columns[key] = index;
  }
  if (missing.length > 0) throw new UsageError(`the CSV header lacks column(s) ${missing.join(', ')}; got: ${header.join(', ')}`);
  return columns;
}

/** Epoch ms of an InvoiceDate (`M/D/YYYY H:MM[:SS]` or `YYYY-MM-DD[ T]HH:MM[:SS]`), read as UTC. */
export function parseInvoiceDate(raw: string): number | undefined {
  const text = raw.trim();
  let parts: number[];
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  if (iso) parts = [iso[1], iso[2], iso[3], iso[4], iso[5], iso[6]].map((p) => Number(p ?? 0));
  else if (us) parts = [us[3], us[1], us[2], us[4], us[5], us[6]].map((p) => Number(p ?? 0));
  else return undefined;
  const [year, month, day, hour, minute, second] = parts as [number, number, number, number, number, number];
  const ts = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(ts);
  // Date.UTC rolls 2/30 over to 3/2: a date that does not round-trip is not a date.
  if (back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return undefined;
  return ts;
}
