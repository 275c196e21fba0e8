import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import { PulseError } from '../../engine/contracts/errors.js';
import { MemoryInteractionStats } from '../../engine/recommend/adapters/memory-interaction-stats.js';
import { MemoryPartitionLeases } from '../../engine/stream/adapters/memory-partition-leases.js';
import { MemoryUserStateStore } from '../../engine/shoppers/adapters/memory-user-state-store.js';
import { RedisInteractionStats } from '../../engine/recommend/adapters/redis-interaction-stats.js';
import { RedisPartitionLeases } from '../../engine/stream/adapters/redis-partition-leases.js';
import { RedisUserStateStore } from '../../engine/shoppers/adapters/redis-user-state-store.js';
import type { InteractionStats } from '../../engine/recommend/interaction-stats.js';
import type { PartitionLeases } from '../../engine/stream/partition-leases.js';
import type { UserStateChange, UserStateStore, UserStateStoreOptions } from '../../engine/shoppers/user-state-store.js';
import { randomPrefix, useRedisServer } from './redis-suite.js';

/**
 * The state ports' conformance suites (test/integration/state-conformance.test.ts and
 * stats-leases-conformance.test.ts): each port made by the Redis adapter (on a redis-server of the
 * test file's own, every test under a random key prefix) and by the in-memory fake.
 */

export interface StateFactories {
  users(options: UserStateStoreOptions): UserStateStore;
  stats(options: { popularityHalfLifeSeconds: number; dedupeTtlSeconds: number; maxNeighbours?: number }): InteractionStats;
  leases(): PartitionLeases;
}

export interface StateSuite {
  implementations: Array<[string, StateFactories]>;
  /** The file's Redis client and URL (set once its server runs). */
  redis(): Redis;
  redisUrl(): string;
}

/** Starts the file's redis-server (call at the top level of a test file) and returns both implementations. */
export function useStateSuite(): StateSuite {
  let redis: Redis | undefined;
  let redisUrl = '';
  useRedisServer((client, url) => {
    redis = client;
    redisUrl = url;
  });
  const client = () => {
    if (!redis) throw new Error('the redis-server of this file is not running yet');
    return redis;
  };
  return {
    implementations: [
      [
        'memory',
        {
          users: (options) => new MemoryUserStateStore(options),
          stats: (options) => new MemoryInteractionStats(options),
          leases: () => new MemoryPartitionLeases(),
        },
      ],
      [
        'redis',
        {
          users: (options) => new RedisUserStateStore(client(), { ...options, keyPrefix: randomPrefix() }),
          stats: (options) => new RedisInteractionStats(client(), { ...options, keyPrefix: randomPrefix() }),
          leases: () => new RedisPartitionLeases(client(), { keyPrefix: randomPrefix() }),
        },
      ],
    ],
    redis: client,
    redisUrl: () => redisUrl,
  };
}

/** mulberry32: seeded, so every run sees the same vectors. */
export function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function vectorOf(seed: number, dim: number): Float32Array {
  const next = random(seed);
  return Float32Array.from({ length: dim }, () => next() * 2 - 1);
}

export const bytes = (v: Float32Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

export function change(overrides: Partial<UserStateChange> & { eventId: string }): UserStateChange {
  return { expectedVersion: 0, type: 'view', strength: 1, updatedAt: 1_700_000_000_000, recent: [], bought: [], ...overrides };
}

/** The promise fails with PulseError `invalid_request`. */
export async function expectInvalid(promise: Promise<unknown>): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PulseError);
  expect((err as PulseError).code).toBe('invalid_request');
}
