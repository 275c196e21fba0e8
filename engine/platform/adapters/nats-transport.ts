import {
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import { ErrorCodes, PulseError } from '../../contracts/errors.js';
import { CATALOG_STREAM, DEADLETTERS_STREAM, EVENTS_STREAM, subjects } from '../../contracts/subjects.js';
import type { DeadLetters } from '../../stream/dead-letters.js';
import { NatsDeadLetters } from '../../stream/adapters/nats-dead-letters.js';
import type { CatalogLog } from '../../catalog/catalog-log.js';
import type { EventLogWriter, EventSource } from '../../stream/event-log.js';
import { modelAnnouncementChannel, type ModelAnnouncement, type ModelAnnouncements } from '../../recommend/model-announcements.js';
import { campaignChangeChannel, type CampaignChange, type CampaignChanges } from '../../campaigns/campaign-changes.js';
import type { Notifier, PushSubscriber } from '../notifier.js';
import type { RpcClient, RpcServer } from '../rpc.js';
import { NatsCatalogLog } from '../../catalog/adapters/nats-catalog-log.js';
import { NatsEventLog } from '../../stream/adapters/nats-event-log.js';
import { PubAcks } from './nats-pub-acks.js';
import { NatsAnnouncements } from './nats-announcements.js';
import { NatsNotifier, NatsPushSubscriber } from './nats-push.js';
import { NatsPresence } from './nats-presence.js';
import { NatsRpcClient, NatsRpcServer } from './nats-rpc.js';
import { redactUrl } from '../redact-url.js';

export interface NatsTransportOptions {
  url: string;
  partitions: number;
  /** JetStream ack wait of the event consumers (ms): an unacked event is redelivered after this. */
  ackWaitMs: number;
  logger: Logger;
  /** Connection name shown by the NATS server (monitoring, `nats server report connections`). */
  name: string;
  /** connect timeout ms */
  connectTimeoutMs?: number;
}

/** Same-id appends within this window count once (ms). */
const DUPLICATE_WINDOW_MS = 2 * 60_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** How long an append waits for its PubAck (ms). */
const PUBLISH_TIMEOUT_MS = 5000;
/** close() steps that wait on the network give up after this (ms), then the connection is cut. */
const CLOSE_STEP_TIMEOUT_MS = 5000;

/** How long a dead letter is kept before the stream discards it (ms): 30 days. */
const DEAD_LETTER_MAX_AGE_MS = 30 * 24 * 3600_000;

/** Stream configs this version needs; existing streams are updated to them (storage cannot change). */
const streamConfigs: Array<Partial<StreamConfig> & { name: string; subjects: string[] }> = [
  { name: EVENTS_STREAM, subjects: [subjects.eventsAll], storage: StorageType.File, duplicate_window: nanos(DUPLICATE_WINDOW_MS) },
  // Dead letters are kept DEAD_LETTER_MAX_AGE_MS for an operator to replay or drop; the window
  // drops a second store of the same delivery (`dead/<seq>`, an ack lost after the store).
  {
    name: DEADLETTERS_STREAM,
    subjects: [subjects.deadLettersAll],
    storage: StorageType.File,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    max_age: nanos(DEAD_LETTER_MAX_AGE_MS),
  },
  { name: CATALOG_STREAM, subjects: [subjects.catalogAll], storage: StorageType.File, max_msgs_per_subject: 1 },
];

/**
 * Every NATS-backed port over one connection: JetStream `EVENTS` and `CATALOG`, core NATS pushes
 * and request/reply. `connect` makes sure both streams exist with the configs above.
 */
export class NatsTransport {
  readonly eventLog: EventLogWriter & EventSource;
  /** JetStream `DEADLETTERS`: events the engine gave up on (admin routes list, replay, drop). */
  readonly deadLetters: DeadLetters;
  readonly catalogLog: CatalogLog;
  readonly notifier: Notifier;
  readonly pushSubscriber: PushSubscriber;
  readonly rpcServer: RpcServer;
  readonly rpcClient: RpcClient;
  /** Core NATS `pulse.model.published`: the trainer announces, engines load. */
  readonly modelAnnouncements: ModelAnnouncements;
  /** Core NATS `pulse.campaigns.changed`: an engine stored a campaign, every engine reloads. */
  readonly campaignChanges: CampaignChanges;
  /** Core NATS `presence.*`: gateways announce who holds a socket, engines follow. */
  readonly presence: NatsPresence;
  private readonly events: NatsEventLog;
  /** The PubAcks of the event and catalog appends, on one reply subscription. */
  private readonly acks: PubAcks;
  private readonly catalog: NatsCatalogLog;
  private readonly pushes: NatsPushSubscriber;
  private readonly rpc: NatsRpcServer;
  private readonly models: NatsAnnouncements<ModelAnnouncement>;
  private readonly campaigns: NatsAnnouncements<CampaignChange>;
  private connected = true;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly nc: NatsConnection,
    jsm: JetStreamManager,
    options: NatsTransportOptions,
    private readonly logger: Logger,
  ) {
    const js = jetstream(nc);
    this.acks = new PubAcks(nc);
    this.events = new NatsEventLog(
      js,
      jsm,
      { partitions: options.partitions, ackWaitMs: options.ackWaitMs, publishTimeoutMs: PUBLISH_TIMEOUT_MS },
      logger.child({ component: 'nats-event-log' }),
      this.acks,
    );
    this.deadLetters = new NatsDeadLetters(
      js,
      jsm,
      { partitions: options.partitions, publishTimeoutMs: PUBLISH_TIMEOUT_MS },
      logger.child({ component: 'nats-dead-letters' }),
    );
    this.catalog = new NatsCatalogLog(js, jsm, logger.child({ component: 'nats-catalog-log' }), this.acks);
    this.pushes = new NatsPushSubscriber(nc, logger.child({ component: 'nats-push' }));
    this.rpc = new NatsRpcServer(nc, logger.child({ component: 'nats-rpc' }));
    this.eventLog = this.events;
    this.catalogLog = this.catalog;
    this.notifier = new NatsNotifier(nc, logger.child({ component: 'nats-push' }));
    this.pushSubscriber = this.pushes;
    this.rpcServer = this.rpc;
    this.rpcClient = new NatsRpcClient(nc);
    this.models = new NatsAnnouncements(nc, modelAnnouncementChannel, logger.child({ component: 'nats-models' }));
    this.modelAnnouncements = this.models;
    this.campaigns = new NatsAnnouncements(nc, campaignChangeChannel, logger.child({ component: 'nats-campaigns' }));
    this.campaignChanges = this.campaigns;
    this.presence = new NatsPresence(nc, logger.child({ component: 'nats-presence' }));
    void this.watchStatus();
  }

  /** Connects (rejects with PulseError('unavailable') when it cannot) and ensures the streams. */
  static async connect(options: NatsTransportOptions): Promise<NatsTransport> {
    if (!Number.isInteger(options.partitions) || options.partitions < 1)
      throw new RangeError(`partitions must be a positive integer, got ${options.partitions}`);
    const logger = options.logger.child({ component: 'nats-transport' });
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: options.url,
        name: options.name,
        timeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        // Once up, keep reconnecting forever: a NATS restart must not kill the process.
        maxReconnectAttempts: -1,
        // No Error (with its stack) captured per request and JetStream publish to enrich a later
        // failure: ~9% of a gateway's CPU at 100 events/s; measured ~40 -> ~20 µs of client CPU per
        // JetStream publish. Errors still carry their own stack.
        noAsyncTraces: true,
      });
    } catch (err) {
      throw new PulseError(ErrorCodes.unavailable, `cannot connect to NATS at ${redactUrl(options.url)}`, undefined, { cause: err });
    }
    try {
      const jsm = await jetstreamManager(nc);
      for (const config of streamConfigs) await ensureStream(jsm, config, logger);
      return new NatsTransport(nc, jsm, options, logger);
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw err instanceof PulseError
        ? err
        : new PulseError(ErrorCodes.unavailable, `JetStream unavailable at ${redactUrl(options.url)}`, undefined, { cause: err });
    }
  }

  /** true while connected */
  isConnected(): boolean {
    return this.connected && !this.nc.isClosed();
  }

  /** Resolves once the server has processed everything sent so far (e.g. new subscriptions). */
  async flush(): Promise<void> {
    try {
      await this.nc.flush();
    } catch (err) {
      throw new PulseError(ErrorCodes.unavailable, 'NATS unavailable', undefined, { cause: err });
    }
  }

  private async watchStatus(): Promise<void> {
    try {
      await this.followStatus();
    } catch (err) {
      this.logger.warn({ err }, 'NATS status stream ended');
    }
  }

  private async followStatus(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') {
        this.connected = false;
        this.logger.warn({ server: status.server }, 'NATS disconnected; reconnecting');
      } else if (status.type === 'reconnect') {
        this.connected = true;
        this.logger.info({ server: status.server }, 'NATS reconnected');
      } else if (status.type === 'error') {
        this.logger.error({ err: status.error }, 'NATS error');
      }
    }
  }

  /**
   * Stops consumers and followers (in-flight batches finish), stops taking requests (in-flight
   * ones are answered), drops push subscriptions, drains and closes the connection. Every step
   * runs even when one fails; network waits are bounded. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const steps: Array<[string, () => Promise<void> | void]> = [
      ['catalog followers', () => this.catalog.close()],
      ['event consumers', () => this.events.close()],
      ['rpc server', () => this.rpc.close()],
      ['push subscriptions', () => this.pushes.close()],
      ['model announcements', () => this.models.close()],
      ['campaign changes', () => this.campaigns.close()],
      // After the gateway's last leaves were published: drain below still sends them.
      ['presence', () => this.presence.close()],
      // Draining needs the server; while disconnected it would only wait for a reconnect.
      ['drain', () => (this.isConnected() ? this.nc.drain() : this.nc.close())],
      // Appends still waiting for a PubAck after the drain fail (unavailable) instead of waiting out their timeout.
      ['pub acks', () => this.acks.close()],
    ];
    for (const [step, run] of steps) {
      try {
        await withTimeout(Promise.resolve(run()), CLOSE_STEP_TIMEOUT_MS, step);
      } catch (err) {
        this.logger.warn({ err, step }, 'close step failed');
      }
    }
    this.connected = false;
    if (!this.nc.isClosed()) await this.nc.close().catch(() => undefined);
  }
}

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }, logger: Logger): Promise<void> {
  const exists = await jsm.streams.info(config.name).then(
    () => true,
    (err: unknown) => {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return false;
      throw err;
    },
  );
  if (!exists) {
    try {
      await jsm.streams.add(config);
      logger.info({ stream: config.name }, 'stream created');
      return;
    } catch (err) {
      // Another process created it at the same moment: fall through to update.
      logger.debug({ err, stream: config.name }, 'stream create raced; updating');
    }
  }
  const { name, storage: _storage, ...update } = config;
  await jsm.streams.update(name, update);
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
