import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { loadEngineConfig } from '../../engine/config.js';
import { PersistenceRefusedError, RedisPersistenceGuard, readRedisPersistence } from '../../engine/platform/redis/redis-persistence.js';
import { connectInfrastructure } from '../../scripts/lib/infrastructure.js';
import { startNats, startRedis, type RedisServer, type TestServer } from '../helpers/servers.js';

const logger = pino({ level: 'silent' });
const stateOptions = { recentLimit: 50, dedupeTtlSeconds: 3600, popularityHalfLifeSeconds: 3600 };

/** The persistence rule against real redis-servers: one with an append-only file, one that keeps nothing. */
describe('Redis persistence at start and after a reconnect', () => {
  let nats: TestServer;
  let durable: RedisServer;
  let ephemeral: RedisServer;
  beforeAll(async () => {
    [nats, durable, ephemeral] = await Promise.all([startNats(), startRedis(), startRedis({ persistence: 'none' })]);
  });
  afterAll(async () => {
    await Promise.all([nats?.stop(), durable?.stop(), ephemeral?.stop()]);
  });

  it('reads the real settings', async () => {
    const a = new Redis(durable.url);
    const b = new Redis(ephemeral.url);
    try {
      expect(await readRedisPersistence(a)).toEqual({ mode: 'aof', settings: 'appendonly yes (appendfsync everysec), save ""' });
      expect(await readRedisPersistence(b)).toEqual({ mode: 'none', settings: 'appendonly no, save ""' });
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });

  it('connects to a Redis with an append-only file and shows it on /readyz', async () => {
    const infra = await connectInfrastructure(loadEngineConfig({ NATS_URL: nats.url, REDIS_URL: durable.url }), {
      logger,
      name: 't',
      allowEmbedded: false,
      ackWaitMs: 1000,
      state: stateOptions,
    });
    try {
      expect(infra.checks().persistence).toEqual({ ok: true, detail: 'aof: appendonly yes (appendfsync everysec), save ""' });
      expect(infra.persistence?.()).toMatchObject({ mode: 'aof', ephemeralAccepted: false });
    } finally {
      await infra.close();
    }
  });

  it('refuses a Redis that keeps nothing, even where embedded mode is allowed, unless REDIS_EPHEMERAL_OK', async () => {
    // `npm start` with REDIS_URL unset may fall back to the in-process fake for an unreachable Redis, never for a refused one.
    const config = { ...loadEngineConfig({ NATS_URL: nats.url }), redisUrl: ephemeral.url };
    const attempt = connectInfrastructure(config, { logger, name: 't', allowEmbedded: true, ackWaitMs: 1000, state: stateOptions });
    await expect(attempt).rejects.toBeInstanceOf(PersistenceRefusedError);
    await expect(attempt).rejects.toThrow(
      /refusing to start: Redis at redis:\/\/127\.0\.0\.1:\d+ keeps nothing on disk \(appendonly no, save ""\).*`appendonly yes`.*REDIS_EPHEMERAL_OK=1/,
    );

    const accepted = loadEngineConfig({ NATS_URL: nats.url, REDIS_URL: ephemeral.url, REDIS_EPHEMERAL_OK: '1' });
    expect(accepted.redisEphemeralOk).toBe(true);
    const infra = await connectInfrastructure(accepted, {
      logger,
      name: 't',
      allowEmbedded: false,
      ackWaitMs: 1000,
      state: { ...stateOptions, redisEphemeralOk: accepted.redisEphemeralOk },
    });
    try {
      expect(infra.mode.redis).toBe('connected');
      expect(infra.checks().persistence).toMatchObject({ ok: true, detail: expect.stringContaining('accepted by REDIS_EPHEMERAL_OK=1') });
      expect(infra.persistence?.()).toMatchObject({ mode: 'none', ephemeralAccepted: true });
    } finally {
      await infra.close();
    }
  });

  it('checks again after a reconnect: a Redis that came back keeping nothing turns the check red', async () => {
    const redis = new Redis(durable.url, { maxRetriesPerRequest: 3 });
    const admin = new Redis(durable.url);
    const guard = new RedisPersistenceGuard(redis, { ephemeralOk: false, where: durable.url, logger });
    try {
      await guard.verify();
      guard.watch();
      expect(guard.check().ok).toBe(true);
      // As a restart with other settings would: persistence off, then the connection drops.
      await admin.call('CONFIG', 'SET', 'appendonly', 'no');
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      await expect.poll(() => guard.check().ok, { timeout: 10_000, interval: 50 }).toBe(false);
      expect(guard.check().detail).toContain('keeps nothing on disk');
      await admin.call('CONFIG', 'SET', 'appendonly', 'yes');
      await admin.call('CLIENT', 'KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
      await expect.poll(() => guard.check().ok, { timeout: 10_000, interval: 50 }).toBe(true);
      expect(guard.verdict?.mode).toBe('aof');
    } finally {
      redis.disconnect();
      admin.disconnect();
    }
  });

  it('fails verify on a Redis that keeps nothing', async () => {
    const redis = new Redis(ephemeral.url);
    try {
      const guard = new RedisPersistenceGuard(redis, { ephemeralOk: false, where: ephemeral.url, logger });
      await expect(guard.verify()).rejects.toThrow('keeps nothing on disk');
      expect(guard.check().ok).toBe(false);
    } finally {
      redis.disconnect();
    }
  });
});
