import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type ConsumerConfig,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import type { LoggedEvent } from '../../contracts/schemas.js';
import { parseLoggedEvent } from '../../contracts/orders.js';
import { EVENTS_STREAM, subjects } from '../../contracts/subjects.js';

/** Durable consumer name of a partition: the same for every engine, so a successor resumes. */
export function partitionConsumerName(partition: number): string {
  return `engine-p${partition}`;
}

/** Checks consume() arguments; bad ones are programmer errors. */
export function checkConsumeArgs(partition: number, partitions: number, batchSize: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
    throw new RangeError(`partition must be an integer in [0, ${partitions}), got ${partition}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
}

/**
 * Decodes a stream payload (JSON of a StoredEvent or an internal merge event); undefined when it
 * does not decode. Cost: ~1-2 us for a shopper event (JSON.parse and parseStoredEvent's fast path),
 * ~10 us for a merge or an invalid payload (the zod schemas).
 */
export function decodeStoredEvent(json: string): LoggedEvent | undefined {
  try {
    return parseLoggedEvent(JSON.parse(json));
  } catch {
    return undefined;
  }
}

/**
 * Every quarter of the ack wait, sends `working()` for each unsettled message that last did so
 * (or arrived) more than half an ack wait ago, so a queued or slow event is not redelivered
 * while this engine still holds the partition. Stops with `signal` (partition released): what
 * is left comes back after the ack wait, to whoever takes the partition.
 */
export function keepUnsettledAlive(unsettled: Map<JsMsg, number>, ackWaitMs: number, signal: AbortSignal): NodeJS.Timeout {
  const timer = setInterval(
    () => {
      if (signal.aborted) return;
      const now = Date.now();
      for (const [msg, touched] of unsettled) {
        if (now - touched < ackWaitMs / 2) continue;
        try {
          msg.working();
          unsettled.set(msg, now);
        } catch {
          // Connection gone: the message comes back after the ack wait anyway.
        }
      }
    },
    Math.max(50, Math.floor(ackWaitMs / 4)),
  );
  timer.unref();
  return timer;
}

/** Creates the partition's durable consumer, or brings ack wait / max ack pending up to date. */
export async function ensurePartitionConsumer(
  jsm: JetStreamManager,
  partition: number,
  batchSize: number,
  ackWaitMs: number,
  logger: Logger,
): Promise<string> {
  const name = partitionConsumerName(partition);
  const ackWait = nanos(ackWaitMs);
  // Room for the batch being handled plus a few queued behind it.
  const maxAckPending = batchSize * 4;
  try {
    const info = await jsm.consumers.info(EVENTS_STREAM, name).catch((err: unknown) => {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return undefined;
      throw err;
    });
    if (!info) {
      const config: Partial<ConsumerConfig> = {
        durable_name: name,
        filter_subject: subjects.events(partition),
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: ackWait,
        max_ack_pending: maxAckPending,
      };
      try {
        await jsm.consumers.add(EVENTS_STREAM, config);
        return name;
      } catch (err) {
        // Another engine created it at the same moment: fall through to update.
        logger.debug({ err, partition }, 'consumer create raced; updating');
      }
    } else if (info.config.ack_wait === ackWait && info.config.max_ack_pending === maxAckPending) {
      return name;
    }
    await jsm.consumers.update(EVENTS_STREAM, name, { ack_wait: ackWait, max_ack_pending: maxAckPending });
    return name;
  } catch (err) {
    throw new PulseError(ErrorCodes.unavailable, `event consumer for partition ${partition} unavailable`, undefined, { cause: err });
  }
}
