import { describe, expect, it } from 'vitest';
import { BatchTags } from '../../engine/stream/pipeline/batch-tags.js';

describe('BatchTags', () => {
  it('never repeats a tag within a process', () => {
    const tags = new BatchTags();
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(tags.next());
    expect(seen.size).toBe(100_000);
  });

  it('gives two processes (two instances) disjoint tags', () => {
    const a = new BatchTags();
    const b = new BatchTags();
    const fromA = new Set(Array.from({ length: 1000 }, () => a.next()));
    for (let i = 0; i < 1000; i++) expect(fromA.has(b.next())).toBe(false);
  });

  it('keeps to the characters a Redis key and a marker take, as short as the random tags were', () => {
    const tags = new BatchTags();
    let last = '';
    for (let i = 0; i < 1_000_000; i++) last = tags.next();
    expect(last).toMatch(/^b-[A-Za-z0-9_-]{8}[0-9a-z]+$/);
    expect(last.length).toBeLessThanOrEqual(14);
  });

  it('puts a given prefix before a base-36 counter', () => {
    const tags = new BatchTags('abcdefgh');
    expect([tags.next(), tags.next(), tags.next()]).toEqual(['b-abcdefgh1', 'b-abcdefgh2', 'b-abcdefgh3']);
  });
});
