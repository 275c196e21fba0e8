import { pino } from 'pino';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryPushBus } from '../../engine/platform/adapters/memory-push.js';
import type { Promotion } from '../../engine/contracts/campaigns.js';
import { ErrorCodes, PulseError } from '../../engine/contracts/errors.js';
import type { PushMessage, RpcMethods } from '../../engine/contracts/messages.js';
import { GatewayMetrics } from '../../gateway/metrics.js';
import { PushRouter } from '../../gateway/push-router.js';
import { sleep, startHarness, type Harness } from './gateway-harness.js';

const logger = pino({ level: 'silent' });
type Claim = RpcMethods['promotions.claim']['request'];

const promotion = (memberId: string, n = 1): Promotion => ({
  promotionId: `c-1:${memberId}:${n}`,
  campaignId: 'c-1',
  title: '10% off Lumo',
  message: 'Just for you',
  coupon: { code: 'K7QX2M9PRT4W', discountPercent: 10, expiresAt: 2e12 },
  items: ['sku-1'],
});

/** A claim the test answers when it likes. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function counter(
  metric: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, string | number> }> }> },
  labels: Record<string, string>,
): Promise<number> {
  const { values } = await metric.get();
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
}

/**
 * Moves the fake clock: the router's drain deadline is a setTimeout against Date.now, and the
 * memory push bus delivers on microtasks, which run on the way.
 */
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

describe('PushRouter promotion claims', () => {
  let bus: MemoryPushBus;
  let metrics: GatewayMetrics;
  let emitted: Array<[string, PushMessage['event']]>;
  let claims: Claim[];
  let answer: (claim: Claim) => Promise<unknown>;
  let router: PushRouter;

  beforeEach(() => {
    vi.useFakeTimers();
    bus = new MemoryPushBus(logger);
    metrics = new GatewayMetrics({ defaultMetrics: false });
    emitted = [];
    claims = [];
    answer = async () => ({ delivered: [] });
    router = new PushRouter({
      subscriber: bus,
      emitToUser: (userId, message) => emitted.push([userId, message.event]),
      emitToAll: (message) => emitted.push(['*', message.event]),
      claimPromotions: (memberId, live) => {
        const claim = { memberId, live };
        claims.push(claim);
        return answer(claim);
      },
      metrics,
      logger,
    });
    router.start();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers an inbox hint with one live claim and never emits the hint; promotions are emitted', async () => {
    router.hold('m-1');
    bus.pushToUser('m-1', { event: 'inbox', data: {} });
    bus.pushToAll({ event: 'inbox', data: {} });
    await expect.poll(() => claims.length, { timeout: 1000, interval: 10, message: 'claim' }).toBe(1);
    bus.pushToUser('m-1', { event: 'promotion', data: promotion('m-1') });
    await expect.poll(() => emitted.length, { timeout: 1000, interval: 10, message: 'promotion emitted' }).toBe(1);
    expect(claims).toEqual([{ memberId: 'm-1', live: true }]);
    expect(emitted).toEqual([['m-1', 'promotion']]);
    expect(await counter(metrics.promotionClaims, { reason: 'hint' })).toBe(1);
    expect(await counter(metrics.pushes, { event: 'promotion' })).toBe(1);
    expect(await counter(metrics.pushes, { event: 'inbox' })).toBe(0);
  });

  it('coalesces a burst of hints: one claim in flight per user, one more after it', async () => {
    const first = deferred();
    // Only the first claim waits for the test.
    answer = async () => {
      if (claims.length === 1) await first.promise;
      return { delivered: [] };
    };
    router.hold('m-1');
    router.hold('m-2');
    for (let i = 0; i < 10; i += 1) bus.pushToUser('m-1', { event: 'inbox', data: {} });
    await expect.poll(() => claims.length, { timeout: 1000, interval: 10, message: 'first claim' }).toBe(1);
    for (let i = 0; i < 10; i += 1) bus.pushToUser('m-1', { event: 'inbox', data: {} });
    // Another user's hint is not held up by m-1's claim.
    bus.pushToUser('m-2', { event: 'inbox', data: {} });
    await expect.poll(() => claims.length, { timeout: 1000, interval: 10, message: "m-2's claim" }).toBe(2);
    expect(claims[1]).toEqual({ memberId: 'm-2', live: true });
    first.resolve();
    await expect.poll(() => claims.length, { timeout: 1000, interval: 10, message: 'the one claim after the burst' }).toBe(3);
    expect(claims[2]).toEqual({ memberId: 'm-1', live: true });
    await router.drainClaims(Date.now() + 1000);
    expect(claims).toHaveLength(3);
    expect(await counter(metrics.promotionClaims, { reason: 'hint' })).toBe(3);
  });

  it('makes no further claim for a user released while a claim was in flight', async () => {
    const first = deferred();
    answer = () => first.promise;
    const release = router.hold('m-1');
    bus.pushToUser('m-1', { event: 'inbox', data: {} });
    await expect.poll(() => claims.length, { timeout: 1000, interval: 10, message: 'first claim' }).toBe(1);
    bus.pushToUser('m-1', { event: 'inbox', data: {} });
    await advance(10);
    release();
    first.resolve();
    await router.drainClaims(Date.now() + 1000);
    expect(claims).toHaveLength(1);
  });

  it('claims on connect only for a held user; a failing claim is logged and counted, never thrown', async () => {
    router.claimOnConnect('not-held');
    router.hold('m-1');
    answer = async () => {
      throw new PulseError(ErrorCodes.timeout, 'rpc promotions.claim: no reply within 3000 ms');
    };
    router.claimOnConnect('m-1');
    await router.drainClaims(Date.now() + 1000);
    expect(claims).toEqual([{ memberId: 'm-1', live: false }]);
    expect(await counter(metrics.promotionClaims, { reason: 'connect' })).toBe(1);
    expect(await counter(metrics.promotionClaimFailures, { reason: 'connect', code: 'timeout' })).toBe(1);

    // A non-PulseError (a programmer error in the transport) counts as internal; hints still work after it.
    const fresh = new GatewayMetrics({ defaultMetrics: false });
    const throwing = new PushRouter({
      subscriber: bus,
      emitToUser: () => undefined,
      emitToAll: () => undefined,
      claimPromotions: () => {
        throw new TypeError('boom');
      },
      metrics: fresh,
      logger,
    });
    throwing.hold('m-3');
    throwing.claimOnConnect('m-3');
    bus.pushToUser('m-3', { event: 'inbox', data: {} });
    await advance(10);
    await throwing.drainClaims(Date.now() + 1000);
    expect(await counter(fresh.promotionClaimFailures, { reason: 'connect', code: 'internal' })).toBe(1);
    expect(await counter(fresh.promotionClaimFailures, { reason: 'hint', code: 'internal' })).toBe(1);
    throwing.close();
  });

  it('drainClaims waits for the claims in flight, then starts no more', async () => {
    const slow = deferred();
    answer = () => slow.promise;
    router.hold('m-1');
    router.claimOnConnect('m-1');
    let drained = false;
    const draining = router.drainClaims(Date.now() + 5000).then(() => (drained = true));
    await advance(20);
    expect(drained).toBe(false);
    slow.resolve();
    await draining;
    router.claimOnConnect('m-1');
    bus.pushToUser('m-1', { event: 'inbox', data: {} });
    await advance(10);
    expect(claims).toHaveLength(1);
    router.close();
  });
});

describe('gateway sockets and promotions', () => {
  let h: Harness;
  const claims: Claim[] = [];
  /** Promotions the fake engine holds per member; a claim pushes them, as the engine does, then empties the inbox. */
  const inbox = new Map<string, Promotion[]>();
  let gate: Promise<void> | undefined;
  const open: ClientSocket[] = [];

  /** Connects with every server event recorded from the start (a promotion may come right after connect). */
  const connect = async (token: string): Promise<{ socket: ClientSocket; events: Array<[string, unknown]> }> => {
    const events: Array<[string, unknown]> = [];
    const socket = connectClient(h.url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
    open.push(socket);
    socket.onAny((event: string, data: unknown) => events.push([event, data]));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    return { socket, events };
  };

  beforeAll(async () => {
    h = await startHarness();
    h.transport.rpcServer.serve('promotions.claim', async (request) => {
      claims.push(request);
      await gate;
      const delivered = inbox.get(request.memberId) ?? [];
      inbox.delete(request.memberId);
      for (const data of delivered) h.transport.notifier.pushToUser(request.memberId, { event: 'promotion', data });
      return { delivered };
    });
  });
  afterEach(() => {
    claims.length = 0;
    inbox.clear();
    gate = undefined;
    for (const socket of open.splice(0)) socket.disconnect();
  });
  afterAll(() => h.close());

  it('claims {live: false} when a member connects, and the waiting promotion reaches the new socket', async () => {
    inbox.set('m-offline', [promotion('m-offline')]);
    const { events } = await connect(await h.token('member', 'm-offline', 'vip'));
    await expect.poll(() => events.length, { timeout: 3000, interval: 10, message: 'promotion' }).toBe(1);
    expect(events).toEqual([['promotion', promotion('m-offline')]]);
    expect(claims).toEqual([{ memberId: 'm-offline', live: false }]);
  });

  it('does not claim for visitor, marketing or admin sockets', async () => {
    for (const role of ['visitor', 'marketing', 'admin'] as const) await connect(await h.token(role, `${role}-p`));
    // Claims are made in connection order: once the member's is seen, the others would have been.
    await connect(await h.token('member', 'm-after'));
    await expect.poll(() => claims.length > 0, { timeout: 3000, interval: 10, message: "the member's claim" }).toBe(true);
    await sleep(20);
    expect(claims).toEqual([{ memberId: 'm-after', live: false }]);
    const metrics = (await h.fetch('/metrics')).body as string;
    expect(metrics).toMatch(/^pulse_gateway_promotion_claims_total\{reason="connect"\} [1-9]\d*$/m);
  });

  it('answers an inbox hint with one live claim; the client gets the promotion, never the hint', async () => {
    const { events } = await connect(await h.token('member', 'm-live'));
    await expect.poll(() => claims.length, { timeout: 3000, interval: 10, message: 'connect claim' }).toBe(1);
    inbox.set('m-live', [promotion('m-live', 2)]);
    h.transport.notifier.pushToUser('m-live', { event: 'inbox', data: {} });
    await expect.poll(() => events.length, { timeout: 3000, interval: 10, message: 'promotion' }).toBe(1);
    // Had the hint been emitted, it would have reached the socket before the promotion it caused.
    expect(events).toEqual([['promotion', promotion('m-live', 2)]]);
    expect(claims).toEqual([
      { memberId: 'm-live', live: false },
      { memberId: 'm-live', live: true },
    ]);
  });

  it('coalesces a burst of hints into one claim in flight and one after it', async () => {
    const { events } = await connect(await h.token('member', 'm-burst'));
    await expect.poll(() => claims.length, { timeout: 3000, interval: 10, message: 'connect claim' }).toBe(1);
    const held = deferred();
    gate = held.promise;
    inbox.set('m-burst', [promotion('m-burst', 3)]);
    for (let i = 0; i < 20; i += 1) h.transport.notifier.pushToUser('m-burst', { event: 'inbox', data: {} });
    await expect.poll(() => claims.length, { timeout: 3000, interval: 10, message: 'hint claim' }).toBe(2);
    for (let i = 0; i < 20; i += 1) h.transport.notifier.pushToUser('m-burst', { event: 'inbox', data: {} });
    await sleep(20);
    expect(claims).toHaveLength(2);
    held.resolve();
    await expect.poll(() => claims.length, { timeout: 3000, interval: 10, message: 'the claim after the burst' }).toBe(3);
    await expect.poll(() => events.length, { timeout: 3000, interval: 10, message: 'promotion' }).toBe(1);
    await sleep(50);
    expect(claims.slice(1)).toEqual([
      { memberId: 'm-burst', live: true },
      { memberId: 'm-burst', live: true },
    ]);
    expect(events).toEqual([['promotion', promotion('m-burst', 3)]]);
  });
});
