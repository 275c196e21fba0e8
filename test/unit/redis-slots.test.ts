import { describe, expect, it } from 'vitest';
import { keySlot, SLOTS, slotTag } from '../../engine/platform/redis/redis-slots.js';

describe('Redis Cluster slots', () => {
  it('computes the slots Redis Cluster does (CRC16-XMODEM mod 16384)', () => {
    // Values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
    expect(keySlot('123456789')).toBe(12739);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
    expect(keySlot('hello')).toBe(866);
    expect(keySlot('')).toBe(0);
  });

  it('has a short tag for every slot, hashing to that slot', () => {
    const tags = Array.from({ length: SLOTS }, (_, slot) => slotTag(slot));
    expect(tags.filter((tag, slot) => keySlot(tag) !== slot)).toEqual([]);
    expect(Math.max(...tags.map((tag) => tag.length))).toBeLessThanOrEqual(4);
    expect(new Set(tags).size).toBe(SLOTS);
    expect(() => slotTag(SLOTS)).toThrow(RangeError);
  });
});
