import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventTimeProblem,
  MAX_EVENT_AGE_MS,
  MAX_ID_LENGTH,
  MAX_LINE_QUANTITY,
  MAX_ORDER_TOTAL,
  MAX_PRICE,
  MAX_TS_SKEW_MS,
  MIN_IMPORT_TS,
} from '../../engine/contracts/bounds.js';
import { isPulseError, PulseError } from '../../engine/contracts/errors.js';
import {
  EventInputSchema,
  IdSchema,
  ItemSchema,
  lineItemsSchema,
  mergeEventId,
  parseStoredEvent,
  zodDetails,
  type LoggedEvent,
} from '../../engine/contracts/schemas.js';
import { orderPoints } from '../../engine/members/logic/points.js';
import type { AppendResult, EventLogWriter } from '../../engine/stream/event-log.js';
import type { TokenClaims } from '../../gateway/auth.js';
import { BATCH_APPEND_WINDOW, EventIntake } from '../../gateway/event-intake.js';
import { GatewayMetrics } from '../../gateway/metrics.js';
import { startHarness, type Harness } from './gateway-harness.js';

const NOW = Date.UTC(2026, 4, 1, 12);
const purchase = (items: Array<{ itemId: string; quantity: number; price: number }>) => ({ type: 'purchase', items });
const refusedAt = (value: unknown) => {
  const parsed = EventInputSchema.safeParse(value);
  // The first field named (the error message's); an overflowing line also breaks the order total.
  return parsed.success ? undefined : Object.keys(zodDetails(parsed.error))[0];
};

describe('bounds of what the edge accepts', () => {
  it('refuses overflowing, non-finite and absurd line prices and quantities, naming the field', () => {
    expect(refusedAt(purchase([{ itemId: 'a', quantity: 1, price: 1e308 }]))).toBe('items.0.price');
    expect(refusedAt(purchase([{ itemId: 'a', quantity: 1, price: MAX_PRICE + 0.01 }]))).toBe('items.0.price');
    expect(refusedAt(purchase([{ itemId: 'a', quantity: 1, price: Infinity }]))).toBe('items.0.price');
    expect(refusedAt(purchase([{ itemId: 'a', quantity: 1, price: -1 }]))).toBe('items.0.price');
    expect(refusedAt(purchase([{ itemId: 'a', quantity: MAX_LINE_QUANTITY + 1, price: 0.01 }]))).toBe('items.0.quantity');
    expect(refusedAt(purchase([{ itemId: 'a', quantity: -1e15, price: 1 }]))).toBe('items.0.quantity');
    expect(refusedAt(purchase([{ itemId: 'a', quantity: 2.5, price: 1 }]))).toBe('items.0.quantity');
    expect(refusedAt(purchase([{ itemId: 'a', quantity: 100, price: MAX_PRICE }]))).toBeUndefined();
  });

  it('refuses an order whose gross total (sum of |price x quantity|) passes MAX_ORDER_TOTAL, returns counted at their size', () => {
    const half = MAX_ORDER_TOTAL / 2 / MAX_PRICE;
    expect(
      refusedAt(
        purchase([
          { itemId: 'a', quantity: half, price: MAX_PRICE },
          { itemId: 'b', quantity: -half, price: MAX_PRICE },
        ]),
      ),
    ).toBeUndefined();
    expect(
      refusedAt(
        purchase([
          { itemId: 'a', quantity: half, price: MAX_PRICE },
          { itemId: 'b', quantity: -half - 1, price: MAX_PRICE },
        ]),
      ),
    ).toBe('items');
    expect(refusedAt({ type: 'add_to_cart', itemId: 'a', items: [{ itemId: 'a', quantity: 200, price: MAX_PRICE }] })).toBe('items');
    // The same bound for an order route's lines.
    expect(lineItemsSchema(1, 500).safeParse([{ itemId: 'a', quantity: 101, price: MAX_PRICE }]).success).toBe(false);
    // The largest order at the highest configurable rate stays a safe integer of points.
    expect(Number.isSafeInteger(orderPoints(MAX_ORDER_TOTAL, 'regular', { regular: 1000, vip: 1000, enterprise: 1000 }))).toBe(true);
  });

  it('bounds item prices', () => {
    const item = { itemId: 'i-1', title: 'Lamp', category: 'home' };
    expect(ItemSchema.safeParse({ ...item, price: MAX_PRICE }).success).toBe(true);
    expect(ItemSchema.safeParse({ ...item, price: 1e308 }).success).toBe(false);
  });

  it('keeps ids no longer than what a URL path parameter can carry', () => {
    expect(MAX_ID_LENGTH).toBe(100); // Fastify's default maxParamLength
    expect(IdSchema.safeParse('x'.repeat(MAX_ID_LENGTH)).success).toBe(true);
    expect(IdSchema.safeParse('x'.repeat(MAX_ID_LENGTH + 1)).success).toBe(false);
    expect(refusedAt({ type: 'view', itemId: 'i'.repeat(5000) })).toBe('itemId');
    expect(refusedAt({ type: 'view', itemId: 'i', id: 'e'.repeat(MAX_ID_LENGTH + 1) })).toBe('id');
  });

  it('refuses a ts that is not a safe epoch ms, at the edge and at decode; a merge id of the longest user id still decodes', () => {
    expect(refusedAt({ type: 'view', itemId: 'i', ts: 1e20 })).toBe('ts');
    const stored = { type: 'view', itemId: 'i', id: 'e1', userId: 'u1', ts: NOW, receivedAt: NOW };
    expect(parseStoredEvent(stored)).toMatchObject({ id: 'e1' });
    expect(() => parseStoredEvent({ ...stored, ts: 1e20 })).toThrow();
    expect(() =>
      parseStoredEvent({ ...stored, type: 'purchase', itemId: undefined, items: [{ itemId: 'a', quantity: 1, price: 1e308 }] }),
    ).toThrow();
    const longUser = 'u'.repeat(MAX_ID_LENGTH);
    const merge: LoggedEvent = { type: 'merge', id: mergeEventId(longUser), userId: 'm1', fromUserId: longUser, ts: NOW, receivedAt: NOW };
    expect(parseStoredEvent(merge)).toEqual(merge);
  });

  it('windows ts around the gateway clock: 5 minutes ahead for all, 7 days back for shoppers, 2000-01-01 for admin imports', () => {
    for (const role of ['visitor', 'member', 'marketing', 'admin']) {
      expect(eventTimeProblem(NOW + MAX_TS_SKEW_MS, NOW, role)).toBeUndefined();
      expect(eventTimeProblem(NOW + MAX_TS_SKEW_MS + 1, NOW, role)).toMatch(/future/);
    }
    expect(eventTimeProblem(NOW - MAX_EVENT_AGE_MS, NOW, 'visitor')).toBeUndefined();
    expect(eventTimeProblem(NOW - MAX_EVENT_AGE_MS - 1, NOW, 'member')).toMatch(/days old/);
    expect(eventTimeProblem(Date.UTC(2010, 11, 1), NOW, 'admin')).toBeUndefined();
    expect(eventTimeProblem(MIN_IMPORT_TS, NOW, 'admin')).toBeUndefined();
    expect(eventTimeProblem(MIN_IMPORT_TS - 1, NOW, 'admin')).toMatch(/2000-01-01/);
  });
});

/** An event log that records appends in call order and settles them when told. */
class RecordingLog implements EventLogWriter {
  readonly calls: LoggedEvent[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private seq = 0;
  failIds = new Set<string>();

  async append(event: LoggedEvent): Promise<AppendResult> {
    this.calls.push(event);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 1));
    this.inFlight--;
    if (this.failIds.has(event.id)) throw new PulseError('unavailable', 'log down');
    return { seq: ++this.seq, duplicate: false };
  }
}

function intakeOver(log: EventLogWriter): EventIntake {
  return new EventIntake({
    eventLog: log,
    metrics: new GatewayMetrics({ defaultMetrics: false }),
    logger: pino({ level: 'silent' }),
    appendTimeoutMs: 5000,
    now: () => NOW,
  });
}

describe('EventIntake', () => {
  const visitor: TokenClaims = { sub: 'v1', role: 'visitor' };
  const admin: TokenClaims = { sub: 'ops', role: 'admin' };

  it('refuses a far-future or too-old ts with invalid_event naming ts, and stamps now when there is none', () => {
    const intake = intakeOver(new RecordingLog());
    for (const ts of [NOW + 3600_000, NOW - 30 * 86_400_000]) {
      const err = (() => {
        try {
          intake.prepare({ type: 'view', itemId: 'i', ts }, visitor);
        } catch (e) {
          return e;
        }
      })();
      expect(isPulseError(err) && err.code).toBe('invalid_event');
      expect(Object.keys((err as PulseError).details ?? {})).toEqual(['ts']);
    }
    expect(intake.prepare({ type: 'view', itemId: 'i', ts: Date.UTC(2011, 0, 1), userId: 'c1' }, admin)).toMatchObject({
      userId: 'c1',
      ts: Date.UTC(2011, 0, 1),
    });
    expect(intake.prepare({ type: 'view', itemId: 'i' }, visitor).ts).toBe(NOW);
  });

  it('pipelines a batch: appends in index order, many in flight but at most the window, rejections in index order', async () => {
    const log = new RecordingLog();
    const raws = Array.from({ length: 1000 }, (_, i) =>
      i % 250 === 7 ? { type: 'view' } : { type: 'view', itemId: `i${i}`, id: `e${i}`, userId: `u${i % 3}` },
    );
    const result = await intakeOver(log).intakeBatch(raws, admin);
    expect(result.accepted).toBe(996);
    expect(result.rejected.map((r) => [r.index, r.error.code])).toEqual([7, 257, 507, 757].map((i) => [i, 'invalid_event']));
    expect(log.calls.map((e) => Number(e.id.slice(1)))).toEqual(raws.flatMap((raw, i) => ('itemId' in raw ? [i] : [])));
    expect(log.maxInFlight).toBe(BATCH_APPEND_WINDOW);
  });

  it("after a failed append, rejects that user's later events not yet sent as unavailable; other users go on", async () => {
    const log = new RecordingLog();
    log.failIds.add('e0');
    // The window is full when u0's e0 fails, so u0's events from index 2 * BATCH_APPEND_WINDOW on are not sent.
    const raws = Array.from({ length: 3 * BATCH_APPEND_WINDOW }, (_, i) => ({
      type: 'view',
      itemId: 'i',
      id: `e${i}`,
      userId: `u${i % 2}`,
    }));
    const result = await intakeOver(log).intakeBatch(raws, admin);
    const rejected = result.rejected.map((r) => r.index);
    expect(rejected[0]).toBe(0);
    expect(result.rejected.every((r) => r.error.code === 'unavailable' && r.index % 2 === 0)).toBe(true);
    expect(rejected.length).toBeGreaterThan(BATCH_APPEND_WINDOW / 2);
    // What u0 got into the log after the failure was already in flight when it failed.
    const sentAfter = log.calls.filter((e) => e.userId === 'u0' && e.id !== 'e0').map((e) => Number(e.id.slice(1)));
    expect(Math.max(...sentAfter)).toBeLessThan(2 * BATCH_APPEND_WINDOW);
    expect(result.accepted + result.rejected.length).toBe(raws.length);
    expect(log.calls.filter((e) => e.userId === 'u1')).toHaveLength((3 * BATCH_APPEND_WINDOW) / 2);
  });
});

describe('ids a path can address', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => h?.close());

  it('routes an id of MAX_ID_LENGTH characters to its handler; a longer one is refused by the router with invalid_request', async () => {
    const token = await h.token('admin');
    // No engine serves the harness: reaching the handler answers unavailable, not a 404.
    const longest = await h.fetch(`/v1/items/${'x'.repeat(MAX_ID_LENGTH)}`, { token });
    expect(longest.status).toBe(503);
    const longer = await h.fetch(`/v1/items/${'x'.repeat(MAX_ID_LENGTH + 1)}`, { token });
    expect(longer.status).toBe(400);
    expect(longer.body).toEqual({
      error: { code: 'invalid_request', message: `a path parameter is longer than ${MAX_ID_LENGTH} characters` },
    });
  });

  it('answers 202 with a rejection for each hostile event and appends none of them', async () => {
    const token = await h.token('visitor', 'v-hostile');
    const before = h.appended.length;
    const hostile = [
      purchase([{ itemId: 'a', quantity: 1, price: 1e308 }]),
      { type: 'view', itemId: 'a', ts: 1e20 },
      { type: 'view', itemId: 'a', ts: Date.now() + 3600_000 },
      purchase([{ itemId: 'a', quantity: 1e9, price: 1 }]),
      { type: 'view', itemId: 'x'.repeat(MAX_ID_LENGTH + 1) },
    ];
    const res = await h.fetch('/v1/events', { method: 'POST', token, json: { events: hostile } });
    expect(res.status).toBe(202);
    const body = res.body as {
      accepted: number;
      rejected: Array<{ index: number; error: { code: string; details?: Record<string, string> } }>;
    };
    expect(body.accepted).toBe(0);
    expect(body.rejected.map((r) => [r.index, r.error.code, Object.keys(r.error.details ?? {})[0]])).toEqual([
      [0, 'invalid_event', 'items.0.price'],
      [1, 'invalid_event', 'ts'],
      [2, 'invalid_event', 'ts'],
      [3, 'invalid_event', 'items.0.quantity'],
      [4, 'invalid_event', 'itemId'],
    ]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(h.appended.length).toBe(before);
  });
});
