import type { Logger } from 'pino';
import type { EngineMetrics } from '../metrics.js';
import type { DeliveredEvent, EventSource } from './event-log.js';
import type { PartitionLeases } from './partition-leases.js';

export interface PartitionManagerOptions {
  ownerId: string;
  /** Lease time (ms); leases are renewed every third of it. */
  leaseMs: number;
  batchSize: number;
}

export interface PartitionManagerDeps {
  source: EventSource;
  leases: PartitionLeases;
  handler: (batch: DeliveredEvent[]) => Promise<void>;
  /** Resolves when every event of `partition` handed to `handler` is acked or handed back. */
  drain: (partition: number) => Promise<void>;
  metrics: EngineMetrics;
  logger: Logger;
  options: PartitionManagerOptions;
}

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Keeps this engine consuming a fair share of the partitions: ceil(P / live engines). Each owned
 * partition has a lease in the store; a partition whose lease cannot be renewed is stopped at once,
 * one above the fair share is finished (in-flight batch acked) and then released to the others.
 */
export class PartitionManager {
  private readonly running = new Map<number, Running>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly deps: PartitionManagerDeps) {}

  get owned(): number[] {
    return [...this.running.keys()].sort((a, b) => a - b);
  }

  async start(): Promise<void> {
    await this.tick();
    const interval = Math.max(100, Math.floor(this.deps.options.leaseMs / 3));
    this.timer = setInterval(() => {
      if (!this.ticking) this.ticking = this.tick().finally(() => (this.ticking = undefined));
    }, interval);
    this.timer.unref();
  }

  /** One round: heartbeat, renew what we hold, give up or take partitions toward the fair share. */
  private async tick(): Promise<void> {
    if (this.closed) return;
    const { leases, source, logger, options } = this.deps;
    try {
      // Heartbeat and every renewal side by side (one round trip, not one per partition), so a
      // busy engine's leases never wait behind each other.
      const owned = this.owned;
      const [, renewed] = await Promise.all([
        leases.heartbeat(options.ownerId, options.leaseMs),
        Promise.all(owned.map((partition) => leases.renew(partition, options.ownerId, options.leaseMs))),
      ]);
      for (const [i, partition] of owned.entries()) {
        if (renewed[i]) continue;
        logger.warn({ partition }, 'lost partition lease; stopping its consumer');
        this.deps.metrics.partitionLeaseLosses.inc();
        await this.stop(partition, false);
      }
      const live = await leases.liveOwners();
      const engines = Math.max(1, live.length);
      const fairShare = Math.ceil(source.partitions / engines);
      while (this.running.size > fairShare) {
        const partition = this.owned.at(-1)!;
        logger.info({ partition, fairShare, engines }, 'handing partition over');
        await this.stop(partition, true);
      }
      const taken: number[] = [];
      for (const partition of this.preferenceOrder()) {
        if (this.running.size >= fairShare || this.closed) break;
        if (this.running.has(partition)) continue;
        if (await leases.acquire(partition, options.ownerId, options.leaseMs)) {
          this.run(partition);
          taken.push(partition);
        }
      }
      // One line per round, not one per partition (each is logged at debug by run()).
      if (taken.length > 0) {
        logger.info({ owned: this.running.size, fairShare }, `partitions taken: ${partitionRanges(taken)}`);
      }
    } catch (err) {
      logger.error({ err }, 'partition lease round failed; retrying next round');
      this.deps.metrics.errors.inc({ code: 'lease_round' });
    }
    this.deps.metrics.partitionsOwned.set(this.running.size);
  }

  /** Partitions starting at an offset derived from our id, so engines spread out instead of racing. */
  private preferenceOrder(): number[] {
    const count = this.deps.source.partitions;
    let offset = 0;
    for (const char of this.deps.options.ownerId) offset = (offset * 31 + char.charCodeAt(0)) % count;
    return Array.from({ length: count }, (_, i) => (offset + i) % count);
  }

  private run(partition: number): void {
    const controller = new AbortController();
    const { source, handler, logger, options } = this.deps;
    logger.debug({ partition }, 'consuming partition');
    const done = source
      .consume(partition, handler, { batchSize: options.batchSize, signal: controller.signal })
      .catch((err: unknown) => {
        logger.error({ err, partition }, 'partition consumer failed; releasing it');
        this.deps.metrics.errors.inc({ code: 'consumer_failed' });
      })
      .finally(() => {
        // A consumer that ended on its own (not stopped by us) gives its lease back for a retry.
        if (this.running.get(partition)?.controller === controller) {
          this.running.delete(partition);
          void this.deps.leases.release(partition, options.ownerId).catch(() => undefined);
        }
      });
    this.running.set(partition, { controller, done });
  }

  private async stop(partition: number, release: boolean): Promise<void> {
    const running = this.running.get(partition);
    if (!running) return;
    this.running.delete(partition);
    running.controller.abort();
    await running.done;
    // Events still in flight finish before another engine may take the partition.
    await this.deps.drain(partition);
    if (release) await this.deps.leases.release(partition, this.deps.options.ownerId);
  }

  /** Stops every consumer after its in-flight batch, releases the leases, leaves the live set. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    const problems: unknown[] = [];
    await Promise.all(this.owned.map((p) => this.stop(p, true).catch((err: unknown) => problems.push(err))));
    await this.deps.leases.leave(this.deps.options.ownerId).catch((err: unknown) => problems.push(err));
    this.deps.metrics.partitionsOwned.set(0);
    if (problems.length > 0) this.deps.logger.warn({ problems }, 'partition manager closed with errors');
  }
}

/** `0-3,7,9-10`: sorted partition numbers as ranges, for a log line. */
export function partitionRanges(partitions: number[]): string {
  const sorted = [...partitions].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
