import type { EventType } from '../engine/contracts/schemas.js';

/**
 * The gateway's live window behind `GET /v1/analytics/live`: per wall-clock second, the events
 * this gateway accepted (by type) and the push latencies it observed, for the last
 * `windowSeconds` seconds. Kept beside the Prometheus metrics (same call sites), in a fixed ring
 * of one slot per second, so memory is bounded whatever the load: a slot is reused when its
 * second comes round again. Per gateway: with several gateways each answers for itself.
 * Pure (no Node APIs), so the console's code can import its wire types.
 */

/** Push latency of one second, in milliseconds. */
export interface PushLatencySummary {
  /** Pushes observed in that second (exact). */
  count: number;
  /** Median and 95th percentile (nearest rank); exact up to `samplesPerSecond` pushes, from a uniform sample beyond. */
  p50Ms: number;
  p95Ms: number;
  /** Slowest push of that second (exact). */
  maxMs: number;
}

/** One second of the window. */
export interface LiveSecond {
  /** Start of the second, epoch ms (a multiple of 1000). */
  t: number;
  /** Events accepted (stored in the event log) in that second, by type; types with none are absent. */
  events: Partial<Record<EventType, number>>;
  eventsTotal: number;
  /** null when no push was observed in that second. */
  push: PushLatencySummary | null;
}

/** The answer of `GET /v1/analytics/live`. */
export interface LiveWindow {
  /** Which gateway answered (host:pid): the window is this gateway's only. */
  gateway: string;
  /** Epoch ms the window was read at; the last second is the current, still filling one. */
  at: number;
  windowSeconds: number;
  /** Oldest first, one entry per second (zeros where nothing happened), the current second last. */
  seconds: LiveSecond[];
}

export interface LiveStatsOptions {
  /** Seconds kept (and the most a read may ask for). Default 180. */
  windowSeconds?: number;
  /** Latency samples kept per second for the percentiles (reservoir). Default 512. */
  samplesPerSecond?: number;
  /** Name of this gateway in answers (GatewayMetrics gives `<hostname>:<pid>`). Default `gateway`. */
  id?: string;
  /** Clock, epoch ms; injectable for tests. */
  now?: () => number;
  /** Uniform [0, 1) for the reservoir; injectable for tests. */
  random?: () => number;
}

interface Slot {
  /** Epoch second this slot holds; -1 when never used. */
  second: number;
  events: Map<EventType, number>;
  eventsTotal: number;
  samples: number[];
  pushes: number;
  maxMs: number;
  /** Summary of a closed second, computed once. */
  summary: PushLatencySummary | null | undefined;
}

/** Per-second ring buffer of accepted events and push latencies (see the module comment). */
export class LiveStats {
  readonly windowSeconds: number;
  readonly id: string;
  readonly #samplesPerSecond: number;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #slots: Slot[];

  constructor(options: LiveStatsOptions = {}) {
    this.windowSeconds = options.windowSeconds ?? 180;
    this.#samplesPerSecond = options.samplesPerSecond ?? 512;
    if (!Number.isInteger(this.windowSeconds) || this.windowSeconds < 1)
      throw new RangeError(`windowSeconds must be a positive integer, got ${this.windowSeconds}`);
    if (!Number.isInteger(this.#samplesPerSecond) || this.#samplesPerSecond < 1)
      throw new RangeError(`samplesPerSecond must be a positive integer, got ${this.#samplesPerSecond}`);
    this.id = options.id ?? 'gateway';
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#slots = Array.from({ length: this.windowSeconds }, () => ({
      second: -1,
      events: new Map(),
      eventsTotal: 0,
      samples: [],
      pushes: 0,
      maxMs: 0,
      summary: undefined,
    }));
  }

  /** Counts one event of `type` accepted now. */
  eventAccepted(type: EventType): void {
    const slot = this.#current();
    slot.events.set(type, (slot.events.get(type) ?? 0) + 1);
    slot.eventsTotal += 1;
  }

  /** Records one push observed now that took `ms` milliseconds from its causing event (negative clamps to 0). */
  pushLatency(ms: number): void {
    if (!Number.isFinite(ms)) return;
    const value = Math.max(0, ms);
    const slot = this.#current();
    slot.pushes += 1;
    if (value > slot.maxMs) slot.maxMs = value;
    if (slot.samples.length < this.#samplesPerSecond) slot.samples.push(value);
    else {
      // Algorithm R: every push of the second has the same chance to be among the samples.
      const index = Math.floor(this.#random() * slot.pushes);
      if (index < this.#samplesPerSecond) slot.samples[index] = value;
    }
  }

  /** The last `seconds` seconds (1..windowSeconds, default all), oldest first, the current one last. */
  window(seconds = this.windowSeconds): LiveWindow {
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > this.windowSeconds)
      throw new RangeError(`seconds must be an integer in 1..${this.windowSeconds}, got ${seconds}`);
    const at = this.#now();
    const current = Math.floor(at / 1000);
    const out: LiveSecond[] = [];
    for (let second = current - seconds + 1; second <= current; second++) {
      const slot = this.#slots[this.#index(second)]!;
      if (slot.second !== second) {
        out.push({ t: second * 1000, events: {}, eventsTotal: 0, push: null });
        continue;
      }
      out.push({
        t: second * 1000,
        events: Object.fromEntries(slot.events),
        eventsTotal: slot.eventsTotal,
        push: this.#summary(slot, second < current),
      });
    }
    return { gateway: this.id, at, windowSeconds: this.windowSeconds, seconds: out };
  }

  #index(second: number): number {
    return ((second % this.windowSeconds) + this.windowSeconds) % this.windowSeconds;
  }

  /** The slot of the current second, emptied first when it still holds an older second. */
  #current(): Slot {
    const second = Math.floor(this.#now() / 1000);
    const slot = this.#slots[this.#index(second)]!;
    if (slot.second !== second) {
      slot.second = second;
      slot.events.clear();
      slot.eventsTotal = 0;
      slot.samples = [];
      slot.pushes = 0;
      slot.maxMs = 0;
      slot.summary = undefined;
    }
    return slot;
  }

  /** A closed second's summary is computed once and kept; the current second's every time. */
  #summary(slot: Slot, closed: boolean): PushLatencySummary | null {
    if (slot.summary !== undefined) return slot.summary;
    const summary = slot.pushes === 0 ? null : summarise(slot.samples, slot.pushes, slot.maxMs);
    if (closed) {
      slot.summary = summary;
      slot.samples = [];
    }
    return summary;
  }
}

function summarise(samples: readonly number[], count: number, maxMs: number): PushLatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  return { count, p50Ms: round(rank(0.5)), p95Ms: round(rank(0.95)), maxMs: round(maxMs) };
}

/** Microsecond precision is plenty for a chart and keeps the JSON short. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
