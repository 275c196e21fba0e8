/**
 * `npm run convert:online-retail -- [--input FILE.csv(.gz)] [--out DIR]`
 *
 * Turns the UCI "Online Retail" dataset (a UK gift shop, Dec 2010 - Dec 2011; columns InvoiceNo,
 * StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country) into files
 * `npm run import` loads:
 *
 * - `items.jsonl`: one Item per product StockCode with a usable description. `title` is the most
 *   frequent description in sentence case, `price` the median positive UnitPrice of its sales
 *   lines (every customer, registered or not), `category` from CATEGORY_RULES (below), `tags` the
 *   salient words of the title, no brand.
 * - `events.jsonl`: one `purchase` per non-cancelled invoice with a CustomerID, sorted by time:
 *   `{id: 'inv-<InvoiceNo>', type: 'purchase', userId: 'c<CustomerID>', orderId: InvoiceNo, ts, items}`,
 *   items aggregated per StockCode (quantity summed, price = the quantity-weighted unit price, so
 *   the order total is kept). An invoice of more than 1,000 products (the Event limit) is split
 *   into `inv-<no>`, `inv-<no>-2`, ... with the same orderId.
 * - `cancellations.jsonl`: one line per cancelled invoice (InvoiceNo starting with `C`) with a
 *   CustomerID: `{id: 'can-<InvoiceNo>', userId, ts, items}`. Quantities stay negative as in the
 *   source, so sum(quantity * price) is the (negative) amount to reverse.
 *
 * Rules (each skipped line is counted under the first reason that applies):
 * - Product codes: a StockCode is a product when it contains a digit and is not a known fee or
 *   adjustment code (C2 carriage, gift_* vouchers). That removes POST, DOT, M, D, S, B, CRUK,
 *   PADS, AMAZONFEE, BANK CHARGES and the like (`non_product_code`).
 * - A line needs UnitPrice > 0 (`non_positive_price`), an integer Quantity (`bad_quantity`) of at
 *   most 1,000,000 units either way (`quantity_out_of_range`), Quantity > 0 on a sale
 *   (`non_positive_quantity`) and < 0 on a cancellation (`non_negative_cancellation`), a
 *   readable InvoiceDate (`bad_date`) and a CustomerID (`no_customer`; such sales still count for
 *   item prices and titles).
 * - Times: InvoiceDate as `12/1/2010 8:26` (month first) or ISO `2010-12-01 08:26:00`, detected per
 *   value. The shop is in the UK and the data carries no zone: read as UTC (in winter that is UK
 *   time; in summer one hour off, irrelevant for recommendations).
 * - Sale lines of a product without a usable description (none with 3+ letters, or only
 *   stock-keeping notes like "damaged") are dropped (`no_item`): events name catalog items only.
 */
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IdSchema, type Item, type LineItem } from '../engine/contracts/schemas.js';
import { UsageError, isMain, parseCommandLine, runMain } from './lib/args.js';
import { JsonlWriter, openLines } from './lib/jsonl.js';
import { Progress, formatCount, formatElapsed } from './lib/progress.js';

/** A malformed CSV record: bad quoting. */
export class CsvError extends Error {
  override name = 'CsvError';
}

/**
 * True when `text` holds whole records: no quoted field is left open. A quoted field may span
 * lines (RFC 4180), so a reader joins physical lines with `\n` until this holds. Doubled quotes
 * count twice, so an even number of `"` means balanced.
 */
export function isCsvRecordComplete(text: string): boolean {
  let quotes = 0;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) quotes += 1;
  return quotes % 2 === 0;
}

/**
 * Fields of one RFC 4180 record (no trailing line break): comma separated; a field starting with
 * `"` is quoted, may hold commas, line breaks and doubled quotes (`""` -> `"`), and must be
 * followed by a comma or the end. A quote inside an unquoted field is kept as is (common in
 * real exports). Throws CsvError on an unterminated quoted field or text after a closing quote.
 */
export function parseCsvRecord(text: string): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (text[i] === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) throw new CsvError(`unterminated quoted field at column ${i + 1}`);
        value += text.slice(j, q);
        if (text[q + 1] === '"') {
          value += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === text.length) return fields;
      if (text[i] !== ',') throw new CsvError(`unexpected text after a closing quote at column ${i + 1}`);
      i += 1;
    } else {
      const comma = text.indexOf(',', i);
      if (comma === -1) {
        fields.push(text.slice(i));
        return fields;
      }
      fields.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}

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
  const names = header.map((h) => h.replace(/^\uFEFF/, '').trim().toLowerCase());
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

/** Fee and adjustment codes that contain a digit (the digit-less ones are caught by the rule). */
const FEE_CODES = new Set(['C2']);

/** A product StockCode: has a digit, is not a fee code or gift voucher, is a valid item id. */
export function isProductCode(code: string): boolean {
  return /\d/.test(code) && !FEE_CODES.has(code.toUpperCase()) && !/^gift_/i.test(code) && IdSchema.safeParse(code).success;
}

/**
 * The category keyword table. A title's category is decided, in order, by: a Christmas word
 * anywhere (seasonal items form their own shelf); a phrase anywhere (`lunch box` is kitchen, not
 * storage); else the words from last to first, the first keyword wins (gift-shop titles end with
 * the head noun: "white hanging heart t-light HOLDER"; trailing colour and pattern words are no
 * keywords, so "jumbo BAG red retrospot" still finds its noun). Plurals match their singular.
 * Nothing found: `other`.
 */
export const CATEGORY_RULES = {
  christmas: ['christmas', 'xmas', 'advent', 'santa', 'reindeer', 'snowflake', 'snowman', 'nativity', 'bauble', 'elf', 'sleigh', 'noel'],
  phrases: {
    kitchen: ['lunch box', 'cake case', 'tea towel', 'oven glove', 'cake stand', 'egg cup', 'tea set', 'cake tin', 'drinks bottle'],
    'candles-lights': ['night light', 'tea light', 'tlight holder', 'light holder', 'candle holder', 'fairy light', 'string light'],
    'cards-wrap': ['gift wrap', 'wrapping paper', 'gift tag', 'tissue paper'],
    garden: ['watering can', 'bird house', 'bird table', 'bird feeder', 'plant pot', 'flower pot', 'garden glove'],
    'home-decor': ['hot water bottle', 'photo frame', 'door mat', 'cushion cover', 'wall art', 'coat hanger', 'coat rack'],
    stationery: ['memo board', 'paper clip', 'rubber stamp', 'colouring pencil'],
  } as Record<string, string[]>,
  words: {
    bags: ['bag', 'shopper', 'backpack', 'rucksack', 'purse', 'tote', 'satchel', 'pouch', 'handbag', 'wallet'],
    'candles-lights': ['candle', 'candleholder', 'tlight', 'light', 'lantern', 'lamp', 'nightlight', 'tealight', 'chandelier', 'incense', 'matches', 'lampshade', 'candlepot'],
    kitchen: ['mug', 'cup', 'saucer', 'teacup', 'bowl', 'plate', 'jug', 'teapot', 'cakestand', 'cutlery', 'spoon', 'fork', 'napkin', 'apron', 'tray', 'beaker', 'tumbler', 'glass', 'cutter', 'mould', 'doily', 'straw', 'scales', 'dish', 'pantry', 'kitchen', 'baking', 'coaster', 'placemat', 'recipe', 'picnic', 'colander', 'whisk', 'timer', 'egg', 'chopsticks', 'teaspoon', 'cake', 'biscuit', 'sugar', 'jam', 'lunch', 'flask', 'coffee', 'tea', 'strainer', 'mitt', 'teatowel'],
    'cards-wrap': ['card', 'wrap', 'wrapping', 'ribbon', 'tissue', 'envelope', 'tag', 'balloon', 'bunting', 'confetti', 'invitation'],
    storage: ['box', 'tin', 'jar', 'basket', 'hamper', 'crate', 'drawer', 'cabinet', 'chest', 'trunk', 'organiser', 'container', 'bucket', 'bin', 'storage', 'case', 'caddy', 'rack', 'shelf', 'pot', 'canister', 'cannister', 'peg'],
    garden: ['garden', 'planter', 'plant', 'watering', 'feeder', 'birdhouse', 'windmill', 'seed', 'flowerpot', 'trowel', 'greenhouse', 'gnome', 'herb', 'thermometer', 'windchime', 'chime'],
    toys: ['toy', 'game', 'doll', 'puzzle', 'jigsaw', 'dominoes', 'skittles', 'marbles', 'ball', 'blocks', 'teddy', 'ludo', 'playhouse', 'soldier', 'yoyo', 'kite', 'spinning', 'bubbles', 'dolly', 'jack', 'skipping', 'rope', 'bingo', 'snap', 'kit', 'inflatable', 'dinosaur'],
    'home-decor': ['sign', 'frame', 'clock', 'mirror', 'cushion', 'cover', 'garland', 'wreath', 'decoration', 'ornament', 'hanger', 'hook', 'doorstop', 'knob', 'vase', 'plaque', 'doormat', 'mat', 'curtain', 'throw', 'quilt', 'blanket', 'magnet', 'chalkboard', 'ladder', 'bell', 'flag', 'heart', 'bottle', 'cornice', 'doorsign', 'bunny', 'bird', 'lace', 'warmer', 'towel', 'art', 'picture', 'flower', 'stool', 'tile', 'chick', 'doorknob', 'parasol'],
    jewellery: ['necklace', 'bracelet', 'earrings', 'earring', 'ring', 'charm', 'brooch', 'pendant', 'bangle', 'beads', 'hairclip', 'hairband', 'hair', 'jewellery', 'diamante', 'jewel', 'tiara', 'necklac', 'fob', 'keyring'],
    stationery: ['notebook', 'pen', 'pencil', 'ruler', 'eraser', 'sketchbook', 'journal', 'diary', 'calendar', 'sticker', 'stamp', 'tape', 'clip', 'paperweight', 'notepad', 'memo', 'folder', 'stencil', 'label', 'crayons', 'chalk', 'book', 'bookmark', 'notecard', 'postcard', 'writing', 'stationery', 'sharpener', 'scissors', 'album', 'badge', 'rubber'],
  } as Record<string, string[]>,
};

/** Category of every category word (first category wins for a word listed twice). */
const WORD_CATEGORY = new Map<string, string>();
for (const [category, words] of Object.entries(CATEGORY_RULES.words)) for (const w of words) if (!WORD_CATEGORY.has(w)) WORD_CATEGORY.set(w, category);
const CHRISTMAS = new Set(CATEGORY_RULES.christmas);
/** Each phrase as a regex over the joined words; every word may carry a plural ending. */
const PHRASE_RULES = Object.entries(CATEGORY_RULES.phrases).map(([category, phrases]) => ({
  category,
  patterns: phrases.map((p) => new RegExp(`(^| )${p.split(' ').map((w) => `${w}(s|es)?`).join(' ')}( |$)`)),
}));

/** Lower-case words of a description; `T-LIGHT` -> `tlight`, other punctuation splits. */
export function wordsOf(description: string): string[] {
  return description
    .toLowerCase()
    .replace(/\b([a-z])-(?=[a-z])/g, '$1')
    .split(/[^a-z]+/)
    .filter((w) => w.length > 0);
}

/** The word or its singular found in `has`, if any (candles -> candle, boxes -> box, doilies -> doily). */
function singularIn(word: string, has: (w: string) => boolean): string | undefined {
  const candidates = [word];
  if (word.endsWith('ies')) candidates.push(`${word.slice(0, -3)}y`);
  if (word.endsWith('es')) candidates.push(word.slice(0, -2));
  if (word.endsWith('s')) candidates.push(word.slice(0, -1));
  return candidates.find(has);
}

/** The category of a product description (see CATEGORY_RULES). */
export function categoryOf(description: string): string {
  const words = wordsOf(description);
  if (words.some((w) => singularIn(w, (c) => CHRISTMAS.has(c)))) return 'christmas';
  const text = words.join(' ');
  for (const rule of PHRASE_RULES) if (rule.patterns.some((p) => p.test(text))) return rule.category;
  for (let i = words.length - 1; i >= 0; i--) {
    const hit = singularIn(words[i]!, (c) => WORD_CATEGORY.has(c));
    if (hit) return WORD_CATEGORY.get(hit)!;
  }
  return 'other';
}

/** `WHITE HANGING HEART T-LIGHT HOLDER` -> `White hanging heart t-light holder` (spaces collapsed). */
export function sentenceCase(description: string): string {
  const lower = description.trim().replace(/\s+/g, ' ').toLowerCase();
  return lower.charAt(0).toUpperCase() + lower.slice(1);
}

const TAG_STOPWORDS = new Set(
  'the and for with set pack of in on to a an s x small large medium mini jumbo big assorted asstd colour colours design designs size sizes piece pieces pcs pc cm ml inch de la le you your my me it its from this that'.split(' '),
);

/** Salient words of a title: 3+ letters, no filler words, no duplicates, at most 8. */
export function tagsOf(description: string): string[] {
  const tags: string[] = [];
  for (const word of wordsOf(description)) {
    if (word.length < 3 || TAG_STOPWORDS.has(word) || tags.includes(word)) continue;
    tags.push(word);
    if (tags.length === 8) break;
  }
  return tags;
}

/** Stock-keeping notes that appear as descriptions; such text is no product title. */
const NOTE_DESCRIPTION = /^(\?|check|damaged|damages|found|missing|ebay|amazon|adjust|manual|wrong|lost|sold as|mailout|dotcom|test|sample|faulty|broken|crushed|wet|mouldy|smashed|counted|stock|incorrect|returned|website fixed|thrown away)\b/i;

export function isUsableDescription(description: string): boolean {
  return /[A-Za-z]{3,}/.test(description) && !NOTE_DESCRIPTION.test(description.trim());
}

export type SkipReason =
  | 'malformed_csv'
  | 'non_product_code'
  | 'non_positive_price'
  | 'non_positive_quantity'
  | 'non_negative_cancellation'
  | 'bad_quantity'
  | 'quantity_out_of_range'
  | 'bad_date'
  | 'bad_id'
  | 'no_customer'
  | 'invoice_customer_mismatch'
  | 'no_item';

export interface PurchaseEvent {
  id: string;
  type: 'purchase';
  userId: string;
  orderId: string;
  ts: number;
  items: LineItem[];
}

export interface Cancellation {
  id: string;
  userId: string;
  ts: number;
  items: LineItem[];
}

export interface ConversionResult {
  items: Item[];
  /** Sorted by ts, then id. */
  events: PurchaseEvent[];
  /** Sorted by ts, then id. */
  cancellations: Cancellation[];
  stats: ConversionStats;
}

export interface ConversionStats {
  /** Data records read (header excluded). */
  lines: number;
  items: number;
  /** Distinct customers with at least one purchase event. */
  customers: number;
  /** Invoices written as purchase events (an invoice split in parts counts once). */
  invoices: number;
  cancellations: number;
  /** Line items over all purchase events. */
  lineItems: number;
  skipped: Partial<Record<SkipReason, number>>;
}

interface InvoiceLine {
  quantity: number;
  /** Sum of quantity * unit price. */
  amount: number;
  /** Source lines folded into this one, for the skip count when it is dropped. */
  sourceLines: number;
}

interface Invoice {
  invoiceNo: string;
  userId: string;
  cancelled: boolean;
  /** Earliest line time (epoch ms). */
  ts: number;
  lines: Map<string, InvoiceLine>;
}

/** LineItem quantities are bounded (see LineItemSchema). */
const MAX_QUANTITY = 1_000_000;
/** Largest `items` array of one purchase event (see EventInputSchema). */
const MAX_ITEMS_PER_EVENT = 1000;

/**
 * The conversion without I/O: feed it records with `add`, take the files' contents from `finish`.
 * Invoices are held until the end (the full dataset needs a few tens of MB), because which items
 * exist is only known then.
 */
export class OnlineRetailConverter {
  private readonly invoices = new Map<string, Invoice>();
  /** Per product: unit prices of its sales lines, and how often each description appeared. */
  private readonly products = new Map<string, { prices: number[]; descriptions: Map<string, number> }>();
  private readonly skipped: Partial<Record<SkipReason, number>> = {};
  private lines = 0;

  constructor(private readonly columns: Columns) {}

  /** One data record's fields. */
  add(fields: string[]): void {
    this.lines += 1;
    const reason = this.take(fields);
    if (reason) this.skip(reason);
  }

  /** Counts a record the reader could not parse. */
  addMalformed(): void {
    this.lines += 1;
    this.skip('malformed_csv');
  }

  private skip(reason: SkipReason, n = 1): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + n;
  }

  private take(fields: string[]): SkipReason | undefined {
    const c = this.columns;
    if (fields.length < Math.max(...Object.values(c)) + 1) return 'malformed_csv';
    const invoiceNo = fields[c.invoice]!.trim().toUpperCase();
    const code = fields[c.stockCode]!.trim().toUpperCase();
    if (!isProductCode(code)) return 'non_product_code';
    const price = Number(fields[c.price]!.trim());
    if (!(Number.isFinite(price) && price > 0)) return 'non_positive_price';
    const quantityText = fields[c.quantity]!.trim();
    const quantity = Number(quantityText);
    const cancelled = invoiceNo.startsWith('C');
    if (!/^-?\d+$/.test(quantityText)) return 'bad_quantity';
    if (Math.abs(quantity) > MAX_QUANTITY) return 'quantity_out_of_range';
    if (!cancelled && quantity <= 0) return 'non_positive_quantity';
    if (cancelled && quantity >= 0) return 'non_negative_cancellation';
    const ts = parseInvoiceDate(fields[c.date]!);
    if (ts === undefined) return 'bad_date';
    if (!cancelled) this.noteSale(code, price, fields[c.description]!);
    // Some exports write CustomerID as a float ("17850.0").
    const customer = fields[c.customer]!.trim().replace(/\.0+$/, '');
    if (customer === '') return 'no_customer';
    const userId = `c${customer}`;
    if (!IdSchema.safeParse(userId).success || !IdSchema.safeParse(`inv-${invoiceNo}`).success) return 'bad_id';
    let invoice = this.invoices.get(invoiceNo);
    if (!invoice) {
      invoice = { invoiceNo, userId, cancelled, ts, lines: new Map() };
      this.invoices.set(invoiceNo, invoice);
    } else if (invoice.userId !== userId) {
      return 'invoice_customer_mismatch';
    }
    invoice.ts = Math.min(invoice.ts, ts);
    const line = invoice.lines.get(code) ?? { quantity: 0, amount: 0, sourceLines: 0 };
    line.quantity += quantity;
    line.amount += quantity * price;
    line.sourceLines += 1;
    invoice.lines.set(code, line);
    return undefined;
  }

  private noteSale(code: string, price: number, rawDescription: string): void {
    let product = this.products.get(code);
    if (!product) {
      product = { prices: [], descriptions: new Map() };
      this.products.set(code, product);
    }
    product.prices.push(price);
    const description = rawDescription.trim().replace(/\s+/g, ' ');
    if (isUsableDescription(description)) product.descriptions.set(description, (product.descriptions.get(description) ?? 0) + 1);
  }

  /** The catalog, the events and the cancellations, with the counts. */
  finish(): ConversionResult {
    const items = this.buildItems();
    const known = new Set(items.map((i) => i.itemId));
    const events: PurchaseEvent[] = [];
    const cancellations: Cancellation[] = [];
    const customers = new Set<string>();
    let invoices = 0;
    let lineItems = 0;
    for (const invoice of this.invoices.values()) {
      const lines: LineItem[] = [];
      for (const [itemId, line] of invoice.lines) {
        if (!known.has(itemId)) {
          this.skip('no_item', line.sourceLines);
        } else if (line.quantity === 0 || Math.abs(line.quantity) > MAX_QUANTITY) {
          this.skip('quantity_out_of_range', line.sourceLines);
        } else {
          lines.push({ itemId, quantity: line.quantity, price: round(line.amount / line.quantity, 4) });
        }
      }
      if (lines.length === 0) continue;
      if (invoice.cancelled) {
        cancellations.push({ id: `can-${invoice.invoiceNo}`, userId: invoice.userId, ts: invoice.ts, items: lines });
        continue;
      }
      invoices += 1;
      lineItems += lines.length;
      customers.add(invoice.userId);
      for (let part = 0; part * MAX_ITEMS_PER_EVENT < lines.length; part++) {
        const id = part === 0 ? `inv-${invoice.invoiceNo}` : `inv-${invoice.invoiceNo}-${part + 1}`;
        const slice = lines.slice(part * MAX_ITEMS_PER_EVENT, (part + 1) * MAX_ITEMS_PER_EVENT);
        events.push({ id, type: 'purchase', userId: invoice.userId, orderId: invoice.invoiceNo, ts: invoice.ts, items: slice });
      }
    }
    const byTime = (a: { ts: number; id: string }, b: { ts: number; id: string }): number => a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    events.sort(byTime);
    cancellations.sort(byTime);
    return {
      items,
      events,
      cancellations,
      stats: { lines: this.lines, items: items.length, customers: customers.size, invoices, cancellations: cancellations.length, lineItems, skipped: { ...this.skipped } },
    };
  }

  private buildItems(): Item[] {
    const items: Item[] = [];
    for (const [itemId, product] of this.products) {
      let best: string | undefined;
      let bestCount = 0;
      // Most frequent description; ties go to the alphabetically first, for stable output.
      for (const [description, count] of product.descriptions) {
        if (count > bestCount || (count === bestCount && best !== undefined && description < best)) {
          best = description;
          bestCount = count;
        }
      }
      if (best === undefined) continue;
      const item: Item = { itemId, title: sentenceCase(best).slice(0, 500), category: categoryOf(best), price: round(median(product.prices), 2) };
      const tags = tagsOf(best);
      if (tags.length > 0) item.tags = tags;
      items.push(item);
    }
    return items.sort((a, b) => (a.itemId < b.itemId ? -1 : 1));
  }
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

export interface ConvertOptions {
  input: string;
  outDir: string;
  /** Progress output; default stderr. */
  progressStream?: NodeJS.WritableStream;
}

/** Reads the CSV, writes the three files atomically, returns the counts. */
export async function convertOnlineRetail(options: ConvertOptions): Promise<ConversionStats> {
  const source = await openLines(options.input);
  const progress = new Progress({ label: 'convert online-retail', unit: 'lines', fraction: source.fraction, stream: options.progressStream });
  let converter: OnlineRetailConverter | undefined;
  let pending = '';
  try {
    for await (const physical of source.lines) {
      progress.tick();
      // A quoted field may hold a line break: join lines until the quotes balance.
      pending = pending === '' ? physical : `${pending}\n${physical}`;
      if (!isCsvRecordComplete(pending)) continue;
      const record = pending;
      pending = '';
      if (record.trim() === '') continue;
      let fields: string[] | undefined;
      try {
        fields = parseCsvRecord(record);
      } catch (err) {
        if (!(err instanceof CsvError)) throw err;
      }
      if (!converter) {
        if (!fields) throw new UsageError(`${options.input}: the header line is not valid CSV`);
        converter = new OnlineRetailConverter(columnsOf(fields));
      } else if (fields) {
        converter.add(fields);
      } else {
        converter.addMalformed();
      }
    }
    if (!converter) throw new UsageError(`${options.input} is empty`);
    if (pending !== '') converter.addMalformed();
  } finally {
    source.close();
    progress.done();
  }
  const result = converter.finish();
  await mkdir(options.outDir, { recursive: true });
  const files: Array<[string, unknown[]]> = [
    ['items.jsonl', result.items],
    ['events.jsonl', result.events],
    ['cancellations.jsonl', result.cancellations],
  ];
  const writers = files.map(([name]) => new JsonlWriter(resolve(options.outDir, name)));
  try {
    for (const [index, [, values]] of files.entries()) for (const value of values) await writers[index]!.write(value);
    for (const writer of writers) await writer.commit();
  } catch (err) {
    await Promise.all(writers.map((w) => w.abort()));
    throw err;
  }
  return result.stats;
}

/** The counts as a table. */
export function formatStats(stats: ConversionStats, outDir: string, seconds: number): string {
  const row = (label: string, value: number, note = ''): string => `  ${label.padEnd(22)}${formatCount(value).padStart(10)}${note ? `  ${note}` : ''}`;
  const out = [
    `online retail -> ${outDir} in ${formatElapsed(seconds)}`,
    row('lines read', stats.lines),
    row('items', stats.items, 'items.jsonl'),
    row('customers', stats.customers),
    row('invoices (purchases)', stats.invoices, 'events.jsonl'),
    row('line items', stats.lineItems),
    row('cancellations', stats.cancellations, 'cancellations.jsonl'),
  ];
  const skipped = Object.entries(stats.skipped).sort((a, b) => b[1] - a[1]);
  const total = skipped.reduce((sum, [, n]) => sum + n, 0);
  out.push(row('lines skipped', total));
  for (const [reason, count] of skipped) out.push(`    ${reason.padEnd(28)}${formatCount(count).padStart(8)}`);
  return out.join('\n');
}

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export const USAGE = `usage: npm run convert:online-retail -- [--input FILE.csv.gz] [--out DIR]
  --input FILE   the UCI Online Retail CSV, plain or .gz (default ../shared/datasets/online-retail/online_retail.csv.gz)
  --out DIR      where items.jsonl, events.jsonl and cancellations.jsonl go (default data/online-retail)`;

async function main(): Promise<number> {
  const args = parseCommandLine(process.argv.slice(2), { input: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const input = args.input !== undefined ? resolve(args.input) : resolve(REPO_ROOT, '../shared/datasets/online-retail/online_retail.csv.gz');
  const outDir = args.out !== undefined ? resolve(args.out) : resolve(REPO_ROOT, 'data/online-retail');
  const started = performance.now();
  const stats = await convertOnlineRetail({ input, outDir }).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && (err as NodeJS.ErrnoException).path === input) throw new UsageError(`no such file: ${input}`);
    throw err;
  });
  process.stdout.write(`${formatStats(stats, outDir, (performance.now() - started) / 1000)}\n`);
  return 0;
}

if (isMain(import.meta.url)) runMain(main, USAGE);
