import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { MemoryMemberStore } from '../../engine/members/adapters/memory-member-store.js';
import { RedisMemberStore } from '../../engine/members/adapters/redis-member-store.js';
import type { MemberStore, StoredMember } from '../../engine/members/member-store.js';
import { randomPrefix, useRedisServer } from './redis-suite.js';

/**
 * The MemberStore suites on points and orders (test/integration/member-points-conformance.test.ts,
 * order-records-conformance.test.ts): both implementations, a new member and the tier thresholds.
 */

export const thresholds = { vip: 1000, enterprise: 10_000 };

/** A new regular member with no points, under fresh id and email. */
export const member = (): StoredMember => ({
  memberId: `m_${randomUUID().slice(0, 12)}`,
  email: `${randomUUID().slice(0, 8)}@example.com`,
  name: 'Grace',
  tier: 'regular',
  points: 0,
  lifetimePoints: 0,
  createdAt: 1_700_000_000_000,
  passwordHash: 'scrypt$1024$8$1$c2FsdA==$a2V5',
});

/**
 * Starts the file's redis-server (call at the top level of a test file) and returns both
 * implementations, each Redis store under a random key prefix.
 */
export function useMemberStores(): Array<[string, () => MemberStore]> {
  let redis: Redis;
  useRedisServer((client) => (redis = client));
  return [
    ['memory', () => new MemoryMemberStore()],
    ['redis', () => new RedisMemberStore(redis, { keyPrefix: randomPrefix() })],
  ];
}
