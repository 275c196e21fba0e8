import { describe, expect, it } from 'vitest';
import { buildSequences, indexSequences, type InteractionEvent } from '../../models/sequences.js';

const MIN = 60_000;
const T0 = Date.UTC(2025, 0, 1);

const view = (userId: string, itemId: string, minute: number): InteractionEvent => ({
  userId,
  type: 'view',
  itemId,
  ts: T0 + minute * MIN,
});
const purchase = (userId: string, items: string[], minute: number, orderId?: string): InteractionEvent => ({
  userId,
  type: 'purchase',
  items: items.map((itemId) => ({ itemId })),
  ts: T0 + minute * MIN,
  ...(orderId ? { orderId } : {}),
});

describe('buildSequences', () => {
  it('orders each user by time and splits sessions at the gap', () => {
    const { sequences, stats } = buildSequences([
      view('u', 'c', 2),
      view('u', 'a', 0),
      view('u', 'b', 1),
      view('u', 'x', 100),
      view('u', 'y', 101),
      view('v', 'p', 0),
      view('v', 'q', 29),
    ]);
    expect(sequences.map((s) => [s.userId, s.kind, s.items])).toEqual([
      ['u', 'session', ['a', 'b', 'c']],
      ['u', 'session', ['x', 'y']],
      ['v', 'session', ['p', 'q']],
    ]);
    expect(sequences[0]!.from).toBe(T0);
    expect(sequences[0]!.to).toBe(T0 + 2 * MIN);
    expect(stats).toMatchObject({
      events: 7,
      usedEvents: 7,
      users: 2,
      sessions: 3,
      purchaseHistories: 0,
      tooShort: 0,
      from: T0,
      to: T0 + 101 * MIN,
    });
  });

  it('honours a custom gap and keeps ties in input order', () => {
    const events = [view('u', 'a', 0), view('u', 'b', 0), view('u', 'c', 10)];
    expect(buildSequences(events, { sessionGapMs: 5 * MIN }).sequences.map((s) => s.items)).toEqual([['a', 'b']]);
    expect(buildSequences(events, { sessionGapMs: 5 * MIN }).stats.tooShort).toBe(1);
  });

  it('drops one-item sequences, collapses consecutive repeats and ignores events without interest', () => {
    const { sequences, stats } = buildSequences([
      view('u', 'a', 0),
      { userId: 'u', type: 'click', itemId: 'a', ts: T0 + MIN },
      { userId: 'u', type: 'add_to_cart', itemId: 'a', ts: T0 + 2 * MIN },
      { userId: 'u', type: 'dislike', itemId: 'z', ts: T0 + 3 * MIN },
      { userId: 'u', type: 'remove_from_cart', itemId: 'z', ts: T0 + 3 * MIN },
      { userId: 'u', type: 'search', ts: T0 + 4 * MIN },
      view('u', 'b', 5),
      view('u', 'a', 6),
      view('lonely', 'q', 0),
    ]);
    expect(sequences.map((s) => s.items)).toEqual([['a', 'b', 'a']]);
    expect(stats.usedEvents).toBe(6);
    expect(stats.tooShort).toBe(1);
  });

  it('keeps a basket as one group and adds a purchase history across sessions', () => {
    const { sequences } = buildSequences([
      view('m', 'x', 0),
      purchase('m', ['a', 'b', 'c'], 1, 'o1'),
      purchase('m', ['d', 'e'], 24 * 60, 'o2'),
      view('m', 'f', 24 * 60 + 1),
    ]);
    const sessions = sequences.filter((s) => s.kind === 'session');
    expect(sessions.map((s) => s.items)).toEqual([
      ['x', 'a', 'b', 'c'],
      ['d', 'e', 'f'],
    ]);
    expect(sessions[0]!.groupStarts).toEqual([0, 1]);
    const history = sequences.filter((s) => s.kind === 'purchases');
    expect(history.map((s) => [s.items, s.groupStarts])).toEqual([
      [
        ['a', 'b', 'c', 'd', 'e'],
        [0, 3],
      ],
    ]);
  });

  it('adds no purchase history when all purchases were in one session, or when disabled', () => {
    const events = [
      purchase('m', ['a', 'b'], 0),
      purchase('m', ['c', 'd'], 5),
      purchase('n', ['a', 'b'], 0),
      purchase('n', ['c', 'd'], 3000),
    ];
    const { sequences, stats } = buildSequences(events);
    expect(stats.purchaseHistories).toBe(1);
    // n's two sessions are purchases only: the history holds them, so they are not repeated.
    expect(stats.coveredByHistory).toBe(2);
    expect(sequences.map((s) => [s.userId, s.kind, s.items])).toEqual([
      ['m', 'session', ['a', 'b', 'c', 'd']],
      ['n', 'purchases', ['a', 'b', 'c', 'd']],
    ]);
    const without = buildSequences(events, { purchaseHistories: false });
    expect(without.stats).toMatchObject({ purchaseHistories: 0, coveredByHistory: 0, sessions: 3 });
  });

  it('keeps untimed events in input order within the current session', () => {
    const { sequences } = buildSequences([
      view('u', 'a', 0),
      { userId: 'u', type: 'view', itemId: 'b' },
      view('u', 'c', 1),
      { userId: 'u', type: 'view', itemId: 'd' },
    ]);
    expect(sequences.map((s) => s.items)).toEqual([['a', 'b', 'c', 'd']]);
  });

  it('cuts very long sequences', () => {
    const events = Array.from({ length: 25 }, (_, i) => view('u', `i${i}`, i));
    const { sequences } = buildSequences(events, { maxLength: 10 });
    expect(sequences.map((s) => s.items.length)).toEqual([10, 10, 5]);
    expect(sequences[1]!.items[0]).toBe('i10');
  });

  it('rejects bad options', () => {
    expect(() => buildSequences([], { sessionGapMs: 0 })).toThrow(RangeError);
    expect(() => buildSequences([], { minLength: 0 })).toThrow(RangeError);
    expect(() => buildSequences([], { minLength: 5, maxLength: 3 })).toThrow(RangeError);
  });
});

describe('indexSequences', () => {
  it('numbers items by frequency (ties by id), counts them and keeps groups', () => {
    const { sequences } = buildSequences([view('u', 'b', 0), purchase('u', ['a', 'c'], 1), view('v', 'a', 0), view('v', 'b', 1)]);
    const indexed = indexSequences(sequences);
    expect(indexed.itemIds).toEqual(['a', 'b', 'c']);
    expect(Array.from(indexed.counts)).toEqual([2, 2, 1]);
    expect(indexed.sequences.map((s) => Array.from(s.rows))).toEqual([
      [1, 0, 2],
      [0, 1],
    ]);
    expect(Array.from(indexed.sequences[0]!.groupStarts)).toEqual([0, 1]);
    expect(indexed.positions).toBe(5);
  });

  it('drops rare items and the sequences they leave too short', () => {
    const { sequences } = buildSequences([
      view('u', 'a', 0),
      view('u', 'b', 1),
      view('v', 'a', 0),
      view('v', 'rare', 1),
      view('w', 'a', 0),
      view('w', 'b', 1),
    ]);
    const indexed = indexSequences(sequences, 2);
    expect(indexed.itemIds).toEqual(['a', 'b']);
    expect(indexed.sequences).toHaveLength(2);
  });
});
