import { createHash } from 'node:crypto';
import type { ChainableCommander, Redis, RedisKey } from 'ioredis';
import { ErrorCodes, PulseError } from '../contracts/errors.js';

/**
 * Lua sources of the Redis state adapters and a small runner for them.
 *
 * Every script declares all the keys it touches in KEYS, and all of one script's keys share a
 * hash tag (`{<userId>}`, `{g}` or `{p}`), so each script runs on one Redis Cluster slot.
 * Numbers written by Lua go through `string.format('%.17g')`: Lua's own number-to-string
 * conversion keeps only 14 significant digits.
 */

/** Redis errors that mean "the server can't serve right now" rather than "our script is wrong". */
const TRANSIENT_REPLY = /^(OOM|BUSY|LOADING|MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN|NOREPLICAS|MOVED|ASK)\b/;

/**
 * Maps a failed Redis call to an error: connection loss, timeouts and transient server states
 * become PulseError('unavailable') (the caller may retry); a script or command error coming back
 * as a ReplyError is a programmer error and is rethrown as it is.
 */
export function redisError(operation: string, err: unknown): Error {
  if (err instanceof PulseError) return err;
  if (err instanceof Error && err.name === 'ReplyError' && !TRANSIENT_REPLY.test(err.message)) return err;
  const reason = err instanceof Error ? err.message : String(err);
  return new PulseError(ErrorCodes.unavailable, `redis ${operation} failed: ${reason}`, undefined, { cause: err });
}

/** Runs `call`, translating its failure with redisError. */
export async function callRedis<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw redisError(operation, err);
  }
}

/**
 * A Lua script run with EVALSHA, falling back to EVAL (which also caches it on the server)
 * when the server answers NOSCRIPT (after a restart, a failover or SCRIPT FLUSH).
 */
export class LuaScript {
  /** Every script defined in the process, for {@link LuaScript.preloadAll}. */
  private static readonly defined = new Set<LuaScript>();
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
    LuaScript.defined.add(this);
  }

  /**
   * SCRIPT LOAD of every script defined so far (one pipeline), so the first call of each is an
   * EVALSHA like the rest instead of a NOSCRIPT round trip and a compile on the hot path (the
   * first promotion after a start, say). Optional: `run` falls back to EVAL anyway.
   */
  static async preloadAll(redis: Redis): Promise<number> {
    const pipeline = redis.pipeline();
    for (const script of LuaScript.defined) pipeline.script('LOAD', script.source);
    await callRedis('preload scripts', () => pipeline.exec());
    return LuaScript.defined.size;
  }

  /**
   * Queues an EVALSHA on a pipeline (no round trip of its own). Scripts are preloaded at connect;
   * a NOSCRIPT reply (server restarted or flushed since) comes back as that entry's error, and
   * {@link isNoScript} tells the caller to run that entry again with `run`.
   */
  queue(pipeline: ChainableCommander, keys: RedisKey[], args: Array<string | number | Buffer>): void {
    pipeline.evalsha(this.sha, keys.length, ...keys, ...args);
  }

  async run(redis: Redis, keys: RedisKey[], args: Array<string | number | Buffer>): Promise<unknown> {
    try {
      try {
        return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
          return await redis.eval(this.source, keys.length, ...keys, ...args);
        }
        throw err;
      }
    } catch (err) {
      throw redisError(`script ${this.name}`, err);
    }
  }
}

/** Whether a pipelined script's error is NOSCRIPT (it did not run: run it again with `run`). */
export function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}

/** Rejects key prefixes that would break the hash tags (a `{` before ours would become the tag). */
export function checkKeyPrefix(prefix: string): string {
  if (/[{}\s]/.test(prefix)) {
    throw new PulseError(ErrorCodes.invalidRequest, `keyPrefix must not contain braces or whitespace: "${prefix}"`);
  }
  return prefix;
}

/** Server clock in epoch ms (TIME is allowed in scripts since Redis 5: effects are replicated). */
const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * The body of one event's apply (see APPLY_USER_STATE for its keys and arguments), as Lua
 * functions: `write` does the writes of a change whose marker and version were checked (`version`
 * is the stored one); `apply` checks, then writes. A vector argument of '=' (never a vector: those
 * are 4n bytes) writes the vector version but not the bytes: a later change of the same run
 * (APPLY_USER_RUN) writes its own.
 */
const APPLY_ONE = `local function write(vec, st, recent, bought, marker, aff, cart, a, version)
  if a[8] ~= '' then
    if a[8] ~= '=' then redis.call('SET', vec, a[8]) end
    if a[9] ~= '' then redis.call('HSET', st, 'vectorVersion', a[9]) else redis.call('HDEL', st, 'vectorVersion') end
  end
  -- every field of st this event sets, in one HSET
  local fields = {'strength', a[5], 'updatedAt', a[6], 'version', string.format('%d', version + 1)}
  local function field(name, value) fields[#fields + 1] = name; fields[#fields + 1] = value end
  if a[7] ~= '' then field('tier', a[7]) end
  if a[13] ~= '' then
    field('orders', a[13]); field('spend', a[14]); field('firstPurchaseAt', a[15]); field('lastPurchaseAt', a[16])
  end
  if a[17] ~= '' then field('firstSeenAt', a[17]) end
  redis.call('HSET', st, unpack(fields))
  redis.call('HINCRBY', st, 'c:' .. a[4], 1)
  redis.call('HINCRBY', st, 'c:total', 1)
  if a[11] ~= '' then redis.call('SET', aff, a[11]) end
  if a[12] == '[]' then redis.call('DEL', cart) elseif a[12] ~= '' then redis.call('SET', cart, a[12]) end
  local recentCount = tonumber(a[10])
  if recentCount > 0 then
    -- LPUSH the oldest first so the newest ends up at the head
    for i = 18 + recentCount, 19, -1 do redis.call('LPUSH', recent, a[i]) end
    redis.call('LTRIM', recent, 0, tonumber(a[3]) - 1)
  end
  for i = 19 + recentCount, #a do redis.call('SADD', bought, a[i]) end
  redis.call('SET', marker, a[18], 'EX', tonumber(a[2]))
  return 'applied'
end
local function apply(vec, st, recent, bought, marker, aff, cart, a)
  if redis.call('EXISTS', marker) == 1 then return 'duplicate' end
  local version = tonumber(redis.call('HGET', st, 'version') or '0')
  if version ~= tonumber(a[1]) then return 'conflict' end
  return write(vec, st, recent, bought, marker, aff, cart, a, version)
end
`;

/**
 * One event applied to one user, all or nothing.
 * KEYS: 1 vec, 2 st (hash), 3 recent (list), 4 bought (set), 5 dedupe marker, 6 affinity, 7 cart.
 * ARGV: 1 expectedVersion, 2 dedupeTtlSeconds, 3 recentLimit, 4 event type, 5 strength,
 *       6 updatedAt, 7 tier ('' = keep), 8 vector bytes ('' = keep), 9 vector version (stored with
 *       the vector; '' = none), 10 number of recent entries R, 11 affinity ('' = keep), 12 cart
 *       ('' = keep, '[]' = empty), 13..16 orders, spend, firstPurchaseAt, lastPurchaseAt
 *       ('' = keep), 17 firstSeenAt ('' = keep), 18 the marker's value (the batch tag), then from
 *       19: R recent entries newest first, then the bought item ids.
 * Affinity and cart are whole values the caller encoded (the version check makes a replacement
 * safe), so the script never parses or formats a number of theirs.
 * Returns 'duplicate' (marker exists), 'conflict' (version differs) or 'applied'.
 */
export const APPLY_USER_STATE = new LuaScript(
  'applyUserState',
  `${APPLY_ONE}
return apply(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], ARGV)`,
);

/**
 * Several events of one user applied in order, each all or nothing as APPLY_USER_STATE (one
 * EVALSHA for a user's events in a batch instead of one each).
 * KEYS: 1 vec, 2 st, 3 recent, 4 bought, 5 affinity, 6 cart, 6 + i the dedupe marker of change i.
 * ARGV: 1 number of changes N, then per change: its argument count L, then its L arguments (as
 * APPLY_USER_STATE's ARGV). Returns one outcome per change; after the first that is not
 * 'applied', the rest are 'conflict' (they were computed on top of it) and nothing of them is written.
 */
export const APPLY_USER_EVENTS = new LuaScript(
  'applyUserEvents',
  `${APPLY_ONE}
local out = {}
local at = 2
local stopped = false
for i = 1, tonumber(ARGV[1]) do
  local len = tonumber(ARGV[at])
  if stopped then
    out[i] = 'conflict'
  else
    local a = {}
    for j = 1, len do a[j] = ARGV[at + j] end
    out[i] = apply(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[6 + i], KEYS[5], KEYS[6], a)
    if out[i] ~= 'applied' then stopped = true end
  end
  at = at + len + 1
end
return out`,
);

/**
 * APPLY_USER_EVENTS for the common case, sending each replaced value once: every marker and the
 * version are checked first, and the run is written only when every change applies (none applied
 * before, each expecting the version the one before leaves). Each change is then written as
 * APPLY_USER_STATE writes it, except that a value a later change of the run replaces was not
 * sent: its vector is '=' (its vector version is still written), its affinity and cart '' (keep),
 * so the run stores the same state as its changes applied one by one.
 * KEYS and ARGV as APPLY_USER_EVENTS (changes with replaced values left out as above). Returns
 * one outcome per change, as APPLY_USER_EVENTS would: all 'applied', or when the first change
 * cannot apply, its outcome and 'conflict' for the rest (nothing written); or the string
 * 'partial' when a later change cannot (nothing written: the caller sends the run again in full
 * to APPLY_USER_EVENTS, which applies the changes before it).
 */
export const APPLY_USER_RUN = new LuaScript(
  'applyUserRun',
  `${APPLY_ONE}
local n = tonumber(ARGV[1])
local calls = {}
local at = 2
for i = 1, n do
  local len = tonumber(ARGV[at])
  local a = {}
  for j = 1, len do a[j] = ARGV[at + j] end
  calls[i] = a
  at = at + len + 1
end
local version = tonumber(redis.call('HGET', KEYS[2], 'version') or '0')
for i = 1, n do
  local outcome = nil
  if redis.call('EXISTS', KEYS[6 + i]) == 1 then
    outcome = 'duplicate'
  elseif tonumber(calls[i][1]) ~= version + i - 1 then
    outcome = 'conflict'
  end
  if outcome then
    if i > 1 then return 'partial' end
    local out = {outcome}
    for j = 2, n do out[j] = 'conflict' end
    return out
  end
end
local out = {}
for i = 1, n do
  out[i] = write(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[6 + i], KEYS[5], KEYS[6], calls[i], version + i - 1)
end
return out`,
);

/**
 * A user's state (all but the vector, which the caller reads as bytes with GET beside it) and the
 * values of some dedupe markers, for the batched load.
 * KEYS: 1 st (hash), 2 recent (list), 3 bought (set), 4 affinity, 5 cart, 6.. dedupe markers.
 * Returns {st as a flat field/value list, recent, bought, affinity or nil, cart or nil, one
 * marker value or nil per marker key}.
 */
export const LOAD_USER_STATE = new LuaScript(
  'loadUserState',
  `local out = {redis.call('HGETALL', KEYS[1]), redis.call('LRANGE', KEYS[2], 0, -1), redis.call('SMEMBERS', KEYS[3]), redis.call('GET', KEYS[4]), redis.call('GET', KEYS[5])}
for i = 6, #KEYS do out[#out + 1] = redis.call('GET', KEYS[i]) end
return out`,
);

/**
 * One event's contribution to the shop-wide aggregates, once per event key.
 * KEYS: 1 dedupe marker, 2 popularity zset, 3 landmark (epoch ms of forward decay), 4.. neighbour
 *       zsets (co-visitation, co-purchase and bought-after lists of single items).
 * ARGV: 1 dedupeTtlSeconds, 2 event ts (ms), 3 half-life (ms), 4 maxNeighbours, 5 initial landmark,
 *       6 rescale exponent, 7 max future skew (ms), 8 number N of neighbour keys,
 *       9..8+N the item id each neighbour key belongs to (KEYS[3+i]), then M, M pairs of (itemId, weight),
 *       then P, P triples (key index a, key index b, weight) with indices into KEYS, added both ways
 *       (a's list gains b's item, b's list a's item: co-visitation and co-purchase), then D, D
 *       triples (key index a, itemId, weight) added one way (bought-after).
 * Returns 1 when recorded, 0 when the key was seen before.
 */
export const RECORD_INTERACTION = new LuaScript(
  'recordInteraction',
  `if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[1])) then return 0 end
${NOW_MS}
local halfLife = tonumber(ARGV[3])
local maxNeighbours = tonumber(ARGV[4])
-- a clock far in the future would push the landmark ahead and wipe every score: clamp it
local ts = math.min(tonumber(ARGV[2]), now + tonumber(ARGV[7]))
local landmark = tonumber(redis.call('GET', KEYS[3]) or ARGV[5])
local exponent = (ts - landmark) / halfLife
if exponent > tonumber(ARGV[6]) then
  -- move the landmark forward by whole half-lives and scale every score down to match
  local shift = math.floor(exponent)
  local scale = 2 ^ (-shift)
  if scale > 0 then
    redis.call('ZUNIONSTORE', KEYS[2], 1, KEYS[2], 'WEIGHTS', string.format('%.17g', scale))
    redis.call('ZREMRANGEBYSCORE', KEYS[2], 0, 0)
  else
    redis.call('DEL', KEYS[2])
  end
  landmark = landmark + shift * halfLife
  redis.call('SET', KEYS[3], string.format('%.17g', landmark))
  -- recomputed, not exponent - shift: that would keep the rounding error of the large exponent
  exponent = (ts - landmark) / halfLife
end
local factor = 2 ^ exponent
local n = tonumber(ARGV[8])
local covItems = {}
for i = 1, n do covItems[3 + i] = ARGV[8 + i] end
local at = 9 + n
local m = tonumber(ARGV[at])
for i = 1, m do
  local increment = tonumber(ARGV[at + 2 * i]) * factor
  if increment ~= 0 then redis.call('ZINCRBY', KEYS[2], string.format('%.17g', increment), ARGV[at + 2 * i - 1]) end
end
at = at + 2 * m + 1
local p = tonumber(ARGV[at])
for i = 1, p do
  local a = tonumber(ARGV[at + 3 * i - 2])
  local b = tonumber(ARGV[at + 3 * i - 1])
  local w = ARGV[at + 3 * i]
  redis.call('ZINCRBY', KEYS[a], w, covItems[b])
  redis.call('ZINCRBY', KEYS[b], w, covItems[a])
end
at = at + 3 * p + 1
local d = tonumber(ARGV[at])
for i = 1, d do
  redis.call('ZINCRBY', KEYS[tonumber(ARGV[at + 3 * i - 2])], ARGV[at + 3 * i], ARGV[at + 3 * i - 1])
end
-- bound each touched neighbour list: trim to the best maxNeighbours once it holds 1.5 times that
local limit = math.floor(maxNeighbours * 1.5)
for i = 4, #KEYS do
  local card = redis.call('ZCARD', KEYS[i])
  if card > limit then redis.call('ZREMRANGEBYRANK', KEYS[i], 0, card - maxNeighbours - 1) end
end
return 1`,
);

/** KEYS: 1 lease. ARGV: 1 owner, 2 ttl ms. Takes the lease if free, extends it if ours. Returns 1 when held. */
export const ACQUIRE_LEASE = new LuaScript(
  'acquireLease',
  `local owner = redis.call('GET', KEYS[1])
if not owner then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
  return 1
end
if owner == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0`,
);

/** KEYS: 1 lease. ARGV: 1 owner, 2 ttl ms. Extends the lease only if ours. Returns 1 when extended. */
export const RENEW_LEASE = new LuaScript(
  'renewLease',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
return 0`,
);

/** KEYS: 1 lease. ARGV: 1 owner. Deletes the lease only if ours. Returns 1 when deleted. */
export const RELEASE_LEASE = new LuaScript(
  'releaseLease',
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`,
);

/**
 * KEYS: 1 engines zset (score = expiry, epoch ms of the Redis clock). ARGV: 1 owner, 2 ttl ms.
 * Records the heartbeat and drops engines already expired.
 */
export const HEARTBEAT = new LuaScript(
  'heartbeat',
  `${NOW_MS}
redis.call('ZADD', KEYS[1], string.format('%.17g', now + tonumber(ARGV[2])), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.17g', now))
return 1`,
);

/** KEYS: 1 engines zset. Drops expired engines and returns the live ones. */
export const LIVE_OWNERS = new LuaScript(
  'liveOwners',
  `${NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.17g', now))
return redis.call('ZRANGE', KEYS[1], 0, -1)`,
);
