import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { PasswordPool, REPLY_MARGIN_MS, type PasswordAdmission } from '../../engine/members/adapters/password-pool.js';
import { LoginThrottle } from '../../engine/members/adapters/password-pool-throttle.js';
import { WorkerDeriveBackend, type DeriveBackend } from '../../engine/members/adapters/password-pool-workers.js';
import { PulseError } from '../../engine/contracts/errors.js';
import { hashPassword, verifyPassword, type DeriveRequest } from '../../engine/members/logic/passwords.js';

const cheap = { N: 2 ** 10, r: 8, p: 1 };

/** A backend whose derivations end when the test says so; records the order they started in. */
class ManualBackend implements DeriveBackend {
  readonly started: string[] = [];
  private readonly pending: Array<{ password: string; resolve: (result: { key: Buffer }) => void; reject: (err: Error) => void }> = [];
  closed = false;
  constructor(readonly size: number) {}

  run(request: DeriveRequest): Promise<{ key: Buffer }> {
    this.started.push(request.password);
    return new Promise((resolve, reject) => this.pending.push({ password: request.password, resolve, reject }));
  }

  get running(): number {
    return this.pending.length;
  }

  /** Ends the oldest running derivation. */
  finishOne(): void {
    this.pending.shift()?.resolve({ key: Buffer.alloc(64, 7) });
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

const request = (password: string): DeriveRequest => ({ password, salt: Buffer.alloc(16), keyBytes: 64, params: cheap });
const admit = (over: Partial<PasswordAdmission> = {}): PasswordAdmission => ({
  lane: 'login',
  account: 'a@x.co',
  client: 'c1',
  deadline: Number.POSITIVE_INFINITY,
  ...over,
});
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

async function refusal(promise: Promise<unknown>): Promise<{ code: string; retryAfter: number }> {
  try {
    await promise;
  } catch (err) {
    if (!(err instanceof PulseError)) throw err;
    return { code: err.code, retryAfter: Number(err.details?.retryAfterSeconds) };
  }
  throw new Error('expected a refusal');
}

describe('PasswordPool admission and order', () => {
  it('runs at most `workers` at once, a client with nothing running first, then lanes and clients in turn', async () => {
    const backend = new ManualBackend(1);
    const pool = new PasswordPool({ workers: 1, queueLimit: 100, clientQueueLimit: 100, backend, initialEstimateMs: 1 });
    const done: Promise<Buffer>[] = [];
    // A flooding client first, then a second client, then registrations.
    for (let i = 0; i < 4; i++) done.push(pool.derive(request(`flood-${i}`), admit({ account: `f${i}@x.co`, client: 'flood' })));
    done.push(pool.derive(request('real'), admit({ account: 'real@x.co', client: 'real' })));
    done.push(pool.derive(request('reg-0'), admit({ lane: 'register', account: 'r0@x.co', client: 'flood' })));
    done.push(pool.derive(request('reg-1'), admit({ lane: 'register', account: 'r1@x.co', client: 'flood' })));
    expect(backend.running).toBe(1);
    for (let i = 0; i < 7; i++) {
      await flush();
      expect(backend.running).toBeLessThanOrEqual(1);
      backend.finishOne();
    }
    await Promise.all(done);
    await flush();
    // flood-0 started at once; the real client (nothing running) goes next; then the flood's logins and registrations take turns.
    expect(backend.started).toEqual(['flood-0', 'real', 'flood-1', 'reg-0', 'flood-2', 'reg-1', 'flood-3']);
    expect(pool.stats()).toMatchObject({ running: 0, waiting: 0 });
  });

  it('refuses a second attempt for the same account while one is in flight, then takes it', async () => {
    const backend = new ManualBackend(1);
    const pool = new PasswordPool({ workers: 1, queueLimit: 100, clientQueueLimit: 100, backend, initialEstimateMs: 100 });
    const first = pool.derive(request('one'), admit());
    expect(await refusal(pool.derive(request('two'), admit({ client: 'elsewhere' })))).toEqual({ code: 'rate_limited', retryAfter: 1 });
    // The same account in the other lane is another queue.
    const other = pool.derive(request('reg'), admit({ lane: 'register' }));
    await flush();
    backend.finishOne();
    await first;
    const again = pool.derive(request('three'), admit());
    for (let i = 0; i < 2; i++) {
      await flush();
      backend.finishOne();
    }
    await expect(Promise.all([other, again])).resolves.toHaveLength(2);
    expect(backend.started).toEqual(['one', expect.any(String), expect.any(String)]);
    expect(backend.started.slice(1).sort()).toEqual(['reg', 'three']);
  });

  it('answers 503 at once when the queue is full and 429 when one client has too many waiting', async () => {
    const backend = new ManualBackend(1);
    const pool = new PasswordPool({ workers: 1, queueLimit: 3, clientQueueLimit: 2, backend, initialEstimateMs: 100 });
    const accepted = [0, 1, 2].map((i) => pool.derive(request(`a${i}`), admit({ account: `a${i}@x.co`, client: 'a' })));
    // a0 runs, a1 and a2 wait: client a is at its limit.
    expect(await refusal(pool.derive(request('a3'), admit({ account: 'a3@x.co', client: 'a' })))).toMatchObject({ code: 'rate_limited' });
    const b = pool.derive(request('b0'), admit({ account: 'b0@x.co', client: 'b' }));
    const full = await refusal(pool.derive(request('c0'), admit({ account: 'c0@x.co', client: 'c' })));
    expect(full.code).toBe('unavailable');
    expect(full.retryAfter).toBeGreaterThanOrEqual(1);
    expect(backend.started).toEqual(['a0']);
    for (let i = 0; i < 4; i++) {
      await flush();
      backend.finishOne();
    }
    await expect(Promise.all([...accepted, b])).resolves.toHaveLength(4);
  });

  it("never starts what cannot end before the caller's deadline, and answers before it", async () => {
    // Fake clock and timers (setImmediate stays real for flush()): "before the deadline" is then exact, whatever the machine's load.
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout', 'clearTimeout'] });
    onTestFinished(() => void vi.useRealTimers());
    const backend = new ManualBackend(1);
    const pool = new PasswordPool({ workers: 1, queueLimit: 100, clientQueueLimit: 100, backend, initialEstimateMs: 200 });
    const now = Date.now();
    // 200 ms mean, one running: a job queued behind it needs ~200 + 200 + margin.
    const running = pool.derive(request('long'), admit({ account: 'long@x.co', deadline: now + 200 + REPLY_MARGIN_MS + 100 }));
    const tooLate = await refusal(
      pool.derive(request('late'), admit({ account: 'late@x.co', client: 'c2', deadline: now + 200 + 200 + REPLY_MARGIN_MS - 10 })),
    );
    expect(tooLate.code).toBe('unavailable');
    expect(backend.started).toEqual(['long']);
    // The running one never finishes: it is answered `unavailable` before its deadline, not left to time out.
    let settled = false;
    const refused = refusal(running).finally(() => (settled = true));
    await vi.advanceTimersByTimeAsync(200 + REPLY_MARGIN_MS + 100 - 1); // to 1 ms before its deadline
    expect(settled).toBe(true);
    const answered = await refused;
    expect(answered.code).toBe('unavailable');
    // Its account is free again; the thread is still busy until its derivation ends.
    expect(pool.stats().running).toBe(1);
    const next = pool.derive(request('next'), admit({ account: 'long@x.co' }));
    for (let i = 0; i < 2; i++) {
      await flush();
      backend.finishOne();
    }
    await expect(next).resolves.toBeInstanceOf(Buffer);
  });

  it('on close refuses new work, finishes what it took, and stops the backend', async () => {
    const backend = new ManualBackend(1);
    const pool = new PasswordPool({ workers: 1, queueLimit: 10, clientQueueLimit: 10, backend, initialEstimateMs: 1 });
    const taken = [pool.derive(request('x'), admit({ account: 'x@x.co' })), pool.derive(request('y'), admit({ account: 'y@x.co' }))];
    const closing = pool.close();
    expect((await refusal(pool.derive(request('z'), admit({ account: 'z@x.co' })))).code).toBe('unavailable');
    for (let i = 0; i < 2; i++) {
      await flush();
      backend.finishOne();
    }
    await closing;
    await expect(Promise.all(taken)).resolves.toHaveLength(2);
    expect(backend.closed).toBe(true);
  });
});

describe('PasswordPool on worker threads', () => {
  let pool: PasswordPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('hashes and verifies in worker threads, the same format and keys as in-process scrypt', async () => {
    pool = new PasswordPool({ workers: 2, queueLimit: 10, clientQueueLimit: 10 });
    const stored = await pool.hash('correct horse', cheap, admit({ lane: 'register' }));
    expect(stored).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword('correct horse', stored)).toBe(true);
    const inline = await hashPassword('caf\u00e9 au lait', cheap);
    expect(await pool.verify('cafe\u0301 au lait', inline, admit())).toBe(true);
    expect(await pool.verify('cafe au lait', inline, admit())).toBe(false);
    // Both threads used at once.
    const results = await Promise.all(
      [0, 1, 2, 3].map((i) => pool!.verify(`p${i}`, inline, admit({ account: `${i}@x.co`, client: String(i) }))),
    );
    expect(results).toEqual([false, false, false, false]);
    await flush();
    expect(pool.stats()).toMatchObject({ workers: 2, running: 0, waiting: 0 });
  });

  it('replaces a thread that dies and answers its caller `unavailable`', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pulse-pw-'));
    try {
      // A worker that dies on its first job.
      const script = join(dir, 'dying-worker.mjs');
      await writeFile(script, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(3));\n");
      const backend = new WorkerDeriveBackend(1, undefined, pathToFileURL(script));
      pool = new PasswordPool({ workers: 1, queueLimit: 10, clientQueueLimit: 10, backend });
      expect((await refusal(pool.derive(request('x'), admit()))).code).toBe('unavailable');
      await flush();
      expect(pool.stats().running).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('LoginThrottle', () => {
  it('refuses an email after its wrong passwords until the window ends, and a success clears it', () => {
    let clock = 0;
    const throttle = new LoginThrottle({ failures: 3, windowMs: 60_000, now: () => clock });
    for (let i = 0; i < 3; i++) {
      expect(() => throttle.check('a@x.co')).not.toThrow();
      throttle.failed('a@x.co');
    }
    clock = 20_000;
    let error: unknown;
    try {
      throttle.check('a@x.co');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PulseError);
    expect((error as PulseError).code).toBe('rate_limited');
    expect((error as PulseError).details).toEqual({ retryAfterSeconds: '40' });
    expect(() => throttle.check('b@x.co')).not.toThrow();
    clock = 60_000;
    expect(() => throttle.check('a@x.co')).not.toThrow();
    throttle.failed('a@x.co');
    throttle.succeeded('a@x.co');
    throttle.failed('a@x.co');
    throttle.failed('a@x.co');
    expect(() => throttle.check('a@x.co')).not.toThrow();
  });

  it('remembers at most maxEmails, dropping the oldest window', () => {
    const throttle = new LoginThrottle({ failures: 1, windowMs: 60_000, maxEmails: 2, now: () => 0 });
    throttle.failed('a@x.co');
    throttle.failed('b@x.co');
    throttle.failed('c@x.co');
    expect(() => throttle.check('a@x.co')).not.toThrow();
    expect(() => throttle.check('b@x.co')).toThrow(PulseError);
    expect(() => throttle.check('c@x.co')).toThrow(PulseError);
  });
});
