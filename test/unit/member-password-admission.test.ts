import { pino } from 'pino';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { MemoryMemberStore } from '../../engine/members/adapters/memory-member-store.js';
import { MemoryRpcBus } from '../../engine/platform/adapters/memory-rpc.js';
import { PasswordPool } from '../../engine/members/adapters/password-pool.js';
import { PulseError } from '../../engine/contracts/errors.js';
import { registerMemberHandlers } from '../../engine/members/member-handlers.js';

const cheap = { N: 2 ** 10, r: 8, p: 1 };

async function failure(promise: Promise<unknown>): Promise<{ code: string; details?: Record<string, string> }> {
  try {
    await promise;
  } catch (err) {
    if (!(err instanceof PulseError)) throw err;
    return { code: err.code, ...(err.details ? { details: err.details } : {}) };
  }
  throw new Error('expected a failure');
}

/** Registration retries, deadlines and the login throttle through the RPC bus (the handlers' real path, scrypt in process). */
describe('member password handlers', () => {
  const setup = (options: { registrationRetryMs?: number; failures?: number; passwords?: PasswordPool } = {}) => {
    const bus = new MemoryRpcBus(pino({ level: 'silent' }));
    const members = new MemoryMemberStore();
    const clock = { now: Date.now() };
    registerMemberHandlers(bus, {
      members,
      scrypt: cheap,
      now: () => clock.now,
      ...(options.registrationRetryMs !== undefined ? { registrationRetryMs: options.registrationRetryMs } : {}),
      loginThrottle: { failures: options.failures ?? 10, windowMs: 60_000 },
      ...(options.passwords ? { passwords: options.passwords } : {}),
    });
    return { bus, members, clock };
  };
  const ada = { email: 'ada@example.com', password: 'difference engine', name: 'Ada' };

  it('answers a repeated registration (same email and password) with the same member, and 409 otherwise', async () => {
    const { bus, members, clock } = setup({ registrationRetryMs: 60_000 });
    const first = await bus.call('members.register', ada);
    const again = await bus.call('members.register', { ...ada, email: ' ADA@example.com', name: 'Someone else' });
    expect(again).toEqual(first);
    expect((await failure(bus.call('members.register', { ...ada, password: 'another password' }))).code).toBe('email_taken');
    clock.now += 60_001;
    expect((await failure(bus.call('members.register', ada))).code).toBe('email_taken');
    const stored = await members.findByEmail('ada@example.com');
    expect(stored?.memberId).toBe(first.memberId);
    // Only one account, and it still logs in.
    expect(await bus.call('members.login', { email: ada.email, password: ada.password })).toEqual(first);
  });

  it('with the retry window off, a repeat is 409 at once', async () => {
    const { bus } = setup({ registrationRetryMs: 0 });
    await bus.call('members.register', ada);
    expect((await failure(bus.call('members.register', ada))).code).toBe('email_taken');
  });

  it('registrations of one email at once: one account; the same password gets it, another 409', async () => {
    const { bus, members } = setup();
    const attempts = await Promise.allSettled([
      bus.call('members.register', ada),
      bus.call('members.register', ada),
      bus.call('members.register', { ...ada, password: 'someone else entirely' }),
    ]);
    const [a, b, c] = attempts;
    expect(a.status).toBe('fulfilled');
    expect(b.status).toBe('fulfilled');
    const first = (a as PromiseFulfilledResult<{ memberId: string }>).value;
    expect((b as PromiseFulfilledResult<{ memberId: string }>).value.memberId).toBe(first.memberId);
    expect(c.status === 'rejected' && (c.reason as PulseError).code).toBe('email_taken');
    expect(await members.findByEmail(ada.email)).toMatchObject({ memberId: first.memberId });
  });

  it('more attempts at one account at once than may wait are told to retry, with Retry-After', async () => {
    const { bus } = setup({ failures: 100 });
    await bus.call('members.register', ada);
    const attempts = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => bus.call('members.login', { email: ada.email, password: `guess ${i}` })),
    );
    const codes = attempts.map((r) => (r.status === 'rejected' ? (r.reason as PulseError).code : 'ok'));
    // One at a time: the first runs, WAITING_PER_ACCOUNT (8) wait, the rest are refused at once.
    expect(codes.filter((c) => c === 'invalid_credentials')).toHaveLength(9);
    expect(codes.filter((c) => c === 'rate_limited')).toHaveLength(11);
    for (const r of attempts)
      if (r.status === 'rejected' && (r.reason as PulseError).code === 'rate_limited')
        expect((r.reason as PulseError).details).toEqual({ retryAfterSeconds: '1' });
  });

  it('a registration whose hash cannot finish before the caller gives up is refused at once with Retry-After and stores nothing', async () => {
    const passwords = new PasswordPool({ workers: 0, queueLimit: 10, clientQueueLimit: 10, initialEstimateMs: 400 });
    const { bus, members } = setup({ passwords });
    // Refused, not left to time out: with timers stopped, the answer still comes (no timer fires, neither the call's nor the pool's give-up).
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    onTestFinished(() => void vi.useRealTimers());
    let settled = false;
    const answer = failure(bus.call('members.register', ada, 500)).finally(() => (settled = true));
    for (let turn = 0; turn < 20 && !settled; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(true);
    vi.useRealTimers();
    const refused = await answer;
    expect(refused.code).toBe('unavailable');
    expect(Number(refused.details?.retryAfterSeconds)).toBeGreaterThanOrEqual(1);
    expect(await members.findByEmail(ada.email)).toBeUndefined();
    // With time enough it goes through.
    expect(await bus.call('members.register', ada, 5000)).toMatchObject({ email: ada.email });
  });

  it('limits wrong passwords per email, for unknown emails alike, and a right one clears the count', async () => {
    const { bus } = setup({ failures: 2 });
    const profile = await bus.call('members.register', ada);
    for (const email of [ada.email, 'nobody@example.com']) {
      for (let i = 0; i < 2; i++)
        expect((await failure(bus.call('members.login', { email, password: `wrong ${i}` }))).code).toBe('invalid_credentials');
      const limited = await failure(bus.call('members.login', { email, password: ada.password }));
      expect(limited.code).toBe('rate_limited');
      expect(Number(limited.details?.retryAfterSeconds)).toBeGreaterThan(50);
    }
    // Another account is not affected; a success clears its count.
    const grace = await bus.call('members.register', { ...ada, email: 'grace@example.com', name: 'Grace' });
    expect((await failure(bus.call('members.login', { email: 'grace@example.com', password: 'wrong' }))).code).toBe('invalid_credentials');
    expect(await bus.call('members.login', { email: 'grace@example.com', password: ada.password })).toEqual(grace);
    expect((await failure(bus.call('members.login', { email: 'grace@example.com', password: 'wrong' }))).code).toBe('invalid_credentials');
    expect(await bus.call('members.login', { email: 'grace@example.com', password: ada.password })).toEqual(grace);
    expect(profile.memberId).not.toBe(grace.memberId);
  });

  it('a wrong password on a repeated registration counts against the email like a login', async () => {
    const { bus } = setup({ failures: 1 });
    await bus.call('members.register', ada);
    expect((await failure(bus.call('members.register', { ...ada, password: 'guess number one' }))).code).toBe('email_taken');
    expect((await failure(bus.call('members.register', ada))).code).toBe('rate_limited');
    expect((await failure(bus.call('members.login', { email: ada.email, password: ada.password }))).code).toBe('rate_limited');
  });
});
