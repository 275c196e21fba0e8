import { ErrorCodes, PulseError } from '../contracts/errors.js';
import { DEFAULT_RPC_ADMISSION, type RpcAdmissionOptions } from '../ports/rpc.js';

/** Methods that hash a password: their own lane, so logins never take recommendation slots. */
export const PASSWORD_METHODS: ReadonlySet<string> = new Set(['members.register', 'members.login']);

/** Stable messages of the `unavailable` answers of a full queue. */
export const QUEUE_FULL_MESSAGE = 'engine busy: too many requests waiting';
export const USER_QUEUE_FULL_MESSAGE = 'engine busy: too many requests waiting for this user';

export interface RpcJob {
  readonly method: string;
  /** Fairness key: the user the request is for, else the method (see requestUser). */
  readonly user: string;
  /** Epoch ms after which nobody waits for the answer; Infinity when none was sent. */
  readonly deadline: number;
  /** Runs the handler and sends its reply; never rejects. */
  run(): Promise<void>;
  /** Answers at once with this error instead of running (queue full). */
  refuse(error: PulseError): void;
}

/** The fairness key of a request: `principal.userId`, `userId`, `memberId`, else the method. */
export function requestUser(method: string, request: unknown): string {
  if (typeof request !== 'object' || request === null) return method;
  const { principal, userId, memberId } = request as { principal?: { userId?: unknown }; userId?: unknown; memberId?: unknown };
  for (const id of [principal?.userId, userId, memberId]) if (typeof id === 'string' && id !== '') return `u:${id}`;
  return method;
}

/** One pool of handler slots with its waiting requests, per user. */
class Lane {
  running = 0;
  /** Requests running, per user. */
  readonly runningByUser = new Map<string, number>();
  readonly waiting = new Map<string, RpcJob[]>();
  /** Users waiting with nothing running and not served since they last had nothing waiting: first, in arrival order. */
  fresh: string[] = [];
  /** Users waiting that were served meanwhile: round robin. */
  served: string[] = [];

  constructor(public concurrency: number) {}

  /** The next request: the least recently served user's oldest. */
  take(): RpcJob | undefined {
    const user = this.fresh.shift() ?? this.served.shift();
    if (user === undefined) return undefined;
    const jobs = this.waiting.get(user)!;
    const job = jobs.shift()!;
    if (jobs.length === 0) this.waiting.delete(user);
    else this.served.push(user);
    return job;
  }

  add(job: RpcJob): void {
    const jobs = this.waiting.get(job.user);
    if (jobs) jobs.push(job);
    else {
      this.waiting.set(job.user, [job]);
      (this.runningByUser.has(job.user) ? this.served : this.fresh).push(job.user);
    }
  }

  started(user: string): void {
    this.running++;
    this.runningByUser.set(user, (this.runningByUser.get(user) ?? 0) + 1);
  }

  finished(user: string): void {
    this.running--;
    const left = (this.runningByUser.get(user) ?? 1) - 1;
    if (left > 0) this.runningByUser.set(user, left);
    else this.runningByUser.delete(user);
  }

  /** Removes and returns the user's newest waiting request. */
  dropNewest(user: string): RpcJob | undefined {
    const jobs = this.waiting.get(user);
    const job = jobs?.pop();
    if (jobs && jobs.length === 0) {
      this.waiting.delete(user);
      this.fresh = this.fresh.filter((u) => u !== user);
      this.served = this.served.filter((u) => u !== user);
    }
    return job;
  }
}

/**
 * The engine's admission of requests (both RPC adapters use it): drops expired requests, bounds
 * what waits (in total and per user), serves users round-robin, the least recently served first,
 * and bounds the handlers running at once, password hashing in its own small lane.
 */
export class RpcScheduler {
  private readonly main: Lane;
  private readonly passwords: Lane;
  private limits: { queueLimit: number; userQueueLimit: number } = { queueLimit: DEFAULT_RPC_ADMISSION.queueLimit, userQueueLimit: DEFAULT_RPC_ADMISSION.userQueueLimit };
  private hooks: Pick<RpcAdmissionOptions, 'onExpired' | 'onRejected'> = {};
  private waitingCount = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(options: RpcAdmissionOptions = {}) {
    this.main = new Lane(DEFAULT_RPC_ADMISSION.concurrency);
    this.passwords = new Lane(DEFAULT_RPC_ADMISSION.passwordConcurrency);
    this.configure(options);
  }

  configure(options: RpcAdmissionOptions): void {
    const positive = (name: string, value: number | undefined, fallback: number): number => {
      const n = value ?? fallback;
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be an integer >= 1, got ${n}`);
      return n;
    };
    this.limits = { queueLimit: positive('queueLimit', options.queueLimit, this.limits.queueLimit), userQueueLimit: positive('userQueueLimit', options.userQueueLimit, this.limits.userQueueLimit) };
    this.main.concurrency = positive('concurrency', options.concurrency, this.main.concurrency);
    this.passwords.concurrency = positive('passwordConcurrency', options.passwordConcurrency, this.passwords.concurrency);
    this.hooks = { ...this.hooks, ...(options.onExpired ? { onExpired: options.onExpired } : {}), ...(options.onRejected ? { onRejected: options.onRejected } : {}) };
    this.pump(this.main);
    this.pump(this.passwords);
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.waitingCount;
  }

  /** Starts, queues, refuses or drops (expired) the request. */
  submit(job: RpcJob): void {
    if (job.deadline <= Date.now()) return this.expire(job);
    const lane = PASSWORD_METHODS.has(job.method) ? this.passwords : this.main;
    if (lane.running < lane.concurrency && lane.waiting.size === 0) return this.start(lane, job);
    const mine = lane.waiting.get(job.user)?.length ?? 0;
    if (mine >= this.limits.userQueueLimit) return this.refuse(job, USER_QUEUE_FULL_MESSAGE);
    if (this.waitingCount >= this.limits.queueLimit) {
      // Full: the busiest user gives up its newest request if it has clearly more waiting than this user.
      const victim = this.busiest();
      if (!victim || victim.count <= mine + 1) return this.refuse(job, QUEUE_FULL_MESSAGE);
      const dropped = victim.lane.dropNewest(victim.user)!;
      this.waitingCount--;
      this.refuse(dropped, QUEUE_FULL_MESSAGE);
    }
    lane.add(job);
    this.waitingCount++;
    this.pump(lane);
  }

  /** Resolves once nothing runs or waits. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.waitingCount === 0 && this.main.running === 0 && this.passwords.running === 0;
  }

  private pump(lane: Lane): void {
    while (lane.running < lane.concurrency) {
      const job = lane.take();
      if (!job) break;
      this.waitingCount--;
      if (job.deadline <= Date.now()) this.expire(job);
      else this.start(lane, job);
    }
    if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private start(lane: Lane, job: RpcJob): void {
    lane.started(job.user);
    void job.run().finally(() => {
      lane.finished(job.user);
      this.pump(lane);
    });
  }

  private expire(job: RpcJob): void {
    this.hooks.onExpired?.(job.method);
  }

  private refuse(job: RpcJob, message: string): void {
    this.hooks.onRejected?.(job.method);
    job.refuse(new PulseError(ErrorCodes.unavailable, message));
  }

  private busiest(): { lane: Lane; user: string; count: number } | undefined {
    let best: { lane: Lane; user: string; count: number } | undefined;
    for (const lane of [this.main, this.passwords]) {
      for (const [user, jobs] of lane.waiting) if (!best || jobs.length > best.count) best = { lane, user, count: jobs.length };
    }
    return best;
  }
}
