import { ErrorCodes, PulseError } from '../contracts/errors.js';
import { DEFAULT_RPC_ADMISSION, type RpcAdmissionOptions } from './rpc.js';

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

/**
 * The share of a lane's handler slots one user may hold at once: a quarter (at least one). The
 * handlers of one engine share its event loop, so a user running all of them would slow every
 * other user's request started meanwhile even though that one got the next free slot; with a
 * quarter, another user's request shares the loop with at most that many of the flood's. Keys
 * that are no user (a method, for requests made for nobody) are not capped.
 */
export function userConcurrencyOf(concurrency: number): number {
  return Math.max(1, Math.ceil(concurrency / 4));
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
  /** Users waiting while they hold their share of the slots: back in `served` when one of theirs finishes. */
  readonly capped = new Set<string>();

  constructor(public concurrency: number) {}

  /** Whether `user` holds its share of the slots (userConcurrencyOf). */
  atCap(user: string): boolean {
    return user.startsWith('u:') && (this.runningByUser.get(user) ?? 0) >= userConcurrencyOf(this.concurrency);
  }

  /** The next request: the least recently served user's oldest (users at their share wait). */
  take(): RpcJob | undefined {
    for (;;) {
      const user = this.fresh.shift() ?? this.served.shift();
      if (user === undefined) return undefined;
      // Set aside until one of its requests finishes (each user is set aside at most once per finish).
      if (this.atCap(user)) {
        this.capped.add(user);
        continue;
      }
      const jobs = this.waiting.get(user)!;
      const job = jobs.shift()!;
      if (jobs.length === 0) this.waiting.delete(user);
      else this.served.push(user);
      return job;
    }
  }

  add(job: RpcJob): void {
    const jobs = this.waiting.get(job.user);
    if (jobs) jobs.push(job);
    else {
      this.waiting.set(job.user, [job]);
      if (this.atCap(job.user)) this.capped.add(job.user);
      else (this.runningByUser.has(job.user) ? this.served : this.fresh).push(job.user);
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
    if (this.capped.has(user) && !this.atCap(user)) {
      this.capped.delete(user);
      this.served.push(user);
    }
  }

  /** Removes and returns the user's newest waiting request. */
  dropNewest(user: string): RpcJob | undefined {
    const jobs = this.waiting.get(user);
    const job = jobs?.pop();
    if (jobs && jobs.length === 0) {
      this.waiting.delete(user);
      this.fresh = this.fresh.filter((u) => u !== user);
      this.served = this.served.filter((u) => u !== user);
      this.capped.delete(user);
    }
    return job;
  }
}

/**
 * The engine's admission of requests (both RPC adapters use it): drops expired requests, bounds
 * what waits (in total and per user), serves users round-robin, the least recently served first,
 * and bounds the handlers running at once (a user at most a quarter of them), password hashing in
 * its own small lane. Costs O(1) per request but a full queue's shedding (O(waiting users)).
 */
export class RpcScheduler {
  private readonly main: Lane;
  private readonly passwords: Lane;
  private limits: { queueLimit: number; userQueueLimit: number } = {
    queueLimit: DEFAULT_RPC_ADMISSION.queueLimit,
    userQueueLimit: DEFAULT_RPC_ADMISSION.userQueueLimit,
  };
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
    this.limits = {
      queueLimit: positive('queueLimit', options.queueLimit, this.limits.queueLimit),
      userQueueLimit: positive('userQueueLimit', options.userQueueLimit, this.limits.userQueueLimit),
    };
    this.main.concurrency = positive('concurrency', options.concurrency, this.main.concurrency);
    this.passwords.concurrency = positive('passwordConcurrency', options.passwordConcurrency, this.passwords.concurrency);
    this.hooks = {
      ...this.hooks,
      ...(options.onExpired ? { onExpired: options.onExpired } : {}),
      ...(options.onRejected ? { onRejected: options.onRejected } : {}),
    };
    this.pump(this.main);
    this.pump(this.passwords);
  }

  /** Requests waiting for a slot. */
  get waiting(): number {
    return this.waitingCount;
  }

  /** Counts a request dropped before it was even read: its caller's deadline had passed already. */
  expiredBeforeRead(method: string): void {
    this.hooks.onExpired?.(method);
  }

  /** Starts, queues, refuses or drops (expired) the request. */
  submit(job: RpcJob): void {
    if (job.deadline <= Date.now()) return this.expire(job);
    const lane = PASSWORD_METHODS.has(job.method) ? this.passwords : this.main;
    if (lane.running < lane.concurrency && lane.waiting.size === 0 && !lane.atCap(job.user)) return this.start(lane, job);
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
