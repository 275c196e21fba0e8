/**
 * The search for the highest sustained event rate, and the verdict on one measured step. Pure:
 * the orchestrator runs the steps and feeds their verdicts back. The search starts at `startRate`,
 * doubles while steps pass, then bisects between the highest pass and the lowest fail above it;
 * when even the first step fails it halves down to `minRate`. Every step count is bounded.
 */
import type { LoadResult } from './report.js';

export interface StepCriteria {
  /** Highest event->push p99 that passes (ms). */
  p99LimitMs: number;
  /** Smallest share of accepted events answered by a push within the push timeout (0..1). */
  minAnsweredShare: number;
  /** Smallest share of the target rate the generator must have sent (0..1): below it the load, not the server, was the limit. */
  minSentShare: number;
  /** Largest share of sent events whose ack failed (rate limited, timed out, unavailable). */
  maxFailedShare: number;
}

export const DEFAULT_CRITERIA: StepCriteria = { p99LimitMs: 50, minAnsweredShare: 0.99, minSentShare: 0.95, maxFailedShare: 0.01 };

export interface StepVerdict {
  pass: boolean;
  /** Why it failed (empty when it passed). */
  reasons: string[];
  p99Ms: number | null;
  /** Accepted events answered by a push in time (0..1); null without accepted events. */
  answeredShare: number | null;
}

/** Share of accepted (acked) events answered by a push within the push timeout. */
export function answeredShare(result: Pick<LoadResult, 'events' | 'noPush'>): number | null {
  const acked = result.events.acked;
  return acked > 0 ? (acked - result.noPush) / acked : null;
}

export function judgeStep(result: LoadResult, criteria: StepCriteria = DEFAULT_CRITERIA): StepVerdict {
  const reasons: string[] = [];
  const p99 = result.push.p99;
  const answered = answeredShare(result);
  if (p99 === null) reasons.push('no push arrived');
  else if (p99 > criteria.p99LimitMs)
    reasons.push(`p99 ${formatNumber(p99)} ms > ${criteria.p99LimitMs} ms${slowSeconds(result.series, criteria.p99LimitMs)}`);
  if (answered === null) reasons.push('no event accepted');
  else if (answered < criteria.minAnsweredShare)
    reasons.push(`answered ${(answered * 100).toFixed(1)}% < ${criteria.minAnsweredShare * 100}%`);
  const sentShare = result.rates.eventsPerSec / result.targetRate;
  if (sentShare < criteria.minSentShare)
    reasons.push(`generator sent ${formatNumber(result.rates.eventsPerSec)}/s of ${formatNumber(result.targetRate)}/s`);
  const failed = result.events.sent > 0 ? result.events.failed / result.events.sent : 0;
  if (failed > criteria.maxFailedShare) reasons.push(`${(failed * 100).toFixed(1)}% of events failed`);
  return { pass: reasons.length === 0, reasons, p99Ms: p99, answeredShare: answered };
}

/**
 * The seconds of the measured window whose own p99 passed the limit, e.g. ` in 2 of 5 seconds
 * (102, 68 ms)`: whether a step failed on a stretch of slow seconds or everywhere. Empty when no
 * single second did.
 */
export function slowSeconds(series: LoadResult['series'], limitMs: number): string {
  const slow: number[] = [];
  for (const point of series) if (point.pushP99 !== null && point.pushP99 > limitMs) slow.push(point.pushP99);
  if (slow.length === 0) return '';
  return ` in ${slow.length} of ${series.length} seconds (${slow.map(formatNumber).join(', ')} ms)`;
}

function formatNumber(value: number): string {
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1);
}

export interface SearchOptions {
  /** First rate tried (events/s). */
  startRate: number;
  /** Never tries above this. */
  maxRate: number;
  /** Halving after a failed first step stops below this. */
  minRate: number;
  /** Bisection steps after the bracket [pass, fail] is found. */
  bisectSteps: number;
  /** Bisection stops once (fail - pass) / pass is at most this. */
  resolution: number;
  /** Steps in all, whatever else. */
  maxSteps: number;
}

export const DEFAULT_SEARCH: SearchOptions = {
  startRate: 100,
  maxRate: 50_000,
  minRate: 10,
  bisectSteps: 3,
  resolution: 0.05,
  maxSteps: 14,
};

export interface SearchStep {
  rate: number;
  pass: boolean;
}

/** The bracket the steps so far give: highest passing rate (0 if none) and lowest failing rate above it. */
export function bracket(steps: readonly SearchStep[]): { pass: number; fail: number } {
  const pass = Math.max(0, ...steps.filter((s) => s.pass).map((s) => s.rate));
  const fail = Math.min(Number.POSITIVE_INFINITY, ...steps.filter((s) => !s.pass && s.rate > pass).map((s) => s.rate));
  return { pass, fail };
}

/** Steps taken after both a pass and a fail above it were known (the bisection so far). */
function bisectionsDone(steps: readonly SearchStep[]): number {
  let done = 0;
  for (let i = 1; i < steps.length; i++) {
    const { pass, fail } = bracket(steps.slice(0, i));
    if (pass > 0 && Number.isFinite(fail)) done++;
  }
  return done;
}

/** A rate rounded to 2 significant digits below 1,000 and to a multiple of 50 above, so steps read well. */
export function roundRate(rate: number): number {
  if (rate >= 1000) return Math.round(rate / 50) * 50;
  const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(rate)) - 1);
  return Math.max(1, Math.round(rate / magnitude) * magnitude);
}

/** The next rate to try, or undefined when the search is over. */
export function nextRate(steps: readonly SearchStep[], options: SearchOptions = DEFAULT_SEARCH): number | undefined {
  if (steps.length >= options.maxSteps) return undefined;
  if (steps.length === 0) return Math.min(options.startRate, options.maxRate);
  const { pass, fail } = bracket(steps);
  const tried = new Set(steps.map((s) => s.rate));
  let next: number;
  if (pass === 0) {
    // Nothing passed yet: halve below the lowest failure.
    next = roundRate(fail / 2);
    if (next < options.minRate) return undefined;
  } else if (!Number.isFinite(fail)) {
    if (pass >= options.maxRate) return undefined;
    next = Math.min(options.maxRate, pass * 2);
  } else {
    if (bisectionsDone(steps) >= options.bisectSteps || (fail - pass) / pass <= options.resolution) return undefined;
    next = roundRate((pass + fail) / 2);
  }
  return tried.has(next) || next <= pass || next >= fail ? undefined : next;
}

/** The highest passing rate, or null when none passed. */
export function sustainedRate(steps: readonly SearchStep[]): number | null {
  const { pass } = bracket(steps);
  return pass > 0 ? pass : null;
}

/**
 * Sockets for a step at `rate`: at least `minSockets`, and enough that each carries at most half
 * the gateway's per-socket limit on average (the schedule's jittered gaps reach twice the mean).
 */
export function socketsFor(rate: number, minSockets: number, perSocketLimit: number): number {
  return Math.max(minSockets, Math.ceil(rate / (perSocketLimit / 2)));
}
