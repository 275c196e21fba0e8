import { DeliverPolicy, type JetStreamClient, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import type { CatalogChange } from '../../contracts/messages.js';
import { IdSchema, ItemSchema, type Item } from '../../contracts/schemas.js';
import { CATALOG_STREAM, fromSubjectToken, subjects } from '../../contracts/subjects.js';
import type { CatalogLog } from '../catalog-log.js';
import { parseJsonObject } from '../../platform/json-object.js';
import { SlicedQueue, type SlicedQueueOptions } from '../../platform/sliced-queue.js';
import type { PubAcks } from '../../platform/adapters/nats-pub-acks.js';

/**
 * Publishes kept in flight at once by `put` (each awaits its own PubAck). A window is issued, and
 * its PubAcks handled, in one turn of the event loop (~30 us per publish: ~8 ms for 256); each
 * window costs at least one more turn, and on an engine busy with events a turn can take tens of
 * ms, so a 1,000-item upsert must not need many windows (64 made it time out under event load).
 */
const PUT_WINDOW = 256;
/**
 * Messages per pull of a follower. The client pulls again as messages arrive (not as the handler
 * applies them), so this bounds the burst handled in one turn, not the replay's speed.
 */
const REPLAY_PULL_SIZE = 256;

export function encodeCatalogChange(change: CatalogChange): string {
  return JSON.stringify(change);
}

/**
 * Decodes a stored change; undefined when it is not one (the caller logs and skips it).
 * `subjectItemId`, when known, must match the change's item: the subject is what keeps one per item.
 */
export function decodeCatalogChange(json: string, subjectItemId?: string): CatalogChange | undefined {
  const value = parseJsonObject(json);
  if (value === undefined) return undefined;
  const { type, item, itemId } = value as { type?: unknown; item?: unknown; itemId?: unknown };
  let change: CatalogChange | undefined;
  if (type === 'upsert') {
    const parsed = ItemSchema.safeParse(item);
    if (parsed.success) change = { type: 'upsert', item: parsed.data };
  } else if (type === 'delete') {
    const parsed = IdSchema.safeParse(itemId);
    if (parsed.success) change = { type: 'delete', itemId: parsed.data };
  }
  if (!change || subjectItemId === undefined) return change;
  const changeItemId = change.type === 'upsert' ? change.item.itemId : change.itemId;
  return changeItemId === subjectItemId ? change : undefined;
}

/** How long a catalog append waits for its PubAck (ms): JetStream's default request timeout. */
const PUBLISH_TIMEOUT_MS = 5000;

/**
 * CATALOG on JetStream: one subject per item (`catalog.item.<id>`), the stream keeps only the
 * latest message per subject, so a replay is the current catalog (tombstones included).
 *
 * A follower's messages arrive as fast as the server sends them (the client pulls on receipt, not
 * as the handler keeps up), so they are queued and handed to the handler in time slices
 * (SlicedQueue): a replay or a large import never blocks the event loop for long. The queue holds
 * at most the messages of the catalog not yet applied (its raw bytes).
 */
export class NatsCatalogLog implements CatalogLog {
  private readonly followers = new Set<AbortController>();

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly logger: Logger,
    /** Where appends await their PubAck (one reply subscription for all: platform/adapters/nats-pub-acks.ts). */
    private readonly acks: Pick<PubAcks, 'publish'>,
    /** How changes are paced to a follower's handler. */
    private readonly pacing: SlicedQueueOptions = {},
  ) {}

  async put(items: Item[]): Promise<void> {
    // Publishes over one connection keep their order, so a repeated itemId ends with its last version.
    for (let start = 0; start < items.length; start += PUT_WINDOW) {
      const window = items.slice(start, start + PUT_WINDOW);
      await Promise.all(window.map((item) => this.publish(subjects.catalogItem(item.itemId), { type: 'upsert', item })));
    }
  }

  async remove(itemId: string): Promise<void> {
    await this.publish(subjects.catalogItem(itemId), { type: 'delete', itemId });
  }

  private async publish(subject: string, change: CatalogChange): Promise<void> {
    try {
      await this.acks.publish(subject, encodeCatalogChange(change), undefined, PUBLISH_TIMEOUT_MS);
    } catch (err) {
      throw new PulseError(ErrorCodes.unavailable, 'catalog log unavailable', undefined, { cause: err });
    }
  }

  async follow(handler: (change: CatalogChange) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    // Own controller: close() stops every follower without touching the callers' signals.
    const stop = new AbortController();
    const forward = () => stop.abort();
    signal.addEventListener('abort', forward, { once: true });
    this.followers.add(stop);
    stop.signal.addEventListener(
      'abort',
      () => {
        signal.removeEventListener('abort', forward);
        this.followers.delete(stop);
      },
      { once: true },
    );
    try {
      await this.replayThenStream(handler, stop.signal);
    } catch (err) {
      stop.abort();
      throw err instanceof PulseError ? err : new PulseError(ErrorCodes.unavailable, 'catalog log unavailable', undefined, { cause: err });
    }
  }

  /**
   * Resolves once the handler has seen the stream's last sequence at call time (at once for an
   * empty stream, or when `signal` aborts first); then streams live changes until `signal` aborts.
   */
  private async replayThenStream(handler: (change: CatalogChange) => void, signal: AbortSignal): Promise<void> {
    const { state } = await this.jsm.streams.info(CATALOG_STREAM);
    const lastSeq = state.messages === 0 ? 0 : state.last_seq;
    // Ordered consumer: ephemeral, flow-controlled, recreated by the client on gaps, no acks.
    const consumer = await this.js.consumers.get(CATALOG_STREAM, {
      deliver_policy: DeliverPolicy.All,
      filter_subjects: subjects.catalogAll,
    });
    let settle!: (err?: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      settle = (err) => (err ? reject(err) : resolve());
    });
    // Set when the message that ends the replay arrives; the replay is over once it was handled.
    let lastReceived = lastSeq === 0;
    if (lastReceived) settle();
    const queue = new SlicedQueue<{ msg: JsMsg; endsReplay: boolean }>(({ msg, endsReplay }) => {
      this.deliver(msg, handler);
      if (endsReplay) settle();
    }, this.pacing);
    const messages = await consumer.consume({
      max_messages: REPLAY_PULL_SIZE,
      callback: (msg) => {
        // pending 0: nothing older left (the message at lastSeq may have been superseded or purged).
        const endsReplay = !lastReceived && (msg.seq >= lastSeq || msg.info.pending === 0);
        if (endsReplay) lastReceived = true;
        queue.push({ msg, endsReplay });
      },
    });
    const shutdown = () => {
      queue.stop();
      settle(); // stopped by abort: nothing more will be delivered
      messages.stop();
      consumer.delete().catch(() => undefined); // best effort: the server drops it when inactive anyway
    };
    if (signal.aborted) shutdown();
    else signal.addEventListener('abort', shutdown, { once: true });
    void messages.closed().then((err) => {
      if (err && !signal.aborted) this.logger.error({ err }, 'catalog follower stopped');
      // Stopped before the replay's end arrived: by abort (fine) or by a failure (the caller learns of it).
      if (!lastReceived) settle(err && !signal.aborted ? err : undefined);
    });
    await ready;
  }

  private deliver(msg: JsMsg, handler: (change: CatalogChange) => void): void {
    const token = msg.subject.slice(subjects.catalogAll.length - 1);
    const change = decodeCatalogChange(msg.string(), fromSubjectToken(token));
    if (!change) {
      this.logger.warn({ subject: msg.subject, seq: msg.seq }, 'undecodable catalog change skipped');
      return;
    }
    try {
      handler(change);
    } catch (err) {
      this.logger.error({ err, subject: msg.subject }, 'catalog change handler failed');
    }
  }

  /** Stops every follower. Idempotent. */
  close(): void {
    for (const follower of [...this.followers]) follower.abort();
    this.followers.clear();
  }
}
