import { SignJWT } from 'jose';
import { createConnection } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ID_LENGTH, MAX_JSON_DEPTH } from '../../engine/contracts/bounds.js';
import { ErrorCodes, PulseError } from '../../engine/contracts/errors.js';
import { ItemSchema, MemberNameSchema } from '../../engine/contracts/schemas.js';
import { categoryPathProblem, textProblem } from '../../engine/contracts/text-rules.js';
import { CatalogService, checkItems } from '../../engine/catalog/catalog-service.js';
import { DEFAULT_TOKEN_POLICY, TokenService, tokenPolicyOf } from '../../gateway/auth.js';
import { loadGatewayConfig } from '../../gateway/config.js';
import { createHttpApp, wireErrorOf } from '../../gateway/http-app.js';
import { jsonTextTooDeep } from '../../gateway/json-depth.js';
import { GatewayMetrics } from '../../gateway/metrics.js';
import { SECRET, startHarness, type Harness } from './gateway-harness.js';

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const item = (fields: Record<string, unknown>) => ({ itemId: 'sku-1', title: 'Oak lamp', category: 'home/lamps', price: 10, ...fields });

describe('text rules (engine/contracts/text-rules.ts)', () => {
  it('refuses control characters and lone surrogates, keeps real Unicode', () => {
    for (const bad of ['\u0000', 'a\u0007b', 'tab\there', 'nl\n', 'del\u007f', 'c1\u0085', 'x\ud800', '\udfffy', 'a\udc00\ud800b'])
      expect(textProblem(bad), JSON.stringify(bad)).toBeDefined();
    for (const good of ['Oak lamp', 'Lampe à poser', '台灯', 'Lamp 😀', '\u{1F600}\u{1F601}', ' spaced '])
      expect(textProblem(good), good).toBeUndefined();
    expect(textProblem('x\ud800')).toMatch(/lone surrogate \(U\+D800\)/);
    expect(textProblem('a\u0007')).toMatch(/control character \(U\+0007\)/);
  });

  it('refuses category paths with an empty level', () => {
    for (const bad of [' ', '/', '\t', '>', 'home//lamps', 'home/', '/home', ' > lamps', 'home / ', 'home\u0000'])
      expect(categoryPathProblem(bad), JSON.stringify(bad)).toBeDefined();
    for (const good of ['home', 'home/lamps', 'Home > Lamps', ' Home > Rugs ', 'candles-lights', 'a/b/c'])
      expect(categoryPathProblem(good), good).toBeUndefined();
  });

  it('an item the gateway accepts is one the engine applies, and the other way round', () => {
    const catalog = new CatalogService({ indexer: { upsert: () => undefined, remove: () => undefined } });
    const candidates = [
      ...[' ', '/', '\t', 'home//lamps', 'home/', '>', 'home', 'Home > Lamps', 'x\u0001', 'x\ud800'].map((category) => item({ category })),
      ...['', '   ', 'Oak\u0000', 'Oak\ud800', 'Oak 😀'].map((title) => item({ title })),
      item({ brand: ' ' }),
      item({ brand: 'Lumo\u009f' }),
      item({ tags: [' '] }),
      item({ tags: ['oak', 'x\udc00'] }),
      item({ channels: ['\u0001'] }),
      item({ channels: ['web'] }),
    ];
    for (const candidate of candidates) {
      const gateway = ItemSchema.safeParse(candidate).success;
      let engine = true;
      try {
        catalog.apply({ type: 'upsert', item: candidate as never });
      } catch (err) {
        expect(err).toBeInstanceOf(PulseError);
        engine = false;
      }
      expect(engine, JSON.stringify(candidate)).toBe(gateway);
    }
    expect(catalog.get('sku-1')?.channels).toEqual(['web']);
  });

  it('the engine checks a whole upsert before storing any of it', () => {
    expect(checkItems([item({}), item({ itemId: 'sku-2', category: 'home' })])).toHaveLength(2);
    expect(() => checkItems([item({}), item({ itemId: 'sku-2', category: ' ' })])).toThrow(/index 1 "sku-2"/);
  });

  it('member names follow the same rules', () => {
    expect(MemberNameSchema.safeParse('Ada Lovelace').success).toBe(true);
    for (const bad of ['\u0007Ada', 'A\ud800', '   ']) expect(MemberNameSchema.safeParse(bad).success).toBe(false);
  });
});

describe('JSON depth (gateway/json-depth.ts)', () => {
  it('counts nesting on the text, ignoring brackets inside strings', () => {
    expect(jsonTextTooDeep(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(jsonTextTooDeep(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(jsonTextTooDeep(`{"a":"${'['.repeat(100)}\\"${'{'.repeat(100)}"}`, 3)).toBe(false);
    expect(jsonTextTooDeep('[{"a":[{"b":[1]}]}]', 4)).toBe(true);
    expect(jsonTextTooDeep('[{"a":[{"b":[1]}]}]', 5)).toBe(false);
  });
});

describe('token lifetimes (gateway/auth.ts)', () => {
  const tokens = new TokenService(SECRET);
  const key = new TextEncoder().encode(SECRET);
  const now = () => Math.floor(Date.now() / 1000);
  const sign = (role: string, times: { iat?: number; exp?: number }) => {
    const jwt = new SignJWT({ role }).setProtectedHeader({ alg: 'HS256' }).setSubject('u-1');
    if (times.iat !== undefined) jwt.setIssuedAt(times.iat);
    if (times.exp !== undefined) jwt.setExpirationTime(times.exp);
    return jwt.sign(key);
  };
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'accepted',
      (err: unknown) => (err instanceof PulseError ? err.code : String(err)),
    );

  it('refuses a token without exp, beyond its role maximum, or issued in the future', async () => {
    const t = now();
    expect(await codeOf(tokens.verify(await sign('admin', { iat: t })))).toBe('unauthorized');
    expect(await codeOf(tokens.verify(await sign('member', { iat: t, exp: t + 10 * 365 * 86_400 })))).toBe('unauthorized');
    expect(await codeOf(tokens.verify(await sign('member', { exp: t + 10 * 365 * 86_400 })))).toBe('unauthorized');
    // An old iat cannot stretch a lifetime: exp - iat counts too.
    expect(await codeOf(tokens.verify(await sign('admin', { iat: t - 30 * 86_400, exp: t + 3600 })))).toBe('unauthorized');
    expect(await codeOf(tokens.verify(await sign('admin', { iat: t + 3600, exp: t + 7200 })))).toBe('unauthorized');
    expect(await codeOf(tokens.verify(await sign('admin', { iat: t + 30, exp: t + 3600 })))).toBe('accepted');
    expect(await codeOf(tokens.verify(await sign('admin', { iat: t, exp: t + DEFAULT_TOKEN_POLICY.maxTtlSeconds.admin })))).toBe(
      'accepted',
    );
    expect(await codeOf(tokens.verify(await sign('visitor', { exp: t + 60 * 86_400 })))).toBe('accepted');
  });

  it('never signs what it would refuse, and the config must agree with itself', async () => {
    await expect(tokens.sign({ sub: 'a', role: 'admin' }, DEFAULT_TOKEN_POLICY.maxTtlSeconds.admin + 1)).rejects.toThrow(
      /TOKEN_MAX_TTL_ADMIN_SECONDS/,
    );
    expect(tokenPolicyOf(loadGatewayConfig({})).maxTtlSeconds).toEqual(DEFAULT_TOKEN_POLICY.maxTtlSeconds);
    expect(() => tokenPolicyOf(loadGatewayConfig({ VISITOR_TOKEN_TTL_SECONDS: String(100 * 86_400) }))).toThrow(
      /VISITOR_TOKEN_TTL_SECONDS/,
    );
    const strict = new TokenService(
      SECRET,
      tokenPolicyOf(loadGatewayConfig({ TOKEN_MAX_TTL_MEMBER_SECONDS: '3600', MEMBER_TOKEN_TTL_SECONDS: '600' })),
    );
    expect(await codeOf(strict.verify(await sign('member', { iat: now(), exp: now() + 7200 })))).toBe('unauthorized');
  });
});

describe('one error shape (gateway/http-app.ts)', () => {
  it('maps Fastify and plugin errors by status to stable codes', () => {
    expect(wireErrorOf({ statusCode: 429, message: 'Rate limit exceeded' }, 10).code).toBe(ErrorCodes.rateLimited);
    expect(wireErrorOf({ statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' }, 10).code).toBe(ErrorCodes.unsupportedMediaType);
    expect(wireErrorOf({ statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' }, 10)).toEqual({
      code: 'payload_too_large',
      message: 'request body is larger than 10 bytes',
    });
    expect(wireErrorOf({ statusCode: 418, message: 'x'.repeat(500) }, 10).message).toHaveLength(200);
    expect(wireErrorOf(new TypeError('boom'), 10)).toEqual({ code: 'internal', message: 'internal error' });
    expect(wireErrorOf('a thrown string', 10).code).toBe('internal');
  });

  it("adds Retry-After from details, keeps a plugin's, and answers `unavailable` while closing", async () => {
    let accepting = true;
    const config = loadGatewayConfig({ AUTH_SECRET: SECRET });
    const app = await createHttpApp({
      config,
      logger: pino({ level: 'silent' }),
      metrics: new GatewayMetrics(),
      readiness: async () => ({ ready: true, checks: {} }),
      accepting: () => accepting,
    });
    app.get('/t/busy', async () => {
      throw new PulseError(ErrorCodes.unavailable, 'password pool full', { retryAfterSeconds: '2.2' });
    });
    app.get('/t/plugin', async (_request, reply) => {
      reply.header('Retry-After', '7');
      throw Object.assign(new Error('Rate limit exceeded'), { statusCode: 429 });
    });
    const busy = await app.inject({ method: 'GET', url: '/t/busy' });
    expect(busy.statusCode).toBe(503);
    expect(busy.headers['retry-after']).toBe('3');
    expect(busy.json()).toEqual({ error: { code: 'unavailable', message: 'password pool full', details: { retryAfterSeconds: '2.2' } } });
    const plugin = await app.inject({ method: 'GET', url: '/t/plugin' });
    expect(plugin.statusCode).toBe(429);
    expect(plugin.headers['retry-after']).toBe('7');
    expect(plugin.json().error.code).toBe('rate_limited');
    accepting = false;
    const closing = await app.inject({ method: 'GET', url: '/t/plugin' });
    expect(closing.statusCode).toBe(503);
    expect(closing.headers['retry-after']).toBe('1');
    expect(closing.json().error.code).toBe('unavailable');
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    await app.close();
  });

  describe('on a gateway', () => {
    let h: Harness;
    let admin: string;
    beforeAll(async () => {
      h = await startHarness();
      admin = await h.token('admin');
    });
    afterAll(() => h.close());

    const expectShape = (res: { status: number; body: unknown }, status: number, code: string) => {
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ error: { code, message: expect.any(String) } });
      expect(Object.keys(res.body as object)).toEqual(['error']);
    };

    it('refuses deep JSON with 400 before any handler', async () => {
      const token = await h.token('member');
      const body = `{"events":[${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}]}`;
      expectShape(
        await h.fetch('/v1/events', { method: 'POST', token, headers: { 'Content-Type': 'application/json' }, body }),
        400,
        'invalid_request',
      );
      expectShape(
        await h.fetch('/v1/events', {
          method: 'POST',
          token,
          headers: { 'Content-Type': 'application/json' },
          body: nested(MAX_JSON_DEPTH + 1),
        }),
        400,
        'invalid_request',
      );
      expect(h.appended).toHaveLength(0);
    });

    it('routes every id up to the limit and refuses longer path parameters in the API shape', async () => {
      // A body that fails validation: reaching invalid_item proves the route matched the 100-character id.
      const atLimit = await h.fetch(`/v1/items/${'@'.repeat(MAX_ID_LENGTH).replace(/@/g, encodeURIComponent('@'))}`, {
        method: 'PUT',
        token: admin,
        json: { title: 'x' },
      });
      expectShape(atLimit, 400, 'invalid_item');
      expectShape(await h.fetch(`/v1/items/${'x'.repeat(MAX_ID_LENGTH + 1)}`, { token: admin }), 400, 'invalid_request');
      expectShape(await h.fetch('/v1/items/%E0%A4%A', { token: admin }), 400, 'invalid_request');
    });

    it('refuses a blank category at the gateway, naming the field', async () => {
      for (const category of [' ', '/', '\t', 'home//lamps']) {
        const res = await h.fetch('/v1/items/sku-blank', { method: 'PUT', token: admin, json: item({ itemId: 'sku-blank', category }) });
        expectShape(res, 400, 'invalid_item');
        expect((res.body as { error: { details: Record<string, string> } }).error.details.category).toMatch(/empty level|control/);
      }
      expectShape(await h.fetch('/v1/items?category=home//lamps', { token: admin }), 400, 'invalid_request');
    });

    it('lets a page on another origin read Retry-After and send Idempotency-Key', async () => {
      const res = await h.fetch('/v1/nothing', { headers: { Origin: 'https://shop.example' } });
      expect(res.headers.get('access-control-expose-headers')).toBe('Retry-After');
      const preflight = await h.fetch('/v1/members/me/rewards', {
        method: 'OPTIONS',
        headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'POST' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-headers')).toContain('Idempotency-Key');
    });

    it("answers what Node's HTTP parser refuses in the API shape", async () => {
      const port = new URL(h.url).port;
      const exchange = (request: string) =>
        new Promise<string>((resolve) => {
          const socket = createConnection({ port: Number(port), host: '127.0.0.1' });
          let data = '';
          socket.on('data', (chunk) => (data += chunk.toString()));
          socket.on('error', () => undefined);
          socket.on('close', () => resolve(data));
          socket.write(request);
        });
      const garbage = await exchange('FOO BAR BAZ\r\n\r\n');
      expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(garbage.slice(garbage.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: 'invalid_request' } });
      const big = await exchange(`GET /v1/items HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(20_000)}\r\n\r\n`);
      expect(big).toMatch(/^HTTP\/1\.1 431 /);
      expect(JSON.parse(big.slice(big.indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: 'headers_too_large' } });
    });
  });
});
