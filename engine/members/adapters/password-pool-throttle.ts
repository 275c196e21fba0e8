import { ErrorCodes, PulseError } from '../../contracts/errors.js';

export interface LoginThrottleOptions {
  /** Wrong passwords one email may take within `windowMs`; the next attempts are `rate_limited` until the window ends. */
  failures: number;
  windowMs: number;
  /** Emails remembered at most (oldest window dropped first): bounds the memory an attacker spraying emails can take. */
  maxEmails?: number;
  now?: () => number;
}

interface Window {
  startedAt: number;
  failures: number;
}

/**
 * Wrong passwords per email, in fixed windows, in this engine's memory (O(1) per check; ~100
 * bytes per email, at most `maxEmails`). Past the limit an email's logins are refused with
 * `rate_limited` and the seconds left, before any hash is computed: guessing one account's
 * password costs the attacker time and the engine nothing. Unknown emails count alike, so the
 * answer tells nothing about which accounts exist. A correct password clears the count.
 *
 * The price: someone who knows a member's email can keep that member from logging in for a
 * window at a time (the common trade of lockout rules; the window is short). Several engines
 * each count their own attempts, so the limit is per engine.
 */
export class LoginThrottle {
  private readonly windows = new Map<string, Window>();
  private readonly now: () => number;
  private readonly maxEmails: number;

  constructor(private readonly options: LoginThrottleOptions) {
    if (!Number.isInteger(options.failures) || options.failures < 1)
      throw new RangeError(`failures must be an integer >= 1, got ${options.failures}`);
    if (!(options.windowMs > 0)) throw new RangeError(`windowMs must be > 0, got ${options.windowMs}`);
    this.now = options.now ?? Date.now;
    this.maxEmails = options.maxEmails ?? 100_000;
  }

  /** Throws `rate_limited` (with `retryAfterSeconds`) when `email` used up its wrong passwords for now. */
  check(email: string): void {
    const window = this.current(email);
    if (!window || window.failures < this.options.failures) return;
    const seconds = Math.max(1, Math.ceil((window.startedAt + this.options.windowMs - this.now()) / 1000));
    throw new PulseError(ErrorCodes.rateLimited, `too many wrong passwords for this account: try again in ${seconds} s`, {
      retryAfterSeconds: String(seconds),
    });
  }

  failed(email: string): void {
    const window = this.current(email);
    if (window) {
      window.failures++;
      return;
    }
    if (this.windows.size >= this.maxEmails) {
      // Map order is insertion order: the first entry's window started longest ago.
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
    this.windows.set(email, { startedAt: this.now(), failures: 1 });
  }

  succeeded(email: string): void {
    this.windows.delete(email);
  }

  /** The email's window if it is still open (a closed one is dropped). */
  private current(email: string): Window | undefined {
    const window = this.windows.get(email);
    if (window && this.now() - window.startedAt >= this.options.windowMs) {
      this.windows.delete(email);
      return undefined;
    }
    return window;
  }
}
