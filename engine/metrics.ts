import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The engine's Prometheus metrics, one registry per Engine instance (no global registry). */
export class EngineMetrics {
  readonly registry = new Registry();
  readonly eventsApplied = new Counter({ name: 'pulse_engine_events_applied_total', help: 'Events whose effect was stored, by type', labelNames: ['type'], registers: [this.registry] });
  readonly eventsDuplicate = new Counter({ name: 'pulse_engine_events_duplicate_total', help: 'Events skipped because their id was already applied (redelivery or repeated id)', registers: [this.registry] });
  readonly eventsRetried = new Counter({ name: 'pulse_engine_events_retried_total', help: 'Events handed back for redelivery after a transient failure', registers: [this.registry] });
  readonly processSeconds = new Histogram({
    name: 'pulse_engine_event_process_seconds',
    help: 'Time from delivery to ack of one event (load, fold-in, store, rank, push)',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly pushes = new Counter({ name: 'pulse_engine_pushes_total', help: 'Recommendation lists pushed to users', registers: [this.registry] });
  readonly pushesUnchanged = new Counter({ name: 'pulse_engine_pushes_skipped_total', help: 'Lists not pushed because they equal the last one pushed, or the event was backlog', labelNames: ['why'], registers: [this.registry] });
  readonly partitionsOwned = new Gauge({ name: 'pulse_engine_partitions_owned', help: 'Partitions this engine consumes', registers: [this.registry] });
  readonly catalogItems = new Gauge({ name: 'pulse_engine_catalog_items', help: 'Items in this engine\'s catalog and index', registers: [this.registry] });
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
  readonly errors = new Counter({ name: 'pulse_engine_errors_total', help: 'Errors by code', labelNames: ['code'], registers: [this.registry] });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
