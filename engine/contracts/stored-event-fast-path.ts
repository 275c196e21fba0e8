import { MAX_LINE_QUANTITY, MAX_ORDER_TOTAL, MAX_PRICE, MAX_TS } from './bounds.js';
import {
  linesGrossTotal,
  MAX_IMPRESSION_ITEMS,
  MAX_IMPRESSION_POSITION,
  type ImpressionItem,
  type LineItem,
  type StoredEvent,
} from './event-schemas.js';
import { TIERS, isId, type Tier } from './field-schemas.js';

// --- Fast path of parseStoredEvent (schemas.ts) -------------------------------------------------

/**
 * Keys a shopper event of each type may carry in the stream (EventInputSchema's shape of that
 * type plus the fields the gateway fixes), in the order the schemas return them after `id, ts,
 * userId, channel, type`.
 */
const FAST_EVENT_KEYS = new Map<string, readonly string[]>([
  ['view', ['itemId']],
  ['click', ['itemId']],
  ['like', ['itemId']],
  ['dislike', ['itemId']],
  ['add_to_cart', ['itemId', 'items']],
  ['remove_from_cart', ['itemId', 'items']],
  ['purchase', ['itemId', 'items', 'orderId']],
  ['search', ['query', 'itemId']],
  ['impression', ['listId', 'items']],
]);
const FAST_FIXED_KEYS = new Set(['id', 'ts', 'userId', 'channel', 'type', 'receivedAt', 'tier', 'viaSocket']);

function isEpochMs(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= MAX_TS;
}

function isText(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= max;
}

/** The lines as LineItemSchema returns them (fresh objects, its key order), or undefined when any is not plainly valid. */
function fastLines(value: unknown, min: number, max: number): LineItem[] | undefined {
  if (!Array.isArray(value) || value.length < min || value.length > max) return undefined;
  const lines: LineItem[] = new Array<LineItem>(value.length);
  for (let i = 0; i < value.length; i++) {
    const line: unknown = value[i];
    if (typeof line !== 'object' || line === null || Object.getPrototypeOf(line) !== Object.prototype) return undefined;
    const { itemId, quantity, price } = line as Record<string, unknown>;
    if (Object.keys(line).length !== 3 || !isId(itemId)) return undefined;
    if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < -MAX_LINE_QUANTITY || quantity > MAX_LINE_QUANTITY)
      return undefined;
    if (typeof price !== 'number' || !Number.isFinite(price) || price < 0 || price > MAX_PRICE) return undefined;
    lines[i] = { itemId, quantity, price };
  }
  return linesGrossTotal(lines) <= MAX_ORDER_TOTAL ? lines : undefined;
}

/**
 * A shopper event checked by hand against the same rules as the schemas (a third of the cost:
 * zod's union and object passes dominated the engine's decode), built with the same keys in the
 * same order as {@link parseStoredEventWithSchemas} returns. Undefined whenever the value is not
 * plainly one valid shopper event (a merge, an unknown or undefined-valued key, any failed
 * check): the schemas then decide, so every error reads as before.
 */
export function storedEventFastPath(value: unknown): StoredEvent | undefined {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  const v = value as Record<string, unknown>;
  const typeKeys = typeof v.type === 'string' ? FAST_EVENT_KEYS.get(v.type) : undefined;
  if (!typeKeys) return undefined;
  for (const key of Object.keys(v)) if (v[key] === undefined || (!FAST_FIXED_KEYS.has(key) && !typeKeys.includes(key))) return undefined;
  const { id, ts, userId, channel, receivedAt, tier, viaSocket } = v;
  if (!isId(id) || !isEpochMs(ts) || !isId(userId) || !isEpochMs(receivedAt)) return undefined;
  if (tier !== undefined && !TIERS.includes(tier as Tier)) return undefined;
  if (viaSocket !== undefined && viaSocket !== true) return undefined;
  const out: Record<string, unknown> = { id, ts, userId };
  if (channel !== undefined) {
    if (!isText(channel, 64)) return undefined;
    out.channel = channel;
  }
  out.type = v.type;
  if (!fastTypeFields(v, out)) return undefined;
  out.receivedAt = receivedAt;
  out.tier = tier;
  out.viaSocket = viaSocket;
  return out as StoredEvent;
}

/** The impression items as ImpressionItemSchema returns them (fresh objects, its key order), or undefined when any is not plainly valid. */
function fastImpressionItems(value: unknown): ImpressionItem[] | undefined {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_IMPRESSION_ITEMS) return undefined;
  const out = new Array<ImpressionItem>(value.length);
  for (let i = 0; i < value.length; i++) {
    const entry: unknown = value[i];
    if (typeof entry !== 'object' || entry === null || Object.getPrototypeOf(entry) !== Object.prototype) return undefined;
    const { itemId, position } = entry as Record<string, unknown>;
    if (Object.keys(entry).length !== 2 || !isId(itemId)) return undefined;
    if (typeof position !== 'number' || !Number.isInteger(position) || position < 0 || position > MAX_IMPRESSION_POSITION) return undefined;
    out[i] = { itemId, position };
  }
  return out;
}

/** Checks and copies the type's own fields into `out` in the schema's order; false when one fails. */
function fastTypeFields(v: Record<string, unknown>, out: Record<string, unknown>): boolean {
  const { type, itemId, items, orderId, query, listId } = v;
  if (type === 'impression') {
    const shown = fastImpressionItems(items);
    if (!shown || (listId !== undefined && !isId(listId))) return false;
    if (listId !== undefined) out.listId = listId;
    out.items = shown;
    return true;
  }
  if (type === 'search') {
    if (!isText(query, 500) || (itemId !== undefined && !isId(itemId))) return false;
    out.query = query;
    if (itemId !== undefined) out.itemId = itemId;
    return true;
  }
  if (type === 'purchase') {
    const lines = fastLines(items, 1, 1000);
    if (!lines || (itemId !== undefined && !isId(itemId)) || (orderId !== undefined && !isId(orderId))) return false;
    if (itemId !== undefined) out.itemId = itemId;
    out.items = lines;
    if (orderId !== undefined) out.orderId = orderId;
    return true;
  }
  if (!isId(itemId)) return false;
  out.itemId = itemId;
  if (items === undefined) return true;
  const lines = fastLines(items, 0, 200);
  if (!lines) return false;
  out.items = lines;
  return true;
}
