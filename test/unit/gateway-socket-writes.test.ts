import { Socket as NetSocket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PushMessage } from '../../engine/contracts/messages.js';
import type { RecommendationList } from '../../engine/contracts/schemas.js';
import { startHarness, type Harness } from './gateway-harness.js';

const list = (n: number): RecommendationList => ({ items: [{ itemId: `i-${n}`, score: 1 }], generatedAt: n, modelVersion: 'm' });

/** The n-th of a mix of every socket event a push may carry, numbered so order shows. */
function push(n: number): PushMessage {
  if (n % 3 === 0) return { event: 'recommendations', data: list(n) };
  if (n % 3 === 1) return { event: 'promotion', data: { promotionId: `p-${n}`, campaignId: 'c', title: 't', message: 'm' } };
  return { event: 'member', data: { seq: n } };
}
const seqOf = (event: string, data: Record<string, unknown>) =>
  event === 'recommendations'
    ? (data as unknown as RecommendationList).generatedAt
    : event === 'promotion'
      ? Number(String(data.promotionId).slice(2))
      : (data.seq as number);

/** Counts the TCP writes (net.Socket `_write` and `_writev`: one write syscall each) of server-side sockets. */
function countServerWrites() {
  const proto = NetSocket.prototype as unknown as Record<
    '_write' | '_writev',
    (this: NetSocket & { server?: unknown }, ...args: unknown[]) => unknown
  >;
  const originals = { _write: proto._write, _writev: proto._writev };
  const counts = { writes: 0 };
  for (const name of ['_write', '_writev'] as const) {
    const original = originals[name];
    proto[name] = function (this: NetSocket & { server?: unknown }, ...args: unknown[]) {
      if (this.server) counts.writes += 1;
      return original.apply(this, args);
    };
  }
  return { counts, restore: () => Object.assign(proto, originals) };
}

describe('coalesced socket writes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.transport.rpcServer.serve('recommend', async ({ options }) => ({ ...list(options.k ?? 0) }));
  });
  afterAll(() => h.close());

  it('a turn of pushes of every kind reaches the client in order, in one write', async () => {
    const socket = await h.connect(await h.token('visitor', 'writes-1'));
    const got: Array<[string, number]> = [];
    socket.onAny((event: string, data: Record<string, unknown>) => got.push([event, seqOf(event, data)]));
    const flushes = async () => (await h.gateway.metrics.socketFlushes.get()).values[0]?.value ?? 0;
    const before = await flushes();
    const spy = countServerWrites();
    try {
      for (let n = 0; n < 30; n++) h.transport.notifier.pushToUser('writes-1', push(n));
      await expect.poll(() => got.length).toBe(30);
    } finally {
      spy.restore();
    }
    expect(got).toEqual(Array.from({ length: 30 }, (_, n) => [push(n).event, n]));
    // 30 websocket frames; without coalescing, 30 write syscalls.
    expect(spy.counts.writes).toBe(1);
    expect((await flushes()) - before).toBe(1);
    socket.disconnect();
  });

  it('acks of calls answered in one turn arrive in answer order, each with its own reply', async () => {
    const socket = await h.connect(await h.token('visitor', 'writes-2'));
    const order: number[] = [];
    const spy = countServerWrites();
    try {
      await Promise.all(
        Array.from({ length: 10 }, (_, k) =>
          socket
            .timeout(3000)
            .emitWithAck('recommend', { k: k + 1 })
            .then((reply: RecommendationList) => order.push(reply.generatedAt)),
        ),
      );
    } finally {
      spy.restore();
    }
    expect(order).toEqual(Array.from({ length: 10 }, (_, k) => k + 1));
    expect(spy.counts.writes).toBeLessThan(10);
    socket.disconnect();
  });
});
