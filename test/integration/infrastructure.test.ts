import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { loadEngineConfig } from '../../engine/config.js';
import { connectInfrastructure } from '../../scripts/lib/infrastructure.js';
import { freePort, startNats, startRedis, type TestServer } from '../helpers/servers.js';

const logger = pino({ level: 'silent' });
const stateOptions = { recentLimit: 50, dedupeTtlSeconds: 3600, popularityHalfLifeSeconds: 3600 };

/** `npm start` falls back to in-process fakes only where a server is unreachable and its URL was not given. */
describe('connectInfrastructure', () => {
  let nats: TestServer;
  let redis: TestServer;
  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
  });
  afterAll(async () => {
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it('connects to the real servers and reports them ready', async () => {
    const config = loadEngineConfig({ NATS_URL: nats.url, REDIS_URL: redis.url });
    const infra = await connectInfrastructure(config, { logger, name: 't', allowEmbedded: true, ackWaitMs: 1000, state: stateOptions });
    try {
      expect(infra.mode).toEqual({ nats: 'connected', redis: 'connected' });
      const checks = infra.checks();
      expect(checks.nats?.ok).toBe(true);
      expect(checks.redis).toEqual({ ok: true, detail: `ready ${redis.url}` });
    } finally {
      await infra.close();
      await infra.close();
    }
  });

  it('runs embedded when the default URLs are unreachable and none was given', async () => {
    const closed = await freePort();
    // Defaults point at a closed port; `explicit` stays empty as when the variables are unset.
    const config = { ...loadEngineConfig({}), natsUrl: `nats://127.0.0.1:${closed}`, redisUrl: `redis://127.0.0.1:${closed}` };
    const infra = await connectInfrastructure(config, { logger, name: 't', allowEmbedded: true, ackWaitMs: 1000, state: stateOptions });
    try {
      expect(infra.mode).toEqual({ nats: 'embedded', redis: 'embedded' });
      expect(infra.checks().nats?.detail).toContain('embedded');
      expect(infra.checks().redis?.detail).toContain('embedded');
    } finally {
      await infra.close();
    }
  });

  it('refuses to fall back when the unreachable URL was given explicitly', async () => {
    const closed = await freePort();
    const config = loadEngineConfig({ NATS_URL: `nats://127.0.0.1:${closed}`, REDIS_URL: redis.url });
    await expect(
      connectInfrastructure(config, { logger, name: 't', allowEmbedded: true, ackWaitMs: 1000, state: stateOptions }),
    ).rejects.toThrow(`cannot reach NATS at nats://127.0.0.1:${closed}`);
    const noRedis = loadEngineConfig({ NATS_URL: nats.url, REDIS_URL: `redis://127.0.0.1:${closed}` });
    await expect(
      connectInfrastructure(noRedis, { logger, name: 't', allowEmbedded: true, ackWaitMs: 1000, state: stateOptions }),
    ).rejects.toThrow(`cannot reach Redis`);
  });
});
