import { describe, expect, it } from 'vitest';
import { affinityAfter, affinityAfterItem, affinityGain, emptyAffinity } from '../../engine/shoppers/logic/affinity.js';
import { decodeRecentList, loadedState } from '../../engine/shoppers/adapters/redis-user-state-codec.js';
import { decodeRecent, shopperFromStored, stateFromStored } from '../helpers/stored-state-reference.js';
import { CounterSums, counterFieldList } from '../../engine/analytics/adapters/counter-sums.js';
import { counterFields } from '../../engine/analytics/shop-analytics-checks.js';
import type { Affinity } from '../../engine/shoppers/user-state-store.js';

/**
 * The allocation-free forms on the event path give exactly what the forms they replaced gave
 * (values, and the order of keys and entries, which the stored bytes follow).
 */

const HALF_LIFE = 14 * 24 * 3600;
const DAY = 24 * 3600 * 1000;

function entriesOf(affinity: Affinity | undefined) {
  return (
    affinity && { ...affinity, categories: [...affinity.categories], brands: [...affinity.brands], brandEvents: [...affinity.brandEvents] }
  );
}

describe('affinityAfterItem', () => {
  const items = [
    { category: 'Shoes / Running', brand: ' Acme ' },
    { category: 'shoes/running/trail', brand: 'acme' },
    { category: 'Bags', brand: 'Other' },
    { category: '', brand: 'Solo' },
    { category: ' / ', brand: '  ' },
    { category: 'Hats' },
  ];
  const weights = [1, 3, -2, 0, 0.5];

  it('equals affinityAfter of the one-line gain, entry for entry and in order', () => {
    let state = emptyAffinity();
    let ts = Date.UTC(2025, 0, 1);
    for (let step = 0; step < 200; step++) {
      const item = step % 7 === 6 ? undefined : items[step % items.length];
      const weight = weights[step % weights.length]!;
      // now and then far ahead: the landmark moves (rescale)
      ts += step % 50 === 49 ? 80 * 14 * DAY : 3_600_000;
      const limit = step % 3 === 0 ? 3 : 64;
      const expected = affinityAfter(state, affinityGain([[item, weight]]), ts, HALF_LIFE, limit);
      const actual = affinityAfterItem(state, item, weight, ts, HALF_LIFE, limit);
      expect(entriesOf(actual)).toEqual(entriesOf(expected));
      if (actual) state = actual;
    }
  });
});

describe('loaded state decoding', () => {
  it('decodeRecentList is flatMap(decodeRecent)', () => {
    const list = ['v|abc|i1', 'bad', 'x|1|i2', 'c|zz|i|3', 'p||i4', 'a|1|'];
    expect(decodeRecentList(list)).toEqual(list.flatMap(decodeRecent));
  });

  it('loadedState is the state and shopper parts spread together (same keys, same order)', () => {
    const cases: Array<[Float32Array | null, Record<string, string>, string | null, string | null]> = [
      [null, {}, null, null],
      [
        new Float32Array([0.6, 0.8]),
        { strength: '2.5', updatedAt: '10', version: '4', tier: 'gold', vectorVersion: 'm1', 'c:view': '3', 'c:total': '4', orders: '1' },
        '{"l":5,"c":[["a",1]],"b":[["x",2]],"n":[["x",1]]}',
        '[["i1",2]]',
      ],
      [null, { tier: 'nope', vectorVersion: 'm1', spend: 'NaN', firstSeenAt: '7' }, 'not json', '{'],
      [new Float32Array([1]), { 'c:click': '1', strength: '1' }, 'null', '[["i1","x"],["i2",1]]'],
    ];
    for (const [vector, st, affinity, cart] of cases) {
      const expected = { ...stateFromStored(vector, st, [], ['b1']), ...shopperFromStored(st, affinity, cart) };
      const actual = loadedState(vector, st, [], ['b1'], affinity, cart);
      expect(actual).toEqual(expected);
      expect(Object.keys(actual)).toEqual(Object.keys(expected));
      expect(Object.keys(actual.counts)).toEqual(Object.keys(expected.counts));
    }
  });
});

describe('analytics counter sums', () => {
  it('counterFieldList is Object.entries(counterFields(...))', () => {
    for (const counters of [
      { type: 'view' as const, ts: 1, total: 0 },
      { type: 'view' as const, ts: 2, total: 0 },
      { type: 'order' as const, ts: 1, total: 12.5 },
      { type: 'order' as const, ts: 1, total: -3 },
      { type: 'purchase' as const, ts: 1, total: 4 },
    ])
      expect(counterFieldList(counters)).toEqual(Object.entries(counterFields(counters)));
  });

  it('CounterSums keeps the first-added order and the sums of a Map keyed "<index>\\n<field>"', () => {
    const adds: Array<[number, string, number]> = [
      [12, 'ev:view', 1],
      [13, 'ev:view', 1],
      [12, 'orders', 1],
      [14, 'revenue', -0],
      [12, 'ev:view', 1],
      [13, 'revenue', 2.5],
      [14, 'revenue', 0.1],
    ];
    const sums = new CounterSums();
    const map = new Map<string, number>();
    for (const [index, field, value] of adds) {
      sums.add(index, field, value);
      map.set(`${index}\n${field}`, (map.get(`${index}\n${field}`) ?? 0) + value);
    }
    const listed = sums.indexes.map((index, i) => [`${index}\n${sums.fields[i]}`, sums.values[i]]);
    expect(listed).toEqual([...map]);
    expect(Object.is(sums.values[3], map.get('14\nrevenue'))).toBe(true);
  });
});
