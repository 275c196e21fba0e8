import { connect as connectNats, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { SignJWT } from 'jose';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_STREAM } from '../../engine/contracts/subjects.js';
import { WEB_ASSETS } from '../../gateway/web-assets.js';
import { connectSocket, http, visitor } from '../helpers/clients.js';
import { ackProblem, answerProblem, errorShapeProblem, inPool, rawExchange, send, SOCKET_ERROR_KEYS } from '../helpers/fuzz-answers.js';
import { rng, pick, routeSpecs } from '../helpers/fuzz-inputs.js';
import { planRequest, planSocketCall, type Tokens } from '../helpers/fuzz-plans.js';
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
