import { describe, expect, it } from 'vitest';
import { SearchMemos } from '../../engine/recommend/search-memos.js';

describe('SearchMemos', () => {
  it('gives each shopper one slot, the same on every call', () => {
    const memos = new SearchMemos(10);
    const box = memos.box('u1')!;
    box.value = { any: 1 };
    expect(memos.box('u1')).toBe(box);
    expect(memos.box('u2')).not.toBe(box);
    expect(memos.size).toBe(2);
  });

  it('evicts the least recently used shopper past the bound', () => {
    const memos = new SearchMemos(2);
    const a = memos.box('a')!;
    memos.box('b');
    memos.box('a');
    memos.box('c');
    expect(memos.size).toBe(2);
    expect(memos.box('a')).toBe(a);
    const b = memos.box('b')!;
    expect(b.value).toBeUndefined();
  });

  it('keeps nothing when off or without a shopper id', () => {
    expect(new SearchMemos(0).box('u1')).toBeUndefined();
    expect(new SearchMemos(5).box(undefined)).toBeUndefined();
    expect(() => new SearchMemos(-1)).toThrow(RangeError);
  });

  it('forgets a shopper', () => {
    const memos = new SearchMemos(5);
    const box = memos.box('u1')!;
    memos.forget('u1');
    expect(memos.box('u1')).not.toBe(box);
  });
});
