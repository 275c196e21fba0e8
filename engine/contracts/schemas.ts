import { z } from 'zod';
import { MAX_ID_LENGTH, MAX_LINE_QUANTITY, MAX_ORDER_TOTAL, MAX_PRICE, MAX_TS } from './bounds.js';
import { ErrorCodes, PulseError, type ErrorCode } from './errors.js';
import type { StoredOrderEvent } from './orders.js';
import { categoryPath, safeText, textRule } from './text-rules.js';

/**
 * The one place the public wire shapes are written (see ../shared/CONTRACT.md).
 * Types are inferred from these schemas; validate at the edges, trust inside.
 */

export const TIERS = ['regular', 'vip', 'enterprise'] as const;
export const TierSchema = z.enum(TIERS);
export type Tier = z.infer<typeof TierSchema>;

/** Rank of a tier: a user may see an item when rank(user) >= rank(item.minTier). */
export function tierRank(tier: Tier): number {
  return TIERS.indexOf(tier);
}

export const ROLES = ['visitor', 'member', 'marketing', 'admin', 'shop'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

const ID_PATTERN = /^[A-Za-z0-9_.:@-]+$/;

/**
 * Identifiers: printable, no whitespace, at most MAX_ID_LENGTH (so a URL path can name them); they
 * end up in NATS subjects and Redis keys.
 */
export const IdSchema = z.string().min(1).max(MAX_ID_LENGTH).regex(ID_PATTERN, 'only letters, digits and _ . : @ -');

/** A reward request's idempotency key: 1..128 printable characters without whitespace. */
export const RequestIdSchema = z.string().regex(/^[\x21-\x7e]{1,128}$/, 'requestId is 1..128 printable ASCII characters without spaces');

/**
 * A category path (`home/lamps`, `Home > Lamps`), 1..200 characters: text-rules.ts, every level
 * non-blank. Items carry one; catalog and recommendation filters name one.
 */
export const CategoryPathSchema = categoryPath(200);

/** A unit price (currency units): finite, 0..MAX_PRICE. */
const PriceSchema = z.number().finite().nonnegative().max(MAX_PRICE);

/** Epoch ms as stored: a positive integer up to MAX_TS (the gateway narrows `ts` further, see bounds.ts). */
const EpochMsSchema = z.number().int().positive().max(MAX_TS);

export const ItemSchema = z
  .object({
    itemId: IdSchema,
    // Text fields follow text-rules.ts (no control characters, no lone surrogates, not blank; a
    // category has no empty level): the engine applies this same schema to every catalog change.
    title: safeText(1, 500),
    category: CategoryPathSchema,
    brand: safeText(1, 200).optional(),
    price: PriceSchema,
    tags: z.array(safeText(1, 100)).max(50).optional(),
    minTier: TierSchema.optional(),
    inStock: z.boolean().optional(),
    /**
     * Extension: the sales channels the item is offered in (`recommend {channel}` lists only
     * those, compared case-insensitively); absent = every channel.
     */
    channels: z
      .array(textRule(z.string().trim().min(1).max(64)))
      .min(1)
      .max(32)
      .optional(),
  })
  .strict();
export type Item = z.infer<typeof ItemSchema>;

/**
 * What a shopper did with items: these move taste, recent items, affinity, segments, co-visitation,
 * popularity, reasons, points and campaign triggers (each type with its weight, event-weights.ts).
 */
export const INTERACTION_TYPES = ['view', 'click', 'add_to_cart', 'remove_from_cart', 'purchase', 'search', 'like', 'dislike'] as const;
export const InteractionTypeSchema = z.enum(INTERACTION_TYPES);
export type InteractionType = z.infer<typeof InteractionTypeSchema>;

/**
 * Every event type a client may send: the interactions, and `impression` (cards a list showed on
 * screen, what the shopper saw but did not act on). An impression goes through the log and the
 * shop's counters, and nothing else: it is never a view nor any interaction (see isInteraction).
 */
export const EVENT_TYPES = [...INTERACTION_TYPES, 'impression'] as const;
export const EventTypeSchema = z.enum(EVENT_TYPES);
export type EventType = z.infer<typeof EventTypeSchema>;

/** Whether an event type is an interaction (anything but an impression): only these move a shopper's state or the shop's signals. */
export function isInteractionType(type: string): type is InteractionType {
  return (INTERACTION_TYPES as readonly string[]).includes(type);
}

/** Items one impression event reports at most (a strip or a grid page shown). */
export const MAX_IMPRESSION_ITEMS = 100;
/** Highest position (0-based, within its list) an impression may report. */
export const MAX_IMPRESSION_POSITION = 9999;

/** One card shown: the item and its 0-based position in the list that showed it. */
export const ImpressionItemSchema = z
  .object({
    itemId: IdSchema,
    position: z.number().int().min(0).max(MAX_IMPRESSION_POSITION),
  })
  .strict();
export type ImpressionItem = z.infer<typeof ImpressionItemSchema>;

export const LineItemSchema = z
  .object({
    itemId: IdSchema,
    quantity: z.number().int().min(-MAX_LINE_QUANTITY).max(MAX_LINE_QUANTITY),
    price: PriceSchema,
  })
  .strict();
export type LineItem = z.infer<typeof LineItemSchema>;

/** Σ |price × quantity| of some lines (currency units). */
export function linesGrossTotal(lines: readonly { quantity: number; price: number }[]): number {
  let total = 0;
  for (const line of lines) total += Math.abs(line.price * line.quantity);
  return total;
}

/**
 * `min..max` order lines whose gross total (Σ |price × quantity|) is at most MAX_ORDER_TOTAL, so an
 * order's points stay far below 2^53. For events' `items` and any order route's `lines`.
 */
export function lineItemsSchema(min: number, max: number) {
  return z
    .array(LineItemSchema)
    .min(min)
    .max(max)
    .refine(
      (lines) => linesGrossTotal(lines) <= MAX_ORDER_TOTAL,
      `the lines' total (sum of |price x quantity|) must be at most ${MAX_ORDER_TOTAL}`,
    );
}

const eventBase = {
  id: IdSchema.optional(),
  ts: EpochMsSchema.optional(),
  userId: IdSchema.optional(),
  channel: z.string().min(1).max(64).optional(),
};

/** An event as a client sends it: a union keyed on `type`, each with what that type needs. */
export const EventInputSchema = z.discriminatedUnion('type', [
  z.object({ ...eventBase, type: z.literal('view'), itemId: IdSchema }).strict(),
  z.object({ ...eventBase, type: z.literal('click'), itemId: IdSchema }).strict(),
  z.object({ ...eventBase, type: z.literal('like'), itemId: IdSchema }).strict(),
  z.object({ ...eventBase, type: z.literal('dislike'), itemId: IdSchema }).strict(),
  z.object({ ...eventBase, type: z.literal('add_to_cart'), itemId: IdSchema, items: lineItemsSchema(0, 200).optional() }).strict(),
  z.object({ ...eventBase, type: z.literal('remove_from_cart'), itemId: IdSchema, items: lineItemsSchema(0, 200).optional() }).strict(),
  z
    .object({
      ...eventBase,
      type: z.literal('purchase'),
      itemId: IdSchema.optional(),
      items: lineItemsSchema(1, 1000),
      orderId: IdSchema.optional(),
    })
    .strict(),
  z.object({ ...eventBase, type: z.literal('search'), query: z.string().min(1).max(500), itemId: IdSchema.optional() }).strict(),
  /**
   * Cards shown together (one list drawn, or the part of it that came into view), with their
   * positions; `listId` names the list (the widget's own id for one drawn list). Not an
   * interaction: see EVENT_TYPES.
   */
  z
    .object({
      ...eventBase,
      type: z.literal('impression'),
      listId: IdSchema.optional(),
      items: z.array(ImpressionItemSchema).min(1).max(MAX_IMPRESSION_ITEMS),
    })
    .strict(),
]);
export type EventInput = z.infer<typeof EventInputSchema>;
/** An impression event as a client sends it. */
export type ImpressionInput = Extract<EventInput, { type: 'impression' }>;
/** A shopper event that is an interaction (any type but `impression`). */
export type InteractionInput = Exclude<EventInput, { type: 'impression' }>;

const MERGE_ID_PREFIX = 'merge:';

/**
 * An event as it sits in the stream: the gateway has fixed its user, id and time.
 * `id` is unique per user (the dedupe key is userId + id); `receivedAt` is the gateway's clock
 * when it accepted the event, used for event-to-push latency.
 */
export type StoredEvent = EventInput & {
  id: string;
  userId: string;
  ts: number;
  receivedAt: number;
  tier?: Tier;
  /** Sent over a socket of the user: someone is looking right now (the engine pushes the new list even before a presence join arrives). */
  viaSocket?: true;
};

/** An impression as it sits in the stream. */
export type StoredImpressionEvent = Extract<StoredEvent, { type: 'impression' }>;
/** A shopper's interaction as it sits in the stream: what moves the shopper's state (event-effect.ts). */
export type StoredInteractionEvent = Exclude<StoredEvent, { type: 'impression' }>;

export function isImpressionEvent(event: LoggedEvent): event is StoredImpressionEvent {
  return event.type === 'impression';
}

const storedFields = z.object({
  // A shopper event's id is an IdSchema id (checked again below); a merge's is `merge:<userId>`.
  id: z
    .string()
    .min(1)
    .max(MAX_ID_LENGTH + MERGE_ID_PREFIX.length)
    .regex(ID_PATTERN),
  userId: IdSchema,
  ts: EpochMsSchema,
  receivedAt: EpochMsSchema,
  /** The tier the sender's token carried, if any. */
  tier: TierSchema.optional(),
  viaSocket: z.literal(true).optional(),
});

/**
 * An internal event no client may send (EventInputSchema refuses it): on login, the gateway
 * appends one to the member's partition so a visitor's history joins the member's in order with
 * the member's own events. Its id is `merge:<fromUserId>`, so logging in again merges once.
 */
export interface StoredMergeEvent {
  type: 'merge';
  id: string;
  /** The member receiving the history. */
  userId: string;
  /** The visitor whose history is folded in. */
  fromUserId: string;
  ts: number;
  receivedAt: number;
  tier?: Tier;
}

/** What the event log holds: shopper events and internal ones (merges; orders, contracts/orders.ts). */
export type LoggedEvent = StoredEvent | StoredMergeEvent | StoredOrderEvent;

export function isMergeEvent(event: LoggedEvent): event is StoredMergeEvent {
  return event.type === 'merge';
}

/** The id of the merge of `fromUserId`'s history into a member (one merge per visitor and member). */
export function mergeEventId(fromUserId: string): string {
  return `${MERGE_ID_PREFIX}${fromUserId}`;
}

const MergeFieldsSchema = z.object({ type: z.literal('merge'), fromUserId: IdSchema }).strict();

/**
 * Decodes a stream message: the client's event plus the fields the gateway fixed, or an internal
 * merge event. A valid shopper event takes the hand-checked fast path (~0.5 us); anything else
 * (merges, invalid values) the zod schemas (~10 us), which also word every error.
 */
export function parseStoredEvent(value: unknown): LoggedEvent {
  return storedEventFastPath(value) ?? parseStoredEventWithSchemas(value);
}

/**
 * {@link parseStoredEvent} through the zod schemas alone: what the fast path must match (the same
 * event, or undefined and then this path decides, and words the error). ~10 us per event.
 */
export function parseStoredEventWithSchemas(value: unknown): LoggedEvent {
  const { id, userId, ts, receivedAt, tier, viaSocket, ...rest } = value as Record<string, unknown>;
  const fixed = storedFields.parse({ id, userId, ts, receivedAt, tier, viaSocket });
  if (rest.type === 'merge') {
    const merge = MergeFieldsSchema.parse(rest);
    return { ...merge, ...fixed } as StoredMergeEvent;
  }
  const input = EventInputSchema.parse({ ...rest, id, userId, ts });
  return { ...input, ...fixed } as StoredEvent;
}

// --- Fast path of parseStoredEvent ------------------------------------------------------------

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

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= MAX_ID_LENGTH && ID_PATTERN.test(value);
}

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

export const RecommendRequestSchema = z
  .object({
    k: z.coerce.number().int().min(1).max(100).optional(),
    channel: z.string().min(1).max(64).optional(),
    category: CategoryPathSchema.optional(),
    query: z.string().min(1).max(500).optional(),
    /** Query strings carry 'true'/'false' (z.coerce.boolean would read 'false' as true). */
    includeBought: z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]).optional(),
    /** Extension: MMR diversity of this list, 0 (ranking order) .. 1 (look-alikes avoided most); default the engine's DIVERSITY. */
    diversity: z.coerce.number().min(0).max(1).optional(),
  })
  .strict();
export type RecommendRequest = z.infer<typeof RecommendRequestSchema>;

export interface RecommendedItem {
  itemId: string;
  score: number;
  reason?: string;
}

export interface RecommendationList {
  items: RecommendedItem[];
  /** Epoch ms. */
  generatedAt: number;
  modelVersion: string;
  /** The event id that caused this list, on pushes. */
  cause?: string;
  context?: { channel?: string; category?: string; query?: string; k?: number; diversity?: number };
}

/** Who is asking: the gateway derives this from the token and forwards it to the engine. */
export interface Principal {
  userId: string;
  role: Role;
  /** Tier of a member; visitors and unknown users are `regular`. */
  tier: Tier;
}

/** Readable one-line message per invalid field, for `details` in error responses. */
export function zodDetails(error: z.ZodError): Record<string, string> {
  const details: Record<string, string> = {};
  for (const issue of error.issues.slice(0, 20)) {
    details[issue.path.join('.') || '(root)'] = issue.message;
  }
  return details;
}

// --- Members (CONTRACT.md "Identity" and "Membership") -------------------------------------------

/** Longest email accepted (RFC 5321 path limit), in characters. */
export const MAX_EMAIL_LENGTH = 254;

/** An email as stored and compared: trimmed, lower-cased, `local@domain.tld`, no whitespace. */
export const EmailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(MAX_EMAIL_LENGTH, `at most ${MAX_EMAIL_LENGTH} characters`)
  .regex(/^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/, 'not an email address (local@domain.tld)');

/** A new password: 8 to 200 characters (UTF-16 units), taken as given (no trimming). */
export const PasswordSchema = z.string().min(8, 'at least 8 characters').max(200, 'at most 200 characters');

/** A member's name: trimmed, 1..200 characters, text-rules.ts (no control characters, no lone surrogates). */
export const MemberNameSchema = textRule(z.string().trim().min(1).max(200));

/** `POST /v1/members` body. */
export const MemberRegistrationSchema = z.object({ email: EmailSchema, password: PasswordSchema, name: MemberNameSchema }).strict();
export type MemberRegistration = z.infer<typeof MemberRegistrationSchema>;

/**
 * `POST /v1/sessions` body. The password is only bounded (an old, shorter password still logs in).
 * `visitorId` is merged only when the request's bearer token is that visitor's own token.
 */
export const MemberLoginSchema = z
  .object({ email: EmailSchema, password: z.string().min(1).max(200), visitorId: IdSchema.optional() })
  .strict();
export type MemberLogin = z.infer<typeof MemberLoginSchema>;

/** Member fields with an error code of their own; any other bad field is `invalid_request`. */
const CODE_BY_MEMBER_FIELD: Record<string, ErrorCode> = { email: ErrorCodes.invalidEmail, password: ErrorCodes.invalidPassword };

/**
 * The error for a member body (registration, login, import entry) that fails validation: the
 * first bad field decides the code (`invalid_email`, `invalid_password`, else `invalid_request`).
 */
export function memberValidationError(error: z.ZodError): PulseError {
  const issue = error.issues[0];
  const field = typeof issue?.path[0] === 'string' ? issue.path[0] : '(root)';
  return new PulseError(
    CODE_BY_MEMBER_FIELD[field] ?? ErrorCodes.invalidRequest,
    `invalid ${field}: ${issue?.message ?? 'invalid'}`,
    zodDetails(error),
  );
}

/** Largest `members` array one `POST /v1/members/batch` may carry. */
export const MAX_MEMBERS_PER_BATCH = 1000;

/**
 * One entry of `POST /v1/members/batch` (extension, admin): a member made by an import, with no
 * password (login answers `invalid_credentials`). Without `email` the member has none (`''`);
 * `createdAt` (epoch ms) defaults to the engine's clock. Tier and points start at regular / 0:
 * they come from the member's purchases.
 */
export const MemberImportSchema = z
  .object({
    memberId: IdSchema,
    email: EmailSchema.optional(),
    name: MemberNameSchema,
    createdAt: z.number().int().nonnegative().max(8.64e15).optional(),
  })
  .strict();
export type MemberImport = z.infer<typeof MemberImportSchema>;

/** What `GET /v1/members/me` returns: the member record without its password hash. */
export interface MemberProfile {
  memberId: string;
  /** Normalised (trimmed, lower-cased). */
  email: string;
  name: string;
  tier: Tier;
  /** Spendable points. */
  points: number;
  /** Points ever earned (never lowered by redemptions); decides the tier. */
  lifetimePoints: number;
  /** Epoch ms. */
  createdAt: number;
}
