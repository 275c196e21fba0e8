import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineRedisScripts } from '../../engine/platform/redis/redis-scripts.js';
import { prebuiltSha, runScript } from '../../engine/platform/redis/prebuilt-evalsha.js';
import { randomPrefix } from '../helpers/redis-suite.js';
import { startRedis, type TestServer } from '../helpers/servers.js';

/** The scripts kept off ioredis's pipelines (redis-scripts.ts keepScriptsOffPipelines), on a real redis-server. */
describe('scripts on a client whose pipelines do not carry them', () => {
  let server: TestServer;
  const clients: Redis[] = [];
  const client = (options: RedisOptions = {}) => {
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1, ...options });
    clients.push(redis);
    return redis;
  };

  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    for (const redis of clients) redis.disconnect();
    await server.stop();
  });

  it('creates pipelines without their own copy of the scripts, which still run in call order: prebuilt, through the method, in a pipeline, auto-pipelined', async () => {
    const redis = defineRedisScripts(client({ enableAutoPipelining: true }));
    const pipeline = redis.pipeline();
    expect(Object.hasOwn(pipeline, 'deleteIfEquals')).toBe(false);
    expect(prebuiltSha(redis, 'deleteIfEquals')).toMatch(/^[0-9a-f]{40}$/);
    const key = `${randomPrefix()}k`;
    await redis.set(key, 'mine');
    // Same tick: one auto-pipeline, in call order.
    const [kept, before, deleted, after] = await Promise.all([
      redis.deleteIfEquals(key, 'theirs'),
      redis.get(key),
      redis.deleteIfEquals(key, 'mine'),
      redis.exists(key),
    ]);
    expect([kept, before, deleted, after]).toEqual([0, 'mine', 1, 0]);
    expect(await pipeline.set(key, 'p').deleteIfEquals(key, 'p').exists(key).exec()).toEqual([
      [null, 'OK'],
      [null, 1],
      [null, 0],
    ]);
    await redis.set(key, 'again');
    expect(await runScript(redis, 'deleteIfEquals', [key], ['again'])).toBe(1);
    expect(await redis.exists(key)).toBe(0);
  });

  it('answers NOSCRIPT by sending the source, through the method and prebuilt', async () => {
    const redis = defineRedisScripts(client({ enableAutoPipelining: true }));
    const key = `${randomPrefix()}k`;
    await redis.set(key, 'v');
    await redis.script('FLUSH');
    expect(await redis.deleteIfEquals(key, 'v')).toBe(1);
    await redis.set(key, 'w');
    await redis.script('FLUSH');
    expect(await runScript(redis, 'deleteIfEquals', [key], ['w'])).toBe(1);
  });

  it('defines each script once however often it is asked', () => {
    const redis = client({ lazyConnect: true });
    defineRedisScripts(redis);
    const first = redis.deleteIfEquals;
    const sha = prebuiltSha(redis, 'deleteIfEquals');
    defineRedisScripts(redis);
    expect(redis.deleteIfEquals).toBe(first);
    expect(prebuiltSha(redis, 'deleteIfEquals')).toBe(sha);
  });

  it('keeps the scripts on the pipelines of a client with a key prefix (which cannot send them prebuilt)', async () => {
    const prefix = randomPrefix();
    const redis = defineRedisScripts(client({ keyPrefix: prefix }));
    expect(prebuiltSha(redis, 'deleteIfEquals')).toBeUndefined();
    await redis.set('k', 'v');
    const pipeline = redis.pipeline() as unknown as { deleteIfEquals(key: string, value: string): unknown; exec(): Promise<unknown> };
    pipeline.deleteIfEquals('k', 'v');
    expect(await pipeline.exec()).toEqual([[null, 1]]);
    expect(await client().exists(`${prefix}k`)).toBe(0);
  });
});
