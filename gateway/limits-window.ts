/**
 * Rate limits shared by every gateway, decided locally.
 *
 * A rule allows `burst` calls in any sliding window of `burst / ratePerSecond` seconds (so a quiet
 * client may send `burst` at once, then `ratePerSecond` sustained). The window is the classic
 * sliding-window counter: two fixed windows, the previous one weighted by how much of it still
 * overlaps the sliding one.
 *
 * Why local decisions: a limit checked with a Redis round trip per call would add that trip to
 * every `track` and `recommend`, and make Redis a hard dependency of every call. Here a call is a
 * Map lookup and a few multiplications (no I/O, no allocation once its key exists); every
 * `syncMs` the gateway adds its new counts to Redis in one pipeline (`INCRBY` + `PEXPIRE` per key
 * that saw calls) and reads back the totals of all gateways, which later decisions use. Cost:
 * 2 Redis commands per active key per sync, in one round trip. Precision: with G gateways a key
 * may overshoot by what the other G-1 gateways let through in one `syncMs` (none with one gateway).
 * While Redis is unreachable each gateway enforces the limit on its own (at most G times the limit
 * overall) and flushes what it counted once Redis answers again.
 */

/** One named limit. */
export interface RateRule {
  /** Short name, part of the Redis key and the refusal message (`user`, `ip`). */
  readonly name: string;
  readonly ratePerSecond: number;
  readonly burst: number;
}

/** The shared counters: Redis, or nothing (each gateway alone). */
export interface CounterStore {
  /**
   * Adds `delta` to each key (creating it with `ttlMs`) and answers its new total; with `readPrevious`,
   * also the total of `previousKey` (0 when missing). One round trip for the whole batch.
   */
  add(entries: ReadonlyArray<CounterAdd>): Promise<Array<{ total: number; previous?: number }>>;
}

export interface CounterAdd {
  key: string;
  delta: number;
  ttlMs: number;
  previousKey?: string;
}

/** A refusal: how long until the call would be allowed if the client sent nothing meanwhile. */
export interface RateRefusal {
  rule: RateRule;
  retryAfterSeconds: number;
}

interface KeyState {
  readonly rule: RateRule;
  readonly windowMs: number;
  readonly baseKey: string;
  /** Index of the fixed window `current` counts. */
  window: number;
  /** Total of the previous window, over all gateways as last known. */
  previous: number;
  /** Total of this window, over all gateways, as Redis last answered (ours included up to then). */
  current: number;
  /** Ours, not yet sent to Redis. */
  pending: number;
  /** Ours, sent and not yet answered (one sync at a time, so all of one window). */
  inFlight: number;
  /** The window `inFlight` was counted in. */
  inFlightWindow: number;
  /** Whether the previous window's total was read from Redis (else it is only our own count). */
  previousShared: boolean;
}

export interface SharedRateLimiterOptions {
  /** Absent: every gateway counts alone. */
  store?: CounterStore;
  /** Prefix of the Redis keys. */
  keyPrefix?: string;
  /** How often counts are exchanged with the store (ms). */
  syncMs: number;
  now?: () => number;
  /** Told once per failed sync (the caller logs it, at most once per outage). */
  onSyncError?: (err: unknown) => void;
  onSyncOk?: () => void;
}

/** Entries kept beyond this are swept at once instead of at the next sync (memory bound: ~200 bytes each). */
const SWEEP_AT_KEYS = 200_000;

export class SharedRateLimiter {
  readonly #states = new Map<string, KeyState>();
  readonly #options: SharedRateLimiterOptions;
  readonly #now: () => number;
  readonly #prefix: string;
  #timer: NodeJS.Timeout | undefined;
  #syncing: Promise<void> | undefined;

  constructor(options: SharedRateLimiterOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#prefix = options.keyPrefix ?? 'pulse:limits:rate';
  }

  /** Starts the periodic exchange with the store (without one, only the sweep of idle keys). Cost per run: O(keys tracked). */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.sync(), this.#options.store ? this.#options.syncMs : Math.max(1000, this.#options.syncMs));
    this.#timer.unref();
  }

  /** Stops the timer and sends what was counted since the last exchange. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.sync();
  }

  /**
   * Counts `cost` calls of `id` under `rule` and answers undefined, or refuses (nothing counted).
   * O(1), synchronous: the hot path of every socket call and HTTP request. A cost above the burst
   * is taken as the whole burst (a batch larger than the burst still passes after a quiet spell).
   */
  take(rule: RateRule, id: string, cost = 1): RateRefusal | undefined {
    const now = this.#now();
    const state = this.#state(rule, id, now);
    const windowStart = state.window * state.windowMs;
    const elapsed = (now - windowStart) / state.windowMs;
    const mine = state.current + state.pending + (state.inFlightWindow === state.window ? state.inFlight : 0);
    const charge = Math.min(cost, rule.burst);
    const estimate = state.previous * (1 - elapsed) + mine;
    if (estimate + charge <= rule.burst) {
      state.pending += charge;
      return undefined;
    }
    return { rule, retryAfterSeconds: this.#retryAfter(state, mine, charge, now) };
  }

  /** Keys currently tracked (for tests and metrics). */
  get size(): number {
    return this.#states.size;
  }

  /** One exchange with the store: pending counts out, totals back. Never rejects. */
  sync(): Promise<void> {
    this.#syncing ??= this.#sync().finally(() => (this.#syncing = undefined));
    return this.#syncing;
  }

  async #sync(): Promise<void> {
    const now = this.#now();
    this.#sweep(now);
    const store = this.#options.store;
    if (!store) return;
    const batch: Array<{ state: KeyState; window: number; delta: number }> = [];
    const entries: CounterAdd[] = [];
    for (const state of this.#states.values()) {
      this.#roll(state, now);
      if (state.pending === 0) continue;
      const delta = state.pending;
      state.inFlight += delta;
      state.inFlightWindow = state.window;
      state.pending = 0;
      batch.push({ state, window: state.window, delta });
      const entry: CounterAdd = { key: `${state.baseKey}:${state.window}`, delta, ttlMs: state.windowMs * 2 + 1000 };
      if (!state.previousShared) entry.previousKey = `${state.baseKey}:${state.window - 1}`;
      entries.push(entry);
    }
    if (entries.length === 0) return;
    let replies: Array<{ total: number; previous?: number }>;
    try {
      replies = await store.add(entries);
    } catch (err) {
      // Not counted anywhere but here: sent again next time if still in the same window.
      for (const { state, window, delta } of batch) {
        state.inFlight -= delta;
        if (state.window === window) state.pending += delta;
      }
      this.#options.onSyncError?.(err);
      return;
    }
    this.#options.onSyncOk?.();
    batch.forEach(({ state, window, delta }, i) => {
      const reply = replies[i]!;
      state.inFlight -= delta;
      if (state.window === window) {
        // The total includes our delta and every other gateway's flushed counts.
        state.current = Math.max(state.current + delta, reply.total);
        if (reply.previous !== undefined) {
          state.previous = Math.max(state.previous, reply.previous);
          state.previousShared = true;
        }
      } else if (state.window === window + 1) {
        // The window turned during the trip: that total is now the previous window's.
        state.previous = Math.max(state.previous, reply.total);
        state.previousShared = true;
      }
    });
  }

  #state(rule: RateRule, id: string, now: number): KeyState {
    const baseKey = `${this.#prefix}:${rule.name}:{${id}}`;
    let state = this.#states.get(baseKey);
    if (!state) {
      const windowMs = Math.max(1, Math.round((rule.burst / rule.ratePerSecond) * 1000));
      state = {
        rule,
        windowMs,
        baseKey,
        window: Math.floor(now / windowMs),
        previous: 0,
        current: 0,
        pending: 0,
        inFlight: 0,
        inFlightWindow: -1,
        previousShared: false,
      };
      if (this.#states.size >= SWEEP_AT_KEYS) this.#sweep(now);
      this.#states.set(baseKey, state);
    } else this.#roll(state, now);
    return state;
  }

  /** Moves a key to the window `now` is in. */
  #roll(state: KeyState, now: number): void {
    const window = Math.floor(now / state.windowMs);
    if (window === state.window) return;
    const next = window === state.window + 1;
    // Our view of the old window (all gateways as of the last sync, plus ours since) becomes the
    // previous one; an answer still on its way refines it. After a longer gap, the store is asked.
    state.previous = next ? state.current + state.pending + (state.inFlightWindow === state.window ? state.inFlight : 0) : 0;
    state.previousShared = next;
    // What is still pending belonged to the old window: it is kept in `previous` here and not sent
    // (other gateways miss at most one sync's worth of it).
    state.current = 0;
    state.pending = 0;
    state.window = window;
  }

  /** Drops keys with nothing in this window or the previous one and nothing on its way to the store. */
  #sweep(now: number): void {
    for (const [key, state] of this.#states) {
      const window = Math.floor(now / state.windowMs);
      if (state.window < window - 1 && state.inFlight === 0) this.#states.delete(key);
    }
  }

  /** Seconds (≥ 1, whole) until `charge` more calls fit, if nothing else is sent meanwhile. */
  #retryAfter(state: KeyState, mine: number, charge: number, now: number): number {
    const { windowMs } = state;
    const room = state.rule.burst - charge;
    const windowStart = state.window * windowMs;
    let at: number;
    if (mine <= room && state.previous > 0) {
      // Still in this window: once enough of the previous window has slid out.
      const fraction = 1 - (room - mine) / state.previous;
      at = windowStart + fraction * windowMs;
    } else {
      // In the next window, once enough of this one has slid out.
      const fraction = mine > 0 ? Math.max(0, 1 - room / mine) : 0;
      at = windowStart + windowMs + fraction * windowMs;
    }
    return Math.max(1, Math.ceil((at - now) / 1000));
  }
}
