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
import { PrebuiltEvalsha, evalshaBytes, prebuiltSha } from '../../platform/redis/prebuilt-evalsha.js';
import { decodeRecentList, decodeVector, encodeAffinity, encodeRecent, encodeVector, loadedState } from './redis-user-state-codec.js';
import { checkEventId, checkUserId, checkUserStateChange, checkUserStateStoreOptions, isTier } from '../state-validation.js';
import { checkOutcome, checkOutcomes, runEnd, userRunCall } from './redis-user-run.js';

export { runEnd } from './redis-user-run.js';

export { decodeAffinity, decodeVector, encodeAffinity, encodeRecent, encodeVector } from './redis-user-state-codec.js';

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
 * user, ~25 us of client CPU per user), `applyMany` one pipeline of one apply-user-run script per
 * user's run of changes, writing the run's combined result (each value encoded, sent and written
 * once). `npx tsx scripts/bench/pipeline-micro.ts` (100,000 events, ~4 per user's run), before ->
 * after the combined runs: engine 0.084 -> 0.073 ms of CPU per event, redis-server 0.042 -> 0.031
 * (median of 3, load average ~8-12 on 2 cores); the Redis dump is byte for byte the same.
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
    const run = prebuiltSha(redis, 'applyUserRun');
    const events = prebuiltSha(redis, 'applyUserEvents');
    const load = prebuiltSha(redis, 'loadUserState');
    this.prebuilt = run !== undefined && events !== undefined && load !== undefined ? { run, events, load } : undefined;
  }

  /** The SHA1s of the scripts, when applyMany and loadMany build their commands' bytes themselves (PrebuiltEvalsha). */
  private readonly prebuilt: { run: string; events: string; load: string } | undefined;

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
    return loadedState(vec === null ? null : decodeVector(vec), st, decodeRecentList(recent), bought, affinity, cart);
  }

  async tier(userId: string): Promise<Tier> {
    const stored = await callRedis('tier', () => this.redis.hget(this.keys(checkUserId(userId)).st, 'tier'));
    return stored !== null && isTier(stored) ? stored : 'regular';
  }

  async loadMany(requests: ReadonlyArray<{ userId: string; eventIds: readonly string[] }>): Promise<LoadedUser[]> {
    if (requests.length === 0) return [];
    const pipeline = this.redis.pipeline();
    const raw = pipeline as unknown as { sendCommand(command: PrebuiltEvalsha): unknown };
    const prebuilt = this.prebuilt?.load;
    const scriptKeysOf: string[][] = new Array(requests.length);
    for (let r = 0; r < requests.length; r++) {
      const { userId, eventIds } = requests[r]!;
      const keys = this.keys(checkUserId(userId));
      for (const eventId of eventIds) checkEventId(eventId);
      pipeline.getBuffer(keys.vec);
      const scriptKeys = [keys.st, keys.recent, keys.bought, keys.affinity, keys.cart];
      for (const id of eventIds) scriptKeys.push(keys.marker(id));
      scriptKeysOf[r] = scriptKeys;
      // Prebuilt (as sendCalls): ~1 KB of garbage and a few us less per user than ioredis's command.
      if (prebuilt) raw.sendCommand(new PrebuiltEvalsha(evalshaBytes(prebuilt, scriptKeys, NO_ARGS)));
      else pipeline.loadUserState(scriptKeys.length, ...scriptKeys);
    }
    const replies = await callRedis('loadMany', () => pipeline.exec());
    if (!replies) throw new PulseError(ErrorCodes.unavailable, 'redis loadMany failed: pipeline aborted');
    // NOSCRIPT (the server lost its script cache; nothing ran, a read): read again through the command, which sends the source.
    for (let r = 0; prebuilt && r < requests.length; r++) {
      const [err] = replies[2 * r + 1]!;
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) continue;
      const scriptKeys = scriptKeysOf[r]!;
      replies[2 * r + 1] = [
        null,
        await callRedis('script loadUserState', () => this.redis.loadUserState(scriptKeys.length, ...scriptKeys)),
      ];
    }
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
      const state = loadedState(vec === null ? null : decodeVector(vec as Buffer), st, decodeRecentList(recent), bought, affinity, cart);
      return { state, markers: eventIds.map((_, m) => markers[m] ?? null) };
    });
  }

  async applyMany(changes: readonly UserChange[], tag: string): Promise<ApplyOutcome[]> {
    if (changes.length === 0) return [];
    checkEventId(tag);
    // One script per run of consecutive changes of one user (a user's events of a batch are one
    // EVALSHA writing their combined result: applyUserRun), all in one pipeline.
    const calls: ApplyCall[] = [];
    for (let i = 0; i < changes.length; ) {
      const end = runEnd(changes, i);
      const userId = changes[i]!.userId;
      const chained = i > 0 && changes[i - 1]!.userId === userId;
      // (expected versions not consecutive cannot be combined: each change sent whole then)
      const combined = userRunCall(this.keys(checkUserId(userId)), changes, i, end, tag, this.options);
      const call = combined ?? this.applyEventsCall(userId, changes.slice(i, end), tag);
      calls.push({ ...call, combined: combined !== undefined, count: end - i, chained, start: i, end });
      i = end;
    }
    const replies = await this.sendCalls(calls);
    const outcomes: ApplyOutcome[] = [];
    for (let i = 0; i < calls.length; i++) {
      const call = calls[i]!;
      // (a NOSCRIPT entry was sent again as EVAL by ioredis: its reply is here)
      let [err, reply] = replies[i]!;
      if (err) throw redisError('applyMany', err);
      // A later change of the run cannot apply (rare: nothing was written): the run again in
      // full, applied change by change up to it.
      if (reply === 'partial') {
        const full = this.applyEventsCall(changes[call.start]!.userId, changes.slice(call.start, call.end), tag);
        reply = await callRedis('script applyUserEvents', () => this.redis.applyUserEvents(full.keys.length, ...full.keys, ...full.args));
      }
      // A run split at a reused event id continues its user's chain: after a change that was not
      // applied, the rest come back `conflict` (their script wrote nothing: the version moved less).
      const broken = call.chained && outcomes[outcomes.length - 1] !== 'applied';
      for (const outcome of checkOutcomes(reply, call.count)) outcomes.push(broken ? 'conflict' : outcome);
    }
    return outcomes;
  }

  /**
   * Every call in one pipeline, each an EVALSHA built straight into its bytes (PrebuiltEvalsha:
   * ~10 us and ~2-3 KB of garbage less per call than ioredis's own); replies in call order. A
   * NOSCRIPT reply (the server lost its script cache; nothing ran) is sent again through the
   * script's command, which sends the source: in order, after the pipeline, each still the first
   * write of its user's keys in the batch, since a user's later call of the batch is NOSCRIPT too.
   */
  private async sendCalls(calls: readonly ApplyCall[]): Promise<Array<[Error | null, unknown]>> {
    const pipeline = this.redis.pipeline();
    const raw = pipeline as unknown as { sendCommand(command: PrebuiltEvalsha): unknown };
    const prebuilt = this.prebuilt;
    for (const { keys, args, combined } of calls) {
      if (prebuilt) raw.sendCommand(new PrebuiltEvalsha(evalshaBytes(combined ? prebuilt.run : prebuilt.events, keys, args)));
      else if (combined) pipeline.applyUserRun(keys.length, ...keys, ...args);
      else pipeline.applyUserEvents(keys.length, ...keys, ...args);
    }
    const replies = await callRedis('applyMany', () => pipeline.exec());
    if (!replies) throw new PulseError(ErrorCodes.unavailable, 'redis applyMany failed: pipeline aborted');
    if (!prebuilt) return replies;
    for (let i = 0; i < replies.length; i++) {
      const [err] = replies[i]!;
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) continue;
      const { keys, args, combined } = calls[i]!;
      const script = combined ? 'applyUserRun' : 'applyUserEvents';
      replies[i] = [null, await callRedis(`script ${script}`, () => this.redis[script](keys.length, ...keys, ...args))];
    }
    return replies;
  }

  /** One applyUserEvents call for consecutive changes of one user: each change's arguments in full. */
  private applyEventsCall(
    userId: string,
    changes: readonly UserChange[],
    tag: string,
  ): { keys: string[]; args: Array<string | number | Buffer> } {
    const keys = this.keys(checkUserId(userId));
    const args: Array<string | number | Buffer> = [changes.length];
    const markers: string[] = [];
    for (const { change } of changes) {
      const perChange = this.applyCall(userId, change, tag).args;
      args.push(perChange.length, ...perChange);
      markers.push(keys.marker(change.eventId));
    }
    return { keys: [keys.vec, keys.st, keys.recent, keys.bought, keys.affinity, keys.cart, ...markers], args };
  }

  async apply(userId: string, change: UserStateChange): Promise<ApplyOutcome> {
    const { keys, args } = this.applyCall(userId, change, UNTAGGED_MARKER);
    return checkOutcome(await callRedis('script applyUserState', () => this.redis.applyUserState(...keys, ...args)));
  }

  /** The keys and arguments of one applyUserState call (or one change of an applyUserEvents call). */
  private applyCall(userId: string, change: UserStateChange, tag: string): { keys: string[]; args: Array<string | number | Buffer> } {
    const keys = this.keys(checkUserId(userId));
    checkUserStateChange(change);
    const { purchases } = change;
    const { affinity, cart } = change;
    const args: Array<string | number | Buffer> = [
      change.expectedVersion,
      this.options.dedupeTtlSeconds,
      this.options.recentLimit,
      change.type,
      String(change.strength),
      String(change.updatedAt),
      change.tier ?? '',
      change.vector ? encodeVector(change.vector) : '',
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

/** loadUserState takes keys only. */
const NO_ARGS: readonly string[] = [];

/** One EVALSHA of applyMany: the run of changes `start`..`end` (exclusive) of one user. */
interface ApplyCall {
  keys: string[];
  args: Array<string | number | Buffer>;
  /** applyUserRun (the run's combined result), else applyUserEvents (each change whole). */
  combined: boolean;
  count: number;
  /** Continues the previous call's user (a run split at a reused event id). */
  chained: boolean;
  start: number;
  end: number;
}
