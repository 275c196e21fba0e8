import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import type { CatalogChange } from '../../contracts/messages.js';
import type { Item } from '../../contracts/schemas.js';
import type { CatalogLog } from '../catalog-log.js';
import { decodeCatalogChange, encodeCatalogChange } from './nats-catalog-log.js';
import { SlicedQueue, type SlicedQueueOptions } from '../../platform/sliced-queue.js';

interface StoredChange {
  seq: number;
  itemId: string;
  /** JSON as the stream would hold it; every follower decodes its own copy. */
  data: string;
}

/**
 * In-memory CATALOG: the latest change per item (tombstones kept), replayed in sequence order to
 * a new follower, then live changes, each delivered asynchronously and in order, paced in time
 * slices as NatsCatalogLog paces them.
 */
export class MemoryCatalogLog implements CatalogLog {
  private readonly latest = new Map<string, StoredChange>();
  private readonly listeners = new Set<(change: StoredChange) => void>();
  private readonly stop = new AbortController();
  private seq = 0;

  constructor(
    private readonly logger: Logger,
    /** How changes are paced to a follower's handler. */
    private readonly pacing: SlicedQueueOptions = {},
  ) {}

  async put(items: Item[]): Promise<void> {
    this.checkOpen();
    for (const item of items) this.store(item.itemId, { type: 'upsert', item });
  }

  async remove(itemId: string): Promise<void> {
    this.checkOpen();
    this.store(itemId, { type: 'delete', itemId });
  }

  private checkOpen(): void {
    if (this.stop.signal.aborted) throw new PulseError(ErrorCodes.unavailable, 'catalog log unavailable: closed');
  }

  private store(itemId: string, change: CatalogChange): void {
    const stored = { seq: ++this.seq, itemId, data: encodeCatalogChange(change) };
    // delete + set moves the item to the end, so map order stays sequence order.
    this.latest.delete(itemId);
    this.latest.set(itemId, stored);
    for (const listener of [...this.listeners]) listener(stored);
  }

  async follow(handler: (change: CatalogChange) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.stop.signal.aborted) return;
    const stopped = AbortSignal.any([signal, this.stop.signal]);
    // Replay snapshot and live changes go through one queue, so order holds across the seam.
    const snapshot = [...this.latest.values()];
    const replayEnd = snapshot.length === 0 ? 0 : snapshot[snapshot.length - 1]!.seq;
    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    const queue = new SlicedQueue<StoredChange>((stored) => {
      this.deliver(stored, handler);
      if (stored.seq >= replayEnd) caughtUp();
    }, this.pacing);
    const listener = (stored: StoredChange) => queue.push(stored);
    this.listeners.add(listener);
    stopped.addEventListener(
      'abort',
      () => {
        this.listeners.delete(listener);
        queue.stop();
        caughtUp();
      },
      { once: true },
    );
    if (replayEnd === 0) caughtUp();
    for (const stored of snapshot) queue.push(stored);
    await ready;
  }

  private deliver(stored: StoredChange, handler: (change: CatalogChange) => void): void {
    const change = decodeCatalogChange(stored.data, stored.itemId);
    if (!change) {
      this.logger.warn({ itemId: stored.itemId, seq: stored.seq }, 'undecodable catalog change skipped');
      return;
    }
    try {
      handler(change);
    } catch (err) {
      this.logger.error({ err, itemId: stored.itemId }, 'catalog change handler failed');
    }
  }

  /** Stops every follower; later writes fail as unavailable. Idempotent. */
  close(): void {
    this.stop.abort();
  }
}
