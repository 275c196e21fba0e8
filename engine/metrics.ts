import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The engine's Prometheus metrics, one registry per Engine instance (no global registry). */
export class EngineMetrics {
  readonly registry = new Registry();
  readonly eventsApplied = new Counter({
    name: 'pulse_engine_events_applied_total',
    help: 'Events whose effect was stored, by type',
    labelNames: ['type'],
    registers: [this.registry],
  });
  readonly eventsDuplicate = new Counter({
    name: 'pulse_engine_events_duplicate_total',
    help: 'Events skipped because their id was already applied (redelivery or repeated id)',
    registers: [this.registry],
  });
  readonly eventsRetried = new Counter({
    name: 'pulse_engine_events_retried_total',
    help: 'Events handed back for redelivery after a transient failure',
    registers: [this.registry],
  });
  readonly eventsDeadLettered = new Counter({
    name: 'pulse_engine_events_dead_lettered_total',
    help: 'Events given up on after MAX_DELIVERIES failed deliveries and stored in DEADLETTERS, by error code',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly processSeconds = new Histogram({
    name: 'pulse_engine_event_process_seconds',
    help: 'Time from delivery to ack of one event (load, fold-in, store, rank, push)',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly pushes = new Counter({
    name: 'pulse_engine_pushes_total',
    help: 'Recommendation lists pushed to users',
    registers: [this.registry],
  });
  readonly pushesUnchanged = new Counter({
    name: 'pulse_engine_pushes_skipped_total',
    help: 'Lists not pushed because they equal the last one pushed, or the event was backlog',
    labelNames: ['why'],
    registers: [this.registry],
  });
  readonly partitionsOwned = new Gauge({
    name: 'pulse_engine_partitions_owned',
    help: 'Partitions this engine consumes',
    registers: [this.registry],
  });
  readonly partitionLeaseLosses = new Counter({
    name: 'pulse_engine_partition_lease_losses_total',
    help: 'Partitions this engine stopped because their lease could not be renewed (another engine may have taken them)',
    registers: [this.registry],
  });
  readonly catalogItems = new Gauge({
    name: 'pulse_engine_catalog_items',
    help: "Items in this engine's catalog and index",
    registers: [this.registry],
  });
  readonly rpcSeconds = new Histogram({
    name: 'pulse_engine_rpc_seconds',
    help: 'Time to answer a request/reply call, by method',
    labelNames: ['method'],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5],
    registers: [this.registry],
  });
  readonly promotions = new Counter({
    name: 'pulse_engine_promotions_total',
    help: 'Promotions by step: offered (new inbox entry), delivered (granted and pushed), dropped (refused by budget, cap or schedule at claim)',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly triggers = new Counter({
    name: 'pulse_engine_campaign_triggers_total',
    help: 'Campaign trigger steps by trigger type: fired (an offer made), armed / disarmed (cart timers), expired (a due timer whose campaign or condition no longer holds), failed (logged, the event still acked)',
    labelNames: ['trigger', 'outcome'],
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'pulse_engine_errors_total',
    help: 'Errors by code',
    labelNames: ['code'],
    registers: [this.registry],
  });
  readonly rpcExpired = new Counter({
    name: 'pulse_engine_rpc_expired_total',
    help: "Requests dropped unanswered because their caller's deadline passed before they started, by method",
    labelNames: ['method'],
    registers: [this.registry],
  });
  readonly rpcRejected = new Counter({
    name: 'pulse_engine_rpc_rejected_total',
    help: "Requests answered `unavailable` at once because the request queue (total or the user's) was full, by method",
    labelNames: ['method'],
    registers: [this.registry],
  });

  /** Counted at each scrape from the presence view given to {@link countPresentUsers} (0 without one). */
  readonly presentUsers: Gauge = new Gauge({
    name: 'pulse_engine_present_users',
    help: 'Users with a socket open on some gateway, as announced to this engine',
    registers: [this.registry],
    collect: (): void => this.presentUsers.set(this.#countPresent()),
  });
  #countPresent: () => number = () => 0;

  /** Counted at each scrape from the event path's shopper stage ({@link countShopperIndexWaiting}). */
  readonly shopperIndexWaiting: Gauge = new Gauge({
    name: 'pulse_engine_shopper_index_waiting',
    help: 'Shoppers whose newest vector waits for their interval before it joins the "shoppers like you" index (SHOPPER_INDEX_INTERVAL_MS, SHOPPER_INDEX_BACKLOG_INTERVAL_MS)',
    registers: [this.registry],
    collect: (): void => this.shopperIndexWaiting.set(this.#countWaiting()),
  });
  #countWaiting: () => number = () => 0;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Where `pulse_engine_present_users` comes from (O(present users) per scrape). */
  countPresentUsers(count: () => number): void {
    this.#countPresent = count;
  }

  countShopperIndexWaiting(count: () => number): void {
    this.#countWaiting = count;
  }
}
