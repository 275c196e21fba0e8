import { readFileSync } from 'node:fs';
import type { Redis, RedisKey, Result } from 'ioredis';

/**
 * The gateway's own Lua scripts (the socket leases of limits-redis.ts), one file each under
 * `lua/`, registered on the gateway's limits client as ioredis commands, as the engine registers
 * its own (engine/platform/redis/redis-scripts.ts): `defineLimitScripts(redis)` once per client
 * (idempotent), then `redis.acquireSocket(...)` or `pipeline.renewSocket(...)`. ioredis sends a
 * command's first call on each connection as EVAL and EVALSHA after that, and answers a NOSCRIPT
 * reply by sending it again as EVAL: nothing needs loading up front.
 *
 * Each file is whole, with no `--@include`: the engine's `now-ms` snippet is written out in it, so
 * the source sent to Redis is the same as when the engine's loader expanded it. Both scripts'
 * keys share one hash tag (the user, limits-sockets.ts): each runs on one Redis Cluster slot.
 */
const LIMIT_SCRIPT_FILES = {
  acquireSocket: { file: 'acquire-socket', numberOfKeys: 2 },
  renewSocket: { file: 'renew-socket', numberOfKeys: 2 },
} as const;

declare module 'ioredis' {
  // One method per script (as defined by defineLimitScripts); a pipeline has them too. KEYS and
  // ARGV are documented at the top of each lua/<file>.lua.
  interface RedisCommander<Context> {
    acquireSocket(
      user: RedisKey,
      token: RedisKey,
      member: string,
      leaseMs: number,
      userCap: number,
      tokenCap: number,
    ): Result<unknown, Context>;
    renewSocket(user: RedisKey, token: RedisKey, member: string, leaseMs: number): Result<number, Context>;
  }
}

/** Every script's source, read relative to this module once when it loads (a missing file fails the start). */
const LIMIT_SCRIPTS: Readonly<Record<string, { lua: string; numberOfKeys: number }>> = Object.freeze(
  Object.fromEntries(
    Object.entries(LIMIT_SCRIPT_FILES).map(([name, script]) => [
      name,
      Object.freeze({
        lua: readFileSync(new URL(`./lua/${script.file}.lua`, import.meta.url), 'utf8'),
        numberOfKeys: script.numberOfKeys,
      }),
    ]),
  ),
);

/**
 * Registers the gateway's scripts on `redis` as commands (ioredis `defineCommand`), unless this
 * client has them already: a command defined again would send its whole source once more on each
 * connection. Returns `redis`.
 */
export function defineLimitScripts<T extends Redis>(redis: T): T {
  for (const [name, definition] of Object.entries(LIMIT_SCRIPTS)) {
    if (!Object.hasOwn(redis.scriptsSet, name)) redis.defineCommand(name, definition);
  }
  return redis;
}

export { callRedis } from '../engine/contracts/redis-errors.js';
