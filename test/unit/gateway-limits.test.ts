import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../../gateway/config.js';
import { GatewayLimits } from '../../gateway/limits.js';
import { SocketCaps } from '../../gateway/limits-sockets.js';
import { SharedRateLimiter, type CounterAdd, type CounterStore, type RateRule } from '../../gateway/limits-window.js';
import { TokenBucket } from '../../gateway/rate-limit.js';

const silent = pino({ level: 'silent' });

/** Redis's INCRBY/GET, in memory, shared by the limiters of several "gateways". */
class MemoryCounters implements CounterStore {
  readonly values = new Map<string, number>();
  failing = false;
  calls = 0;
  async add(entries: ReadonlyArray<CounterAdd>) {
    this.calls++;
    if (this.failing) throw new Error('redis down');
    return entries.map((e) => {
      const total = (this.values.get(e.key) ?? 0) + e.delta;
      this.values.set(e.key, total);
      return e.previousKey === undefined ? { total } : { total, previous: this.values.get(e.previousKey) ?? 0 };
    });
  }
}

const clock = (start = 1_000_000) => {
  const c = { now: start, fn: () => c.now };
  return c;
};

const rule: RateRule = { name: 'user', ratePerSecond: 10, burst: 50 }; // window 5 s

describe('SharedRateLimiter (sliding window, local decisions)', () => {
  it('lets a burst through at once, refuses the next with a Retry-After, then allows the sustained rate', () => {
    const c = clock();
    const limiter = new SharedRateLimiter({ syncMs: 100, now: c.fn });
    for (let i = 0; i < 50; i++) expect(limiter.take(rule, 'u1')).toBeUndefined();
    const refused = limiter.take(rule, 'u1');
    expect(refused?.rule).toBe(rule);
    // The burst fills the whole window: the first call fits again once part of it slid out, within one window.
    expect(refused!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused!.retryAfterSeconds).toBeLessThanOrEqual(10);
    // Another key is untouched.
    expect(limiter.take(rule, 'u2')).toBeUndefined();
    // Sustained: sending 40/s for 20 s, 10/s pass once the burst's window has slid out (5 s).
    let allowed = 0;
    for (let ms = 0; ms < 20_000; ms += 25) {
      c.now += 25;
      if (!limiter.take(rule, 'u1')) allowed++;
    }
    expect(allowed).toBeGreaterThan(15 * 10 * 0.8);
    expect(allowed).toBeLessThanOrEqual(20 * 10);
  });

  it('charges a batch as its size (at most the burst) and refuses it whole', () => {
    const c = clock();
    const limiter = new SharedRateLimiter({ syncMs: 100, now: c.fn });
    expect(limiter.take(rule, 'u1', 40)).toBeUndefined();
    expect(limiter.take(rule, 'u1', 11)).toBeDefined();
    expect(limiter.take(rule, 'u1', 10)).toBeUndefined();
    expect(limiter.take(rule, 'u1')).toBeDefined();
    // A batch larger than the burst passes after a quiet spell, taking all of it.
    c.now += 20_000;
    expect(limiter.take(rule, 'u1', 500)).toBeUndefined();
    expect(limiter.take(rule, 'u1')).toBeDefined();
  });

  it('shares the counts of several gateways through the store', async () => {
    const c = clock();
    const store = new MemoryCounters();
    const a = new SharedRateLimiter({ syncMs: 100, now: c.fn, store });
    const b = new SharedRateLimiter({ syncMs: 100, now: c.fn, store });
    for (let i = 0; i < 30; i++) expect(a.take(rule, 'u1')).toBeUndefined();
    await a.sync();
    // B has seen nothing of u1 yet: after one exchange it knows A's 30.
    for (let i = 0; i < 5; i++) expect(b.take(rule, 'u1')).toBeUndefined();
    await b.sync();
    let passed = 0;
    for (let i = 0; i < 50; i++) if (!b.take(rule, 'u1')) passed++;
    expect(passed).toBe(50 - 35);
    await b.sync();
    // A's view is one exchange old: its next call passes (the overshoot a sync interval allows)...
    expect(a.take(rule, 'u1')).toBeUndefined();
    await a.sync();
    // ...and its exchange brings every gateway's total: both refuse from now on.
    expect(a.take(rule, 'u1')).toBeDefined();
    expect(b.take(rule, 'u1')).toBeDefined();
    expect([...store.values.values()].reduce((x, y) => x + y, 0)).toBe(rule.burst + 1);
  });

  it('reads the previous window of a key it meets for the first time', async () => {
    const c = clock(5_000_000); // a window boundary (5 s windows)
    const store = new MemoryCounters();
    const a = new SharedRateLimiter({ syncMs: 100, now: c.fn, store });
    for (let i = 0; i < 50; i++) a.take(rule, 'u1');
    await a.sync();
    c.now += 5000; // the next window: A's 50 are now the previous window
    const b = new SharedRateLimiter({ syncMs: 100, now: c.fn, store });
    expect(b.take(rule, 'u1')).toBeUndefined(); // B does not know yet
    await b.sync();
    expect(b.take(rule, 'u1')).toBeDefined(); // now it does: 50 × (1 - 0) + 1 > 50
  });

  it('keeps limiting alone while the store fails, and sends the counts when it is back', async () => {
    const c = clock();
    const store = new MemoryCounters();
    const errors: unknown[] = [];
    const limiter = new SharedRateLimiter({ syncMs: 100, now: c.fn, store, onSyncError: (err) => errors.push(err) });
    store.failing = true;
    for (let i = 0; i < 50; i++) expect(limiter.take(rule, 'u1')).toBeUndefined();
    await limiter.sync();
    expect(errors).toHaveLength(1);
    expect(limiter.take(rule, 'u1')).toBeDefined();
    store.failing = false;
    await limiter.sync();
    expect([...store.values.values()]).toEqual([50]);
    expect(limiter.take(rule, 'u1')).toBeDefined();
  });

  it('forgets keys idle for two windows', async () => {
    const c = clock();
    const limiter = new SharedRateLimiter({ syncMs: 100, now: c.fn });
    for (let i = 0; i < 100; i++) limiter.take(rule, `u${i}`);
    expect(limiter.size).toBe(100);
    c.now += 3 * 5000;
    await limiter.sync();
    expect(limiter.size).toBe(0);
  });
});

describe('SocketCaps without Redis', () => {
  it('caps sockets per user and per token on this gateway and frees a place on release', async () => {
    const caps = new SocketCaps({ perUser: 3, perToken: 2, leaseMs: 30_000, logger: silent });
    const a1 = await caps.acquire('u1', 'token-a');
    await caps.acquire('u1', 'token-a');
    await expect(caps.acquire('u1', 'token-a')).rejects.toMatchObject({
      code: 'too_many_sockets',
      details: { scope: 'token', limit: '2' },
    });
    const b1 = await caps.acquire('u1', 'token-b');
    await expect(caps.acquire('u1', 'token-c')).rejects.toMatchObject({ code: 'too_many_sockets', details: { scope: 'user', limit: '3' } });
    caps.release(a1);
    caps.release(a1); // idempotent
    await caps.acquire('u1', 'token-c');
    await expect(caps.acquire('u1', 'token-d')).rejects.toMatchObject({ code: 'too_many_sockets' });
    caps.release(b1);
    expect(caps.held).toBe(2);
    // Another user is counted on its own.
    await caps.acquire('u2', 'token-e');
  });
});

describe('GatewayLimits', () => {
  const limitsWith = (env: Record<string, string>) =>
    new GatewayLimits({ config: loadGatewayConfig({ AUTH_SECRET: 's', ...env }), logger: silent });

  it('exempts the configured roles from the rates and refuses the others with rate_limited and a wait', () => {
    const limits = limitsWith({ USER_CALLS_PER_SECOND: '1', USER_CALL_BURST: '2' });
    expect(limits.userCalls('v1', 'visitor')).toBeUndefined();
    expect(limits.userCalls('v1', 'visitor')).toBeUndefined();
    const refused = limits.userCalls('v1', 'visitor');
    expect(refused).toMatchObject({ code: 'rate_limited', details: { retryAfterSeconds: String(refused?.retryAfterSeconds) } });
    expect(refused!.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused!.message).toContain('USER_CALLS_PER_SECOND');
    for (let i = 0; i < 10; i++) expect(limits.userCalls('ops', 'admin')).toBeUndefined();
    for (let i = 0; i < 10; i++) expect(limits.userCalls('shop-1', 'shop')).toBeUndefined();
  });

  it('refuses an unknown role in RATE_LIMIT_EXEMPT_ROLES at start', () => {
    expect(() => loadGatewayConfig({ RATE_LIMIT_EXEMPT_ROLES: 'admin,root' })).toThrow(/RATE_LIMIT_EXEMPT_ROLES: unknown role\(s\) root/);
    const none = limitsWith({ RATE_LIMIT_EXEMPT_ROLES: 'none', USER_CALL_BURST: '1' });
    expect(none.userCalls('ops', 'admin')).toBeUndefined();
    expect(none.userCalls('ops', 'admin')).toMatchObject({ code: 'rate_limited' });
  });

  it('takes the client address from the peer, or from X-Forwarded-For behind trusted proxies', () => {
    expect(limitsWith({}).clientIp('10.0.0.1', '1.2.3.4')).toBe('10.0.0.1');
    const behindOne = limitsWith({ TRUST_PROXY_HOPS: '1' });
    expect(behindOne.clientIp('10.0.0.1', '6.6.6.6, 1.2.3.4')).toBe('1.2.3.4'); // the client forged the first
    expect(behindOne.clientIp('10.0.0.1', undefined)).toBe('10.0.0.1');
    expect(behindOne.clientIp('10.0.0.1', 'x'.repeat(200))).toBe('10.0.0.1');
    const behindTwo = limitsWith({ TRUST_PROXY_HOPS: '2' });
    expect(behindTwo.clientIp('10.0.0.1', '6.6.6.6, 1.2.3.4, 10.0.0.9')).toBe('1.2.3.4');
    expect(behindTwo.clientIp('10.0.0.1', '1.2.3.4')).toBe('1.2.3.4');
  });

  it('limits requests per IP', () => {
    const limits = limitsWith({ IP_REQUESTS_PER_SECOND: '1', IP_REQUEST_BURST: '3' });
    for (let i = 0; i < 3; i++) expect(limits.ipRequest('1.2.3.4')).toBeUndefined();
    expect(limits.ipRequest('1.2.3.4')).toMatchObject({ code: 'rate_limited' });
    expect(limits.ipRequest('1.2.3.5')).toBeUndefined();
  });
});

describe('TokenBucket', () => {
  it('says how long until its next token', () => {
    let now = 0;
    const bucket = new TokenBucket({ ratePerSecond: 0.25, burst: 1, now: () => now });
    expect(bucket.take()).toBe(true);
    expect(bucket.take()).toBe(false);
    expect(bucket.secondsUntilNext()).toBe(4);
    now += 3000;
    expect(bucket.take()).toBe(false);
    expect(bucket.secondsUntilNext()).toBe(1);
  });
});
