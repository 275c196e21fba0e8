import { headers } from '@nats-io/transport-node';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryRpcBus } from '../../engine/platform/adapters/memory-rpc.js';
import { DEADLINE_HEADER, MAX_CLOCK_SKEW_MS, TIMEOUT_HEADER, requestDeadline } from '../../engine/platform/adapters/nats-rpc.js';
import { QUEUE_FULL_MESSAGE, USER_QUEUE_FULL_MESSAGE, requestUser } from '../../engine/platform/rpc-scheduler.js';
import { PulseError } from '../../engine/contracts/errors.js';
import type { Principal } from '../../engine/contracts/schemas.js';
import { loadEngineConfig, rpcAdmission } from '../../engine/config.js';

const logger = pino({ level: 'silent' });
/**
 * Call deadlines are setTimeout and Date.now, both faked in the admission tests; the bus's hand-over
 * (setImmediate) stays real, so a request reaches the scheduler on the next turn as before.
 */
const sleep = (ms: number) => vi.advanceTimersByTimeAsync(ms);
const principal = (userId: string): Principal => ({ userId, role: 'visitor', tier: 'regular' });

/** A handler for `similar` that records each start and holds its slot until released. */
function gatedSimilar() {
  const started: string[] = [];
  const gates: Array<() => void> = [];
  const handler = async ({ principal: who, itemId }: { principal: Principal; itemId: string }) => {
    started.push(`${who.userId}:${itemId}`);
    await new Promise<void>((resolve) => gates.push(resolve));
    return { items: [], modelVersion: 'test' } as never;
  };
  /** Lets the oldest held handler answer. */
  const releaseOne = async () => {
    gates.shift()?.();
    await sleep(1);
  };
  return { started, handler, releaseOne, held: () => gates.length };
}

function bus(admission: ConstructorParameters<typeof MemoryRpcBus>[1]) {
  const expired: string[] = [];
  const rejected: string[] = [];
  const rpc = new MemoryRpcBus(logger, { ...admission, onExpired: (m) => expired.push(m), onRejected: (m) => rejected.push(m) });
  return { rpc, expired, rejected };
}

const similar = (rpc: MemoryRpcBus, user: string, itemId: string, timeoutMs = 2000) =>
  rpc.call('similar', { principal: principal(user), itemId, k: 5 }, timeoutMs);

describe('rpc admission (memory bus)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('never runs a request whose deadline passed while it waited, and counts it', async () => {
    const { rpc, expired } = bus({ concurrency: 1 });
    const gate = gatedSimilar();
    rpc.serve('similar', gate.handler);
    const first = similar(rpc, 'a', 'i1');
    await sleep(5);
    const late = similar(rpc, 'b', 'i2', 50).catch((err: unknown) => err);
    await sleep(50);
    expect(((await late) as PulseError).code).toBe('timeout');
    await gate.releaseOne();
    await first;
    await sleep(20);
    expect(gate.started).toEqual(['a:i1']);
    expect(expired).toEqual(['similar']);
    await rpc.close();
  });

  it("serves another user's request within one slot of one user's flood", async () => {
    const { rpc } = bus({ concurrency: 1 });
    const gate = gatedSimilar();
    rpc.serve('similar', gate.handler);
    const flood = Array.from({ length: 20 }, (_, i) => similar(rpc, 'flooder', `f${i}`));
    await sleep(5);
    const shopper = similar(rpc, 'shopper', 's1');
    await sleep(5);
    expect(gate.started).toEqual(['flooder:f0']); // one slot, taken by the flood
    await gate.releaseOne();
    expect(gate.started).toEqual(['flooder:f0', 'shopper:s1']);
    while (gate.held() > 0) await gate.releaseOne();
    await Promise.all([...flood, shopper]);
    expect(gate.started).toHaveLength(21);
    await rpc.close();
  });

  it('answers unavailable at once when the queue is full, shedding the busiest user first', async () => {
    const { rpc, rejected } = bus({ concurrency: 1, queueLimit: 3, userQueueLimit: 2 });
    const gate = gatedSimilar();
    rpc.serve('similar', gate.handler);
    const outcome = (p: Promise<unknown>) =>
      p.then(
        () => 'ok',
        (err: PulseError) => `${err.code}: ${err.message}`,
      );
    const a = [0, 1, 2].map((i) => outcome(similar(rpc, 'a', `a${i}`))); // 1 running, 2 waiting
    await sleep(5);
    // At once, not at the 2 s timeout: a timeout would not name the full queue.
    await expect(outcome(similar(rpc, 'a', 'a3'))).resolves.toBe(`unavailable: ${USER_QUEUE_FULL_MESSAGE}`);
    const b = outcome(similar(rpc, 'b', 'b0')); // 3 waiting: full
    await sleep(5);
    const c = outcome(similar(rpc, 'c', 'c0')); // a has 2 waiting: its newest gives way
    await expect(a[2]).resolves.toBe(`unavailable: ${QUEUE_FULL_MESSAGE}`);
    await expect(outcome(similar(rpc, 'd', 'd0'))).resolves.toBe(`unavailable: ${QUEUE_FULL_MESSAGE}`); // nobody has clearly more
    expect(rejected).toEqual(['similar', 'similar', 'similar']);
    while (gate.held() > 0 || gate.started.length < 4) await gate.releaseOne();
    await expect(Promise.all([a[0], a[1], b, c])).resolves.toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(gate.started).toEqual(['a:a0', 'b:b0', 'c:c0', 'a:a1']);
    await rpc.close();
  });

  it('runs password hashing in its own lane: a login flood does not hold recommendation slots', async () => {
    const { rpc } = bus({ concurrency: 1, passwordConcurrency: 1 });
    const logins: Array<() => void> = [];
    rpc.serve('members.login', async () => {
      await new Promise<void>((resolve) => logins.push(resolve));
      throw new PulseError('invalid_credentials', 'wrong email or password');
    });
    rpc.serve('similar', async () => ({ items: [], modelVersion: 'test' }) as never);
    const flood = Array.from({ length: 5 }, (_, i) =>
      rpc.call('members.login', { email: `x${i}@example.com`, password: 'secret' }).catch(() => undefined),
    );
    await sleep(5);
    expect(logins).toHaveLength(1);
    await expect(similar(rpc, 'shopper', 's1', 500)).resolves.toEqual({ items: [], modelVersion: 'test' });
    while (logins.length > 0) {
      logins.shift()!();
      await sleep(2);
    }
    await Promise.all(flood);
    await rpc.close();
  });
});

describe('rpc deadlines and fairness keys', () => {
  it('takes the caller deadline, kept within the clock skew allowance of its own clock', () => {
    const hdrs = (deadline?: number, timeout?: number) => {
      const h = headers();
      if (deadline !== undefined) h.set(DEADLINE_HEADER, String(deadline));
      if (timeout !== undefined) h.set(TIMEOUT_HEADER, String(timeout));
      return h;
    };
    const now = 1_000_000;
    expect(requestDeadline(undefined, now)).toBe(Number.POSITIVE_INFINITY);
    expect(requestDeadline(hdrs(now - 10), now)).toBe(now - 10);
    expect(requestDeadline(hdrs(undefined, 3000), now)).toBe(now + 3000);
    expect(requestDeadline(hdrs(now + 2900, 3000), now)).toBe(now + 2900); // 100 ms in transit
    expect(requestDeadline(hdrs(now + 60_000, 3000), now)).toBe(now + 3000); // engine clock behind
    expect(requestDeadline(hdrs(now - 60_000, 3000), now)).toBe(now + 3000 - MAX_CLOCK_SKEW_MS); // engine clock ahead
  });

  it('reads the limits from the engine configuration', () => {
    const config = loadEngineConfig({
      RPC_QUEUE_LIMIT: '50',
      RPC_USER_QUEUE_LIMIT: '4',
      RPC_CONCURRENCY: '8',
      RPC_PASSWORD_CONCURRENCY: '1',
    });
    expect(rpcAdmission(config)).toEqual({ queueLimit: 50, userQueueLimit: 4, concurrency: 8, passwordConcurrency: 1 });
    expect(() => loadEngineConfig({ RPC_CONCURRENCY: '0' })).toThrow(/RPC_CONCURRENCY/);
  });

  it('queues per principal, user or member, else per method', () => {
    expect(requestUser('recommend', { principal: principal('p1'), userId: 'u1' })).toBe('u:p1');
    expect(requestUser('analytics.profile', { userId: 'u1' })).toBe('u:u1');
    expect(requestUser('coupons.list', { memberId: 'm1' })).toBe('u:m1');
    expect(requestUser('members.login', { email: 'a@b.c', password: 'x' })).toBe('members.login');
    expect(requestUser('campaigns.list', null)).toBe('campaigns.list');
  });
});
