import { hostname } from 'node:os';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LiveStats, type LiveStatsOptions } from './live-stats.js';

export interface GatewayMetricsOptions {
  /** Collect Node process metrics (CPU, memory, event loop lag, GC) into this registry. Default true. */
  defaultMetrics?: boolean;
  /** Another registry whose metrics `/metrics` also shows (e.g. the engine's, in one process). */
  extra?: Registry;
  /** Options of the per-second live window (`GET /v1/analytics/live`). */
  live?: LiveStatsOptions;
}

/**
 * Seconds from "event accepted by a gateway" to "push emitted to the user's sockets":
 * fine-grained at the low end, where an in-process or same-rack push lands (0.5 ms to 2 s).
 */
export const PUSH_LATENCY_BUCKETS = [
  0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2,
];

const HTTP_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** The gateway's Prometheus metrics, in a registry of its own (never the global default one). */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly #extra: Registry | undefined;
  /**
   * The last seconds of accepted events (by type) and push latencies, for the console's live
   * charts: recorded where `eventsAcked` and `pushLatency` are, read by `GET /v1/analytics/live`.
   */
  readonly live: LiveStats;

  /** Every event that reached intake (socket `track` or an element of `POST /v1/events`). */
  readonly eventsReceived = new Counter({
    name: 'pulse_gateway_events_received_total',
    help: 'Events received from clients (socket track and HTTP), valid or not.',
    registers: [this.registry],
  });
  /** Events the event log confirmed as stored (JetStream PubAck), duplicates included. */
  readonly eventsAcked = new Counter({
    name: 'pulse_gateway_events_acked_total',
    help: 'Events durably stored in the event log (acked to the client).',
    registers: [this.registry],
  });
  readonly eventsRejected = new Counter({
    name: 'pulse_gateway_events_rejected_total',
    help: 'Events not stored, by error code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'pulse_gateway_errors_total',
    help: 'Error responses (HTTP) and error acks (Socket.IO, refused connections), by error code.',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly pushLatency = new Histogram({
    name: 'pulse_gateway_push_latency_seconds',
    help: 'Time from the causing event being accepted by a gateway to the push being emitted (s).',
    buckets: PUSH_LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly pushes = new Counter({
    name: 'pulse_gateway_pushes_total',
    help: 'Push messages emitted to the sockets of a user (or to all sockets for broadcasts), by socket event.',
    labelNames: ['event'] as const,
    registers: [this.registry],
  });
  /** `promotions.claim` calls: on a member's socket connect (`connect`) or for an `inbox` hint (`hint`). */
  readonly promotionClaims = new Counter({
    name: 'pulse_gateway_promotion_claims_total',
    help: 'promotions.claim calls to the engine, by reason (connect, hint).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly promotionClaimFailures = new Counter({
    name: 'pulse_gateway_promotion_claim_failures_total',
    help: 'promotions.claim calls that failed, by reason (connect, hint) and error code.',
    labelNames: ['reason', 'code'] as const,
    registers: [this.registry],
  });
  readonly sockets = new Gauge({
    name: 'pulse_gateway_sockets',
    help: 'Socket.IO connections currently held by this gateway.',
    registers: [this.registry],
  });
  /** Users in presence messages to the engines, by kind (join, leave, beat). */
  readonly presenceAnnounced = new Counter({
    name: 'pulse_gateway_presence_users_announced_total',
    help: 'Users announced to the engines in presence messages, by kind (join, leave, beat).',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly presenceFailures = new Counter({
    name: 'pulse_gateway_presence_failures_total',
    help: 'Presence joins not confirmed before a socket connected, by code (unavailable, timeout).',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  /** Coalesced socket writes: one per socket per event-loop turn with output (one writev on a websocket). */
  readonly socketFlushes = new Counter({
    name: 'pulse_gateway_socket_flushes_total',
    help: 'Coalesced writes to client connections (one per connection per event-loop turn with output).',
    registers: [this.registry],
  });
  readonly socketPacketsFlushed = new Counter({
    name: 'pulse_gateway_socket_packets_flushed_total',
    help: 'Engine.IO packets (events, acks, pings) in the coalesced writes; divided by flushes: packets per write.',
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'pulse_gateway_http_request_duration_seconds',
    help: 'HTTP request duration (s), by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS,
    registers: [this.registry],
  });

  constructor(options: GatewayMetricsOptions = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.#extra = options.extra;
    this.live = new LiveStats({ id: `${hostname()}:${process.pid}`, ...options.live });
  }

  /** One pushed list, `ms` after its causing event was accepted: the Prometheus histogram and the live window. */
  observePush(ms: number): void {
    this.pushLatency.observe(ms / 1000);
    this.live.pushLatency(ms);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Prometheus text of our registry merged with the extra one. Like `Registry.merge`, except that a
   * name present in both (typically the default process metrics) is shown once, from ours.
   */
  async render(): Promise<string> {
    if (!this.#extra) return this.registry.metrics();
    const merged = new Registry();
    for (const source of [this.registry, this.#extra]) {
      for (const { name } of source.getMetricsAsArray()) {
        const metric = source.getSingleMetric(name);
        if (metric && !merged.getSingleMetric(name)) merged.registerMetric(metric);
      }
    }
    return merged.metrics();
  }
}
