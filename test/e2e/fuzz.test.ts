import { connect as connectNats, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { SignJWT } from 'jose';
import { createConnection } from 'node:net';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_STREAM } from '../../engine/contracts/subjects.js';
import { WEB_ASSETS } from '../../gateway/web-assets.js';
import { connectSocket, http, visitor } from '../helpers/clients.js';
import {
  chance,
  CONTENT_TYPES,
  deepValue,
  hostileParam,
  hostileQuery,
  hostileRawBody,
  hostileValue,
  mutate,
  pick,
  rng,
  routeSpecs,
  type Rand,
  type RouteSpec,
} from '../helpers/fuzz-inputs.js';
import { refusedInputs, type RefusedInput } from '../helpers/fuzz-refusals.js';
import { spawnPulse, type PulseProcess } from '../helpers/pulse-process.js';
import { startNats, startRedis, type TestServer } from '../helpers/servers.js';

/**
 * Must-show 5 of issue 13: a seeded fuzz of every HTTP route and every socket event against a real
 * `npm start` process (gateway and engine in one process) on a private nats-server and
 * redis-server. It finds no 5xx, no error body outside `{error: {code, message}}` (Fastify's own
 * refusals and Node's parser's included), a `Retry-After` on every 429 and 503, and nothing stored
 * from a refused input (catalog, event log, members, points, coupons, campaigns, analytics).
 *
 * FUZZ_INPUTS (default 5,000, the size `npm test` runs) and FUZZ_SEED replay or widen a run; every
 * failure names its input index.
 */
const SIZE = Math.max(5000, Number(process.env.FUZZ_INPUTS ?? 5000));
const SEED = Number(process.env.FUZZ_SEED ?? 13_013);
const SECRET = 'e2e-secret-fuzz';
/** Codes that stand for a server-side failure (5xx) in a socket ack. */
const SERVER_FAILURE_CODES = new Set(['internal', 'unavailable', 'timeout']);
const ERROR_KEYS = new Set(['code', 'message', 'details']);
/** Socket errors may also carry `retryAfterSeconds` (a number) next to the code, as HTTP carries `Retry-After`. */
const SOCKET_ERROR_KEYS = new Set([...ERROR_KEYS, 'retryAfterSeconds']);

type Tokens = Record<string, string | undefined>;

/** Why `body` is not the API's error shape, or undefined. */
function errorShapeProblem(body: unknown, allowed: ReadonlySet<string> = ERROR_KEYS): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return `not a JSON object: ${String(JSON.stringify(body)).slice(0, 120)}`;
  const keys = Object.keys(body);
  if (keys.length !== 1 || keys[0] !== 'error') return `top-level keys ${JSON.stringify(keys)}`;
  const error = (body as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) return 'error is not an object';
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || !/^[a-z][a-z_]*$/.test(code)) return `code ${JSON.stringify(code)}`;
  if (typeof message !== 'string' || message.length === 0) return 'no message';
  const extra = Object.keys(error).filter((key) => !allowed.has(key));
  return extra.length > 0 ? `extra error keys ${extra.join(',')}` : undefined;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * Checks one HTTP answer; returns what is wrong or undefined. `/readyz` is a probe: its 503 is an
 * answer (the readiness report, naming what failed), not a failed request.
 */
function answerProblem(method: string, answer: Answer, path = ''): string | undefined {
  if (/^\/readyz(\?|$)/.test(path) && method === 'GET' && (answer.status === 200 || answer.status === 503)) {
    return /"ready":(true|false)/.test(answer.text) ? undefined : `readyz body ${answer.text.slice(0, 120)}`;
  }
  if (answer.status >= 500) return `status ${answer.status}: ${answer.text.slice(0, 200)}`;
  if ((answer.status === 429 || answer.status === 503) && !answer.headers.get('retry-after')) return `${answer.status} without Retry-After`;
  if (answer.status < 400 || method === 'HEAD') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return `status ${answer.status}, body not JSON: ${answer.text.slice(0, 120)}`;
  }
  const problem = errorShapeProblem(body);
  return problem ? `status ${answer.status}, ${problem}` : undefined;
}

async function send(base: string, method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body } : {}),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Runs `work` over `count` indices with at most `width` at once. */
async function inPool(count: number, width: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** A raw HTTP/1.1 exchange (what fetch cannot send): the status and body of the answer. */
function rawExchange(port: number, request: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let data = '';
    const timer = setTimeout(() => socket.destroy(new Error('no answer within 5 s')), 5000);
    socket.on('data', (chunk) => (data += chunk.toString('utf8')));
    socket.on('error', (err) => (data ? undefined : reject(err)));
    socket.on('close', () => {
      clearTimeout(timer);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(request);
  });
}

function sign(claims: Record<string, unknown>, options: { exp?: number; iat?: number; key?: string } = {}): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' });
  if (options.iat !== undefined) jwt.setIssuedAt(options.iat);
  if (options.exp !== undefined) jwt.setExpirationTime(options.exp);
  return jwt.sign(new TextEncoder().encode(options.key ?? SECRET));
}

describe('fuzz: every route and socket event refuses hostile input cleanly', () => {
  let nats: TestServer;
  let redis: TestServer;
  let pulse: PulseProcess;
  let nc: NatsConnection;
  const tokens: Tokens = {};
  let ownerId = '';
  const memberEmail = `fz-owner-${SEED}@example.com`;

  beforeAll(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
    pulse = await spawnPulse('start', {
      natsUrl: nats.url,
      redisUrl: redis.url,
      authSecret: SECRET,
      // One client IP and a handful of users send everything: the limits that would turn most inputs into 429s are lifted.
      env: {
        IP_REQUESTS_PER_SECOND: '1000000',
        IP_REQUEST_BURST: '1000000',
        USER_CALLS_PER_SECOND: '1000000',
        USER_CALL_BURST: '1000000',
        SOCKET_EVENTS_PER_SECOND: '100000',
        SOCKET_EVENT_BURST: '100000',
      },
    });
    nc = await connectNats({ servers: nats.url });
    const now = Math.floor(Date.now() / 1000);
    const registered = await http<{ memberId: string; token: string }>(pulse.baseUrl, 'POST', '/v1/members', {
      body: { email: memberEmail, password: 'correct horse battery', name: 'Fuzz Owner' },
    });
    expect(registered.status).toBe(201);
    ownerId = registered.body.memberId;
    Object.assign(tokens, {
      none: undefined,
      visitor: (await visitor(pulse.baseUrl)).token,
      member: registered.body.token,
      admin: await sign({ sub: 'fz-admin', role: 'admin' }, { iat: now, exp: now + 3600 }),
      marketing: await sign({ sub: 'fz-marketing', role: 'marketing' }, { iat: now, exp: now + 3600 }),
      shop: await sign({ sub: 'fz-shop', role: 'shop' }, { iat: now, exp: now + 3600 }),
      garbage: 'not-a-jwt',
      forged: await sign({ sub: 'mallory', role: 'admin' }, { iat: now, exp: now + 3600, key: 'another-secret' }),
      expired: await sign({ sub: 'late', role: 'admin' }, { iat: now - 7200, exp: now - 3600 }),
      noExp: await sign({ sub: 'forever', role: 'admin' }, { iat: now }),
      tenYears: await sign({ sub: 'decade', role: 'member' }, { iat: now, exp: now + 10 * 365 * 86_400 }),
      futureIat: await sign({ sub: 'time-traveller', role: 'admin' }, { iat: now + 3600, exp: now + 5400 }),
      unknownRole: await sign({ sub: 'root', role: 'superuser' }, { iat: now, exp: now + 3600 }),
      longSub: await sign({ sub: 'x'.repeat(101), role: 'admin' }, { iat: now, exp: now + 3600 }),
      algNone: `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(`{"sub":"a","role":"admin","exp":${now + 600}}`).toString('base64url')}.`,
    });
  }, 60_000);

  afterAll(async () => {
    await nc?.close();
    await pulse?.stop();
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  const streamCount = async () => (await (await jetstreamManager(nc)).streams.info(EVENTS_STREAM)).state.messages;

  /** Everything a refused input could have changed, as the API and the event log show it. */
  async function snapshot() {
    const get = async (path: string, token: string | undefined) => {
      const res = await http<Record<string, unknown>>(pulse.baseUrl, 'GET', path, { token: token! });
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
      return res.body;
    };
    const overview = await get('/v1/analytics/overview', tokens.admin);
    const me = await get('/v1/members/me', tokens.member);
    return {
      events: await streamCount(),
      items: (await get('/v1/items?limit=1', tokens.admin)).total,
      me: { points: me.points, lifetimePoints: me.lifetimePoints, tier: me.tier },
      coupons: ((await get('/v1/members/me/coupons', tokens.member)).coupons as unknown[]).length,
      campaigns: ((await get('/v1/campaigns', tokens.admin)).campaigns as unknown[]).length,
      members: overview.members,
      counters: (overview.counters as { total: unknown }).total,
    };
  }

  it(`${SIZE} seeded inputs (seed ${SEED}): no 5xx, one error shape, nothing stored from a refused input`, async () => {
    const base = pulse.baseUrl;
    const failures: string[] = [];
    const rand = rng(SEED);
    const counts = { refused: 0, http: 0, raw: 0, handshakes: 0, socket: 0 };

    // --- 1. Inputs that must be refused, and proof that none of them stored anything ---------------
    // The start-up's own work (the demo catalog streaming in, the owner's registration being
    // applied) settles first: two equal snapshots in a row.
    let before = await snapshot();
    for (let settled = false, tries = 0; !settled && tries < 50; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const again = await snapshot();
      settled = JSON.stringify(again) === JSON.stringify(before) && (before.members as number) >= 1;
      before = again;
    }
    const refused: RefusedInput[] = refusedInputs(Math.floor(SIZE * 0.1), SEED, ownerId);
    await inPool(refused.length, 8, async (i) => {
      const input = refused[i]!;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const token = tokens[input.token];
      if (token) headers.authorization = `Bearer ${token}`;
      const body = typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
      const answer = await send(base, input.method, input.path, headers, body).catch((err: Error) => ({
        status: 0,
        headers: new Headers(),
        text: err.message,
      }));
      const problem = answerProblem(input.method, answer) ?? input.refusedBy(answer.status, answer.text);
      if (problem) failures.push(`refused #${i} ${input.method} ${input.path} ${String(body).slice(0, 160)}: ${problem}`);
    });
    counts.refused = refused.length;
    // Orders and events are applied from the log: give anything wrongly stored time to show.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await snapshot()).toEqual(before);
    for (const input of refused) {
      for (const check of input.after ?? []) {
        const res = await http(base, check.method, check.path, {
          token: tokens[check.token]!,
          ...(check.body !== undefined ? { body: check.body } : {}),
        });
        if (res.status !== check.status)
          failures.push(`after refused ${input.path}: ${check.method} ${check.path} answered ${res.status}, expected ${check.status}`);
      }
    }

    // --- 2. Protocol-level refusals fetch cannot send ------------------------------------------
    const raw = [
      'GET /v1/items/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      `GET /v1/items/${'y'.repeat(129)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      `GET /v1/recommendations HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(20_000)}\r\nConnection: close\r\n\r\n`,
      'FOO BAR BAZ\r\n\r\n',
      'BREW /v1/items HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'GET /v1/items/\x01 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'POST /v1/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: abc\r\n\r\n',
      'POST /v1/events HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n',
      'PROPFIND /v1/items HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      'GET /v1/items HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer \x7f\r\n\r\n',
    ];
    for (const [i, request] of raw.entries()) {
      const answer = await rawExchange(pulse.port, request).catch((err: Error) => ({ status: 0, body: err.message }));
      const problem =
        answer.status === 0
          ? `no answer: ${answer.body}`
          : answerProblem('GET', { status: answer.status, headers: new Headers({ 'retry-after': '1' }), text: answer.body });
      if (problem) failures.push(`raw #${i} ${JSON.stringify(request.slice(0, 60))}: ${problem}`);
    }
    counts.raw = raw.length;

    // --- 3. Socket handshakes with every hostile token -------------------------------------------
    for (const kind of ['garbage', 'forged', 'expired', 'noExp', 'tenYears', 'futureIat', 'unknownRole', 'longSub', 'algNone']) {
      try {
        const socket = await connectSocket(base, tokens[kind]!);
        socket.close();
        failures.push(`handshake with a ${kind} token was accepted`);
      } catch (err) {
        const problem = errorShapeProblem({ error: (err as { data?: unknown }).data }, SOCKET_ERROR_KEYS);
        if (problem) failures.push(`handshake ${kind}: connect_error data ${problem}`);
      }
      counts.handshakes++;
    }

    // --- 4. Random and mutated HTTP inputs over every route --------------------------------------
    const routes = routeSpecs(Object.keys(WEB_ASSETS));
    // Socket calls are cheap to answer (no HTTP parsing, one connection): a third of the inputs.
    const socketCount = Math.floor(SIZE * 0.35);
    const httpCount = SIZE - counts.refused - counts.raw - counts.handshakes - socketCount;
    const plans = Array.from({ length: httpCount }, (_, n) => planRequest(rand, pick(rand, routes), n, tokens));
    await inPool(plans.length, 8, async (i) => {
      const plan = plans[i]!;
      const answer = await send(base, plan.method, plan.path, plan.headers, plan.body).catch((err: Error) => ({
        status: 0,
        headers: new Headers(),
        text: `no answer: ${err.message}`,
      }));
      const problem = answer.status === 0 ? answer.text : answerProblem(plan.method, answer, plan.path);
      if (problem) failures.push(`http #${i} ${plan.method} ${plan.path.slice(0, 120)} ${plan.describe}: ${problem}`);
    });
    counts.http = plans.length;

    // --- 5. Random and mutated socket calls, every event, every role ----------------------------
    const sockets: Array<{ kind: string; socket: Socket }> = [];
    for (const kind of ['visitor', 'member', 'admin', 'marketing', 'shop']) {
      sockets.push({ kind, socket: await connectSocket(base, tokens[kind]!) });
    }
    expect(sockets.length).toBe(5);
    const socketPlans = Array.from({ length: socketCount }, (_, n) => planSocketCall(rand, n));
    await inPool(socketPlans.length, 8, async (i) => {
      const plan = socketPlans[i]!;
      const target = sockets[i % sockets.length]!;
      if (!target.socket.connected) {
        failures.push(`socket #${i} (${target.kind}): the server closed the connection`);
        target.socket = await connectSocket(base, tokens[target.kind]!);
      }
      if (!plan.ack) {
        target.socket.emit(plan.event, ...plan.args);
        return;
      }
      try {
        const ack: unknown = await target.socket.timeout(10_000).emitWithAck(plan.event, ...plan.args);
        const problem = ackProblem(ack);
        if (problem) failures.push(`socket #${i} ${plan.event} (${target.kind}) ${plan.describe}: ${problem}`);
      } catch (err) {
        failures.push(`socket #${i} ${plan.event} (${target.kind}) ${plan.describe}: no ack (${(err as Error).message})`);
      }
    });
    counts.socket = socketPlans.length;
    for (const { kind, socket } of sockets) {
      if (!socket.connected) failures.push(`socket (${kind}) closed by the server after the fuzz`);
      socket.close();
    }

    // The process kept serving throughout.
    expect((await http(base, 'GET', '/healthz')).status).toBe(200);
    expect(counts.refused + counts.http + counts.raw + counts.handshakes + counts.socket).toBeGreaterThanOrEqual(SIZE);
    expect(failures.slice(0, 25), `${failures.length} failures (seed ${SEED}); counts ${JSON.stringify(counts)}`).toEqual([]);
  }, 180_000);
});

interface RequestPlan {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  describe: string;
}

const TOKEN_KINDS = [
  'none',
  'visitor',
  'member',
  'admin',
  'admin',
  'marketing',
  'shop',
  'garbage',
  'forged',
  'expired',
  'noExp',
  'tenYears',
  'futureIat',
  'unknownRole',
  'longSub',
  'algNone',
];
const OTHER_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'];

/** One random HTTP request on `route`: its method or another, hostile parameters, query, token, body and headers. */
function planRequest(rand: Rand, route: RouteSpec, n: number, tokens: Tokens): RequestPlan {
  const method = chance(rand, 0.9) ? route.method : pick(rand, OTHER_METHODS);
  let path = route.path;
  for (const [name, valid] of Object.entries(route.params ?? {}))
    path = path.replace(`:${name}`, chance(rand, 0.5) ? hostileParam(rand, valid) : valid);
  path += chance(rand, 0.5) ? hostileQuery(rand) : (route.query ?? '');
  const headers: Record<string, string> = {};
  const kind = pick(rand, TOKEN_KINDS);
  const token = tokens[kind];
  if (token) {
    headers.authorization = pick(rand, [
      `Bearer ${token}`,
      `Bearer ${token}`,
      `bearer  ${token}`,
      token,
      `Basic ${token}`,
      `Bearer ${token} extra`,
    ]);
  } else if (chance(rand, 0.1)) headers.authorization = pick(rand, ['Bearer', 'Bearer ', `Bearer ${'x'.repeat(8000)}`]);
  if (chance(rand, 0.05)) headers['idempotency-key'] = pick(rand, ['', 'x'.repeat(300), 'k-1', '\u00e4']);
  if (chance(rand, 0.05)) headers.origin = pick(rand, ['https://evil.example', 'null']);
  if (chance(rand, 0.05)) headers['x-forwarded-for'] = pick(rand, ['1.2.3.4', 'garbage', '::1, 10.0.0.1']);
  let body: string | Buffer | undefined;
  let shape = 'no body';
  if (method !== 'GET' && method !== 'HEAD') {
    const template = route.body?.(n);
    const roll = rand();
    if (roll < 0.1) {
      body = hostileRawBody(rand);
      shape = `raw ${String(body).slice(0, 40)}`;
    } else if (roll < 0.25) {
      body = JSON.stringify(hostileValue(rand));
      shape = `value ${body.slice(0, 60)}`;
    } else if (template !== undefined) {
      // Valid bodies of the password routes cost a scrypt hash each: mutate them nearly always.
      const keepValid = route.path === '/v1/members' || route.path === '/v1/sessions' ? 0.05 : 0.2;
      const value = chance(rand, keepValid) ? template : mutate(rand, template);
      body = JSON.stringify(value);
      shape = `json ${body.slice(0, 80)}`;
    }
    if (body !== undefined) headers['content-type'] = chance(rand, 0.85) ? 'application/json' : pick(rand, CONTENT_TYPES);
  }
  return { method, path, headers, ...(body !== undefined ? { body } : {}), describe: `[${kind}] ${shape}` };
}

interface SocketPlan {
  event: string;
  args: unknown[];
  ack: boolean;
  describe: string;
}

const SOCKET_TEMPLATES: Record<string, (n: number) => unknown> = {
  track: (n) =>
    pick(rng(n), [
      { id: `fz-sock-${n}`, type: 'view', itemId: 'sku-00042' },
      { type: 'search', query: 'lamp' },
      { type: 'purchase', items: [{ itemId: 'sku-00042', quantity: 1, price: 475.99 }] },
    ]),
  recommend: () => ({ k: 5, category: 'home' }),
  redeem: (n) => ({ code: 'K7QX2M9PRT4W', orderId: `o-${n}` }),
};

/** One random socket call: `track`, `recommend`, `redeem` (mutated, hostile, deep, extra arguments) or an event the server does not know. */
function planSocketCall(rand: Rand, n: number): SocketPlan {
  const event = pick(rand, ['track', 'track', 'recommend', 'recommend', 'redeem', 'unknown', 'track']);
  if (event === 'unknown')
    return {
      event: pick(rand, ['hack', 'admin', 'emit', '__proto__', 'x'.repeat(300)]),
      args: [hostileValue(rand)],
      ack: false,
      describe: 'unknown event',
    };
  const template = SOCKET_TEMPLATES[event]!(n);
  const roll = rand();
  const payload =
    roll < 0.15 ? template : roll < 0.7 ? mutate(rand, template) : roll < 0.9 ? hostileValue(rand) : deepValue(pick(rand, [40, 2000]));
  const args = chance(rand, 0.1) ? [payload, hostileValue(rand)] : chance(rand, 0.05) ? [] : [payload];
  return { event, args, ack: chance(rand, 0.95), describe: String(JSON.stringify(args)).slice(0, 100) };
}

/** Why a socket ack is wrong: a 5xx-class code, or an error outside the shape. Lists and `{ok: true}` are fine. */
function ackProblem(ack: unknown): string | undefined {
  if (typeof ack !== 'object' || ack === null) return `ack ${JSON.stringify(ack)}`;
  const value = ack as { ok?: unknown; error?: unknown; items?: unknown };
  if (Array.isArray(value.items) || value.ok === true) return undefined;
  if (value.ok !== false) return `ack neither a list nor {ok}: ${JSON.stringify(ack).slice(0, 120)}`;
  const problem = errorShapeProblem({ error: value.error }, SOCKET_ERROR_KEYS);
  if (problem) return problem;
  const code = (value.error as { code: string }).code;
  return SERVER_FAILURE_CODES.has(code) ? `server failure ${code}: ${(value.error as { message: string }).message}` : undefined;
}
