import { describe, expect, it } from 'vitest';
import { OldestFirst } from '../../engine/platform/oldest-first.js';

/** The reference: the first entry of a fresh iterator (what OldestFirst answers without walking holes). */
const firstOf = <K, V>(map: Map<K, V>) => map.entries().next().value;

describe('OldestFirst', () => {
  it('answers the first entry in insertion order through a queue, an LRU, deletes and a drained map', () => {
    const map = new Map<number, { v: number }>();
    const order = new OldestFirst(map);
    expect(order.peek()).toBeUndefined();
    expect(order.shift()).toBeUndefined();
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let step = 0; step < 20_000; step++) {
      const r = random();
      const key = Math.floor(random() * 300);
      if (r < 0.45) {
        // set (a move to the end when held: delete, then set a fresh value)
        map.delete(key);
        map.set(key, { v: step });
      } else if (r < 0.6) map.delete(key);
      else if (r < 0.9) {
        const expected = firstOf(map);
        expect(order.peek()).toEqual(expected);
        expect(order.peek()).toBe(order.peek());
      } else if (r < 0.999) {
        const expected = firstOf(map)?.[0];
        expect(order.shift()).toBe(expected);
        if (expected !== undefined) expect(map.has(expected)).toBe(false);
      } else map.clear();
    }
    // Drained to empty, then refilled: the new entries are found.
    while (order.shift() !== undefined);
    expect(map.size).toBe(0);
    map.set(1, { v: 1 });
    map.set(2, { v: 2 });
    expect(order.shift()).toBe(1);
    expect(order.peek()).toEqual([2, { v: 2 }]);
  });

  it('sees an entry set again with a new value as moved to the end', () => {
    const map = new Map<string, { v: number }>([
      ['a', { v: 1 }],
      ['b', { v: 2 }],
    ]);
    const order = new OldestFirst(map);
    expect(order.peek()?.[0]).toBe('a');
    map.delete('a');
    map.set('a', { v: 3 });
    expect(order.peek()?.[0]).toBe('b');
    expect(order.shift()).toBe('b');
    expect(order.shift()).toBe('a');
    expect(order.shift()).toBeUndefined();
  });
});
