import type { Redis } from 'ioredis';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import type { Tier } from '../../contracts/schemas.js';
import type {
  ApplyOutcome,
  LoadedUser,
  UserChange,
  UserState,
  UserStateChange,
  UserStateStore,
  UserStateStoreOptions,
} from '../user-state-store.js';
import { UNTAGGED_MARKER } from '../user-state-store.js';
import { callRedis, redisError } from '../../platform/redis/redis-errors.js';
import { userKeys, type UserKeySet } from '../../platform/redis/redis-keys.js';
import { defineRedisScripts } from '../../platform/redis/redis-scripts.js';
import {
  decodeRecent,
  decodeVector,
  encodeAffinity,
  encodeRecent,
  encodeVector,
  shopperFromStored,
  stateFromStored,
} from './redis-user-state-codec.js';
import { checkEventId, checkUserId, checkUserStateChange, checkUserStateStoreOptions, isTier } from '../state-validation.js';

export {
  decodeAffinity,
  decodeRecent,
  decodeVector,
  encodeAffinity,
  encodeRecent,
  encodeVector,
  shopperFromStored,
  stateFromStored,
} from './redis-user-state-codec.js';

/**
 * Per-user state in Redis. Keys (all of one user share the hash tag `{<userId>}`):
 * - `u:{id}:vec`       the vector as Float32 little-endian bytes
 * - `u:{id}:st`        hash: strength, updatedAt (epoch ms), version, tier, vectorVersion (model
 *                      version the vector was made with, written with the vector), `c:<type>` and `c:total`
 * - `u:{id}:recent`    list, newest first, entries `<type code>|<ts base 36>|<itemId>`, at most recentLimit
 * - `u:{id}:bought`    set of item ids
 * - `u:{id}:aff`       affinity as JSON `{"l": landmark, "c": [[category, score]...], "b": [[brand, score]...],
 *                      "n": [[brand, events]...]}`, rewritten whole by each event that moves it: one reply
 *                      to decode instead of up to 3 x 64 hash fields (those made `load` ~2.5x slower, measured)
 * - `u:{id}:cart`      the cart as JSON `[[itemId, quantity]...]`
 * - `st` also holds the purchase aggregates (orders, spend, firstPurchaseAt, lastPurchaseAt) and firstSeenAt
 * - `u:{id}:ev:<eventId>` dedupe marker, expires after dedupeTtlSeconds
 * `apply` is one Lua script (dedupe, version check, every write, marker); `load` is one MULTI.
 * The batched path: `loadMany` is one pipeline (a GET of the vector bytes and one read script per
 * user, ~25 us of client CPU per user), `applyMany` one pipeline of apply scripts, one per
 * user (~20-25 us of client CPU per event in the profile of scripts/bench/pipeline-micro.ts; a
 * user's run sends a vector, affinity or cart a later event replaces as '=' or '', saving ~4 us).
 */
export class RedisUserStateStore implements UserStateStore {
  private readonly userKeys: ReturnType<typeof userKeys>;
  private readonly options: UserStateStoreOptions;

  constructor(
    private readonly redis: Redis,
    options: UserStateStoreOptions & { keyPrefix?: string },
  ) {
    this.options = checkUserStateStoreOptions(options);
    this.userKeys = userKeys(options.keyPrefix ?? '');
    defineRedisScripts(redis);
  }

  async load(userId: string): Promise<UserState> {
    const keys = this.keys(checkUserId(userId));
    const replies = await callRedis('load', () =>
      this.redis
        .multi()
        .getBuffer(keys.vec)
        .hgetall(keys.st)
        .lrange(keys.recent, 0, -1)
        .smembers(keys.bought)
        .get(keys.affinity)
        .get(keys.cart)
        .exec(),
    );
    if (!replies) throw new PulseError(ErrorCodes.unavailable, 'redis load failed: transaction aborted');
    for (const [err] of replies) if (err) throw redisError('load', err);
    const [vec, st, recent, bought, affinity, cart] = replies.map(([, value]) => value) as [
      Buffer | null,
      Record<string, string>,
      string[],
      string[],
      string | null,
      string | null,
    ];
    const state = stateFromStored(vec === null ? null : decodeVector(vec), st, recent.flatMap(decodeRecent), bought);
    return { ...state, ...shopperFromStored(st, affinity, cart) };
  }

  async tier(userId: string): Promise<Tier> {
    const stored = await callRedis('tier', () => this.redis.hget(this.keys(checkUserId(userId)).st, 'tier'));
    return stored !== null && isTier(stored) ? stored : 'regular';
  }

  async loadMany(requests: ReadonlyArray<{ userId: string; eventIds: readonly string[] }>): Promise<LoadedUser[]> {
    if (requests.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const { userId, eventIds } of requests) {
      const keys = this.keys(checkUserId(userId));
      for (const eventId of eventIds) checkEventId(eventId);
      pipeline.getBuffer(keys.vec);
      const scriptKeys = [keys.st, keys.recent, keys.bought, keys.affinity, keys.cart, ...eventIds.map((id) => keys.marker(id))];
      pipeline.loadUserState(scriptKeys.length, ...scriptKeys);
    }
    const replies = await callRedis('loadMany', () => pipeline.exec());
    if (!replies) throw new PulseError(ErrorCodes.unavailable, 'redis loadMany failed: pipeline aborted');
    return requests.map(({ eventIds }, i) => {
      const [vecErr, vec] = replies[2 * i]!;
      if (vecErr) throw redisError('loadMany', vecErr);
      // (a NOSCRIPT entry was sent again as EVAL by ioredis: its reply is here)
      const [err, reply] = replies[2 * i + 1]!;
      if (err) throw redisError('loadMany', err);
      const [stFlat, recent, bought, affinity, cart, ...markers] = reply as [
        string[],
        string[],
        string[],
        string | null,
        string | null,
        ...Array<string | null>,
      ];
      const st: Record<string, string> = {};
      for (let f = 0; f + 1 < stFlat.length; f += 2) st[stFlat[f]!] = stFlat[f + 1]!;
      const state = stateFromStored(vec === null ? null : decodeVector(vec as Buffer), st, recent.flatMap(decodeRecent), bought);
      return { state: { ...state, ...shopperFromStored(st, affinity, cart) }, markers: eventIds.map((_, m) => markers[m] ?? null) };
    });
  }

  async applyMany(changes: readonly UserChange[], tag: string): Promise<ApplyOutcome[]> {
    if (changes.length === 0) return [];
    checkEventId(tag);
    // One script per run of consecutive changes of one user (a user's events of a batch are one
    // EVALSHA, each replaced value sent once: applyUserRun), all in one pipeline.
    const calls: ApplyCall[] = [];
    for (let i = 0; i < changes.length; ) {
      const end = runEnd(changes, i);
      const userId = changes[i]!.userId;
      const chained = i > 0 && changes[i - 1]!.userId === userId;
      calls.push(
        end - i === 1
          ? { ...this.applyCall(userId, changes[i]!.change, tag), count: 1, chained }
          : { ...this.applyEventsCall(userId, changes.slice(i, end), tag, true), chained, start: i, end },
      );
      i = end;
    }
    const pipeline = this.redis.pipeline();
    for (const { keys, args, count } of calls) {
      if (count === 1) pipeline.applyUserState(...keys, ...args);
      else pipeline.applyUserRun(keys.length, ...keys, ...args);
    }
    const replies = await callRedis('applyMany', () => pipeline.exec());
    if (!replies) throw new PulseError(ErrorCodes.unavailable, 'redis applyMany failed: pipeline aborted');
    const outcomes: ApplyOutcome[] = [];
    for (let i = 0; i < calls.length; i++) {
      const call = calls[i]!;
      // (a NOSCRIPT entry was sent again as EVAL by ioredis: its reply is here)
      let [err, reply] = replies[i]!;
      if (err) throw redisError('applyMany', err);
      // A later change of the run cannot apply (rare: nothing was written): the run again in
      // full, applied change by change up to it.
      if (reply === 'partial' && call.start !== undefined) {
        const full = this.applyEventsCall(changes[call.start]!.userId, changes.slice(call.start, call.end), tag, false);
        reply = await callRedis('script applyUserEvents', () => this.redis.applyUserEvents(full.keys.length, ...full.keys, ...full.args));
      }
      // A run split at a reused event id continues its user's chain: after a change that was not
      // applied, the rest come back `conflict` (their script wrote nothing: the version moved less).
      const broken = call.chained && outcomes[outcomes.length - 1] !== 'applied';
      const replied = call.count === 1 ? [checkOutcome(reply)] : checkOutcomes(reply, call.count);
      for (const outcome of replied) outcomes.push(broken ? 'conflict' : outcome);
    }
    return outcomes;
  }

  /**
   * One applyUserRun (`leaveOutReplaced`) or applyUserEvents call for consecutive changes of
   * one user. For applyUserRun a vector, affinity or cart a later change of the run replaces is
   * neither encoded nor sent (the script stores the same state): a user's 4 events of a batch
   * encode and send their vector and affinity once, not 4 times.
   */
  private applyEventsCall(
    userId: string,
    changes: readonly UserChange[],
    tag: string,
    leaveOutReplaced: boolean,
  ): { keys: string[]; args: Array<string | number | Buffer>; count: number } {
    const keys = this.keys(checkUserId(userId));
    const args: Array<string | number | Buffer> = [changes.length];
    const markers: string[] = [];
    const replaced = { vector: false, affinity: false, cart: false };
    const perChange: Array<Array<string | number | Buffer>> = new Array(changes.length);
    // From the last change back: whether a later one replaces each value.
    for (let i = changes.length - 1; i >= 0; i--) {
      const { change } = changes[i]!;
      perChange[i] = this.applyCall(userId, change, tag, replaced).args;
      if (!leaveOutReplaced) continue;
      if (change.vector) replaced.vector = true;
      if (change.affinity) replaced.affinity = true;
      if (change.cart) replaced.cart = true;
    }
    for (let i = 0; i < changes.length; i++) {
      args.push(perChange[i]!.length, ...perChange[i]!);
      markers.push(keys.marker(changes[i]!.change.eventId));
    }
    return { keys: [keys.vec, keys.st, keys.recent, keys.bought, keys.affinity, keys.cart, ...markers], args, count: changes.length };
  }

  async apply(userId: string, change: UserStateChange): Promise<ApplyOutcome> {
    const { keys, args } = this.applyCall(userId, change, UNTAGGED_MARKER);
    return checkOutcome(await callRedis('script applyUserState', () => this.redis.applyUserState(...keys, ...args)));
  }

  /**
   * The keys and arguments of one applyUserState call; `replaced` (applyUserEvents) names the
   * values a later change of the run replaces: sent as '=' (the vector: its version is still
   * written) or '' (keep), not encoded.
   */
  private applyCall(
    userId: string,
    change: UserStateChange,
    tag: string,
    replaced = NOTHING_REPLACED,
  ): { keys: string[]; args: Array<string | number | Buffer> } {
    const keys = this.keys(checkUserId(userId));
    checkUserStateChange(change);
    const { purchases } = change;
    const affinity = replaced.affinity ? undefined : change.affinity;
    const cart = replaced.cart ? undefined : change.cart;
    const args: Array<string | number | Buffer> = [
      change.expectedVersion,
      this.options.dedupeTtlSeconds,
      this.options.recentLimit,
      change.type,
      String(change.strength),
      String(change.updatedAt),
      change.tier ?? '',
      change.vector ? (replaced.vector ? '=' : encodeVector(change.vector)) : '',
      change.vectorVersion ?? '',
      change.recent.length,
      affinity ? encodeAffinity(affinity) : '',
      cart ? JSON.stringify([...cart]) : '',
      ...(purchases ? [purchases.orders, String(purchases.spend), purchases.firstPurchaseAt, purchases.lastPurchaseAt] : ['', '', '', '']),
      change.firstSeenAt ?? '',
      tag,
      ...change.recent.map(encodeRecent),
      ...change.bought,
    ];
    return { keys: [keys.vec, keys.st, keys.recent, keys.bought, keys.marker(change.eventId), keys.affinity, keys.cart], args };
  }

  async wasApplied(userId: string, eventId: string): Promise<boolean> {
    const keys = this.keys(checkUserId(userId));
    checkEventId(eventId);
    return (await callRedis('wasApplied', () => this.redis.exists(keys.marker(eventId)))) === 1;
  }

  private keys(userId: string): UserKeySet {
    return this.userKeys.of(userId);
  }
}

/** What a later change of an applyUserEvents run replaces (nothing, for applyUserState). */
const NOTHING_REPLACED: Readonly<{ vector: boolean; affinity: boolean; cart: boolean }> = { vector: false, affinity: false, cart: false };

/**
 * The end (exclusive) of the run of changes from `start` that one applyUserEvents call takes:
 * consecutive changes of one user, up to one whose event id the run holds already (a reused id:
 * the script checks every marker before writing, so the second must see the first's marker, as a
 * call of its own in the same pipeline does).
 */
export function runEnd(changes: readonly UserChange[], start: number): number {
  const userId = changes[start]!.userId;
  let end = start + 1;
  while (end < changes.length && changes[end]!.userId === userId) {
    const eventId = changes[end]!.change.eventId;
    for (let i = start; i < end; i++) if (changes[i]!.change.eventId === eventId) return end;
    end++;
  }
  return end;
}

/** One EVALSHA of applyMany: `start`/`end` (its changes) for a run of several. */
interface ApplyCall {
  keys: string[];
  args: Array<string | number | Buffer>;
  count: number;
  /** Continues the previous call's user (a run split at a reused event id). */
  chained: boolean;
  start?: number;
  end?: number;
}

function checkOutcomes(reply: unknown, count: number): ApplyOutcome[] {
  if (!Array.isArray(reply) || reply.length !== count) throw new Error(`applyUserEvents returned ${String(reply)}`);
  return reply.map(checkOutcome);
}

function checkOutcome(outcome: unknown): ApplyOutcome {
  if (outcome !== 'applied' && outcome !== 'duplicate' && outcome !== 'conflict')
    throw new Error(`applyUserState returned ${String(outcome)}`);
  return outcome;
}
