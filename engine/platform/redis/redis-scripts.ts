import { readFileSync } from 'node:fs';
import { Pipeline, type Redis, type RedisKey, type Result } from 'ioredis';

/**
 * The Lua scripts of the Redis adapters, one file each under `lua/` (shared snippets under
 * `lua/includes/`, pulled in by a line `--@include <name>`), registered on a client as ioredis
 * commands: `defineRedisScripts(redis)` once per client (every adapter's constructor calls it;
 * it is idempotent), then `redis.applyUserState(...)` or `pipeline.applyUserState(...)`.
 *
 * ioredis sends a command's first call on each connection as EVAL (the server caches the
 * script) and EVALSHA after that; a NOSCRIPT reply (server restarted, failed over or SCRIPT
 * FLUSH since) is answered by sending it again as EVAL, in a pipeline too: no round trip is
 * added and no script needs loading up front.
 *
 * Every script declares all the keys it touches in KEYS, and all of one script's keys share a
 * hash tag (redis-keys.ts), so each script runs on one Redis Cluster slot. Numbers written by Lua
 * go through `string.format('%.17g')`: Lua's own number-to-string conversion keeps only 14
 * significant digits.
 */

/** A script's file (lua/<file>.lua) and key count; none: variable, the caller passes the count first. */
interface ScriptFile {
  file: string;
  numberOfKeys?: number;
}

/** Every command: its name on the client, its file, its key count. */
const SCRIPT_FILES = {
  // user state (redis-user-state-store.ts)
  applyUserState: { file: 'apply-user-state', numberOfKeys: 7 },
  applyUserEvents: { file: 'apply-user-events' },
  applyUserRun: { file: 'apply-user-run' },
  loadUserState: { file: 'load-user-state' },
  // shop-wide aggregates (redis-interaction-stats.ts)
  recordInteraction: { file: 'record-interaction' },
  // partition leases (redis-partition-leases.ts); deleteIfEquals also releases claims and coupon codes
  acquireLease: { file: 'acquire-lease', numberOfKeys: 1 },
  renewLease: { file: 'renew-lease', numberOfKeys: 1 },
  deleteIfEquals: { file: 'delete-if-equals', numberOfKeys: 1 },
  heartbeat: { file: 'heartbeat', numberOfKeys: 1 },
  liveOwners: { file: 'live-owners', numberOfKeys: 1 },
  // members, orders, coupons
  applyMemberPoints: { file: 'apply-member-points', numberOfKeys: 3 },
  createMemberRecord: { file: 'create-member-record', numberOfKeys: 2 },
  acceptOrder: { file: 'accept-order', numberOfKeys: 1 },
  applyOrder: { file: 'apply-order', numberOfKeys: 3 },
  redeemCoupon: { file: 'redeem-coupon', numberOfKeys: 1 },
  redeemReward: { file: 'redeem-reward', numberOfKeys: 5 },
  issueCoupon: { file: 'issue-coupon', numberOfKeys: 3 },
  claimCouponCode: { file: 'claim-coupon-code', numberOfKeys: 1 },
  // campaigns (redis-campaign-store.ts)
  createCampaign: { file: 'create-campaign', numberOfKeys: 2 },
  stopCampaign: { file: 'stop-campaign', numberOfKeys: 2 },
  offerPromotion: { file: 'offer-promotion', numberOfKeys: 2 },
  claimPromotions: { file: 'claim-promotions', numberOfKeys: 3 },
  reserveDelivery: { file: 'reserve-delivery', numberOfKeys: 5 },
  settlePromotion: { file: 'settle-promotion', numberOfKeys: 5 },
  armCartTimer: { file: 'arm-cart-timer', numberOfKeys: 2 },
  dueCartTimers: { file: 'due-cart-timers', numberOfKeys: 2 },
  removeCartTimer: { file: 'remove-cart-timer', numberOfKeys: 2 },
  // shop analytics (redis-shop-analytics.ts)
  recordShopAnalytics: { file: 'record-shop-analytics', numberOfKeys: 14 },
  recordShopAnalyticsBatch: { file: 'record-shop-analytics-batch' },
  recordShopMember: { file: 'record-shop-member', numberOfKeys: 4 },
} as const satisfies Record<string, ScriptFile>;

export type ScriptName = keyof typeof SCRIPT_FILES;

/** A script argument as ioredis sends it (numbers as decimal strings, Buffers as bytes). */
export type ScriptArg = RedisKey | number;

declare module 'ioredis' {
  // One method per script (as defined by defineRedisScripts); a pipeline has them too. KEYS and
  // ARGV are documented at the top of each lua/<file>.lua. Variable-key scripts take the key
  // count first.
  interface RedisCommander<Context> {
    applyUserState(...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    applyUserEvents(numberOfKeys: number, ...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    applyUserRun(numberOfKeys: number, ...keysThenArgs: ScriptArg[]): Result<unknown, Context>;
    loadUserState(numberOfKeys: number, ...keys: RedisKey[]): Result<unknown, Context>;
    recordInteraction(numberOfKeys: number, ...keysThenArgs: ScriptArg[]): Result<number, Context>;
    acquireLease(lease: RedisKey, owner: string, ttlMs: number): Result<number, Context>;
    renewLease(lease: RedisKey, owner: string, ttlMs: number): Result<number, Context>;
    deleteIfEquals(key: RedisKey, expected: string): Result<number, Context>;
    heartbeat(engines: RedisKey, owner: string, ttlMs: number): Result<number, Context>;
    liveOwners(engines: RedisKey): Result<unknown, Context>;
    applyMemberPoints(record: RedisKey, ledger: RedisKey, marker: RedisKey, ...args: string[]): Result<unknown, Context>;
    createMemberRecord(record: RedisKey, bucket: RedisKey, memberId: string, ...fields: string[]): Result<number, Context>;
    acceptOrder(record: RedisKey, ...args: string[]): Result<unknown, Context>;
    applyOrder(record: RedisKey, ledger: RedisKey, order: RedisKey, ...args: string[]): Result<unknown, Context>;
    redeemCoupon(coupon: RedisKey, now: string, orderId: string): Result<unknown, Context>;
    redeemReward(
      record: RedisKey,
      ledger: RedisKey,
      marker: RedisKey,
      coupon: RedisKey,
      index: RedisKey,
      ...args: string[]
    ): Result<unknown, Context>;
    issueCoupon(record: RedisKey, coupon: RedisKey, index: RedisKey, ...args: string[]): Result<number, Context>;
    claimCouponCode(owner: RedisKey, memberId: string): Result<number, Context>;
    createCampaign(definition: RedisKey, stop: RedisKey, json: string, stoppedAt: string): Result<number, Context>;
    stopCampaign(definition: RedisKey, stop: RedisKey, at: string): Result<number, Context>;
    offerPromotion(inbox: RedisKey, pending: RedisKey, promotionId: string, json: string, offeredAt: string): Result<number, Context>;
    claimPromotions(
      inbox: RedisKey,
      pending: RedisKey,
      lease: RedisKey,
      now: string,
      leaseMs: string,
      limit: string,
    ): Result<string[], Context>;
    reserveDelivery(...keysThenArgs: string[]): Result<unknown, Context>;
    settlePromotion(...keysThenArgs: string[]): Result<unknown, Context>;
    armCartTimer(due: RedisKey, events: RedisKey, member: string, dueAt: string, eventId: string): Result<number, Context>;
    dueCartTimers(due: RedisKey, events: RedisKey, now: string, limit: string): Result<string[], Context>;
    removeCartTimer(due: RedisKey, events: RedisKey, member: string, dueAt: string, eventId: string): Result<number, Context>;
    recordShopAnalytics(...keysThenArgs: ScriptArg[]): Result<number, Context>;
    recordShopAnalyticsBatch(numberOfKeys: number, ...keysThenArgs: ScriptArg[]): Result<number, Context>;
    recordShopMember(
      members: RedisKey,
      first: RedisKey,
      tier: RedisKey,
      tiers: RedisKey,
      memberId: string,
      createdAt: number,
      givenTier: string,
    ): Result<number, Context>;
  }
}

const INCLUDE = /^--@include ([a-z0-9-]+)[ \t]*$/gm;

/**
 * The source of lua/<file>.lua with its `--@include <name>` lines replaced by
 * lua/includes/<name>.lua (each at most once per script, nested includes resolved the same way).
 * Read relative to this module, so it works from the source tree (tsx, vitest) with no build step.
 */
export function readScript(file: string): string {
  return expand(new URL(`./lua/${file}.lua`, import.meta.url), new Set());
}

function expand(url: URL, included: Set<string>): string {
  return readFileSync(url, 'utf8').replace(INCLUDE, (_line, name: string) => {
    if (included.has(name)) return '';
    included.add(name);
    return expand(new URL(`./lua/includes/${name}.lua`, import.meta.url), included).trimEnd();
  });
}

/** Every script's source, read once when this module loads (a missing file fails the start). */
const SCRIPTS: Readonly<Record<ScriptName, { lua: string; numberOfKeys?: number }>> = Object.freeze(
  Object.fromEntries(
    Object.entries(SCRIPT_FILES).map(([name, script]: [string, ScriptFile]) => [
      name,
      Object.freeze({ lua: readScript(script.file), ...(script.numberOfKeys === undefined ? {} : { numberOfKeys: script.numberOfKeys }) }),
    ]),
  ) as Record<ScriptName, { lua: string; numberOfKeys?: number }>,
);

/**
 * Registers every script on `redis` as a command (ioredis `defineCommand`), unless this client
 * has it already: each adapter calls it on the client it is given, and a command defined again
 * would send its whole source once more on each connection. Returns `redis`.
 */
export function defineRedisScripts<T extends Redis>(redis: T): T {
  for (const [name, definition] of Object.entries(SCRIPTS)) {
    if (!(name in redis.scriptsSet)) redis.defineCommand(name, definition);
  }
  keepScriptsOffPipelines(redis);
  return redis;
}

/**
 * ioredis copies every script defined on a client onto each pipeline it creates (two methods and
 * the SHA per script, as new properties of the pipeline object), its own auto-pipelines
 * included: with this module's 32 scripts, `redis.pipeline()` costs ~12 us of CPU instead of ~2,
 * and the event path makes two to four per batch (the state store's load and store, the list's
 * co-visitation reads): 6% of the engine's CPU at 400 events/s (profile of `npm run bench --
 * --rate 400`). On a client without a key prefix or cluster, a script's methods are the same
 * whichever client defined them (same source, same key count, no prefix; ioredis 6 sends EVAL
 * the first time per socket, then EVALSHA), so they are put once on the pipelines' prototype,
 * and the client's scripts move into the prototype of its `scriptsSet`, where the constructor's
 * copy (own keys only) does not see them and ioredis and prebuiltSha still find them by name.
 * Pipelines and auto-pipelines keep calling the scripts as before, in call order.
 */
function keepScriptsOffPipelines(redis: Redis): void {
  if (redis.options.keyPrefix || (redis as { isCluster?: boolean }).isCluster) return;
  const shown = Object.keys(redis.scriptsSet);
  if (shown.length === 0) return;
  const pipelines = Pipeline.prototype as unknown as Record<string, unknown>;
  const methods = redis as unknown as Record<string, unknown>;
  for (const name of shown) {
    for (const method of [name, `${name}Buffer`]) if (!(method in pipelines)) pipelines[method] = methods[method];
  }
  redis.scriptsSet = Object.create(redis.scriptsSet) as typeof redis.scriptsSet;
}

/** The source of one script as sent to Redis (includes resolved), e.g. for a benchmark or a test. */
export function scriptSource(name: ScriptName): string {
  return SCRIPTS[name].lua;
}
