/**
 * Latency statistics for the benchmark, HDR-style in spirit: every sample is kept (a 20 s run at
 * a few thousand events/s is well under a million numbers) and percentiles are exact
 * nearest-rank values, not interpolated or bucketed. All latencies are milliseconds.
 */

export interface LatencySummary {
  count: number;
  /** Milliseconds; null when there are no samples (so the summary survives JSON). */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

/**
 * Nearest-rank percentile of ascending `sorted` values: the smallest value with at least
 * `p` percent of the samples at or below it. `p` in [0, 100]; null for no samples.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${p}`);
  const n = sorted.length;
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sorted[rank - 1]!;
}

/** Summary of unsorted samples (the input is not modified). */
export function summarize(samples: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  return {
    count: n,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: n > 0 ? sorted[n - 1]! : null,
    mean: n > 0 ? sum / n : null,
  };
}

/** One second of a run: counts by when they happened, push latency by when the event was sent. */
export interface SecondPoint {
  /** Seconds since the measured window opened (0 = its first second). */
  second: number;
  events: number;
  acks: number;
  pushes: number;
  /** Push latency (ms) of the events sent in this second; null when none got a push. */
  pushP50: number | null;
  pushP99: number | null;
}

/**
 * Per-second counters over a window of `seconds` seconds. Times outside [0, seconds) are
 * ignored: the series describes the measured window only.
 */
export class SecondSeries {
  private readonly events: number[];
  private readonly acks: number[];
  private readonly pushes: number[];
  private readonly latencies: number[][];

  constructor(readonly seconds: number) {
    if (!Number.isInteger(seconds) || seconds < 0) throw new RangeError(`seconds must be a non-negative integer, got ${seconds}`);
    this.events = new Array<number>(seconds).fill(0);
    this.acks = new Array<number>(seconds).fill(0);
    this.pushes = new Array<number>(seconds).fill(0);
    this.latencies = Array.from({ length: seconds }, () => []);
  }

  private index(atSeconds: number): number {
    const i = Math.floor(atSeconds);
    return i >= 0 && i < this.seconds ? i : -1;
  }

  /** An event sent `atSeconds` into the window. */
  addEvent(atSeconds: number): void {
    const i = this.index(atSeconds);
    if (i >= 0) this.events[i]! += 1;
  }

  /** A successful ack received `atSeconds` into the window. */
  addAck(atSeconds: number): void {
    const i = this.index(atSeconds);
    if (i >= 0) this.acks[i]! += 1;
  }

  /** A matched push received at `receivedAtSeconds` for an event sent at `sentAtSeconds`. */
  addPush(sentAtSeconds: number, receivedAtSeconds: number, latencyMs: number): void {
    const received = this.index(receivedAtSeconds);
    if (received >= 0) this.pushes[received]! += 1;
    const sent = this.index(sentAtSeconds);
    if (sent >= 0) this.latencies[sent]!.push(latencyMs);
  }

  points(): SecondPoint[] {
    return this.events.map((events, second) => {
      const sorted = Float64Array.from(this.latencies[second]!).sort();
      return {
        second,
        events,
        acks: this.acks[second]!,
        pushes: this.pushes[second]!,
        pushP50: percentile(sorted, 50),
        pushP99: percentile(sorted, 99),
      };
    });
  }
}

/** Counts by key (error codes), in first-seen order. */
export function countBy(keys: Iterable<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}
