import { SignJWT } from 'jose';
import { pino } from 'pino';
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { PulseError } from '../../engine/contracts/errors.js';
import type { PushMessage } from '../../engine/contracts/messages.js';
import type { PushSubscriber } from '../../engine/platform/notifier.js';
import { bearerToken, principalOf, requireRole, TokenService } from '../../gateway/auth.js';
import { parseCorsOrigins } from '../../gateway/cors.js';
import { GatewayMetrics } from '../../gateway/metrics.js';
import { PushRouter } from '../../gateway/push-router.js';
import { TokenBucket } from '../../gateway/rate-limit.js';
import { maxSocketFrameBytes } from '../../gateway/socket-server.js';
import { tokenCli } from '../../gateway/token-cli.js';

const logger = pino({ level: 'silent' });
const secret = 'unit-secret-for-gateway-parts';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof PulseError) return err.code;
    throw err;
  }
  throw new Error('expected a PulseError');
}

describe('TokenService', () => {
  const tokens = new TokenService(secret);

  it('round-trips claims with iat and exp', async () => {
    const token = await tokens.sign({ sub: 'm-1', role: 'member', tier: 'vip' }, 120);
    const claims = await tokens.verify(token);
    expect(claims).toMatchObject({ sub: 'm-1', role: 'member', tier: 'vip' });
    expect(claims.exp! - claims.iat!).toBe(120);
    expect(principalOf(claims)).toEqual({ userId: 'm-1', role: 'member', tier: 'vip' });
    expect(principalOf({ sub: 'v', role: 'visitor' }).tier).toBe('regular');
  });

  it('tells expired from invalid tokens', async () => {
    const key = new TextEncoder().encode(secret);
    const past = Math.floor(Date.now() / 1000) - 5;
    const expired = await new SignJWT({ role: 'member' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('m-1')
      .setExpirationTime(past)
      .sign(key);
    expect(await codeOf(tokens.verify(expired))).toBe('token_expired');
    expect(await codeOf(tokens.verify('x.y.z'))).toBe('unauthorized');
    expect(await codeOf(tokens.verify(await new TokenService('other').sign({ sub: 'a', role: 'admin' }, 60)))).toBe('unauthorized');
    const badRole = await new SignJWT({ role: 'superuser' }).setProtectedHeader({ alg: 'HS256' }).setSubject('m-1').sign(key);
    expect(await codeOf(tokens.verify(badRole))).toBe('unauthorized');
    const noSub = await new SignJWT({ role: 'member' }).setProtectedHeader({ alg: 'HS256' }).sign(key);
    expect(await codeOf(tokens.verify(noSub))).toBe('unauthorized');
    const hs512 = await new SignJWT({ role: 'admin' }).setProtectedHeader({ alg: 'HS512' }).setSubject('a').sign(key);
    expect(await codeOf(tokens.verify(hs512))).toBe('unauthorized');
    // Unsigned ("alg: none") tokens are refused.
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"a","role":"admin"}').toString('base64url')}.`;
    expect(await codeOf(tokens.verify(none))).toBe('unauthorized');
  });

  it('refuses to sign bad claims or lifetimes', async () => {
    await expect(tokens.sign({ sub: 'has space', role: 'member' }, 60)).rejects.toThrow();
    await expect(tokens.sign({ sub: 'a', role: 'member' }, 0)).rejects.toThrow(RangeError);
    expect(() => new TokenService('')).toThrow(RangeError);
  });

  it('parses bearer headers and checks roles', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer  abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(() => requireRole({ sub: 'm', role: 'member' }, 'admin')).toThrow(PulseError);
    expect(() => requireRole({ sub: 'a', role: 'admin' }, 'admin', 'marketing')).not.toThrow();
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then the sustained rate', () => {
    let now = 1_000_000;
    const bucket = new TokenBucket({ ratePerSecond: 2, burst: 3, now: () => now });
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    now += 499;
    expect(bucket.take()).toBe(false);
    now += 1;
    expect(bucket.take()).toBe(true);
    now += 10_000; // refills up to the burst only
    expect(Array.from({ length: 4 }, () => bucket.take())).toEqual([true, true, true, false]);
    now -= 5000; // a clock stepping back adds nothing
    expect(bucket.take()).toBe(false);
  });

  it('rejects nonsense settings', () => {
    expect(() => new TokenBucket({ ratePerSecond: 0, burst: 1 })).toThrow(RangeError);
    expect(() => new TokenBucket({ ratePerSecond: 1, burst: 0 })).toThrow(RangeError);
  });
});

class FakeSubscriber implements PushSubscriber {
  readonly users = new Map<string, Set<(m: PushMessage) => void>>();
  readonly all = new Set<(m: PushMessage) => void>();
  subscribeUser(userId: string, handler: (m: PushMessage) => void) {
    const set = this.users.get(userId) ?? new Set();
    set.add(handler);
    this.users.set(userId, set);
    return () => {
      set.delete(handler);
      if (set.size === 0) this.users.delete(userId);
    };
  }
  subscribeAll(handler: (m: PushMessage) => void) {
    this.all.add(handler);
    return () => this.all.delete(handler);
  }
  push(userId: string, message: PushMessage) {
    for (const handler of this.users.get(userId) ?? []) handler(message);
  }
}

/** The engine's answer when nothing waits (the promotion claims are tested in gateway-promotions.test.ts). */
const noClaims = async () => ({ delivered: [] });

describe('PushRouter', () => {
  const recs = (causeReceivedAt?: number): PushMessage => ({
    event: 'recommendations',
    data: { items: [], generatedAt: 1, modelVersion: 'm' },
    ...(causeReceivedAt ? { causeReceivedAt } : {}),
  });

  it('subscribes a user once while any socket is held, and unsubscribes with the last', async () => {
    const subscriber = new FakeSubscriber();
    const emitted: Array<[string, string]> = [];
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    const router = new PushRouter({
      subscriber,
      emitToUser: (u, m) => emitted.push([u, m.event]),
      emitToAll: () => undefined,
      claimPromotions: noClaims,
      metrics,
      logger,
      now: () => 10_000,
    });
    router.start();
    const release1 = router.hold('alice');
    const release2 = router.hold('alice');
    expect(subscriber.users.get('alice')?.size).toBe(1);
    subscriber.push('alice', recs(9_990));
    expect(emitted).toEqual([['alice', 'recommendations']]);
    const histogram = await metrics.pushLatency.get();
    expect(histogram.values.find((v) => v.metricName?.endsWith('_sum'))?.value).toBeCloseTo(0.01);
    release1();
    release1(); // idempotent: does not drop alice's other socket
    expect(subscriber.users.get('alice')?.size).toBe(1);
    release2();
    expect(subscriber.users.has('alice')).toBe(false);
    expect(router.users).toBe(0);

    router.hold('bob');
    router.close();
    expect(subscriber.users.size).toBe(0);
    expect(subscriber.all.size).toBe(0);
    router.hold('carol');
    expect(subscriber.users.size).toBe(0);
  });

  it('clamps clock skew and survives a failing emit', async () => {
    const subscriber = new FakeSubscriber();
    const metrics = new GatewayMetrics({ defaultMetrics: false });
    let fail = true;
    const router = new PushRouter({
      subscriber,
      emitToUser: () => {
        if (fail) throw new Error('socket layer broke');
      },
      emitToAll: () => undefined,
      claimPromotions: noClaims,
      metrics,
      logger,
      now: () => 1000,
    });
    router.hold('u');
    subscriber.push('u', recs(5000));
    expect((await metrics.pushes.get()).values).toHaveLength(0);
    fail = false;
    subscriber.push('u', recs(5000));
    const sum = (await metrics.pushLatency.get()).values.find((v) => v.metricName?.endsWith('_sum'))?.value;
    expect(sum).toBe(0);
  });
});

describe('GatewayMetrics', () => {
  it('merges an extra registry, showing shared default metrics once', async () => {
    const extra = new Registry();
    collectDefaultMetrics({ register: extra });
    new Counter({ name: 'pulse_engine_events_applied_total', help: 'x', registers: [extra] }).inc(3);
    const metrics = new GatewayMetrics({ extra });
    metrics.eventsReceived.inc();
    const text = await metrics.render();
    expect(text).toMatch(/^pulse_engine_events_applied_total 3$/m);
    expect(text).toMatch(/^pulse_gateway_events_received_total 1$/m);
    expect(text.match(/^# TYPE process_cpu_user_seconds_total/gm)).toHaveLength(1);
  });

  it('keeps each instance separate from the global registry', async () => {
    const a = new GatewayMetrics({ defaultMetrics: false });
    const b = new GatewayMetrics({ defaultMetrics: false });
    a.eventsAcked.inc(2);
    expect(await b.render()).toMatch(/^pulse_gateway_events_acked_total 0$/m);
  });
});

describe('small helpers', () => {
  it('parses CORS origins', () => {
    expect(parseCorsOrigins('*')).toBe('*');
    expect(parseCorsOrigins('')).toBe('*');
    expect(parseCorsOrigins('https://a.example/, https://b.example')).toEqual(['https://a.example', 'https://b.example']);
  });

  it('sizes the socket frame limit a little above the body limit', () => {
    expect(maxSocketFrameBytes(4096)).toBe(4096 + 16 * 1024);
    expect(maxSocketFrameBytes(1024 * 1024)).toBe(1024 * 1024 + 256 * 1024);
  });
});

describe('token CLI', () => {
  it('prints a token that verifies with AUTH_SECRET', async () => {
    const result = await tokenCli(['--role', 'marketing', '--sub', 'ops-1', '--ttl', '60', '--tier', 'vip'], { AUTH_SECRET: secret });
    expect(result.exitCode).toBe(0);
    const claims = await new TokenService(secret).verify(result.stdout.trim());
    expect(claims).toMatchObject({ sub: 'ops-1', role: 'marketing', tier: 'vip' });
    expect(claims.exp! - claims.iat!).toBe(60);
    expect((await new TokenService(secret).verify((await tokenCli(['--role', 'admin'], { AUTH_SECRET: secret })).stdout.trim())).sub).toBe(
      'admin',
    );
  });

  it('exits 2 with a clear message on a missing secret or bad arguments', async () => {
    const cases: Array<[string[], Record<string, string>, RegExp]> = [
      [['--role', 'admin'], {}, /AUTH_SECRET is not set/],
      [[], { AUTH_SECRET: secret }, /--role is required/],
      [['--role', 'root'], { AUTH_SECRET: secret }, /unknown role "root"/],
      [['--role', 'admin', '--ttl=-5'], { AUTH_SECRET: secret }, /--ttl must be a positive/],
      [['--role', 'admin', '--ttl', '1.5'], { AUTH_SECRET: secret }, /--ttl must be a positive/],
      [['--role', 'admin', '--tier', 'gold'], { AUTH_SECRET: secret }, /unknown tier "gold"/],
      [['--role', 'admin', '--sub', 'a b'], { AUTH_SECRET: secret }, /bad --sub/],
      [['--role', 'admin', '--frobnicate'], { AUTH_SECRET: secret }, /Unknown option/],
    ];
    for (const [args, env, message] of cases) {
      const result = await tokenCli(args, env);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stdout).toBe('');
    }
  });
});
