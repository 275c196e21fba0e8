import { describe, expect, it } from 'vitest';
import { MAX_ID_LENGTH, MAX_LINE_QUANTITY, MAX_PRICE, MAX_TS } from '../../engine/contracts/bounds.js';
import { parseStoredEvent, parseStoredEventWithSchemas, storedEventFastPath } from '../../engine/contracts/schemas.js';

/**
 * The hand-written fast path of parseStoredEvent must return exactly what the zod schemas return
 * (same keys in the same order, undefined-valued ones included) or step aside (undefined), and
 * never accept what the schemas refuse.
 */

const T = 1_735_689_600_000;
const base = { id: 'e1', userId: 'u1', ts: T, receivedAt: T + 5 };
const line = (itemId: string, quantity = 1, price = 10) => ({ itemId, quantity, price });

const valid: Array<Record<string, unknown>> = [
  { ...base, type: 'view', itemId: 'a' },
  { type: 'click', itemId: 'a', ...base, viaSocket: true },
  { ...base, type: 'like', itemId: 'a', tier: 'vip', channel: 'web' },
  { ...base, type: 'dislike', itemId: 'a', tier: 'enterprise' },
  { ...base, type: 'add_to_cart', itemId: 'a' },
  { ...base, type: 'add_to_cart', itemId: 'a', items: [] },
  { ...base, type: 'add_to_cart', items: [line('a', 2), line('b', 1, 0)], itemId: 'a' },
  { ...base, type: 'remove_from_cart', itemId: 'a', items: [line('a', -1)] },
  { ...base, type: 'purchase', items: [line('a'), line('b', 3, 2.5)] },
  { ...base, type: 'purchase', orderId: 'o1', items: [line('a')], itemId: 'a', channel: 'app' },
  { ...base, type: 'purchase', items: [line('a', MAX_LINE_QUANTITY, 1)] },
  { ...base, type: 'search', query: 'red lamp' },
  { ...base, type: 'search', itemId: 'a', query: 'x' },
  { ...base, type: 'view', itemId: 'a'.repeat(MAX_ID_LENGTH), ts: MAX_TS, receivedAt: 1 },
  { ...base, type: 'view', itemId: 'a:b@c.d_e-f' },
];

const invalid: Array<Record<string, unknown>> = [
  { ...base, type: 'view' },
  { ...base, type: 'view', itemId: '' },
  { ...base, type: 'view', itemId: 'a b' },
  { ...base, type: 'view', itemId: 'a'.repeat(MAX_ID_LENGTH + 1) },
  { ...base, type: 'view', itemId: 7 },
  { ...base, type: 'view', itemId: 'a', extra: 1 },
  { ...base, type: 'view', itemId: 'a', items: [] },
  { ...base, type: 'view', itemId: 'a', query: 'q' },
  { ...base, type: 'view', itemId: 'a', fromUserId: 'v1' },
  { ...base, type: 'view', itemId: 'a', ts: 0 },
  { ...base, type: 'view', itemId: 'a', ts: 1.5 },
  { ...base, type: 'view', itemId: 'a', ts: MAX_TS + 1 },
  { ...base, type: 'view', itemId: 'a', ts: '1' },
  { ...base, type: 'view', itemId: 'a', receivedAt: Number.NaN },
  { ...base, type: 'view', itemId: 'a', tier: 'gold' },
  { ...base, type: 'view', itemId: 'a', viaSocket: false },
  { ...base, type: 'view', itemId: 'a', channel: '' },
  { ...base, type: 'view', itemId: 'a', channel: 'c'.repeat(65) },
  { ...base, type: 'view', itemId: 'a', id: 'a'.repeat(MAX_ID_LENGTH + 1) },
  { ...base, type: 'view', itemId: 'a', userId: 'u 1' },
  { ...base, type: 'teleport', itemId: 'a' },
  { ...base, type: 'add_to_cart', itemId: 'a', items: [line('a', 1.5)] },
  { ...base, type: 'add_to_cart', itemId: 'a', items: [{ ...line('a'), note: 'x' }] },
  { ...base, type: 'add_to_cart', itemId: 'a', items: [{ itemId: 'a', quantity: 1 }] },
  { ...base, type: 'add_to_cart', itemId: 'a', items: [line('a', 1, -1)] },
  { ...base, type: 'add_to_cart', itemId: 'a', items: [line('a', 1, MAX_PRICE + 1)] },
  { ...base, type: 'add_to_cart', itemId: 'a', items: [line('a', MAX_LINE_QUANTITY + 1)] },
  { ...base, type: 'add_to_cart', itemId: 'a', items: Array.from({ length: 201 }, (_, i) => line(`i${i}`)) },
  { ...base, type: 'add_to_cart', items: [line('a')] },
  { ...base, type: 'purchase', items: [] },
  { ...base, type: 'purchase', items: [line('a', MAX_LINE_QUANTITY, MAX_PRICE)] },
  { ...base, type: 'purchase', items: [['a', 1, 1]] },
  { ...base, type: 'purchase', items: [line('a')], orderId: 'o 1' },
  { ...base, type: 'search', query: '' },
  { ...base, type: 'search', query: 'q'.repeat(501) },
  { ...base, type: 'search', query: 'q', itemId: '' },
];

/** Keys in order with undefined values spelled out: toStrictEqual ignores key order. */
const shape = (event: object) => Object.entries(event).map(([key, value]) => [key, value === undefined ? '<undefined>' : value]);

describe('storedEventFastPath', () => {
  it.each(valid.map((event, i) => [i, event]))('returns what the schemas return for valid event %i', (_, event) => {
    const expected = parseStoredEventWithSchemas(event);
    const fast = storedEventFastPath(event);
    expect(fast).toBeDefined();
    expect(shape(fast!)).toEqual(shape(expected));
    expect(fast).toStrictEqual(expected);
    // The returned lines are fresh objects, as zod's are.
    if ('items' in event && Array.isArray(event.items) && event.items.length > 0)
      expect((fast as { items: unknown[] }).items[0]).not.toBe(event.items[0]);
  });

  it.each(invalid.map((event, i) => [i, event]))('steps aside for invalid event %i, which parseStoredEvent refuses', (_, event) => {
    expect(storedEventFastPath(event)).toBeUndefined();
    expect(() => parseStoredEventWithSchemas(event)).toThrow();
    expect(() => parseStoredEvent(event)).toThrow();
  });

  it('leaves merges, undefined-valued keys and non-plain values to the schemas, with the same result', () => {
    const merge = { ...base, id: 'merge:v1', type: 'merge', fromUserId: 'v1' };
    const undefinedTier = { ...base, type: 'view', itemId: 'a', tier: undefined };
    for (const event of [merge, undefinedTier]) {
      expect(storedEventFastPath(event)).toBeUndefined();
      expect(shape(parseStoredEvent(event))).toEqual(shape(parseStoredEventWithSchemas(event)));
    }
    expect(storedEventFastPath(null)).toBeUndefined();
    expect(storedEventFastPath([base])).toBeUndefined();
    expect(
      storedEventFastPath(Object.assign(Object.create({ inherited: 1 }) as object, { ...base, type: 'view', itemId: 'a' })),
    ).toBeUndefined();
    expect(
      storedEventFastPath(JSON.parse('{"__proto__":{"x":1},"type":"view","itemId":"a","id":"e1","userId":"u1","ts":5,"receivedAt":6}')),
    ).toBeUndefined();
  });

  it('agrees with the schemas on random mutations of valid events', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const values: unknown[] = ['a', '', 'a b', 0, -1, 1.5, T, MAX_TS + 1, true, false, null, [], {}, 'vip', [line('a')], 'x'.repeat(101)];
    const keys = [
      'id',
      'userId',
      'ts',
      'receivedAt',
      'tier',
      'viaSocket',
      'channel',
      'type',
      'itemId',
      'items',
      'orderId',
      'query',
      'other',
    ];
    for (let n = 0; n < 2000; n++) {
      const event: Record<string, unknown> = { ...valid[Math.floor(random() * valid.length)]! };
      const key = keys[Math.floor(random() * keys.length)]!;
      if (random() < 0.2) delete event[key];
      else event[key] = values[Math.floor(random() * values.length)];
      let expected: unknown;
      try {
        expected = shape(parseStoredEventWithSchemas(event));
      } catch {
        expected = 'refused';
      }
      const fast = storedEventFastPath(event);
      if (fast !== undefined) expect(shape(fast)).toEqual(expected);
      let actual: unknown;
      try {
        actual = shape(parseStoredEvent(event));
      } catch {
        actual = 'refused';
      }
      expect(actual).toEqual(expected);
    }
  });
});
