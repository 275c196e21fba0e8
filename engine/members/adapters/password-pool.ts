import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import { hashPassword, verifyPassword, type DeriveRequest, type ScryptParams } from '../logic/passwords.js';
import { LaneQueue, otherLane, type Job, type PasswordAdmission, type PasswordLane } from './password-pool-lanes.js';
import { InlineDeriveBackend, WorkerDeriveBackend, type DeriveBackend } from './password-pool-workers.js';

export type { PasswordAdmission, PasswordLane } from './password-pool-lanes.js';

export interface PasswordPoolOptions {
  /** Worker threads (each runs one derivation at a time); 0 = scrypt on libuv's pool in this process (tests, tools). */
  workers: number;
  /** Derivations waiting at once, over all clients; beyond it `unavailable` (503) with Retry-After at once. */
  queueLimit: number;
  /** Derivations one client may have waiting; beyond it `rate_limited` (429) with Retry-After at once. */
  clientQueueLimit: number;
  logger?: Logger;
  /** Cost of one derivation (ms) assumed until some have been measured. */
  initialEstimateMs?: number;
  /** Where derivations run; defaults from `workers`. */
  backend?: DeriveBackend;
  now?: () => number;
}

/**
 * Time kept between a derivation's end and its caller's deadline (ms): the handler's reply over
 * NATS and the gateway's answer. A derivation not done by `deadline - afterMs - REPLY_MARGIN_MS`
 * is answered `unavailable` then, while its caller still listens (its thread finishes it unseen).
 */
export const REPLY_MARGIN_MS = 250;
const EWMA_WEIGHT = 0.2;
const MAX_RETRY_AFTER_SECONDS = 30;
const MAX_TIMER_MS = 2 ** 31 - 1;

function retryAfter(ms: number): Record<string, string> {
  return { retryAfterSeconds: String(Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(ms / 1000)))) };
}

/**
 * The engine's password hashing off its event loop: a bounded pool of worker threads with a
 * bounded, fair queue and deadlines.
 *
 * - Admission (O(clients waiting)): refused at once, never queued to time out: another attempt
 *   for the same account in flight -> `rate_limited`; the client's queue full -> `rate_limited`;
 *   the queue full, or the estimated wait plus the measured mean cost no longer fits the caller's
 *   deadline -> `unavailable`. (An estimate that proves short is caught by the deadline below.) Each refusal carries `retryAfterSeconds` (the gateway's
 *   Retry-After).
 * - Order: a client (address) with nothing running nor waiting goes first (logins before
 *   registrations); the others take turns, the login and register lanes alternating; within a
 *   client, first come first served. One flooding client waits behind itself, not in front of
 *   everybody else.
 * - Deadline: a job still waiting or running at `deadline - afterMs - REPLY_MARGIN_MS` is answered
 *   `unavailable` then (never a late success the caller has given up on: a registration that
 *   answered 503 creates nothing, as its handler stores only after a derivation that resolved).
 */
export class PasswordPool {
  private readonly backend: DeriveBackend;
  private readonly lanes: Record<PasswordLane, LaneQueue> = { login: new LaneQueue(), register: new LaneQueue() };
  private readonly accounts = new Set<string>();
  /** Derivations running per client, over both lanes (until their thread is free, even if their caller was answered). */
  private readonly runningByClient = new Map<string, number>();
  private readonly now: () => number;
  private nextLane: PasswordLane = 'login';
  private running = 0;
  private meanMs: number;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: PasswordPoolOptions) {
    for (const [name, value] of [
      ['queueLimit', options.queueLimit],
      ['clientQueueLimit', options.clientQueueLimit],
    ] as const) {
      if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be an integer >= 1, got ${value}`);
    }
    this.backend =
      options.backend ?? (options.workers > 0 ? new WorkerDeriveBackend(options.workers, options.logger) : new InlineDeriveBackend(2));
    this.meanMs = options.initialEstimateMs ?? 250;
    this.now = options.now ?? Date.now;
  }

  /** A new salted hash of `password` (logic/passwords.ts), derived in the pool. */
  hash(password: string, params: ScryptParams, admission: PasswordAdmission): Promise<string> {
    return hashPassword(password, params, (request) => this.derive(request, admission));
  }

  /** Whether `password` matches `stored`, derived in the pool. */
  verify(password: string, stored: string, admission: PasswordAdmission): Promise<boolean> {
    return verifyPassword(password, stored, (request) => this.derive(request, admission));
  }

  /** Figures for logs and tests. */
  stats(): { workers: number; running: number; waiting: number; meanMs: number } {
    return {
      workers: this.backend.size,
      running: this.running,
      waiting: this.lanes.login.size + this.lanes.register.size,
      meanMs: Math.round(this.meanMs),
    };
  }

  /** One derivation, admitted or refused at once (see the class comment). */
  derive(request: DeriveRequest, admission: PasswordAdmission): Promise<Buffer> {
    if (this.closed) return Promise.reject(new PulseError(ErrorCodes.unavailable, 'engine shutting down: try again', retryAfter(1000)));
    const accountKey = `${admission.lane}:${admission.account}`;
    if (this.accounts.has(accountKey)) {
      return Promise.reject(
        new PulseError(ErrorCodes.rateLimited, 'another attempt for this account is in progress', retryAfter(this.meanMs)),
      );
    }
    const lane = this.lanes[admission.lane];
    const waiting = this.lanes.login.size + this.lanes.register.size;
    if (waiting >= this.options.queueLimit) return Promise.reject(this.busy(waiting + this.running));
    if ((lane.byClient.get(admission.client)?.length ?? 0) >= this.options.clientQueueLimit) {
      return Promise.reject(
        new PulseError(
          ErrorCodes.rateLimited,
          'too many password checks from this client waiting',
          retryAfter((this.options.clientQueueLimit * this.meanMs) / this.backend.size),
        ),
      );
    }
    const ahead = this.jobsAhead(admission.lane, admission.client);
    const startInMs = (Math.max(0, ahead + this.running - this.backend.size + 1) * this.meanMs) / this.backend.size;
    if (this.now() + startInMs + this.meanMs + (admission.afterMs ?? 0) + REPLY_MARGIN_MS > admission.deadline) {
      return Promise.reject(this.busy(ahead + this.running + 1));
    }
    return new Promise<Buffer>((resolve, reject) => {
      const job: Job = { admission, request, resolve, reject, timer: undefined, state: 'waiting' };
      this.accounts.add(accountKey);
      const giveUpAt = admission.deadline - (admission.afterMs ?? 0) - REPLY_MARGIN_MS;
      // setTimeout fires at once beyond 2^31 - 1 ms: a far deadline needs no timer before then.
      if (Number.isFinite(giveUpAt))
        job.timer = setTimeout(() => this.giveUp(job), Math.min(MAX_TIMER_MS, Math.max(0, giveUpAt - this.now())));
      lane.add(job, this.isBusy(admission.client));
      this.pump();
    });
  }

  /** Resolves once nothing waits or runs. */
  idle(): Promise<void> {
    if (this.running === 0 && this.lanes.login.size + this.lanes.register.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Refuses new work, lets what waits and runs finish (each is bounded by its caller's deadline),
   * at most `graceMs`, then stops the threads. Idempotent.
   */
  async close(graceMs = 5000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    for (let job = this.take(); job; job = this.take())
      this.finish(job, new PulseError(ErrorCodes.unavailable, 'engine shutting down: try again', retryAfter(1000)));
    await this.backend.close();
  }

  private busy(jobs: number): PulseError {
    const ms = (jobs * this.meanMs) / this.backend.size;
    return new PulseError(ErrorCodes.unavailable, 'too many password checks at once: try again shortly', retryAfter(ms));
  }

  /**
   * Jobs taken before a new one of `client` in `lane`: a fresh client waits only for the fresh
   * ones before it (logins' fresh first, then registrations'); another, at most its lane's bound
   * plus the other lane's fresh clients and its turns.
   */
  private jobsAhead(lane: PasswordLane, client: string): number {
    const mine = this.lanes[lane];
    const other = this.lanes[otherLane(lane)];
    if (!this.isBusy(client) && !mine.byClient.has(client)) return mine.fresh.length + (lane === 'register' ? other.fresh.length : 0);
    const own = mine.aheadOf(client);
    return own + other.fresh.length + Math.min(other.size, own + 1);
  }

  private isBusy(client: string): boolean {
    return this.runningByClient.has(client) || this.lanes.login.byClient.has(client) || this.lanes.register.byClient.has(client);
  }

  /** The next job: fresh clients first (logins, then registrations), then the lanes take turns. */
  private take(): Job | undefined {
    const fresh = this.lanes.login.takeFresh() ?? this.lanes.register.takeFresh();
    if (fresh) return fresh;
    const job = this.lanes[this.nextLane].takeServed() ?? this.lanes[otherLane(this.nextLane)].takeServed();
    if (job) this.nextLane = otherLane(job.admission.lane);
    return job;
  }

  /** Starts waiting jobs while threads are free; drops those that can no longer finish in time. */
  private pump(): void {
    while (this.running < this.backend.size) {
      const job = this.take();
      if (!job) break;
      const { deadline, afterMs = 0 } = job.admission;
      if (this.now() + this.meanMs + afterMs + REPLY_MARGIN_MS > deadline) {
        this.finish(job, this.busy(1));
        continue;
      }
      this.start(job);
    }
    if (this.running === 0 && this.lanes.login.size + this.lanes.register.size === 0)
      for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private start(job: Job): void {
    job.state = 'running';
    this.running++;
    const client = job.admission.client;
    this.runningByClient.set(client, (this.runningByClient.get(client) ?? 0) + 1);
    const startedAt = this.now();
    this.backend
      .run(job.request)
      .then(
        ({ key, ms }) => {
          // The thread's own time where known: a busy loop delaying the answer is not the hash's cost.
          this.meanMs += EWMA_WEIGHT * ((ms ?? this.now() - startedAt) - this.meanMs);
          this.finish(job, undefined, key);
        },
        (err: unknown) => {
          this.options.logger?.error({ err }, 'password derivation failed');
          this.finish(job, new PulseError(ErrorCodes.unavailable, 'password check failed: try again', retryAfter(1000), { cause: err }));
        },
      )
      .finally(() => {
        this.running--;
        const left = (this.runningByClient.get(client) ?? 1) - 1;
        if (left > 0) this.runningByClient.set(client, left);
        else this.runningByClient.delete(client);
        this.pump();
      });
  }

  /** The deadline's margin came while the job waited or ran: answer `unavailable` now, while the caller listens. */
  private giveUp(job: Job): void {
    if (job.state === 'done') return;
    const left = job.admission.deadline - (job.admission.afterMs ?? 0) - REPLY_MARGIN_MS - this.now();
    if (left > 1) {
      // A far deadline's timer was capped at MAX_TIMER_MS: wait again.
      job.timer = setTimeout(() => this.giveUp(job), Math.min(MAX_TIMER_MS, left));
      return;
    }
    if (job.state === 'waiting') this.lanes[job.admission.lane].remove(job);
    this.finish(job, this.busy(1));
    this.pump();
  }

  /** Settles a job once; its account may try again. */
  private finish(job: Job, error: PulseError | undefined, key?: Buffer): void {
    if (job.state === 'done') return;
    job.state = 'done';
    clearTimeout(job.timer);
    this.accounts.delete(`${job.admission.lane}:${job.admission.account}`);
    if (error) job.reject(error);
    else job.resolve(key!);
  }
}
