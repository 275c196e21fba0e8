export interface TokenBucketOptions {
  /** Tokens added per second (sustained rate). */
  ratePerSecond: number;
  /** Capacity: how many calls may come at once after a quiet spell. The bucket starts full. */
  burst: number;
  /** Clock in ms; injectable for tests. */
  now?: () => number;
}

/**
 * A token bucket: pure, one per socket, no timers (refilled lazily on each `take`). The first line
 * of the socket limits, per connection and local; GatewayLimits (limits.ts) adds the per-user
 * limit shared by every socket and gateway behind it.
 */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #now: () => number;
  #tokens: number;
  #last: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be > 0, got ${options.ratePerSecond}`);
    if (!(options.burst >= 1)) throw new RangeError(`burst must be >= 1, got ${options.burst}`);
    this.#rate = options.ratePerSecond;
    this.#burst = options.burst;
    this.#now = options.now ?? Date.now;
    this.#tokens = options.burst;
    this.#last = this.#now();
  }

  /** Takes one token; false (and nothing taken) when the bucket is empty. */
  take(): boolean {
    const now = this.#now();
    // A clock that steps back adds nothing rather than going negative.
    const elapsedMs = Math.max(0, now - this.#last);
    this.#last = now;
    this.#tokens = Math.min(this.#burst, this.#tokens + (elapsedMs / 1000) * this.#rate);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Whole seconds (≥ 1) until the next token, as of the last `take`: the Retry-After of a refusal. */
  secondsUntilNext(): number {
    return Math.max(1, Math.ceil((1 - this.#tokens) / this.#rate));
  }
}
