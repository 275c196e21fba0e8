import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { startRedis, type TestServer } from './servers.js';

/**
 * A redis-server of the suite's own for a conformance suite: started before all tests, stopped
 * after; `onClient` receives the connected client and the server URL. Tests isolate their keys with `randomPrefix()`.
 */
export function useRedisServer(onClient: (client: Redis, url: string) => void): void {
  let server: TestServer | undefined;
  let client: Redis | undefined;
  beforeAll(async () => {
    server = await startRedis();
    client = new Redis(server.url, { maxRetriesPerRequest: 1 });
    onClient(client, server.url);
  });
  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });
}

/** A key prefix no other test uses. */
export const randomPrefix = () => `t${randomUUID().slice(0, 8)}:`;
