import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryTransport } from '../../engine/platform/adapters/memory-transport.js';
import { ErrorCodes, PulseError } from '../../engine/contracts/errors.js';
import type { PresencePublisher } from '../../engine/platform/presence-channel.js';
import { TokenService } from '../../gateway/auth.js';
import { loadGatewayConfig } from '../../gateway/config.js';
import { Gateway } from '../../gateway/main.js';
import { GatewayMetrics } from '../../gateway/metrics.js';
import { PresenceAnnouncer } from '../../gateway/presence-announcer.js';
import { SECRET } from './gateway-harness.js';

const logger = pino({ level: 'silent' });

/**
 * A gateway over the in-memory transport with presence, and an engine-side view of it.
 * `joinDelayMs`: joins reach the engines this late (a slow NATS flush).
 */
async function startGateway(joinDelayMs = 0) {
  const config = loadGatewayConfig({ PORT: '0', HOST: '127.0.0.1', AUTH_SECRET: SECRET });
  const transport = new MemoryTransport({ partitions: 1, ackWaitMs: 5000, logger });
  const tokens = new TokenService(SECRET);
  const gateway = new Gateway({
    config,
    logger,
    eventLog: transport.eventLog,
    rpc: transport.rpcClient,
    push: transport.pushSubscriber,
    presence: {
      join: async (gatewayId, ttlMs, userIds) => {
        await sleep(joinDelayMs);
        await transport.presence.join(gatewayId, ttlMs, userIds);
      },
      leave: (gatewayId, userIds) => transport.presence.leave(gatewayId, userIds),
      beat: (gatewayId, ttlMs, userIds) => transport.presence.beat(gatewayId, ttlMs, userIds),
      onSyncRequest: (handler) => transport.presence.onSyncRequest(handler),
    },
    tokens,
    readiness: async () => ({ ready: true, checks: {} }),
  });
  await gateway.start();
  const view = transport.presence.follow();
  const clients: ClientSocket[] = [];
  const connect = async (sub: string) => {
    const token = await tokens.sign({ sub, role: 'visitor' }, 3600);
    const socket = connectClient(`http://127.0.0.1:${gateway.port}`, {
      auth: { token },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    clients.push(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    return socket;
  };
  const close = async () => {
    for (const client of clients) client.disconnect();
    await gateway.close();
    await transport.close();
  };
  return { gateway, transport, view, connect, close };
}

describe('gateway presence', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('announces a join before the socket connects and a leave when the last socket of the user goes', async () => {
    const g = await startGateway(150);
    cleanups.push(g.close);
    const seenAtConsume: boolean[] = [];
    const stop = new AbortController();
    const consuming = g.transport.eventLog.consume(
      0,
      async (batch) => {
        for (const d of batch) {
          seenAtConsume.push(g.view.isPresent(d.event.userId));
          await d.ack();
        }
      },
      { batchSize: 10, signal: stop.signal },
    );
    cleanups.push(async () => (stop.abort(), consuming));

    const first = await g.connect('alice');
    // Present the moment the client sees `connect`, without waiting.
    expect(g.view.isPresent('alice')).toBe(true);
    await first.timeout(3000).emitWithAck('track', { id: 'ev-1', type: 'view', itemId: 'i-1' });
    await expect.poll(() => seenAtConsume).toEqual([true]);

    const second = await g.connect('alice');
    await g.connect('bob');
    expect(g.view.count()).toBe(2);
    first.disconnect();
    await sleep(50);
    expect(g.view.isPresent('alice')).toBe(true); // the second socket still holds alice
    second.disconnect();
    await expect.poll(() => g.view.isPresent('alice')).toBe(false);
    expect(g.view.isPresent('bob')).toBe(true);
    const announced = await g.gateway.metrics.presenceAnnounced.get();
    expect(Object.fromEntries(announced.values.map((v) => [v.labels.kind, v.value]))).toMatchObject({ join: 2, leave: 1 });
  });

  it('a closing gateway announces a leave for every user it still holds', async () => {
    const g = await startGateway();
    await g.connect('carol');
    await g.connect('dave');
    expect(g.view.count()).toBe(2);
    await g.gateway.close();
    await expect.poll(() => g.view.count()).toBe(0);
    await g.close();
  });
});

/** Records what an announcer publishes; joins resolve (or fail) as told. */
function fakePublisher(options: { join?: () => Promise<void> } = {}) {
  const sent: string[] = [];
  const syncHandlers = new Set<() => void>();
  const publisher: PresencePublisher = {
    join: async (_gw, _ttl, ids) => {
      sent.push(`join ${ids.join(',')}`);
      await options.join?.();
    },
    leave: (_gw, ids) => void sent.push(`leave ${ids.join(',')}`),
    beat: (_gw, ttl, ids) => void sent.push(`beat ${ttl} ${ids.join(',')}`),
    onSyncRequest: (handler) => {
      syncHandlers.add(handler);
      return () => void syncHandlers.delete(handler);
    },
  };
  return { publisher, sent, sync: () => syncHandlers.forEach((h) => h()) };
}

function announcer(publisher: PresencePublisher, options: { heartbeatMs?: number; joinTimeoutMs?: number } = {}) {
  const metrics = new GatewayMetrics({ defaultMetrics: false });
  return { metrics, announcer: new PresenceAnnouncer({ publisher, metrics, logger, gatewayId: 'gw-t', heartbeatMs: 60_000, ...options }) };
}

/**
 * Moves the fake clock of the PresenceAnnouncer tests: its heartbeat, join timeout and clock are
 * faked; setImmediate, which batches a turn of joins and leaves, stays real.
 */
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

describe('PresenceAnnouncer', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('batches one turn of joins and leaves in order, one message per run, and counts sockets per user', async () => {
    const fake = fakePublisher();
    const { announcer: a } = announcer(fake.publisher);
    a.start();
    const releaseA1 = a.hold('a');
    const releaseA2 = a.hold('a');
    a.hold('b');
    releaseA1();
    releaseA1(); // idempotent
    await a.announce('c'); // waits for the batch
    expect(fake.sent).toEqual(['join a,b,c']);
    releaseA2();
    const releaseC = a.hold('c'); // announced by its handshake: no second join
    releaseC();
    a.hold('d');
    await a.announce('d');
    expect(fake.sent).toEqual(['join a,b,c', 'leave a,c', 'join d']);
    fake.sync();
    await advance(5);
    expect(fake.sent.at(-1)).toBe('beat 180000 b,d');
    await a.close();
    expect(fake.sent.at(-1)).toBe('leave b,d');
  });

  it('forgets, with a leave, a handshake whose socket never became held; beats every heartbeatMs', async () => {
    const fake = fakePublisher();
    const { announcer: a } = announcer(fake.publisher, { heartbeatMs: 40 });
    a.start();
    a.hold('kept');
    await a.announce('gone-mid-handshake');
    await advance(120);
    await expect.poll(() => fake.sent.filter((s) => s === 'beat 120 kept').length).toBeGreaterThanOrEqual(3);
    expect(fake.sent).toContain('leave gone-mid-handshake');
    await a.close();
  });

  it('lets the socket connect when the join fails or times out, and counts it', async () => {
    const failing = fakePublisher({ join: async () => Promise.reject(new PulseError(ErrorCodes.unavailable, 'down')) });
    const f = announcer(failing.publisher);
    await expect(f.announcer.announce('u')).resolves.toBeUndefined();
    const hanging = fakePublisher({ join: () => new Promise(() => undefined) });
    const t = announcer(hanging.publisher, { joinTimeoutMs: 30 });
    const timingOut = t.announcer.announce('u');
    await advance(30);
    await expect(timingOut).resolves.toBeUndefined();
    const codes = async (m: GatewayMetrics) => (await m.presenceFailures.get()).values.map((v) => v.labels.code);
    expect([await codes(f.metrics), await codes(t.metrics)]).toEqual([['unavailable'], ['timeout']]);
  });
});
