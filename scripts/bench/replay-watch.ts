/**
 * Follows an engine through the event log from JetStream's side: how many messages of EVENTS its
 * partition consumers have acked. It needs nothing from the engine, so it also sees the events an
 * engine applies while it is still starting (before its /metrics answers). An engine acks an event
 * after applying it, so acked = applied (duplicates included).
 */
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { partitionConsumerName } from '../../engine/stream/mod.js';
import { EVENTS_STREAM, subjects } from '../../engine/contracts/subjects.js';

/** A partition consumer's backlog: not yet delivered, and delivered but not yet acked. */
export interface ConsumerBacklog {
  pending: number;
  ackPending: number;
}

/**
 * Messages acked over all partitions: each partition's message count minus what its consumer has
 * still to deliver or see acked; a partition without a consumer yet has acked nothing.
 */
export function ackedMessages(perPartition: readonly number[], consumers: ReadonlyArray<ConsumerBacklog | undefined>): number {
  let acked = 0;
  perPartition.forEach((total, p) => {
    const consumer = consumers[p];
    if (consumer) acked += Math.max(0, total - consumer.pending - consumer.ackPending);
  });
  return acked;
}

function missing(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError && (err.code === JetStreamApiCodes.StreamNotFound || err.code === JetStreamApiCodes.ConsumerNotFound)
  );
}

export class LogWatch {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly partitions: number,
    /** Messages per partition (events.<p>), read once: the log does not grow while it is watched. */
    readonly perPartition: number[],
  ) {}

  static async open(natsUrl: string, partitions: number): Promise<LogWatch> {
    const nc = await connect({ servers: natsUrl, timeout: 5000, name: 'pulse-bench-watch' });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(EVENTS_STREAM, { subjects_filter: subjects.eventsAll });
      const counts = info.state.subjects ?? {};
      const perPartition = Array.from({ length: partitions }, (_, p) => counts[subjects.events(p)] ?? 0);
      return new LogWatch(nc, jsm, partitions, perPartition);
    } catch (err) {
      await nc.close();
      throw err;
    }
  }

  get total(): number {
    return this.perPartition.reduce((sum, n) => sum + n, 0);
  }

  /** Messages the engine consumers have acked so far. */
  async acked(): Promise<number> {
    const consumers: Array<ConsumerBacklog | undefined> = [];
    for (let p = 0; p < this.partitions; p++) {
      try {
        const info = await this.jsm.consumers.info(EVENTS_STREAM, partitionConsumerName(p));
        consumers.push({ pending: info.num_pending, ackPending: info.num_ack_pending });
      } catch (err) {
        if (!missing(err)) throw err;
        consumers.push(undefined);
      }
    }
    return ackedMessages(this.perPartition, consumers);
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}
