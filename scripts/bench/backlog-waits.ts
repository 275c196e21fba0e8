/**
 * How the backlog benchmark (see backlog.ts) waits for an engine: polling its /metrics until every
 * event is applied, or JetStream until every message of the log is acked; each wait ends on a stall.
 */
import { Progress } from '../lib/progress.js';
import { engineCounters, type EngineCounters } from './prom-text.js';
import type { LogWatch } from './replay-watch.js';

const POLL_MS = 500;
/** Polls of JetStream while following a replay (ms). */
const LOG_POLL_MS = 500;

export async function readCounters(metricsUrl: string): Promise<EngineCounters | undefined> {
  try {
    const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(10_000) });
    return response.ok ? engineCounters(await response.text()) : undefined;
  } catch {
    return undefined; // a busy engine may answer late: the next poll tries again
  }
}

/** Polls /metrics until `target` events are applied or the count stalls; the last counters and when the target was met. */
export async function waitApplied(
  metricsUrl: string,
  target: number,
  label: string,
  stallMs: number,
): Promise<{ counters: EngineCounters | undefined; doneAt: number | undefined }> {
  let counters = await readCounters(metricsUrl);
  // Dead-lettered events are done too (never to be applied): the verdict reports them.
  let seen = counters ? counters.applied + counters.deadLettered : 0;
  const progress = new Progress({ label, total: Math.max(0, target - seen), unit: 'events' });
  let movedAt = performance.now();
  for (;;) {
    if (counters && counters.applied + counters.deadLettered >= target) {
      progress.done();
      return { counters, doneAt: performance.now() };
    }
    if (performance.now() - movedAt > stallMs) {
      progress.done();
      return { counters, doneAt: undefined };
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
    counters = (await readCounters(metricsUrl)) ?? counters;
    const done = counters ? counters.applied + counters.deadLettered : 0;
    if (done > seen) {
      progress.tick(done - seen);
      seen = done;
      movedAt = performance.now();
    }
  }
}

/**
 * Polls /metrics until no shopper waits to join the "shoppers like you" index (the engine defers
 * history's shoppers until the import is over: that work belongs to the backlog's cost), or `limitMs`
 * passed. Seconds it took; undefined when shoppers still waited at the limit.
 */
export async function waitShopperIndex(metricsUrl: string, limitMs: number): Promise<number | undefined> {
  const started = performance.now();
  for (;;) {
    const counters = await readCounters(metricsUrl);
    if (counters && counters.shopperIndexWaiting === 0) return (performance.now() - started) / 1000;
    if (performance.now() - started > limitMs) return undefined;
    await new Promise((r) => setTimeout(r, POLL_MS / 5));
  }
}

export interface Followed {
  /** When the first acked messages were seen, and how many there were then. */
  firstAt: number | undefined;
  firstAcked: number;
  /** When every message of the log was acked; undefined when it stalled. */
  doneAt: number | undefined;
  acked: number;
}

/** Polls the log until every message is acked or nothing moved for `stallMs`; `onFirst` runs when the first acks are seen. */
export async function followLog(watch: LogWatch, stallMs: number, onFirst: () => void): Promise<Followed> {
  const progress = new Progress({ label: 'replay apply', total: watch.total, unit: 'events' });
  const followed: Followed = { firstAt: undefined, firstAcked: 0, doneAt: undefined, acked: 0 };
  let movedAt = performance.now();
  for (;;) {
    const acked = await watch.acked().catch(() => followed.acked);
    const now = performance.now();
    if (acked > followed.acked) {
      if (followed.firstAt === undefined) {
        followed.firstAt = now;
        followed.firstAcked = acked;
        onFirst();
      }
      progress.tick(acked - followed.acked);
      followed.acked = acked;
      movedAt = now;
    }
    if (followed.acked >= watch.total) {
      followed.doneAt = now;
      break;
    }
    if (now - movedAt > stallMs) break;
    await new Promise((r) => setTimeout(r, LOG_POLL_MS));
  }
  progress.done();
  return followed;
}
