import { z } from 'zod';
import { MAX_ID_LENGTH } from './bounds.js';
import type { StoredEvent, StoredImpressionEvent } from './event-schemas.js';
import { EventInputSchema } from './event-schemas.js';
import { CategoryPathSchema, EpochMsSchema, ID_PATTERN, IdSchema, PriceSchema, TierSchema, type Role, type Tier } from './field-schemas.js';
import type { StoredOrderEvent } from './order-lines.js';
import { storedEventFastPath } from './stored-event-fast-path.js';
import { safeText, textRule } from './text-rules.js';

/**
 * The one place the public wire shapes are written (see ../shared/CONTRACT.md).
 * Types are inferred from these schemas; validate at the edges, trust inside.
 */
export {
  CategoryPathSchema,
  IdSchema,
  RequestIdSchema,
  ROLES,
  RoleSchema,
  type Role,
  TIERS,
  TierSchema,
  type Tier,
  tierRank,
  zodDetails,
} from './field-schemas.js';
export {
  EVENT_TYPES,
  EventInputSchema,
  type EventInput,
  EventTypeSchema,
  type EventType,
  ImpressionItemSchema,
  type ImpressionItem,
  type ImpressionInput,
  INTERACTION_TYPES,
  InteractionTypeSchema,
  type InteractionType,
  type InteractionInput,
  isInteractionType,
  LineItemSchema,
  type LineItem,
  lineItemsSchema,
  linesGrossTotal,
  MAX_IMPRESSION_ITEMS,
  MAX_IMPRESSION_POSITION,
  type StoredEvent,
  type StoredImpressionEvent,
  type StoredInteractionEvent,
} from './event-schemas.js';
export { storedEventFastPath } from './stored-event-fast-path.js';
export {
  EmailSchema,
  MAX_EMAIL_LENGTH,
  MAX_MEMBERS_PER_BATCH,
  MemberImportSchema,
  type MemberImport,
  MemberLoginSchema,
  type MemberLogin,
  MemberNameSchema,
  memberValidationError,
  type MemberProfile,
  MemberRegistrationSchema,
  type MemberRegistration,
  PasswordSchema,
} from './member-schemas.js';

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
const MERGE_ID_PREFIX = 'merge:';

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
