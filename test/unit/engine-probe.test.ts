import { afterEach, describe, expect, it, vi } from 'vitest';
import { pino } from 'pino';
import { ErrorCodes, PulseError } from '../../engine/contracts/errors.js';
import type { RpcMethods } from '../../engine/contracts/messages.js';
import { MemoryTransport } from '../../engine/platform/adapters/memory-transport.js';
import type { RpcClient } from '../../engine/platform/rpc.js';
import { TokenService } from '../../gateway/auth.js';
import { loadGatewayConfig } from '../../gateway/config.js';
import { EngineProbe, mergeChecks } from '../../gateway/engine-probe.js';
import { Gateway } from '../../gateway/main.js';

type Pong = RpcMethods['engine.ping']['result'];

/** An RpcClient whose `engine.ping` answers with `answer()` (or throws what it throws), counting calls. */
function fakeRpc(answer: () => Promise<Pong>): RpcClient & { calls: number; timeouts: number[] } {
  const rpc = {
    calls: 0,
    timeouts: [] as number[],
    async call(method: string, _request: unknown, timeoutMs?: number) {
      expect(method).toBe('engine.ping');
      rpc.calls += 1;
      rpc.timeouts.push(timeoutMs ?? -1);
      return answer();
    },
  };
  return rpc as unknown as RpcClient & { calls: number; timeouts: number[] };
}

const healthy: Pong = {
  engineId: 'e1',
  ready: true,
  checks: {
    nats: { ok: true, detail: 'connected' },
    redis: { ok: true, detail: 'ready redis://r:6379' },
    persistence: { ok: true, detail: 'aof: appendonly yes' },
  },
};

describe('EngineProbe', () => {
  it('reports the engine and its Redis and persistence, never its NATS', async () => {
    const probe = new EngineProbe(
      fakeRpc(async () => healthy),
      { timeoutMs: 300 },
    );
    const checks = await probe.checks();
    expect(Object.keys(checks).sort()).toEqual(['engine', 'persistence', 'redis']);
    expect(checks.engine).toMatchObject({ ok: true, detail: expect.stringMatching(/^engine e1 answered in \d+ ms$/) });
    expect(checks.redis).toEqual({ ok: true, detail: 'ready redis://r:6379 (as engine e1 sees it)' });
  });

  it('fails the engine check when no engine answers or it is still starting, and Redis when the engine cannot reach it', async () => {
    const none = await new EngineProbe(
      fakeRpc(async () => Promise.reject(new PulseError(ErrorCodes.unavailable, 'rpc engine.ping: no engine is serving it'))),
      { timeoutMs: 300 },
    ).checks();
    expect(none).toEqual({
      engine: { ok: false, detail: 'no engine answered engine.ping within 300 ms: rpc engine.ping: no engine is serving it' },
    });
    const starting = await new EngineProbe(
      fakeRpc(async () => ({ ...healthy, ready: false })),
      { timeoutMs: 300 },
    ).checks();
    expect(starting.engine).toMatchObject({ ok: false, detail: expect.stringContaining('(starting)') });
    const redisDown = await new EngineProbe(
      fakeRpc(async () => ({ ...healthy, checks: { ...healthy.checks, redis: { ok: false, detail: 'reconnecting redis://r:6379' } } })),
      { timeoutMs: 300 },
    ).checks();
    expect(redisDown.engine).toMatchObject({ ok: false, detail: expect.stringContaining('but cannot reach its Redis') });
    expect(redisDown.redis).toEqual({ ok: false, detail: 'reconnecting redis://r:6379 (as engine e1 sees it)' });
    expect(redisDown.persistence?.ok).toBe(true);
  });

  it('pings at most once per cache period and once at a time, with its short deadline', async () => {
    let now = 10_000;
    // Pings wait here until the test answers them.
    const waiting: Array<() => void> = [];
    const release = () => waiting.splice(0).forEach((answer) => answer());
    const rpc = fakeRpc(() => new Promise<Pong>((resolve) => waiting.push(() => resolve(healthy))));
    const probe = new EngineProbe(rpc, { timeoutMs: 250, cacheMs: 1000, now: () => now });
    const concurrent = [probe.checks(), probe.checks(), probe.checks()];
    expect(rpc.calls).toBe(1);
    release();
    await Promise.all(concurrent);
    now += 999;
    await probe.checks();
    expect(rpc.calls).toBe(1);
    now += 2;
    const again = probe.checks();
    release();
    await again;
    expect(rpc.calls).toBe(2);
    expect(rpc.timeouts).toEqual([250, 250]);
  });

  it("lets the process's own checks win on a name clash", () => {
    expect(
      mergeChecks({ redis: { ok: true, detail: 'own' } }, { redis: { ok: false, detail: 'probed' }, engine: { ok: true, detail: 'e' } }),
    ).toEqual({
      redis: { ok: true, detail: 'own' },
      engine: { ok: true, detail: 'e' },
    });
  });
});

describe('a gateway without an engine in its process', () => {
  let gateway: Gateway | undefined;
  let transport: MemoryTransport | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await gateway?.close();
    await transport?.close();
  });

  it('is not ready until an engine answers its ping, and names what failed', async () => {
    // Only Date is faked: the probe's cache runs on Date.now, while HTTP and the RPC need real timers.
    vi.useFakeTimers({ toFake: ['Date'] });
    const logger = pino({ level: 'silent' });
    const config = loadGatewayConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      AUTH_SECRET: 'engine-probe-test-secret-0123456789',
      READYZ_ENGINE_TIMEOUT_MS: '200',
    });
    transport = new MemoryTransport({ partitions: config.partitions, ackWaitMs: 5000, logger });
    gateway = new Gateway({
      config,
      logger,
      eventLog: transport.eventLog,
      rpc: transport.rpcClient,
      push: transport.pushSubscriber,
      tokens: new TokenService('engine-probe-test-secret-0123456789'),
      readiness: async () => ({ ready: true, checks: { nats: { ok: true, detail: 'connected' } } }),
      probeEngine: true,
    });
    await gateway.start();
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${gateway!.port}/readyz`);
      return {
        status: res.status,
        body: (await res.json()) as { ready: boolean; failed?: string[]; checks: Record<string, { ok: boolean; detail: string }> },
      };
    };
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.body.failed).toEqual(['engine']);
    expect(down.body.checks.nats?.ok).toBe(true);
    expect((await fetch(`http://127.0.0.1:${gateway.port}/healthz`)).status).toBe(200);

    let pong: Pong = { ...healthy, checks: { ...healthy.checks, redis: { ok: false, detail: 'reconnecting' } } };
    transport.rpcServer.serve('engine.ping', async () => pong);
    // The first answer is cached for a second: wait it out.
    vi.setSystemTime(Date.now() + 1100);
    const redisDown = await readyz();
    expect(redisDown.status).toBe(503);
    expect(redisDown.body.failed).toEqual(['engine', 'redis']);
    pong = healthy;
    vi.setSystemTime(Date.now() + 1100);
    const up = await readyz();
    expect(up.status).toBe(200);
    expect(up.body.failed).toBeUndefined();
    expect(Object.keys(up.body.checks).sort()).toEqual(['engine', 'gateway', 'nats', 'persistence', 'redis']);
  });
});
