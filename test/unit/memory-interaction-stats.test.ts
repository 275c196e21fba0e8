import { describe, expect, it } from 'vitest';
import { MemoryInteractionStats } from '../../engine/recommend/mod.js';

const TS = Date.UTC(2026, 0, 1);
const update = (pairs: Array<[string, string, number]>, items: Array<[string, number]> = []) => ({ items, pairs, ts: TS });

/** The ordered copies the in-memory store keeps between writes (reads must never see a stale one). */
describe('MemoryInteractionStats ordered reads', () => {
  it('a read after a write sees the write, for every list and popularity', async () => {
    const stats = new MemoryInteractionStats({ popularityHalfLifeSeconds: 3600 });
    await stats.record('e1', { ...update([['a', 'b', 1]], [['a', 1]]), coPurchases: [['a', 'b', 1]], boughtAfter: [['a', 'b', 1]] });
    expect(await stats.coVisited('a', 10)).toEqual([['b', 1]]);
    expect(await stats.coPurchased('a', 10)).toEqual([['b', 1]]);
    expect(await stats.boughtAfter('a', 10)).toEqual([['b', 1]]);
    expect(await stats.popular(10)).toEqual([['a', 1]]);

    await stats.record('e2', {
      ...update([['a', 'c', 3]], [['b', 3]]),
      coPurchases: [['a', 'c', 2]],
      boughtAfter: [['a', 'c', 2]],
    });
    expect(await stats.coVisited('a', 10)).toEqual([
      ['c', 3],
      ['b', 1],
    ]);
    expect(await stats.coPurchased('a', 10)).toEqual([
      ['c', 2],
      ['b', 1],
    ]);
    expect(await stats.boughtAfter('a', 10)).toEqual([
      ['c', 2],
      ['b', 1],
    ]);
    expect((await stats.popular(10)).map(([id]) => id)).toEqual(['b', 'a']);
    // The other side of a pair is a list written too.
    expect(await stats.coVisited('c', 10)).toEqual([['a', 3]]);
  });

  it('a caller changing what it got does not change the next read', async () => {
    const stats = new MemoryInteractionStats({ popularityHalfLifeSeconds: 3600 });
    await stats.record(
      'e1',
      update(
        [
          ['a', 'b', 2],
          ['a', 'c', 1],
        ],
        [['a', 1]],
      ),
    );
    const first = await stats.coVisited('a', 10);
    first[0]![1] = 99;
    first.length = 0;
    expect(await stats.coVisited('a', 10)).toEqual([
      ['b', 2],
      ['c', 1],
    ]);
    const popular = await stats.popular(10);
    popular[0]![1] = 99;
    expect(await stats.popular(10)).toEqual([['a', 1]]);
  });

  it('a limit reads the best entries of the ordered list, after a trim as before it', async () => {
    const stats = new MemoryInteractionStats({ popularityHalfLifeSeconds: 3600, maxNeighbours: 2 });
    await stats.record(
      'e1',
      update([
        ['a', 'b', 1],
        ['a', 'c', 2],
      ]),
    );
    expect(await stats.coVisited('a', 1)).toEqual([['c', 2]]);
    // A fourth neighbour passes 1.5 x maxNeighbours: the list is trimmed to the best two.
    await stats.record(
      'e2',
      update([
        ['a', 'd', 5],
        ['a', 'e', 4],
      ]),
    );
    expect(await stats.coVisited('a', 10)).toEqual([
      ['d', 5],
      ['e', 4],
    ]);
  });
});
