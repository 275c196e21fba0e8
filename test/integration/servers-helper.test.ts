import { describe, expect, it } from 'vitest';
import { startNats, startRedis } from '../helpers/servers.js';
import { connect } from 'node:net';

describe('test servers', () => {
  it('starts nats-server and redis-server on free ports and stops them', async () => {
    const [nats, redis] = await Promise.all([startNats(), startRedis()]);
    expect(nats.port).not.toBe(4222);
    expect(redis.port).not.toBe(6379);
    await Promise.all([nats.stop(), redis.stop()]);
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect(redis.port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
  });
});
