/**
 * Private nats-server and redis-server for integration and end-to-end tests (scripts/lib/local-servers.ts).
 * `startRedis()` keeps an append-only file in its temp dir, as the engine requires (it refuses a
 * Redis that keeps nothing on disk); `startRedis({persistence: 'none'})` starts one that keeps
 * nothing, and `kill()` / `restart()` crash it and bring it back on the same port and data dir.
 */
export {
  freePort,
  startNats,
  startRedis,
  type LocalServer,
  type RedisOptions,
  type RedisServer,
  type TestServer,
} from '../../scripts/lib/local-servers.js';
