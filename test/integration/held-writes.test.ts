import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heldWrites } from '../../engine/platform/redis/held-writes.js';
import { EventProcessor } from '../../engine/stream/event-processor.js';
import { MemoryUserStateStore } from '../../engine/shoppers/adapters/memory-user-state-store.js';
import { plainProcessorDeps, processorOptions } from '../helpers/processor-fixtures.js';
import { randomPrefix } from '../helpers/redis-suite.js';
import { startRedis, type TestServer } from '../helpers/servers.js';

/** Counts the socket writes (syscalls: one per `_write` or `_writev`) of a connection and the commands in them. */
function countWrites(redis: Redis): { writes: number; chunks: number } {
  const counts = { writes: 0, chunks: 0 };
  const stream = redis.stream as unknown as {
    _write: (chunk: unknown, encoding: string, cb: () => void) => void;
    _writev: (chunks: unknown[], cb: () => void) => void;
  };
  const write = stream._write.bind(stream);
  const writev = stream._writev.bind(stream);
  stream._write = (chunk, encoding, cb) => {
    counts.writes++;
    counts.chunks++;
    write(chunk, encoding, cb);
  };
  stream._writev = (chunks, cb) => {
    counts.writes++;
    counts.chunks += chunks.length;
    writev(chunks, cb);
  };
  return counts;
}

describe('held writes on a real Redis', () => {
  let server: TestServer;
  let redis: Redis;

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url, { maxRetriesPerRequest: 1, enableAutoPipelining: false });
    await redis.ping();
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  it('sends the commands started inside run in one write, and each still gets its own reply', async () => {
    const key = `${randomPrefix()}k`;
    const counts = countWrites(redis);
    const replies = heldWrites(redis)(() => [redis.set(key, 'a'), redis.append(key, 'b'), redis.get(key)]);
    expect(counts).toEqual({ writes: 1, chunks: 3 });
    expect(await Promise.all(replies)).toEqual(['OK', 2, 'ab']);
    // Outside run, each command is a write of its own.
    await Promise.all([redis.get(key), redis.get(key)]);
    expect(counts).toEqual({ writes: 3, chunks: 5 });
  });

  it('returns what run returns and releases the connection when run throws', async () => {
    const hold = heldWrites(redis);
    expect(hold(() => 42)).toBe(42);
    expect(() =>
      hold(() => {
        void redis.ping();
        throw new Error('run failed');
      }),
    ).toThrow('run failed');
    expect(redis.stream.writableCorked).toBe(0);
    expect(await redis.ping()).toBe('PONG');
  });

  it('leaves a connection that is not ready alone: its commands wait in the offline queue as usual', async () => {
    const lazy = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      const reply = heldWrites(lazy)(() => lazy.ping());
      expect(await reply).toBe('PONG');
    } finally {
      lazy.disconnect();
    }
  });

  it("starts every stage's after-store work of a batch inside the coalescer", async () => {
    const deps = plainProcessorDeps(new MemoryUserStateStore({ recentLimit: 20, dedupeTtlSeconds: 3600 }));
    let holding = false;
    const seen: boolean[] = [];
    const record = deps.stats.recordMany.bind(deps.stats);
    deps.stats.recordMany = (...args: Parameters<typeof record>) => {
      seen.push(holding);
      return record(...args);
    };
    const processor = new EventProcessor({
      ...deps,
      options: processorOptions(),
      coalesceWrites: (run) => {
        holding = true;
        try {
          return run();
        } finally {
          holding = false;
        }
      },
    });
    await processor.process({ id: 'e1', userId: 'u1', type: 'view', itemId: 'i1', ts: Date.now(), receivedAt: Date.now() });
    expect(seen).toEqual([true]);
  });
});
