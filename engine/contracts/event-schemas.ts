import { z } from 'zod';
import { MAX_LINE_QUANTITY, MAX_ORDER_TOTAL } from './bounds.js';
import { EpochMsSchema, IdSchema, PriceSchema, type Tier } from './field-schemas.js';

/** Shopper events: as a client sends them (EventInputSchema) and as they sit in the stream (StoredEvent). */

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
