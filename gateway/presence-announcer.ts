import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { PresencePublisher, Unsubscribe } from '../engine/contracts/transport.js';
import type { GatewayMetrics } from './metrics.js';

export interface PresenceAnnouncerOptions {
  publisher: PresencePublisher;
  /** This gateway in presence messages; unique per process (default: random). */
  gatewayId?: string;
  /** How often every held user is announced again (ms). Default 5000. */
  heartbeatMs?: number;
  /** Beats an engine may miss before it drops an entry; ttl = heartbeatMs × this. Default 3. */
  expiryBeats?: number;
  /** How long a connecting socket waits for its join (ms) before it connects anyway. Default 2000. */
  joinTimeoutMs?: number;
  metrics: GatewayMetrics;
  logger: Logger;
  /** Clock in epoch ms; injectable for tests. */
  now?: () => number;
}

type Op = { kind: 'join' | 'leave'; userId: string };

/**
 * Tells the engines which users hold a socket here. A user's first socket is announced (joined,
 * flushed) before the socket counts as connected (`announce`, awaited in the handshake), the last
 * one leaving sends a leave, and every `heartbeatMs` a beat lists every user held (also at once
 * when an engine asks: sync). Joins and leaves of one event-loop turn go out in order as one batch
 * (one message per run of one kind, one flush). Memory: one entry per user held, plus handshakes
 * announced but not yet held (dropped, with a leave, after one heartbeat).
 */
export class PresenceAnnouncer {
  readonly gatewayId: string;
  readonly #options: PresenceAnnouncerOptions;
  readonly #heartbeatMs: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  /** userId -> sockets held here. */
  readonly #held = new Map<string, number>();
  /** userId -> when a handshake announced it (epoch ms), until its socket is held. */
  readonly #announced = new Map<string, number>();
  #ops: Op[] = [];
  /** Resolves once every op queued so far has been published (and its joins flushed); never rejects. */
  #flushed: Promise<void> = Promise.resolve();
  #batchScheduled = false;
  #syncScheduled = false;
  #timer: NodeJS.Timeout | undefined;
  #stopSync: Unsubscribe | undefined;
  #closed = false;

  constructor(options: PresenceAnnouncerOptions) {
    this.#options = options;
    this.gatewayId = options.gatewayId ?? `gw-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.#heartbeatMs = options.heartbeatMs ?? 5000;
    this.#ttlMs = this.#heartbeatMs * (options.expiryBeats ?? 3);
    this.#now = options.now ?? Date.now;
  }

  /** Answers engines' sync requests and starts the heartbeat. Idempotent. */
  start(): void {
    if (this.#closed || this.#timer) return;
    this.#stopSync = this.#options.publisher.onSyncRequest(() => this.#scheduleSync());
    // unref: a heartbeat alone never keeps the process alive.
    this.#timer = setInterval(() => this.#beat(), this.#heartbeatMs).unref();
  }

  /**
   * Before a socket of `userId` counts as connected: resolves once the engines see the user here
   * (already held: once earlier joins are flushed). Never rejects: after a failure or
   * `joinTimeoutMs` the socket connects anyway (presence is best effort; the next beat repairs it).
   */
  async announce(userId: string): Promise<void> {
    if (this.#closed) return;
    if (!this.#held.has(userId) && !this.#announced.has(userId)) {
      this.#announced.set(userId, this.#now());
      this.#enqueue('join', userId);
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#options.joinTimeoutMs ?? 2000);
    });
    const outcome = await Promise.race([this.#flushed, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.#options.metrics.presenceFailures.inc({ code: 'timeout' });
  }

  /** One socket of `userId` is held here; the returned release (idempotent) gives it back. */
  hold(userId: string): () => void {
    if (this.#closed) return () => undefined;
    const count = this.#held.get(userId) ?? 0;
    this.#held.set(userId, count + 1);
    // The handshake announced it already: no second join.
    if (count === 0 && !this.#announced.delete(userId)) this.#enqueue('join', userId);
    let released = false;
    return () => {
      if (released || this.#closed) return;
      released = true;
      const left = (this.#held.get(userId) ?? 1) - 1;
      if (left > 0) {
        this.#held.set(userId, left);
        return;
      }
      this.#held.delete(userId);
      this.#enqueue('leave', userId);
    };
  }

  /** Users with at least one socket held here. */
  get users(): number {
    return this.#held.size;
  }

  /**
   * Stops the heartbeat and sync answers, announces a leave for every user still held or
   * announced, and resolves once published (bounded by `joinTimeoutMs`). Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    clearInterval(this.#timer);
    this.#stopSync?.();
    for (const userId of [...this.#held.keys(), ...this.#announced.keys()]) this.#ops.push({ kind: 'leave', userId });
    this.#closed = true;
    this.#held.clear();
    this.#announced.clear();
    await this.#publishOps();
  }

  #enqueue(kind: Op['kind'], userId: string): void {
    this.#ops.push({ kind, userId });
    if (this.#batchScheduled) return;
    this.#batchScheduled = true;
    // Chained: a batch's flush resolves after the earlier ones' (NATS flushes are FIFO anyway).
    const previous = this.#flushed;
    const batch = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.#batchScheduled = false;
      return this.#publishOps();
    });
    this.#flushed = Promise.all([previous, batch]).then(() => undefined);
  }

  /** Publishes the queued ops in order, one message per run of one kind; resolves when the joins are flushed. */
  async #publishOps(): Promise<void> {
    const ops = this.#ops;
    this.#ops = [];
    const { publisher, metrics } = this.#options;
    const joins: Array<Promise<void>> = [];
    for (let start = 0; start < ops.length; ) {
      const kind = ops[start]!.kind;
      let end = start;
      while (end < ops.length && ops[end]!.kind === kind) end++;
      const userIds = ops.slice(start, end).map((op) => op.userId);
      metrics.presenceAnnounced.inc({ kind }, userIds.length);
      if (kind === 'join') joins.push(publisher.join(this.gatewayId, this.#ttlMs, userIds));
      else publisher.leave(this.gatewayId, userIds);
      start = end;
    }
    const failed = (await Promise.allSettled(joins)).find((r) => r.status === 'rejected');
    if (failed) {
      metrics.presenceFailures.inc({ code: 'unavailable' });
      this.#options.logger.warn({ err: failed.reason }, 'presence join not announced; the next beat repairs it');
    }
  }

  #scheduleSync(): void {
    if (this.#syncScheduled || this.#closed) return;
    this.#syncScheduled = true;
    // Several engines starting together get one beat.
    setImmediate(() => {
      this.#syncScheduled = false;
      this.#beat();
    });
  }

  /** Lists every user held (O(users)); forgets handshakes that never became a held socket. */
  #beat(): void {
    if (this.#closed) return;
    const staleBefore = this.#now() - this.#heartbeatMs;
    for (const [userId, at] of this.#announced) {
      if (at >= staleBefore) continue;
      this.#announced.delete(userId);
      this.#enqueue('leave', userId);
    }
    if (this.#held.size === 0) return;
    const userIds = [...this.#held.keys()];
    this.#options.metrics.presenceAnnounced.inc({ kind: 'beat' }, userIds.length);
    this.#options.publisher.beat(this.gatewayId, this.#ttlMs, userIds);
  }
}
