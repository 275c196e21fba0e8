import type { Logger } from 'pino';
import type { CatalogLog } from '../../catalog/catalog-log.js';
import type { Notifier, PushSubscriber } from '../notifier.js';
import type { RpcClient, RpcServer } from '../rpc.js';
import { MemoryCatalogLog } from '../../catalog/adapters/memory-catalog-log.js';
import { MemoryEventLog } from '../../stream/adapters/memory-event-log.js';
import type { MemoryDeadLetters } from '../../stream/adapters/memory-dead-letters.js';
import { modelAnnouncementChannel, type ModelAnnouncement } from '../../recommend/model-announcements.js';
import { campaignChangeChannel, type CampaignChange } from '../../campaigns/campaign-changes.js';
import { MemoryAnnouncements } from './memory-announcements.js';
import { MemoryPushBus } from './memory-push.js';
import { MemoryPresenceBus } from './memory-presence.js';
import { MemoryRpcBus } from './memory-rpc.js';

export interface MemoryTransportOptions {
  partitions: number;
  /** An unacked event is redelivered after this (ms). */
  ackWaitMs: number;
  logger: Logger;
  /** Same-id appends within this window count once (ms); default 2 minutes, as the EVENTS stream. */
  duplicateWindowMs?: number;
}

const DEFAULT_DUPLICATE_WINDOW_MS = 2 * 60_000;

/**
 * The in-process stand-in for NATS (tests, embedded `npm start`): the same ports with the
 * same semantics as NatsTransport, shared by everything holding this one instance.
 */
export class MemoryTransport {
  readonly eventLog: MemoryEventLog;
  /** Events the engine gave up on; fed by the event log's `deadLetter`. */
  readonly deadLetters: MemoryDeadLetters;
  readonly catalogLog: CatalogLog;
  readonly notifier: Notifier;
  readonly pushSubscriber: PushSubscriber;
  readonly rpcServer: RpcServer;
  readonly rpcClient: RpcClient;
  readonly modelAnnouncements: MemoryAnnouncements<ModelAnnouncement>;
  readonly campaignChanges: MemoryAnnouncements<CampaignChange>;
  /** Gateways announce who holds a socket, engines follow (as `presence.*` on NATS). */
  readonly presence: MemoryPresenceBus;
  private readonly catalog: MemoryCatalogLog;
  private readonly pushes: MemoryPushBus;
  private readonly rpc: MemoryRpcBus;
  private closing: Promise<void> | undefined;

  constructor(options: MemoryTransportOptions) {
    const logger = options.logger;
    this.eventLog = new MemoryEventLog(
      {
        partitions: options.partitions,
        ackWaitMs: options.ackWaitMs,
        duplicateWindowMs: options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS,
      },
      logger.child({ component: 'memory-event-log' }),
    );
    this.deadLetters = this.eventLog.deadLetters;
    this.catalog = new MemoryCatalogLog(logger.child({ component: 'memory-catalog-log' }));
    this.pushes = new MemoryPushBus(logger.child({ component: 'memory-push' }));
    this.rpc = new MemoryRpcBus(logger.child({ component: 'memory-rpc' }));
    this.catalogLog = this.catalog;
    this.notifier = this.pushes;
    this.pushSubscriber = this.pushes;
    this.rpcServer = this.rpc;
    this.rpcClient = this.rpc;
    this.modelAnnouncements = new MemoryAnnouncements(modelAnnouncementChannel, logger.child({ component: 'memory-models' }));
    this.campaignChanges = new MemoryAnnouncements(campaignChangeChannel, logger.child({ component: 'memory-campaigns' }));
    this.presence = new MemoryPresenceBus(logger.child({ component: 'memory-presence' }));
  }

  /** True until close(): there is no connection to lose. */
  isConnected(): boolean {
    return this.closing === undefined;
  }

  /** Nothing is in transit in memory; here for parity with NatsTransport.flush(). */
  async flush(): Promise<void> {}

  /** Stops followers and consumers (in-flight batches finish), answers in-flight calls, drops subscriptions. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.catalog.close();
      await Promise.allSettled([this.eventLog.close(), this.rpc.close()]);
      this.pushes.close();
      this.modelAnnouncements.close();
      this.campaignChanges.close();
      this.presence.close();
    })();
    return this.closing;
  }
}
